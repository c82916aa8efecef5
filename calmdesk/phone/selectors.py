"""READS of the phone app, scoped to what the agent may see (the tickets they may see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from calmdesk.accounts.permissions import agent_profile, is_agent, visible_team_ids
from calmdesk.core.errors import NotFound, PermissionDenied
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.permissions import visible_tickets

from .models import (
    ACTIVE_CALLBACK_STATUSES,
    DUE_CALLBACK_STATUSES,
    Call,
    Callback,
    CallbackStatus,
    CallDirection,
    CallState,
)

LIVE_STATES = (CallState.RINGING, CallState.IN_PROGRESS, CallState.ON_HOLD)


def agent_zone(user: Any) -> ZoneInfo:
    """The agent's own time zone (their profile), else the site's."""
    profile = agent_profile(user)
    name = profile.time_zone if profile is not None else timezone.get_default_timezone_name()
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


# ------------------------------------------------------------------------------------------
# Calls
# ------------------------------------------------------------------------------------------


def visible_calls(user: Any) -> QuerySet[Call]:
    """Calls on tickets the agent may see, and calls not on a ticket yet (ringing or live)
    of their teams' phone systems."""
    if not is_agent(user):
        return Call.objects.none()
    team_ids = visible_team_ids(user)
    calls = Call.objects.all()
    if team_ids is None:
        return calls
    no_ticket = Q(ticket__isnull=True) & (
        Q(phone_system__team_id__in=team_ids)
        | Q(phone_system__team__isnull=True)
        | Q(agent=user)
        | Q(logged_by=user)
    )
    return calls.filter(Q(ticket__in=visible_tickets(user)) | no_ticket)


def access_call(user: Any, call_id: int) -> Call:
    if not is_agent(user):
        raise PermissionDenied()
    call = (
        visible_calls(user)
        .select_related(
            "phone_system", "customer", "ticket", "agent__agent", "logged_by__agent", "callback"
        )
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise NotFound()
    return call


@dataclass
class CallFilters:
    day: date | None = None  # in the agent's time zone; None = today
    direction: str = ""
    state: str = ""  # "missed", "completed", "live"
    mine: bool = False
    q: str = ""  # digits of a number


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def calls_queryset(*, user: Any, filters: CallFilters, now: datetime | None = None) -> Any:
    now = now or timezone.now()
    zone = agent_zone(user)
    day = filters.day or now.astimezone(zone).date()
    start, end = _day_bounds(day, zone)
    calls = visible_calls(user).filter(started_at__gte=start, started_at__lt=end)
    if filters.direction in CallDirection.values:
        calls = calls.filter(direction=filters.direction)
    if filters.state == "missed":
        calls = calls.filter(state=CallState.MISSED)
    elif filters.state == "completed":
        calls = calls.filter(state=CallState.COMPLETED)
    elif filters.state == "live":
        calls = calls.filter(state__in=LIVE_STATES)
    if filters.mine:
        calls = calls.filter(Q(agent=user) | Q(logged_by=user))
    digits = "".join(ch for ch in filters.q if ch.isdigit())
    if digits:
        calls = calls.filter(Q(from_number__contains=digits) | Q(to_number__contains=digits))
    return calls


def calls_list(
    *, user: Any, filters: CallFilters, limit: int = 200, now: datetime | None = None
) -> list[Call]:
    return list(
        calls_queryset(user=user, filters=filters, now=now)
        .select_related("customer", "ticket", "agent__agent", "phone_system")
        .order_by("-started_at", "-id")[:limit]
    )


@dataclass
class CallStats:
    count: int
    missed: int
    avg_talk_seconds: int
    avg_hold_count: float
    avg_hold_seconds: int
    avg_transfers: float
    total_talk_seconds: int


def call_stats(calls: QuerySet[Call]) -> CallStats:
    """Figures of a set of calls (one query): averages over answered calls."""
    answered = Q(state=CallState.COMPLETED)
    row = calls.order_by().aggregate(
        count=Count("id"),
        missed=Count("id", filter=Q(state=CallState.MISSED)),
        talk=Avg("talk_seconds", filter=answered),
        holds=Avg("hold_count", filter=answered),
        hold_seconds=Avg("hold_seconds", filter=answered),
        transfers=Avg("transfer_count", filter=answered),
        total_talk=Sum("talk_seconds"),
    )
    return CallStats(
        count=row["count"] or 0,
        missed=row["missed"] or 0,
        avg_talk_seconds=round(row["talk"] or 0),
        avg_hold_count=round(float(row["holds"] or 0), 2),
        avg_hold_seconds=round(row["hold_seconds"] or 0),
        avg_transfers=round(float(row["transfers"] or 0), 2),
        total_talk_seconds=row["total_talk"] or 0,
    )


# ------------------------------------------------------------------------------------------
# Callbacks
# ------------------------------------------------------------------------------------------


def visible_callbacks(user: Any) -> QuerySet[Callback]:
    if not is_agent(user):
        return Callback.objects.none()
    return Callback.objects.filter(ticket__in=visible_tickets(user))


def access_callback(user: Any, callback_id: int) -> Callback:
    if not is_agent(user):
        raise PermissionDenied()
    callback = (
        visible_callbacks(user)
        .select_related("ticket__customer", "claimed_by__agent")
        .filter(pk=callback_id)
        .first()
    )
    if callback is None:
        raise NotFound()
    return callback


CALLBACK_VIEWS = ("due", "upcoming", "missed", "done", "all")


def callbacks_list(
    *, user: Any, view: str = "due", now: datetime | None = None, limit: int = 200
) -> list[Callback]:
    """Due now (queued or being called) first by window end — the one to call next on top;
    upcoming (scheduled); missed; done and cancelled; all."""
    now = now or timezone.now()
    callbacks = visible_callbacks(user)
    if view == "due":
        callbacks = callbacks.filter(status__in=DUE_CALLBACK_STATUSES)
    elif view == "upcoming":
        callbacks = callbacks.filter(status=CallbackStatus.SCHEDULED)
    elif view == "missed":
        callbacks = callbacks.filter(status=CallbackStatus.MISSED)
    elif view == "done":
        callbacks = callbacks.filter(status__in=(CallbackStatus.DONE, CallbackStatus.CANCELLED))
    order = ("window_end", "id") if view in ("due", "upcoming") else ("-window_end", "-id")
    return list(
        callbacks.select_related(
            "ticket__customer", "ticket__team", "claimed_by__agent", "done_by__agent"
        ).order_by(*order)[:limit]
    )


def callback_counts(*, user: Any) -> dict[str, int]:
    row = visible_callbacks(user).aggregate(
        due=Count("id", filter=Q(status__in=DUE_CALLBACK_STATUSES)),
        upcoming=Count("id", filter=Q(status=CallbackStatus.SCHEDULED)),
        missed=Count("id", filter=Q(status=CallbackStatus.MISSED)),
    )
    return {key: value or 0 for key, value in row.items()}


# ------------------------------------------------------------------------------------------
# The ticket page and the tracking page
# ------------------------------------------------------------------------------------------


def ticket_phone_panel(ticket: Ticket) -> dict[str, Any]:
    """The calls and callbacks of one ticket (two queries)."""
    calls = list(
        Call.objects.filter(ticket_id=ticket.pk)
        .select_related("agent__agent", "logged_by__agent")
        .order_by("-started_at", "-id")[:50]
    )
    callbacks = list(
        Callback.objects.filter(ticket_id=ticket.pk)
        .select_related("claimed_by__agent", "done_by__agent")
        .prefetch_related("attempt_rows__agent__agent")
        .order_by("-window_start", "-id")[:20]
    )
    return {
        "calls": calls,
        "callbacks": callbacks,
        "due_callbacks": [c for c in callbacks if c.is_due],
        "active_callbacks": [c for c in callbacks if c.status in ACTIVE_CALLBACK_STATUSES],
    }


def customer_phone(ticket: Ticket) -> str:
    """The number to prefill when logging a call: the customer's phone identity."""
    for identity in ticket.customer.identities.all():
        if identity.kind == "phone":
            return identity.value
    return ""


def tracking_callbacks(ticket: Ticket) -> list[Callback]:
    """What the customer sees on their tracking page: active callbacks and the last missed."""
    callbacks = list(
        Callback.objects.filter(ticket_id=ticket.pk)
        .exclude(status=CallbackStatus.CANCELLED)
        .order_by("-window_start", "-id")[:5]
    )
    return [c for c in callbacks if c.is_active] or [
        c for c in callbacks[:1] if c.status in (CallbackStatus.MISSED, CallbackStatus.DONE)
    ]
