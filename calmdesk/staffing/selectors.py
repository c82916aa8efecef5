"""Expected wait to a first reply: the live queue ahead ÷ the team's measured reply rate.

The model is deliberately simple and honest: ``(ahead + 1) / throughput`` working hours, padded
(``CALMDESK["WAIT_PADDING"]``) so customers are pleasantly surprised rather than let down,
turned into wall-clock time with the team's working hours (a request sent on Friday night waits
for Monday), and rounded UP to a figure people can hold on to ("within about 6 hours").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils.translation import get_language, ngettext

from calmdesk.accounts.models import Team
from calmdesk.core.config_cache import ProcessCache
from calmdesk.customers.models import Customer
from calmdesk.inbox.models import Submission, SubmissionState
from calmdesk.incidents.models import Incident
from calmdesk.sla.calendar import add_working_minutes, working_minutes_between
from calmdesk.tickets.enums import QUEUE_STATUSES
from calmdesk.tickets.models import RequestType, Ticket
from calmdesk.tickets.services import (
    ticket_prepare,
    ticket_prepare_for_incident,
    ticket_set_due_times,
)

# Announced figures, in minutes; beyond the last one, whole weeks.
WAIT_STEPS = (
    15,
    30,
    45,
    60,
    2 * 60,
    3 * 60,
    4 * 60,
    6 * 60,
    8 * 60,
    12 * 60,
    24 * 60,
    2 * 24 * 60,
    3 * 24 * 60,
    5 * 24 * 60,
    7 * 24 * 60,
)
WEEK = 7 * 24 * 60
THROUGHPUT_CACHE_SECONDS = 60
# Below this many first replies in the history window the measured rate is noise.
MIN_HISTORY_REPLIES = 5
DEFAULT_REPLIES_PER_AGENT_HOUR = 4.0
MIN_DEFAULT_REPLIES_PER_HOUR = 2.0


def round_up_wait(minutes: float) -> int:
    """The smallest friendly step at or above ``minutes`` (15 min … 7 days, then weeks)."""
    for step in WAIT_STEPS:
        if minutes <= step:
            return step
    return math.ceil(minutes / WEEK) * WEEK


def format_wait(minutes: int) -> str:
    """ "within about 6 hours" in the active language (Persian digits in Persian)."""
    if minutes < 60:
        count = max(minutes, 1)
        text = ngettext("within about %(count)s minute", "within about %(count)s minutes", count)
    elif minutes < 24 * 60:
        count = math.ceil(minutes / 60)
        text = ngettext("within about %(count)s hour", "within about %(count)s hours", count)
    elif minutes <= WEEK:
        count = math.ceil(minutes / (24 * 60))
        text = ngettext("within about %(count)s day", "within about %(count)s days", count)
    else:
        count = math.ceil(minutes / WEEK)
        text = ngettext("within about %(count)s week", "within about %(count)s weeks", count)
    number = str(count)
    if (get_language() or "en")[:2] == "fa":
        from calmdesk.core.templatetags.calmdesk import persian_digits

        number = persian_digits(number)
    return text % {"count": number}


@dataclass(frozen=True)
class WaitEstimate:
    minutes: int  # the announced, padded and rounded-up figure
    raw_minutes: float  # the model's unpadded figure (wall-clock minutes)
    ahead: int  # tickets ahead in the team's queue
    basis: str  # "history" (measured throughput) or "default" (no history yet)

    def label(self) -> str:
        """ "within about 6 hours" in the active language."""
        return format_wait(self.minutes)


def _queue(team: Team | None) -> QuerySet[Ticket]:
    # Literal statuses, the team and first_replied_at match the covering ticket_awaiting_reply_idx.
    return Ticket.objects.filter(
        team=team, status__literal_in=QUEUE_STATUSES, first_replied_at__isnull=True
    )


def tickets_ahead(*, team: Team | None, ticket: Ticket | None) -> int:
    """Tickets waiting for a first reply that the queue shows before ``ticket`` (or all).

    ``ticket`` may be unsaved: intake estimates the wait before it writes the ticket.
    """
    qs = _queue(team)
    if ticket is None:
        return qs.count()
    before = Q(queue_score__gt=ticket.queue_score)
    same_score = Q(queue_score=ticket.queue_score)
    # A ticket not written yet (intake estimates before its insert) comes after its equals.
    earlier = Q(created_at__lt=ticket.created_at)
    if ticket.pk is not None:
        earlier |= Q(created_at=ticket.created_at, pk__lt=ticket.pk)
    else:
        earlier |= Q(created_at=ticket.created_at)
    if ticket.first_reply_due_at is not None:
        before |= same_score & (
            Q(first_reply_due_at__lt=ticket.first_reply_due_at)
            | (Q(first_reply_due_at=ticket.first_reply_due_at) & earlier)
        )
    else:
        before |= same_score & earlier
    if ticket.pk is not None:
        qs = qs.exclude(pk=ticket.pk)
    return qs.filter(before).count() + backlog_ahead(team=team, ticket=ticket)


def backlog_ahead(*, team: Team | None, ticket: Ticket | None) -> int:
    """Requests accepted but not filed yet (``inbox.Submission``) that will come before
    ``ticket`` (or all of the team's): in a surge the worker files them a moment later, and a
    wait that ignored them would be too short. Their score is the one announced at intake;
    among equal scores the earlier submission counts as ahead. A few at most when the worker
    keeps up: the partial backlog index holds only the received ones."""
    qs = Submission.objects.filter(team=team, state__literal_in=[SubmissionState.RECEIVED])
    if ticket is None:
        return qs.count()
    ahead = Q(queue_score__gt=ticket.queue_score) | Q(
        queue_score=ticket.queue_score, received_at__lt=ticket.created_at
    )
    if ticket.pk is not None:
        qs = qs.exclude(pk=ticket.pk)
    return qs.filter(ahead).count()


def team_throughput(*, team: Team | None, now: datetime) -> tuple[float, str]:
    """(first replies per working hour, basis), cached per team for a minute."""
    key = f"staffing:throughput:{team.pk if team else 'none'}"
    cached: tuple[float, str] | None = cache.get(key)
    if cached is not None:
        return cached
    days = settings.CALMDESK["WAIT_HISTORY_DAYS"]
    start = now - timedelta(days=days)
    replies = Ticket.objects.filter(
        team=team, first_replied_at__gte=start, first_replied_at__lte=now
    ).count()
    hours = working_minutes_between(team, start, now) / 60
    if replies >= MIN_HISTORY_REPLIES and hours > 0:
        result = (replies / hours, "history")
    else:
        agents = team.agents.count() if team is not None else 0
        per_hour = max(agents * DEFAULT_REPLIES_PER_AGENT_HOUR, MIN_DEFAULT_REPLIES_PER_HOUR)
        result = (per_hour, "default")
    cache.set(key, result, THROUGHPUT_CACHE_SECONDS)
    return result


def expected_wait(
    *, team: Team | None, ticket: Ticket | None = None, now: datetime
) -> WaitEstimate:
    """The expected time to a first reply for a new (or this) ticket in ``team``'s queue.

    At most 3 queries (tickets ahead; on a throughput cache miss, replies and agents).
    """
    ahead = tickets_ahead(team=team, ticket=ticket)
    per_hour, basis = team_throughput(team=team, now=now)
    working_minutes = (ahead + 1) / per_hour * 60
    padding = float(settings.CALMDESK["WAIT_PADDING"])
    now = now.astimezone(UTC)
    raw = (add_working_minutes(team, now, working_minutes) - now).total_seconds() / 60
    padded = (add_working_minutes(team, now, working_minutes * padding) - now).total_seconds() / 60
    return WaitEstimate(minutes=round_up_wait(padded), raw_minutes=raw, ahead=ahead, basis=basis)


PUBLIC_WAIT_CACHE_SECONDS = 30


def public_wait(
    *, request_type: RequestType | None, now: datetime, incident: Incident | None = None
) -> WaitEstimate:
    """THE announced wait for a new request of ``request_type`` at its default priority.

    One figure everywhere (crisis page, request form, phone line, chat): it is what intake
    would announce to a request of that type submitted now without anything that raises its
    priority (no departure date, no keywords), because it is computed the same way — the
    ticket is prepared like intake prepares it (triage, team, due times) but never written.
    With ``incident``, the request is one linked to that incident (intake links the affected
    customers' requests and sends them to the incident's team): the figure the crisis page of
    that incident announces.

    Kept in the shared cache per request type (and incident) for 30 seconds, so a crowd costs
    at most one count per type and half-minute.
    """
    type_key = request_type.key if request_type is not None else "-"
    key = f"staffing:public-wait:{type_key}:{incident.pk if incident is not None else '-'}"
    cached: WaitEstimate | None = cache.get(key)
    if cached is not None:
        return cached
    prepared = ticket_prepare(
        customer=Customer(name="", language=settings.LANGUAGE_CODE, created_at=now),
        subject="",
        body_text="",
        request_type=request_type,
        language=settings.LANGUAGE_CODE,
        now=now,
    )
    if incident is not None:
        prepared = ticket_prepare_for_incident(prepared, incident)
    ticket = prepared.ticket
    estimate = expected_wait(team=ticket.team, ticket=ticket, now=now)
    cache.set(key, estimate, PUBLIC_WAIT_CACHE_SECONDS)
    return estimate


INTAKE_WAIT_SECONDS = 5.0
# Per process: {(team, score, request type, incident): estimate}, renewed every few seconds.
_INTAKE_WAITS: ProcessCache[dict[tuple[object, ...], WaitEstimate]] = ProcessCache(
    "staffing.intake-waits", dict, ttl=INTAKE_WAIT_SECONDS, check_interval=INTAKE_WAIT_SECONDS
)


def intake_wait(*, ticket: Ticket, now: datetime) -> WaitEstimate:
    """``expected_wait`` for a request being accepted now, prepared (triage, team, due times)
    but not written: what the confirmation, the API answer and the acknowledgement announce.

    Computed once per team, queue score, request type and incident in each process every
    few seconds (``INTAKE_WAIT_SECONDS``): a surge of a thousand requests a second then costs
    each process one count per kind of request and period, not one per request. The queue
    ahead counts the backlog of accepted requests too (``backlog_ahead``), so a wait read a few
    seconds ago is at most those few seconds' arrivals short, and it is padded anyway.
    The intake prepares its ticket without due times: they are filled here when the wait is
    computed afresh, the one time they are needed."""
    waits = _INTAKE_WAITS.get()
    key = (ticket.team_id, ticket.queue_score, ticket.request_type_id, ticket.incident_id)
    estimate = waits.get(key)
    if estimate is None:
        if ticket.pk is None and ticket.first_reply_due_at is None:
            ticket_set_due_times(ticket)
        estimate = waits[key] = expected_wait(team=ticket.team, ticket=ticket, now=now)
    return estimate
