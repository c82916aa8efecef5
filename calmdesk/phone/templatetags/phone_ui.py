"""Template helpers of the phone app: the panels included on the agent's ticket page and the
customer's tracking page, and call figures in words."""

from __future__ import annotations

from typing import Any

from django import template

from ..text import format_duration, format_number

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    return format_duration(seconds)


@register.filter
def phone_number(value: str) -> str:
    return format_number(value)


@register.inclusion_tag("phone/_ticket_panel.html", takes_context=True)
def phone_ticket_panel(context: template.Context) -> dict[str, Any]:
    """Calls and callbacks of the ticket on the agent's ticket page, with the forms."""
    from ..views import ticket_panel_context

    ticket = context["ticket"]
    request = context["request"]
    return {
        **ticket_panel_context(ticket, request.user),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.inclusion_tag("phone/_callback_offer_panel.html", takes_context=True)
def callback_offer(context: template.Context) -> dict[str, Any]:
    """ "Ask us to call you back" on the customer's tracking page (their own ticket)."""
    from ..views import tracking_offer_context

    ticket = context["ticket"]
    return {
        **tracking_offer_context(ticket),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def window_label(callback: Any) -> str:
    """A callback's window in the customer's own time zone and the reader's calendar."""
    from ..text import local_window

    return local_window(callback.window_start, callback.window_end, callback.time_zone)
