"""``{% chat_session %}``: the chat session of the ticket page's ticket, for the live panel."""

from __future__ import annotations

from typing import Any

from django import template

from calmdesk.tickets.enums import Channel

from ..models import ChatSession
from ..selectors import session_for_ticket

register = template.Library()


@register.simple_tag(takes_context=True)
def chat_session(context: Any, ticket: Any) -> ChatSession | None:
    """The ticket's latest chat, or None. Costs a query only on tickets that have chat
    messages (the ticket's channel, or a chat message in the conversation already loaded)."""
    if ticket is None or getattr(ticket, "pk", None) is None:
        return None
    conversation = context.get("conversation") or ()
    if ticket.channel != Channel.CHAT and not any(
        getattr(m, "channel", "") == Channel.CHAT for m in conversation
    ):
        return None
    return session_for_ticket(ticket.pk)
