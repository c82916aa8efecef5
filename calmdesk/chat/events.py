"""The realtime events of the chat (one TypedDict per event) and their builders.

Sockets of a session's visitor are in ``visitor_group(session)``; agents' ticket pages in
``ticket_group(ticket)``. Every event carries ``type`` = the consumer's handler
(``chat.message`` → ``chat_message``) and ``event`` = what the client receives.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from django.utils.translation import gettext as _

from calmdesk.tickets.enums import MessageKind
from calmdesk.tickets.models import Message

from .models import ChatSession

Sender = Literal["visitor", "agent", "system"]


class MessageEvent(TypedDict):
    type: Literal["message"]
    id: int
    sender: Sender
    text: str
    author: str
    at: str


class TypingEvent(TypedDict):
    type: Literal["typing"]
    sender: Sender
    on: bool
    author: str


class PresenceEvent(TypedDict):
    type: Literal["presence"]
    online: bool
    page: str
    at: str


class StatusEvent(TypedDict):
    type: Literal["status"]
    status: str
    agent: str
    line: str  # the system line the widget shows ("Maria joined the chat"), may be empty
    at: str


class ReadEvent(TypedDict):
    type: Literal["read"]
    sender: Sender  # who read
    upto: int


def visitor_group(session_id: int) -> str:
    return f"chat-visitor-{session_id}"


def ticket_group(ticket_id: int) -> str:
    return f"chat-ticket-{ticket_id}"


def public_agent_name(user: Any) -> str:
    """What the visitor sees of an agent: the display name or first name, never the login."""
    if user is None:
        return _("Agent")
    profile = getattr(user, "agent", None)
    return (
        (profile.display_name if profile is not None else "")
        or getattr(user, "first_name", "")
        or _("Agent")
    )


def message_event(message: Message, *, visitor_name: str = "") -> MessageEvent:
    sender: Sender
    if message.kind == MessageKind.INBOUND:
        sender, author = "visitor", visitor_name
    elif message.kind == MessageKind.OUTBOUND:
        sender, author = "agent", public_agent_name(message.author_user)
    else:
        sender, author = "system", ""
    return {
        "type": "message",
        "id": message.pk,
        "sender": sender,
        "text": message.body_text,
        "author": author,
        "at": message.created_at.isoformat(),
    }


def status_event(session: ChatSession, *, line: str = "") -> StatusEvent:
    return {
        "type": "status",
        "status": session.status,
        "agent": public_agent_name(session.agent) if session.agent_id else "",
        "line": line,
        "at": (session.ended_at or session.last_seen_at).isoformat(),
    }


def presence_event(session: ChatSession) -> PresenceEvent:
    return {
        "type": "presence",
        "online": session.visitor_connected,
        "page": session.page_url,
        "at": session.last_seen_at.isoformat(),
    }


def layer_event(handler: str, event: Any) -> dict[str, Any]:
    """The channel-layer message that delivers ``event`` through the consumers' ``handler``."""
    return {"type": handler, "event": dict(event)}
