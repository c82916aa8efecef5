"""Small presentation helpers for the agent workspace: due times, ages, the event timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calmdesk.tickets.enums import Channel, EventType, Priority, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent

register = template.Library()


def _agent_name(user: Any) -> str:
    if user is None:
        return _("someone")
    profile = getattr(user, "agent", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


@register.filter
def agent_name(user: Any) -> str:
    return _agent_name(user)


def due_at(ticket: Ticket) -> datetime | None:
    """The deadline that matters now: the first reply until it is sent, then the resolution."""
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return None
    if ticket.first_replied_at is None:
        return ticket.first_reply_due_at
    return ticket.resolution_due_at


@register.simple_tag
def due_label(ticket: Ticket, now: datetime | None = None) -> SafeString:
    """'due in 2 hours' or 'overdue 3 hours', with the exact time on hover."""
    due = due_at(ticket)
    if due is None:
        return mark_safe('<span class="muted">—</span>')
    now = now or timezone.now()
    from calmdesk.core.templatetags.calmdesk import format_date

    exact = format_date(due, with_time=True)
    if due <= now:
        return format_html(
            '<span class="due due-overdue" title="{}">{}</span>',
            exact,
            _("overdue %(time)s") % {"time": timesince(due, now, depth=1)},
        )
    soon = (due - now).total_seconds() < 3600
    return format_html(
        '<span class="due{}" title="{}">{}</span>',
        " due-soon" if soon else "",
        exact,
        _("due in %(time)s") % {"time": timeuntil(due, now, depth=1)},
    )


@register.simple_tag
def age(value: datetime, now: datetime | None = None) -> str:
    return timesince(value, now or timezone.now(), depth=1)


@register.filter
def priority_class(priority: str) -> str:
    classes: dict[str, str] = {Priority.URGENT: "badge-urgent", Priority.HIGH: "badge-high"}
    return classes.get(priority, "")


@register.filter
def status_class(status: str) -> str:
    return f"status-{status}"


def _label(choices: type[Any], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value) if value not in (None, "") else _("(none)")


def _name(mapping: dict[Any, Any], key: Any) -> str:
    if key in (None, ""):
        return _("(none)")
    obj = mapping.get(key)
    if obj is None:
        return _("(deleted #%(id)s)") % {"id": key}
    return obj.name() if callable(getattr(obj, "name", None)) else str(obj)


def describe_event(event: TicketEvent, lookups: Any) -> str:
    """One line in words for each event type, in the active language."""
    data = event.data or {}
    kind = event.type
    if kind == EventType.CREATED:
        return _("Created via %(channel)s") % {"channel": _label(Channel, data.get("channel"))}
    if kind == EventType.CUSTOMER_MESSAGE:
        return _("The customer wrote via %(channel)s") % {
            "channel": _label(Channel, data.get("channel"))
        }
    if kind == EventType.AGENT_REPLY:
        return _("First reply sent") if data.get("first_reply") else _("Reply sent")
    if kind == EventType.NOTE:
        return _("Internal note added")
    if kind == EventType.STATUS:
        return _("Status: %(before)s → %(after)s") % {
            "before": _label(TicketStatus, data.get("from")),
            "after": _label(TicketStatus, data.get("to")),
        }
    if kind == EventType.PRIORITY:
        return _("Priority: %(before)s → %(after)s") % {
            "before": _label(Priority, data.get("from")),
            "after": _label(Priority, data.get("to")),
        }
    if kind == EventType.REQUEST_TYPE:
        return _("Request type: %(before)s → %(after)s") % {
            "before": _name(lookups.request_types, data.get("from")),
            "after": _name(lookups.request_types, data.get("to")),
        }
    if kind == EventType.TRANSFER:
        return _("Transferred: %(before)s → %(after)s") % {
            "before": _name(lookups.teams, data.get("from")),
            "after": _name(lookups.teams, data.get("to")),
        }
    if kind == EventType.ASSIGN:
        before, after = data.get("from"), data.get("to")
        return _("Assignee: %(before)s → %(after)s") % {
            "before": _agent_name(lookups.users.get(before)) if before else _("(nobody)"),
            "after": _agent_name(lookups.users.get(after)) if after else _("(nobody)"),
        }
    if kind == EventType.TAGS:
        return _("Tags: %(before)s → %(after)s") % {
            "before": ", ".join(data.get("from") or []) or _("(none)"),
            "after": ", ".join(data.get("to") or []) or _("(none)"),
        }
    if kind == EventType.TRIAGE:
        before, after = data.get("before") or {}, data.get("after") or {}
        parts = [_("Rules applied: %(rules)s") % {"rules": ", ".join(data.get("rules") or [])}]
        if before.get("priority") != after.get("priority"):
            parts.append(
                _("priority %(before)s → %(after)s")
                % {
                    "before": _label(Priority, before.get("priority")),
                    "after": _label(Priority, after.get("priority")),
                }
            )
        if before.get("team") != after.get("team"):
            parts.append(
                _("team %(before)s → %(after)s")
                % {
                    "before": _name(lookups.teams, before.get("team")),
                    "after": _name(lookups.teams, after.get("team")),
                }
            )
        if data.get("tags_added"):
            parts.append(_("tags added: %(tags)s") % {"tags": ", ".join(data["tags_added"])})
        return "; ".join(parts)
    if kind == EventType.AUTORESPONDER:
        return _("Acknowledgement sent to the customer")
    if kind == EventType.ALERT:
        if data.get("acknowledged"):
            return _("Alert acknowledged")
        return _("Alert raised: no agent reply yet")
    if kind == EventType.REOPENED:
        return _("Reopened by the customer")
    return str(event.get_type_display())


@register.simple_tag
def event_text(event: TicketEvent, lookups: Any) -> str:
    return describe_event(event, lookups)


@register.simple_tag
def event_actor(event: TicketEvent) -> str:
    if event.actor_user_id:
        return _agent_name(event.actor_user)
    if event.actor_kind == "customer":
        return _("Customer")
    return _("Calmdesk")


@register.filter
def minutes_label(minutes: int | None) -> str:
    """An announced wait in words: 'about 45 minutes', 'about 6 hours', 'about 2 days'."""
    if minutes is None:
        return ""
    if minutes < 90:
        return ngettext("about %(n)d minute", "about %(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext("about %(n)d hour", "about %(n)d hours", hours) % {"n": hours}
    days = round(minutes / 1440)
    return ngettext("about %(n)d day", "about %(n)d days", days) % {"n": days}
