"""READS for the incident dashboard: every figure is aggregated in the database, each selector
in a fixed, small number of queries (the tests count them).

The window of an incident runs from ``declared_at`` to now (or ``resolved_at``), at most the
last 14 days. Hours are cut in the viewer's time zone (``TruncHour(..., tzinfo=tz)``, portable
on SQLite and PostgreSQL), so a Tehran lead sees hours that start at :00 Tehran time.

Linked tickets are ``Ticket.incident == incident`` (the ``incident_id`` foreign-key index).

Backlog over time is rebuilt from the ticket events, as an approximation: each linked ticket
counts +1 from its CREATED event, −1 when a STATUS event moves it from new/open/pending to
solved/closed, and +1 again when one reopens it. The set of tickets is today's: a ticket linked
to the incident after it was created counts from its creation, and a ticket unlinked since no
longer counts at all (links are not events). Status changes made outside the ticket services
(bulk SQL, old imports) are invisible to it. While the incident is open the last point equals
the backlog now.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncHour
from django.utils.translation import gettext_lazy as _

from calmdesk.accounts.models import Team
from calmdesk.incidents.broadcasts import broadcast_progress as outcome_counts
from calmdesk.incidents.models import Broadcast, Incident
from calmdesk.staffing.selectors import WaitEstimate, expected_wait
from calmdesk.tickets.enums import ACTIVE_STATUSES, Channel, EventType, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent

MAX_WINDOW = timedelta(days=14)
HOUR = timedelta(hours=1)
INBOUND_EVENTS = (EventType.CREATED, EventType.CUSTOMER_MESSAGE)
DONE_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)
TOP_REQUEST_TYPES = 8
MAX_BROADCASTS = 10
# Age buckets of the backlog: (key, label, lower bound inclusive, upper bound exclusive).
AGE_BUCKETS: tuple[tuple[str, object, timedelta, timedelta | None], ...] = (
    ("lt1h", _("under 1 hour"), timedelta(0), timedelta(hours=1)),
    ("1to4h", _("1–4 hours"), timedelta(hours=1), timedelta(hours=4)),
    ("4to24h", _("4–24 hours"), timedelta(hours=4), timedelta(hours=24)),
    ("1to3d", _("1–3 days"), timedelta(days=1), timedelta(days=3)),
    ("gt3d", _("over 3 days"), timedelta(days=3), None),
)
UNKNOWN_CHANNEL = "other"


# ------------------------------------------------------------------------------------------
# The window
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime  # first instant counted (declared_at, or end − 14 days)
    end: datetime  # last instant counted (now, or resolved_at)
    hours: tuple[datetime, ...]  # start of every hour bucket, aware in the viewer's zone

    @property
    def tz(self) -> tzinfo:
        return self.hours[0].tzinfo or UTC


def _floor_hour(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(minute=0, second=0, microsecond=0)


def incident_window(*, incident: Incident, now: datetime, tz: tzinfo = UTC) -> Window:
    """The dashboard's time window and its hours (no query)."""
    end = now
    if incident.resolved_at is not None and incident.resolved_at < now:
        end = incident.resolved_at
    start = min(incident.declared_at, end)
    start = max(start, end - MAX_WINDOW)
    hours = []
    hour = _floor_hour(start, tz)
    last = _floor_hour(end, tz)
    while hour <= last:
        hours.append(hour)
        # Step in UTC: a local hour that repeats or vanishes at a DST change stays one bucket.
        hour = _floor_hour(hour.astimezone(UTC) + HOUR, tz)
    return Window(start=start, end=end, hours=tuple(hours))


def _linked(incident: Incident) -> QuerySet[Ticket]:
    return Ticket.objects.filter(incident=incident)


def _hour_index(window: Window) -> dict[datetime, int]:
    return {hour.astimezone(UTC): i for i, hour in enumerate(window.hours)}


# ------------------------------------------------------------------------------------------
# Inbound volume per channel per hour
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSeries:
    channel: str
    label: str
    counts: tuple[int, ...]  # one per hour of the window

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class InboundVolume:
    hours: tuple[datetime, ...]
    series: tuple[ChannelSeries, ...]  # channels with at least one message, in Channel order

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)

    def per_hour(self) -> tuple[int, ...]:
        return tuple(sum(column) for column in zip(*(s.counts for s in self.series), strict=True))


def inbound_volume(*, incident: Incident, window: Window) -> InboundVolume:
    """New requests and customer messages on linked tickets, per channel per hour. 1 query."""
    rows = (
        TicketEvent.objects.filter(
            ticket__incident=incident,
            type__in=list(INBOUND_EVENTS),
            at__gte=window.start,
            at__lte=window.end,
        )
        .annotate(
            hour=TruncHour("at", tzinfo=window.tz), channel=KeyTextTransform("channel", "data")
        )
        .values("hour", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    index = _hour_index(window)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(window.hours))
    for row in rows:
        position = index.get(row["hour"].astimezone(UTC))
        if position is not None:
            counts[row["channel"] or UNKNOWN_CHANNEL][position] += row["n"]
    labels = dict(Channel.choices)
    order = [*Channel.values, *sorted(set(counts) - set(Channel.values))]
    series = tuple(
        ChannelSeries(
            channel=key,
            label=str(labels.get(key, _("Other") if key == UNKNOWN_CHANNEL else key)),
            counts=tuple(counts[key]),
        )
        for key in order
        if key in counts
    )
    return InboundVolume(hours=window.hours, series=series)


# ------------------------------------------------------------------------------------------
# Backlog now and its age; backlog over time
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Backlog:
    total: int  # linked tickets in new, open or pending
    ages: tuple[AgeBucket, ...]


def backlog_now(*, incident: Incident, now: datetime) -> Backlog:
    """Linked tickets waiting (new/open/pending) and how old they are. 1 query."""
    aggregates = {"total": Count("id")}
    for key, _label, low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - low)
        if high is not None:
            condition &= Q(created_at__gt=now - high)
        aggregates[key] = Count("id", filter=condition)
    row = _linked(incident).filter(status__in=list(ACTIVE_STATUSES)).aggregate(**aggregates)
    return Backlog(
        total=row["total"],
        ages=tuple(
            AgeBucket(key=key, label=str(label), count=row[key])
            for key, label, _low, _high in AGE_BUCKETS
        ),
    )


def _backlog_delta() -> Case:
    active, done = list(ACTIVE_STATUSES), list(DONE_STATUSES)
    return Case(
        When(type=EventType.CREATED, then=Value(1)),
        When(type=EventType.STATUS, data__from__in=active, data__to__in=done, then=Value(-1)),
        When(type=EventType.STATUS, data__from__in=done, data__to__in=active, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def backlog_over_time(*, incident: Incident, window: Window) -> tuple[int, ...]:
    """The backlog at the end of each hour of the window, from the events. 2 queries.

    See the module docstring for what this approximates.
    """
    events = TicketEvent.objects.filter(
        ticket__incident=incident, type__in=[EventType.CREATED, EventType.STATUS]
    )
    before = events.filter(at__lt=window.start).aggregate(n=Sum(_backlog_delta()))["n"] or 0
    rows = (
        events.filter(at__gte=window.start, at__lte=window.end)
        .annotate(hour=TruncHour("at", tzinfo=window.tz))
        .values("hour")
        .annotate(delta=Sum(_backlog_delta()))
        .order_by()
    )
    deltas = [0] * len(window.hours)
    index = _hour_index(window)
    for row in rows:
        position = index.get(row["hour"].astimezone(UTC))
        if position is not None:
            deltas[position] += row["delta"] or 0
    points = []
    level = before
    for delta in deltas:
        level += delta
        points.append(level)
    return tuple(points)


# ------------------------------------------------------------------------------------------
# Expected wait per team
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamWait:
    team: Team
    wait: WaitEstimate
    is_incident_team: bool


def expected_waits(*, incident: Incident, now: datetime) -> tuple[TeamWait, ...]:
    """The expected wait now in the incident's team and every team with linked tickets.

    1 query for the teams, then at most 3 per team (``expected_wait``; 1 while its throughput
    is cached).
    """
    linked_teams = _linked(incident).filter(team__isnull=False).values("team_id")
    condition = Q(pk__in=linked_teams)
    if incident.team_id is not None:
        condition |= Q(pk=incident.team_id)
    teams = list(Team.objects.filter(condition).order_by("name"))
    teams.sort(key=lambda team: team.pk != incident.team_id)  # the incident's team first
    return tuple(
        TeamWait(
            team=team,
            wait=expected_wait(team=team, now=now),
            is_incident_team=team.pk == incident.team_id,
        )
        for team in teams
    )


# ------------------------------------------------------------------------------------------
# Broadcast progress
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastProgress:
    broadcast: Broadcast
    total: int
    waiting: int  # not handed to the outbox yet (status pending)
    queued: int  # in the outbox, not delivered yet
    sent: int
    bounced: int
    failed: int
    skipped: int

    @property
    def done(self) -> int:
        """Recipients the broadcast is finished with, whatever the outcome."""
        return self.sent + self.bounced + self.failed + self.skipped

    @property
    def percent(self) -> int:
        return math.floor(100 * self.done / self.total) if self.total else 0


def broadcast_progress(
    *, incident: Incident, limit: int = MAX_BROADCASTS
) -> tuple[BroadcastProgress, ...]:
    """The ``limit`` newest broadcasts of the incident with their recipients by outcome.

    1 query, then 1 per broadcast: the outcomes come from ``incidents.broadcasts``
    (``broadcast_progress``), which follows each queued recipient to its outbox row (sent,
    failed, suppressed) and to bounces, so this panel and the broadcast screen agree.
    """
    broadcasts = Broadcast.objects.filter(incident=incident).order_by("-created_at", "-id")
    result = []
    for broadcast in broadcasts[:limit]:
        counts = outcome_counts(broadcast).counts
        result.append(
            BroadcastProgress(
                broadcast=broadcast,
                total=sum(counts.values()),
                waiting=counts.get("pending", 0),
                queued=counts.get("queued", 0),
                sent=counts.get("sent", 0),
                bounced=counts.get("bounced", 0),
                failed=counts.get("failed", 0),
                skipped=counts.get("skipped", 0),
            )
        )
    return tuple(result)


# ------------------------------------------------------------------------------------------
# Request types and first replies
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestTypeCount:
    key: str | None
    label: str
    count: int


def top_request_types(
    *, incident: Incident, limit: int = TOP_REQUEST_TYPES, language: str | None = None
) -> tuple[RequestTypeCount, ...]:
    """The most frequent request types among linked tickets, most first. 1 query."""
    rows = (
        _linked(incident)
        .values("request_type__key", "request_type__names")
        .annotate(n=Count("id"))
        .order_by("-n", F("request_type__key").asc(nulls_last=True))[:limit]
    )
    result = []
    for row in rows:
        key = row["request_type__key"]
        names = row["request_type__names"] or {}
        lang = (language or "")[:2]
        label = (names.get(lang) or names.get("en") or key) if key else str(_("No request type"))
        result.append(RequestTypeCount(key=key, label=str(label), count=row["n"]))
    return tuple(result)


@dataclass(frozen=True)
class ContactStats:
    """Every contact customers made about the incident's requests, on any channel."""

    contacts: int
    requests: int  # linked tickets with at least one contact
    joined: int  # contacts added to an open ticket (its conversation or a follow-up)

    @property
    def per_request(self) -> float | None:
        return self.contacts / self.requests if self.requests else None


def contacts_per_request(*, incident: Incident) -> ContactStats:
    """Contacts per problem on the incident's tickets: how many times customers got in touch
    for each request, and how many of those contacts joined an open ticket instead of opening
    another one. 1 query."""
    from calmdesk.conversations.models import Contact, ContactOutcome

    row = Contact.objects.filter(ticket__incident=incident).aggregate(
        contacts=Count("id"),
        requests=Count("ticket", distinct=True),
        joined=Count("id", filter=Q(outcome__in=[ContactOutcome.FOLLOW_UP, ContactOutcome.THREAD])),
    )
    return ContactStats(
        contacts=row["contacts"] or 0, requests=row["requests"] or 0, joined=row["joined"] or 0
    )


@dataclass(frozen=True)
class FirstReplyStats:
    replied: int  # linked tickets with a first reply
    median_minutes: float | None


def first_reply_median(*, incident: Incident) -> FirstReplyStats:
    """The median time from creation to the first agent reply on linked tickets. 2 queries.

    The database sorts by the duration and hands back only the middle one or two rows.
    """
    replied = _linked(incident).filter(first_replied_at__isnull=False)
    count = replied.count()
    if count == 0:
        return FirstReplyStats(replied=0, median_minutes=None)
    middle = list(
        replied.annotate(took=F("first_replied_at") - F("created_at"))
        .order_by("took", "id")
        .values_list("took", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    seconds = sum(d.total_seconds() for d in middle) / len(middle)
    return FirstReplyStats(replied=count, median_minutes=seconds / 60)


# ------------------------------------------------------------------------------------------
# The whole dashboard
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentDashboard:
    incident: Incident
    now: datetime
    window: Window
    volume: InboundVolume
    backlog: Backlog
    backlog_series: tuple[int, ...]
    waits: tuple[TeamWait, ...]
    broadcasts: tuple[BroadcastProgress, ...]
    request_types: tuple[RequestTypeCount, ...]
    first_reply: FirstReplyStats
    contacts: ContactStats


def incident_dashboard(
    *, incident: Incident, now: datetime, tz: tzinfo = UTC, language: str | None = None
) -> IncidentDashboard:
    """Everything the dashboard shows: 10 queries, plus 1 to 3 per team (``expected_waits``)
    and 1 per broadcast (at most ``MAX_BROADCASTS``)."""
    window = incident_window(incident=incident, now=now, tz=tz)
    return IncidentDashboard(
        incident=incident,
        now=now,
        window=window,
        volume=inbound_volume(incident=incident, window=window),
        backlog=backlog_now(incident=incident, now=now),
        backlog_series=backlog_over_time(incident=incident, window=window),
        waits=expected_waits(incident=incident, now=now),
        broadcasts=broadcast_progress(incident=incident),
        request_types=top_request_types(incident=incident, language=language),
        first_reply=first_reply_median(incident=incident),
        contacts=contacts_per_request(incident=incident),
    )


def incident_for_dashboard(*, slug: str) -> Incident | None:
    """The incident by its short name, with its team and texts. 2 queries."""
    return (
        Incident.objects.select_related("team").prefetch_related("texts").filter(slug=slug).first()
    )
