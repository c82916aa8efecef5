"""The chat's websockets: the visitor's widget, the agent's ticket page, the agent's presence.

Consumers parse frames, authorise, call one service or selector (in a worker thread, with the
visitor's language active there) and send the answer. Every push between sockets goes through
the channel layer groups of ``events`` (``chat.event`` → ``chat_event``).

Frames from the widget: ``hello`` {visitor, token, after, lang, page} · ``start`` {name, email,
text, id} · ``message`` {text, id} · ``typing`` {on} · ``seen`` {upto} · ``email`` {email} ·
``end`` · ``ping``. To the widget: ``state``, ``ack`` {client, id}, ``error`` {code, message,
field, client}, ``pong`` and the pushed events (``message``, ``typing``, ``status``, ``read``).

Frames from the agent's ticket page: ``typing`` {on} · ``read`` {upto} · ``ping``. To it:
``state`` {session, presence} and the pushed events (``message``, ``typing``, ``presence``,
``status``, ``read``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from calmdesk.accounts.permissions import is_agent
from calmdesk.core.errors import DomainError
from calmdesk.tickets.permissions import access_ticket

from . import conf, selectors, services
from .events import message_event, presence_event, ticket_group, visitor_group
from .models import ChatSession, ChatWidget

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
MAX_FRAME_BYTES = 64 * 1024
LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(value: Any) -> str:
    code = str(value or "")[:2].lower()
    return code if code in LANGUAGES else settings.LANGUAGE_CODE


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return str(value.decode("latin1"))
            except UnicodeDecodeError:
                return ""
    return ""


def _in_language(language: str, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    with translation.override(language):
        return fn(**kwargs)


def _error(exc: DomainError, client: str = "") -> dict[str, Any]:
    return {
        "type": "error",
        "code": exc.code,
        "message": exc.message,
        "field": exc.field or "",
        "client": client,
    }


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    """The widget's socket, /ws/chat/<widget key>/, from the customer's site."""

    widget: ChatWidget | None = None
    session: ChatSession | None = None
    visitor_id: str = ""
    token: str = ""
    language: str = "en"

    async def connect(self) -> None:
        key = self.scope["url_route"]["kwargs"]["key"]
        self.widget = await database_sync_to_async(selectors.widget_by_key)(key)
        origin = _header(self.scope, b"origin")
        host = _header(self.scope, b"host").rsplit(":", 1)[0]
        if self.widget is None or not selectors.origin_allowed(self.widget, origin, own_host=host):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            await self.channel_layer.group_discard(
                visitor_group(self.session.pk), self.channel_name
            )
            await database_sync_to_async(services.chat_visitor_disconnected)(
                session_id=self.session.pk
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self.send_json(
                {"type": "error", "code": "too_long", "message": "", "field": "", "client": ""}
            )
            return
        await super().receive(text_data=text_data)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        client = str(content.get("id") or "")[:64]
        try:
            if kind == "hello":
                await self._hello(content)
            elif kind == "ping":
                await self._ping()
            elif self.visitor_id == "":
                raise DomainError(_("Say hello first."), code="no_hello")
            elif kind == "start":
                await self._start(content, client)
            elif kind == "message":
                await self._message(content, client)
            elif kind == "typing" and self.session is not None:
                await self._db(
                    services.chat_visitor_typing, session=self.session, on=bool(content.get("on"))
                )
            elif kind == "seen" and self.session is not None:
                await self._db(
                    services.chat_visitor_seen, session=self.session, upto=_int(content.get("upto"))
                )
            elif kind == "email" and self.session is not None:
                await self._db(
                    services.chat_set_email, session=self.session, email=str(content.get("email"))
                )
                await self.send_json({"type": "ack", "client": client, "id": None})
            elif kind == "end" and self.session is not None:
                await self._db(services.chat_end, session=self.session, by="visitor")
        except DomainError as exc:
            await self.send_json(_error(exc, client))
            if exc.code == "forbidden":
                await self.close(code=CLOSE_FORBIDDEN)

    async def chat_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    # --- frames ------------------------------------------------------------------------------

    async def _db(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        return await database_sync_to_async(_in_language)(self.language, fn, **kwargs)

    async def _hello(self, content: dict[str, Any]) -> None:
        assert self.widget is not None
        self.language = _language(content.get("lang"))
        visitor_id = str(content.get("visitor") or "")
        token = str(content.get("token") or "")
        await self._db(services.chat_check_visitor, visitor_id=visitor_id, token=token)
        self.visitor_id, self.token = visitor_id, token
        session = await self._db(
            selectors.visitor_open_session, widget=self.widget, visitor_id=visitor_id
        )
        if session is not None and (self.session is None or self.session.pk != session.pk):
            session = await self._join(session, page=str(content.get("page") or ""))
        await self._send_state(session, after=_int(content.get("after")))

    async def _join(self, session: ChatSession, *, page: str = "") -> ChatSession:
        if self.session is not None:  # a second hello on the same socket
            await self.channel_layer.group_discard(
                visitor_group(self.session.pk), self.channel_name
            )
            await database_sync_to_async(services.chat_visitor_disconnected)(
                session_id=self.session.pk
            )
        await self.channel_layer.group_add(visitor_group(session.pk), self.channel_name)
        joined: ChatSession = await self._db(
            services.chat_visitor_connected, session=session, page_url=page
        )
        self.session = joined
        return joined

    async def _send_state(self, session: ChatSession | None, *, after: int = 0) -> None:
        state = await self._db(self._state, session=session, after=after)
        await self.send_json(state)

    def _state(self, *, session: ChatSession | None, after: int) -> dict[str, Any]:
        assert self.widget is not None
        now = timezone.now()
        widget = selectors.widget_state(self.widget, now=now)
        payload: dict[str, Any] = {
            "type": "state",
            "wait": {"minutes": widget.wait.minutes, "label": widget.wait.label()},
            "busy": widget.busy,
            "agents_online": widget.agents_online,
            "session": None,
            "messages": [],
        }
        if session is None:
            last = selectors.visitor_last_session(widget=self.widget, visitor_id=self.visitor_id)
            payload["prefill"] = {
                "name": last.name if last else "",
                "email": last.email if last else "",
            }
            return payload
        session.refresh_from_db()
        payload["session"] = {
            "id": session.pk,
            "status": session.status,
            "name": session.name,
            "email": session.email,
            "agent": services.public_agent_name(session.agent) if session.agent_id else "",
            "line": services.visitor_state_line(session),
            "read_upto": session.read_message_id or 0,
            "busy": session.busy_at_start,
        }
        payload["messages"] = [
            message_event(m, visitor_name=session.name)
            for m in selectors.session_messages(session, after_id=after or None)
        ]
        return payload

    async def _ping(self) -> None:
        if self.session is not None:
            await database_sync_to_async(services.chat_visitor_heartbeat)(
                session_id=self.session.pk
            )
        await self.send_json({"type": "pong"})

    async def _start(self, content: dict[str, Any], client: str) -> None:
        assert self.widget is not None
        post: services.ChatPost = await self._db(
            services.chat_start,
            widget=self.widget,
            visitor_id=self.visitor_id,
            token=self.token,
            name=str(content.get("name") or ""),
            email=str(content.get("email") or ""),
            text=str(content.get("text") or ""),
            client_id=client,
            language=self.language,
            page_url=str(content.get("page") or ""),
        )
        if self.session is None or self.session.pk != post.session.pk:
            await self._join(post.session, page=str(content.get("page") or ""))
        await self.send_json({"type": "ack", "client": client, "id": post.message.pk})
        await self._send_state(self.session)

    async def _message(self, content: dict[str, Any], client: str) -> None:
        if self.session is None:
            raise DomainError(_("Start the chat first."), code="no_session")
        message = await self._db(
            services.chat_visitor_message,
            session=self.session,
            text=str(content.get("text") or ""),
            client_id=client,
        )
        await self.send_json({"type": "ack", "client": client, "id": message.pk})


# The largest message id a frame may name (a database BIGINT): more would overflow the column.
MAX_ID = 2**63 - 1


def _int(value: Any) -> int:
    """A message id from a frame: 0 when it is not a number, never above ``MAX_ID``."""
    try:
        return min(max(0, int(value)), MAX_ID)
    except (TypeError, ValueError, OverflowError):
        return 0


class AgentTicketConsumer(AsyncJsonWebsocketConsumer):
    """The live chat panel of a ticket page, /ws/agent/ticket/<id>/: only for agents who may
    see the ticket (``access_ticket``)."""

    ticket_id: int = 0
    user_id: int = 0

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        allowed = await database_sync_to_async(_may_access)(user, self.ticket_id)
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = int(user.pk)
        await self.channel_layer.group_add(ticket_group(self.ticket_id), self.channel_name)
        await self.accept()
        await database_sync_to_async(services.agent_seen)(user_id=self.user_id)
        state = await database_sync_to_async(_agent_state)(self.ticket_id)
        await self.send_json(state)

    async def disconnect(self, code: int) -> None:
        if self.user_id:
            await self.channel_layer.group_discard(ticket_group(self.ticket_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await database_sync_to_async(services.agent_seen)(user_id=self.user_id)
            await self.send_json({"type": "pong"})
            return
        session = await database_sync_to_async(selectors.session_for_ticket)(self.ticket_id)
        if session is None:
            return
        if kind == "typing":
            user = self.scope["user"]
            await database_sync_to_async(services.chat_agent_typing)(
                session=session, user=user, on=bool(content.get("on"))
            )
        elif kind == "read":
            await database_sync_to_async(services.chat_agent_read)(
                session=session, upto=_int(content.get("upto"))
            )

    async def chat_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        # An agent does not need to see their own typing indicator.
        if event.get("type") == "typing" and event.get("sender") == "agent":
            return
        await self.send_json(event)


def _may_access(user: Any, ticket_id: int) -> bool:
    try:
        access_ticket(user, ticket_id)
    except DomainError:
        return False
    return True


def _agent_state(ticket_id: int) -> dict[str, Any]:
    session = selectors.session_for_ticket(ticket_id)
    if session is None:
        return {"type": "state", "session": None}
    now = timezone.now()
    return {
        "type": "state",
        "session": {
            "id": session.pk,
            "status": session.status,
            "status_label": str(session.get_status_display()),
            "email": session.email,
            "seen_upto": session.seen_message_id or 0,
        },
        "presence": {
            **presence_event(session),
            "online": selectors.visitor_is_live(session, now=now),
        },
    }


class AgentPresenceConsumer(AsyncJsonWebsocketConsumer):
    """/ws/agent/: any agent page keeps it open, so the agent counts as online for chats."""

    user_id: int = 0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(is_agent)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = int(user.pk)
        await self.accept()
        await database_sync_to_async(services.agent_seen)(user_id=self.user_id)
        await self.send_json({"type": "hello", "heartbeat": conf.HEARTBEAT_SECONDS})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await database_sync_to_async(services.agent_seen)(user_id=self.user_id)
            await self.send_json({"type": "pong"})
