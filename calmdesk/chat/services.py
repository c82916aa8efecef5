"""WRITES of the chat: sessions, visitor messages (through ``contact_receive``), presence, the
end of a chat, the sweep of visitors who left, and the live reply sender.

Every visitor message goes through ``conversations.services.contact_receive`` with the session's
ticket as the thread: the transcript is the ticket's messages. Pushes to the sockets happen after
commit (``realtime.push``); the clients re-sync from the database when they reconnect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from calmdesk.conversations.models import Contact
from calmdesk.conversations.services import InboundContact, contact_receive, subject_from_text
from calmdesk.core.errors import DomainError, PermissionDenied
from calmdesk.core.ratelimit import rate_limited
from calmdesk.customers.models import IdentityKind
from calmdesk.customers.services import normalize_email
from calmdesk.realtime.push import push_on_commit
from calmdesk.tickets.enums import Channel, MessageKind
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import text_to_html

from . import conf
from .events import (
    ReadEvent,
    TypingEvent,
    layer_event,
    message_event,
    presence_event,
    public_agent_name,
    status_event,
    ticket_group,
    visitor_group,
)
from .models import AgentPresence, ChatSession, ChatWidget, SessionStatus, hash_token
from .selectors import visitor_is_live, visitor_known, visitor_open_session, widget_state

HANDLER = "chat.event"  # the consumers' handler of every chat event
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SUBJECT_CHARS = 100
NAME_CHARS = 200


def _push_visitor(session: ChatSession, event: object) -> None:
    push_on_commit(visitor_group(session.pk), layer_event(HANDLER, event))


def _push_agents(ticket_id: int | None, event: object) -> None:
    if ticket_id is not None:
        push_on_commit(ticket_group(ticket_id), layer_event(HANDLER, event))


# ------------------------------------------------------------------------------------------
# The visitor
# ------------------------------------------------------------------------------------------


def chat_check_visitor(*, visitor_id: str, token: str) -> None:
    """The visitor's id and secret are well formed and the secret is theirs."""
    if not VISITOR_ID.match(visitor_id or "") or not VISITOR_ID.match(token or ""):
        raise DomainError(_("This chat cannot be opened here."), code="bad_visitor")
    if visitor_known(visitor_id=visitor_id, token=token) is False:
        raise PermissionDenied(_("This chat cannot be opened here."))


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise DomainError(_("Write a message first."), field="text", code="empty")
    limit = conf.message_max_chars()
    if len(text) > limit:
        raise DomainError(
            _("Your message is too long: at most %(count)s characters.") % {"count": limit},
            field="text",
            code="too_long",
        )
    return text


def _check_rate(visitor_id: str) -> None:
    limit, window = conf.rate_limit()
    if rate_limited("chat", visitor_id, limit=limit, window_seconds=window):
        raise DomainError(
            _("You are sending messages very fast. Please wait a moment."),
            field="text",
            code="rate_limited",
        )


def _subject(text: str) -> str:
    return subject_from_text(text, limit=SUBJECT_CHARS)


@dataclass
class ChatPost:
    session: ChatSession
    message: Message
    created: bool  # the session was started by this call


def chat_start(
    *,
    widget: ChatWidget,
    visitor_id: str,
    token: str,
    name: str,
    email: str,
    text: str,
    client_id: str,
    language: str = "en",
    page_url: str = "",
    now: datetime | None = None,
) -> ChatPost:
    """Start a chat with the visitor's first message (the pre-chat form). When the agents are
    busy the email address is required: the chat continues by email if the visitor leaves.

    A visitor who already has an open chat on this widget continues it (a double submit)."""
    now = now or timezone.now()
    chat_check_visitor(visitor_id=visitor_id, token=token)
    name = " ".join((name or "").split())[:NAME_CHARS]
    if not name:
        raise DomainError(_("Tell us your name."), field="name", code="required")
    email = normalize_email(email) if (email or "").strip() else ""
    text = _clean_text(text)
    existing = visitor_open_session(widget=widget, visitor_id=visitor_id)
    if existing is not None:
        return ChatPost(
            session=existing,
            message=chat_visitor_message(session=existing, text=text, client_id=client_id, now=now),
            created=False,
        )
    state = widget_state(widget, now=now)
    if state.busy and not email:
        raise DomainError(
            _("Our agents are busy: leave your email address so we can answer you by email."),
            field="email",
            code="email_required",
        )
    _check_rate(visitor_id)
    session = ChatSession.objects.create(
        widget=widget,
        visitor_id=visitor_id,
        token_hash=hash_token(token),
        name=name,
        email=email,
        language=language[:10],
        page_url=(page_url or "")[:2000]
        if (page_url or "").startswith(("http://", "https://"))
        else "",
        busy_at_start=state.busy,
        started_at=now,
        last_seen_at=now,
    )
    message = _receive(session=session, text=text, client_id=client_id, now=now)
    session.refresh_from_db()
    return ChatPost(session=session, message=message, created=True)


def chat_visitor_message(
    *, session: ChatSession, text: str, client_id: str, now: datetime | None = None
) -> Message:
    """A visitor's message in their chat: into the session's ticket, pushed to the agents."""
    now = now or timezone.now()
    text = _clean_text(text)
    _check_rate(session.visitor_id)
    return _receive(session=session, text=text, client_id=client_id, now=now)


def _receive(*, session: ChatSession, text: str, client_id: str, now: datetime) -> Message:
    client_id = re.sub(r"[^A-Za-z0-9_-]", "", client_id or "")[:64]
    with transaction.atomic():
        # One message of a session at a time: the first one opens the ticket every later one
        # follows.
        locked = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("widget", "ticket", "agent")
            .get(pk=session.pk)
        )
        if locked.status == SessionStatus.ENDED:
            raise DomainError(_("This chat has ended."), code="ended")
        identities: list[tuple[str, str]] = [(IdentityKind.CHAT, locked.visitor_id)]
        if locked.email:
            identities.append((IdentityKind.EMAIL, locked.email))
        widget = locked.widget
        result = contact_receive(
            InboundContact(
                channel=Channel.CHAT,
                identities=identities,
                name=locked.name,
                subject=_subject(text),
                body_text=text,
                language=locked.language,
                request_type=widget.request_type,
                team=widget.team,
                thread=locked.ticket,
                external_key=f"chat:{locked.pk}:{client_id}" if client_id else None,
                external_id=f"chat:{locked.pk}:{client_id}" if client_id else "",
                # A chat answered live needs no acknowledgement; one that may continue by email
                # gets the reference and the expected wait there.
                acknowledge=locked.busy_at_start,
            ),
            now=now,
        )
        message = result.message
        if message is None and result.contact is not None and result.contact.message_id:
            message = Message.objects.get(pk=result.contact.message_id)
        if message is None:  # a repeat whose contact lost its message: nothing new to show
            raise DomainError(_("This message was already received."), code="duplicate")
        fields = ["ticket", "customer", "last_seen_at"]
        locked.ticket = result.ticket
        locked.customer_id = (
            result.contact.customer_id if result.contact is not None else result.ticket.customer_id
        )
        locked.last_seen_at = now
        if locked.status == SessionStatus.EMAIL:
            locked.status = SessionStatus.ACTIVE if locked.agent_id else SessionStatus.WAITING
            fields.append("status")
        locked.save(update_fields=fields)
        if not result.duplicate:
            event = message_event(message, visitor_name=locked.name)
            _push_agents(locked.ticket_id, event)
            _push_visitor(locked, event)
    session.ticket = locked.ticket
    session.customer_id = locked.customer_id
    session.status = locked.status
    return message


def chat_set_email(*, session: ChatSession, email: str) -> ChatSession:
    """The visitor leaves an email address during the chat (to be answered by email)."""
    value = normalize_email(email)
    ChatSession.objects.filter(pk=session.pk).update(email=value)
    session.email = value
    return session


def chat_visitor_connected(
    *, session: ChatSession, page_url: str = "", now: datetime | None = None
) -> ChatSession:
    """A visitor's socket opened on their chat: they are back (a chat that went on by email
    is live again)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        locked.connections = F("connections") + 1
        locked.left_at = None
        locked.last_seen_at = now
        fields = ["connections", "left_at", "last_seen_at"]
        if page_url.startswith(("http://", "https://")):
            locked.page_url = page_url[:2000]
            fields.append("page_url")
        if locked.status == SessionStatus.EMAIL:
            locked.status = SessionStatus.ACTIVE if locked.agent_id else SessionStatus.WAITING
            fields.append("status")
        locked.save(update_fields=fields)
        locked.refresh_from_db()
        _push_agents(locked.ticket_id, presence_event(locked))
    return locked


def chat_visitor_disconnected(*, session_id: int, now: datetime | None = None) -> None:
    """A visitor's socket closed; with the last one, the visitor is away (``left_at``)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().filter(pk=session_id).first()
        if locked is None:
            return
        locked.connections = max(0, locked.connections - 1)
        if locked.connections == 0:
            locked.left_at = now
        locked.last_seen_at = now
        locked.save(update_fields=["connections", "left_at", "last_seen_at"])
        _push_agents(locked.ticket_id, presence_event(locked))


def chat_visitor_heartbeat(*, session_id: int, now: datetime | None = None) -> None:
    now = now or timezone.now()
    ChatSession.objects.filter(pk=session_id).update(last_seen_at=now)


def chat_visitor_seen(*, session: ChatSession, upto: int) -> None:
    """The widget has shown the agent's messages up to ``upto`` (a read receipt)."""
    updated = (
        ChatSession.objects.filter(pk=session.pk)
        .exclude(seen_message_id__gte=upto)
        .update(seen_message_id=upto)
    )
    if updated:
        event: ReadEvent = {"type": "read", "sender": "visitor", "upto": upto}
        _push_agents(session.ticket_id, event)


def chat_visitor_typing(*, session: ChatSession, on: bool) -> None:
    event: TypingEvent = {"type": "typing", "sender": "visitor", "on": on, "author": session.name}
    _push_agents(session.ticket_id, event)


# ------------------------------------------------------------------------------------------
# Agents
# ------------------------------------------------------------------------------------------


def agent_seen(*, user_id: int, now: datetime | None = None) -> None:
    """The agent is in the workspace with a live socket (counted online for the busy check)."""
    now = now or timezone.now()
    fresh = now - timedelta(seconds=conf.HEARTBEAT_SECONDS // 2)
    if AgentPresence.objects.filter(user_id=user_id, last_seen_at__gte=fresh).exists():
        return
    AgentPresence.objects.update_or_create(user_id=user_id, defaults={"last_seen_at": now})


def chat_agent_typing(*, session: ChatSession, user: object, on: bool) -> None:
    event: TypingEvent = {
        "type": "typing",
        "sender": "agent",
        "on": on,
        "author": public_agent_name(user),
    }
    # To the visitor only: the agents' pages show the visitor's typing, not each other's
    # (``AgentTicketConsumer.chat_event`` would drop it).
    _push_visitor(session, event)


def chat_agent_read(*, session: ChatSession, upto: int) -> None:
    """An agent has seen the visitor's messages up to ``upto``: the widget shows "read"."""
    updated = (
        ChatSession.objects.filter(pk=session.pk)
        .exclude(read_message_id__gte=upto)
        .update(read_message_id=upto)
    )
    if updated:
        event: ReadEvent = {"type": "read", "sender": "agent", "upto": upto}
        _push_visitor(session, event)


def _system_line(*, session: ChatSession, text: str, now: datetime) -> Message | None:
    """A line on the ticket's conversation ("Chat ended"), shown to the agents and the visitor.

    Written here as an automatic message of the chat: the tickets app has no service for
    system messages yet."""
    if session.ticket_id is None:
        return None
    message = Message.objects.create(
        ticket_id=session.ticket_id,
        kind=MessageKind.AUTO,
        channel=Channel.CHAT,
        body_text=text,
        body_html=text_to_html(text),
        created_at=now,
    )
    Ticket.objects.filter(pk=session.ticket_id).update(updated_at=now)
    return message


def chat_end(
    *, session: ChatSession, by: str, actor: object = None, now: datetime | None = None
) -> ChatSession:
    """End a chat (the visitor closed it, or an agent did). The ticket stays as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        if locked.status == SessionStatus.ENDED:
            return locked
        locked.status = SessionStatus.ENDED
        locked.ended_at = now
        locked.ended_by = by
        locked.save(update_fields=["status", "ended_at", "ended_by"])
        with translation.override(locked.language):
            if by == "agent":
                text = _("%(name)s ended the chat.") % {"name": public_agent_name(actor)}
            else:
                text = _("The visitor ended the chat.")
        line = _system_line(session=locked, text=text, now=now)
        event = status_event(locked, line=text)
        _push_visitor(locked, event)
        _push_agents(locked.ticket_id, event)
        if line is not None:
            _push_agents(locked.ticket_id, message_event(line))
    return locked


def chat_sweep_left(*, now: datetime | None = None) -> int:
    """Chats whose visitor left (last socket closed, or not heard of, and not back within
    ``CHAT_LEFT_AFTER_MINUTES``) continue by email: agent replies the widget never showed go
    by email now, later replies too (the reply sender declines them). Returns the count."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=conf.left_after_minutes())
    stale = cutoff - timedelta(seconds=3 * conf.HEARTBEAT_SECONDS)
    live = (SessionStatus.WAITING, SessionStatus.ACTIVE)
    # Sockets that vanished without a close (a crashed server) count as closed.
    ChatSession.objects.filter(
        status__in=live, left_at__isnull=True, last_seen_at__lt=stale
    ).update(connections=0, left_at=F("last_seen_at"))
    ids = list(
        ChatSession.objects.filter(status__in=live, left_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    for session_id in ids:
        chat_continue_by_email(session_id=session_id, now=now)
    return len(ids)


def chat_continue_by_email(*, session_id: int, now: datetime | None = None) -> bool:
    """The visitor has left: the chat goes on by email (see ``chat_sweep_left``)."""
    from calmdesk.conversations.outbound import deliver_reply

    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("ticket", "ticket__customer")
            .filter(pk=session_id)
            .first()
        )
        if (
            locked is None
            or locked.status not in (SessionStatus.WAITING, SessionStatus.ACTIVE)
            or locked.left_at is None
        ):
            return False
        locked.status = SessionStatus.EMAIL
        locked.save(update_fields=["status"])
        ticket = locked.ticket
        if ticket is None:
            return True
        with translation.override(locked.language):
            if locked.email:
                text = _("The visitor left the chat: the conversation continues by email.")
            else:
                text = _(
                    "The visitor left the chat without an email address: they see replies "
                    "when they open the chat again."
                )
        line = _system_line(session=locked, text=text, now=now)
        unseen = Message.objects.filter(
            ticket=ticket, kind=MessageKind.OUTBOUND, created_at__gte=locked.started_at
        ).select_related("author_user")
        if locked.seen_message_id:
            unseen = unseen.filter(pk__gt=locked.seen_message_id)
        for message in unseen:
            deliver_reply(ticket=ticket, message=message)
        _push_agents(ticket.pk, status_event(locked, line=text))
        if line is not None:
            _push_agents(ticket.pk, message_event(line))
    return True


def chat_reply_sender(*, ticket: Ticket, message: Message, contact: Contact | None) -> bool:
    """The reply sender of ``Channel.CHAT``: while the visitor has the chat open, the reply is
    pushed live (after commit) and taken; otherwise False, and the hub sends it by email."""
    now = timezone.now()
    session = (
        ChatSession.objects.select_for_update()
        .filter(ticket_id=ticket.pk, status__in=(SessionStatus.WAITING, SessionStatus.ACTIVE))
        .order_by("-started_at", "-id")
        .first()
    )
    if session is None or not visitor_is_live(session, now=now):
        return False
    joined = ""
    if session.status == SessionStatus.WAITING or session.agent_id is None:
        session.status = SessionStatus.ACTIVE
        if session.agent_id is None and message.author_user_id is not None:
            session.agent_id = message.author_user_id
            session.agent_joined_at = now
            with translation.override(session.language):
                joined = _("%(name)s joined the chat.") % {
                    "name": public_agent_name(message.author_user)
                }
        session.save(update_fields=["status", "agent", "agent_joined_at"])
    reply = message_event(message)
    # The agents' pages first: the visitor's read receipt must not overtake the message.
    _push_agents(ticket.pk, reply)
    if joined:
        event = status_event(session, line=joined)
        _push_agents(ticket.pk, event)
        _push_visitor(session, event)
    _push_visitor(session, reply)
    return True


def visitor_state_line(session: ChatSession) -> str:
    """The system line the widget shows for the session's state, in the visitor's language."""
    with translation.override(session.language):
        if session.status == SessionStatus.ENDED:
            return _("This chat has ended.")
        if session.agent_id:
            return _("%(name)s joined the chat.") % {"name": public_agent_name(session.agent)}
        return ""
