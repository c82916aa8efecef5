"""READS of the chat: widgets, the announced wait and busy decision, sessions, transcripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from calmdesk.accounts.models import Team
from calmdesk.customers.models import Customer
from calmdesk.staffing.selectors import WaitEstimate, expected_wait, public_wait
from calmdesk.tickets.enums import MessageKind, TicketStatus
from calmdesk.tickets.models import Message
from calmdesk.tickets.services import ticket_prepare

from . import conf
from .models import (
    OPEN_SESSION_STATUSES,
    AgentPresence,
    ChatSession,
    ChatWidget,
    hash_token,
    normalize_origin,
)

HISTORY_LIMIT = 200
WIDGET_CACHE_SECONDS = 30
TRANSCRIPT_KINDS = (MessageKind.INBOUND, MessageKind.OUTBOUND, MessageKind.AUTO)


def widget_by_key(key: str | None) -> ChatWidget | None:
    """The active widget with this key; without a key, the oldest active widget (the default
    one the install creates), so a bare script tag works on a one-widget desk."""
    qs = ChatWidget.objects.filter(active=True).select_related("team", "request_type")
    if key:
        return qs.filter(key=key[:40]).first()
    return qs.order_by("created_at", "id").first()


def origin_allowed(widget: ChatWidget, origin: str, *, own_host: str = "") -> bool:
    """May a page of ``origin`` use ``widget``? Its allowed sites, and this site itself."""
    normalized = normalize_origin(origin)
    if not normalized:
        return False
    allowed = widget.origins()
    if "*" in allowed or normalized in allowed:
        return True
    host = normalized.split("://", 1)[1]
    site = normalize_origin(settings.SITE_URL)
    if site and normalized == site:
        return True
    return bool(own_host) and host == own_host.lower()


def agents_online(*, team: Team | None, now: datetime) -> int:
    """Agents of ``team`` (any agent when None) seen with a live socket lately."""
    since = now - timedelta(minutes=conf.agent_online_minutes())
    qs = AgentPresence.objects.filter(last_seen_at__gte=since, user__is_active=True)
    if team is not None:
        qs = qs.filter(Q(user__agent__teams=team) | Q(user__is_superuser=True))
    else:
        qs = qs.filter(Q(user__agent__isnull=False) | Q(user__is_superuser=True))
    return qs.values("user_id").distinct().count()


def widget_wait(widget: ChatWidget, *, now: datetime) -> WaitEstimate:
    """The wait a chat opened now would be announced: the same prediction as the form and the
    crisis page (``staffing.selectors.public_wait``) for the widget's request type; for a
    widget that routes by team only, the same computation with that team."""
    request_type = widget.request_type
    if widget.team_id is None or (request_type is not None and request_type.team_id):
        return public_wait(request_type=request_type, now=now)
    key = f"chat:wait:{widget.pk}"
    cached: WaitEstimate | None = cache.get(key)
    if cached is not None:
        return cached
    prepared = ticket_prepare(
        customer=Customer(name="", language=settings.LANGUAGE_CODE, created_at=now),
        subject="",
        body_text="",
        request_type=request_type,
        language=settings.LANGUAGE_CODE,
        team=widget.team,
        now=now,
    )
    estimate = expected_wait(team=prepared.ticket.team, ticket=prepared.ticket, now=now)
    cache.set(key, estimate, WIDGET_CACHE_SECONDS)
    return estimate


@dataclass(frozen=True)
class WidgetState:
    """What the widget shows before a chat starts."""

    wait: WaitEstimate
    agents_online: int
    busy: bool  # ask for an email address: the chat will continue by email

    @property
    def email_required(self) -> bool:
        return self.busy


def widget_state(widget: ChatWidget, *, now: datetime) -> WidgetState:
    wait = widget_wait(widget, now=now)
    team = (
        widget.team
        if widget.team_id
        else (widget.request_type.team if widget.request_type is not None else None)
    )
    online = agents_online(team=team, now=now)
    busy = online == 0 or wait.minutes > widget.busy_wait_minutes
    return WidgetState(wait=wait, agents_online=online, busy=busy)


def visitor_known(*, visitor_id: str, token: str) -> bool | None:
    """None: a visitor never seen; True: the token is theirs; False: someone else's id."""
    row = (
        ChatSession.objects.filter(visitor_id=visitor_id)
        .order_by("started_at", "id")
        .values_list("token_hash", flat=True)
        .first()
    )
    if row is None:
        return None
    return row == hash_token(token)


def visitor_open_session(*, widget: ChatWidget, visitor_id: str) -> ChatSession | None:
    """The visitor's conversation still open on this widget (the returning visitor's chat)."""
    session = (
        ChatSession.objects.filter(
            widget=widget, visitor_id=visitor_id, status__in=OPEN_SESSION_STATUSES
        )
        .select_related("ticket", "agent", "agent__agent")
        .order_by("-started_at", "-id")
        .first()
    )
    if session is None or (
        session.ticket is not None and session.ticket.status == TicketStatus.CLOSED
    ):
        return None
    return session


def visitor_last_session(*, widget: ChatWidget, visitor_id: str) -> ChatSession | None:
    """The visitor's latest chat (to prefill the name and email of a new one)."""
    return (
        ChatSession.objects.filter(widget=widget, visitor_id=visitor_id)
        .order_by("-started_at", "-id")
        .first()
    )


def session_messages(session: ChatSession, *, after_id: int | None = None) -> list[Message]:
    """The chat's transcript as the visitor sees it: the ticket's messages since the chat
    started (never internal notes), after ``after_id`` when re-syncing."""
    if session.ticket_id is None:
        return []
    qs = (
        Message.objects.filter(
            ticket_id=session.ticket_id,
            kind__in=TRANSCRIPT_KINDS,
            created_at__gte=session.started_at,
        )
        .select_related("author_user", "author_user__agent")
        .order_by("-created_at", "-id")
    )
    if after_id:
        qs = qs.filter(pk__gt=after_id)
    return list(reversed(qs[:HISTORY_LIMIT]))


def session_for_ticket(ticket_id: int) -> ChatSession | None:
    """The latest chat session on a ticket (the agent panel's chat)."""
    return (
        ChatSession.objects.filter(ticket_id=ticket_id)
        .select_related("agent", "agent__agent", "widget")
        .order_by("-started_at", "-id")
        .first()
    )


def visitor_is_live(session: ChatSession, *, now: datetime) -> bool:
    """The visitor has the chat open right now (a socket heard of within three beats)."""
    recent = now - timedelta(seconds=3 * conf.HEARTBEAT_SECONDS)
    return session.visitor_connected and session.last_seen_at >= recent
