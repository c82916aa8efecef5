"""READS on tickets: the queue and the ticket page, with bounded query counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from calmdesk.sla.models import Alert

from .enums import ACTIVE_STATUSES, QUEUE_STATUSES, Priority, TicketStatus
from .models import Message, Ticket, TicketEvent, format_reference
from .permissions import tickets_visible_to, visible_tickets

QUEUE_ORDER = ("-queue_score", "first_reply_due_at", "created_at", "id")
HISTORY_ORDER = ("-created_at", "-id")
HISTORY_STATUSES = (TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED)


class View:
    """Built-in queue views."""

    QUEUE = "queue"  # new + open, across my teams
    MINE = "mine"  # assigned to me, not solved
    UNASSIGNED = "unassigned"
    URGENT = "urgent"
    OVERDUE = "overdue"  # first reply due in the past
    ALL = "all"  # every status
    SUGGESTIONS = "suggestions"  # active tickets with an open merge suggestion

    choices = (QUEUE, MINE, UNASSIGNED, URGENT, OVERDUE, SUGGESTIONS, ALL)


@dataclass
class QueueFilters:
    view: str = View.QUEUE
    team: int | None = None
    request_type: int | None = None
    status: str | None = None
    assignee: int | None = None
    tag: str | None = None
    channel: str | None = None
    q: str | None = None


def queue_queryset(
    *,
    user: Any,
    filters: QueueFilters,
    now: datetime | None = None,
    options: QueueOptions | None = None,
) -> QuerySet[Ticket]:
    """The tickets of a queue view, filtered and in order. ``options``: the page's filter
    options, whose team ids (read once per page) are reused instead of read again."""
    now = now or timezone.now()
    qs = visible_tickets(user) if options is None else tickets_visible_to(user, options.team_ids)
    view = filters.view if filters.view in View.choices else View.QUEUE
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif view in (View.MINE, View.SUGGESTIONS):
        qs = qs.filter(status__literal_in=ACTIVE_STATUSES)
    elif view != View.ALL:
        qs = qs.filter(status__literal_in=QUEUE_STATUSES)
    if view == View.MINE:
        qs = qs.filter(assignee=user)
    elif view == View.UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif view == View.URGENT:
        qs = qs.filter(priority=Priority.URGENT)
    elif view == View.OVERDUE:
        qs = qs.filter(first_replied_at__isnull=True, first_reply_due_at__lt=now)
    elif view == View.SUGGESTIONS:
        from calmdesk.conversations.selectors import open_suggestion_exists

        qs = qs.filter(open_suggestion_exists(), merged_into__isnull=True)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.request_type:
        qs = qs.filter(request_type_id=filters.request_type)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.channel:
        # Opened on that channel, or contacted on it since (a follow-up by SMS, a chat).
        from calmdesk.conversations.selectors import contact_on_channel

        qs = qs.filter(Q(channel=filters.channel) | contact_on_channel(filters.channel))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.q:
        from .models import parse_reference

        ref = parse_reference(filters.q)
        qs = qs.filter(
            Q(pk__in=_tickets_of_reference(ref)) if ref else Q(subject__icontains=filters.q)
        )
    if view == View.ALL or filters.status in HISTORY_STATUSES:
        # Whole history, or tickets out of the queue: newest first, on the created_at index
        # (queue order would sort every matching row).
        return qs.order_by(*HISTORY_ORDER)
    return qs.order_by(*QUEUE_ORDER)


def _tickets_of_reference(ref: int) -> list[int]:
    """The ticket a reference names: its own, or — for a reference given to a request that
    was filed into an open ticket as a follow-up — that ticket (the customer may quote it)."""
    from calmdesk.inbox.models import Submission

    filed_into = (
        Submission.objects.filter(pk=ref, ticket_id__isnull=False)
        .exclude(ticket_id=ref)
        .values_list("ticket_id", flat=True)
        .first()
    )
    return [ref] if filed_into is None else [ref, filed_into]


def queue_page(
    *,
    user: Any,
    filters: QueueFilters,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Ticket], bool]:
    """One page of the queue as tickets with their customer, type, team, assignee and tags
    loaded (the API's list); (rows, has_more). 2 queries: the rows and their tags. The agent's
    queue page reads ``queue_rows`` instead: only what a row shows."""
    from calmdesk.conversations.selectors import open_suggestion_exists

    qs = (
        queue_queryset(user=user, filters=filters, now=now)
        .select_related("customer", "request_type", "team", "assignee__agent")
        .prefetch_related("tags")
        .annotate(
            has_open_alert=Exists(
                Alert.objects.filter(ticket=OuterRef("pk"), acknowledged_at__isnull=True)
            ),
            has_suggestion=open_suggestion_exists(),
        )
    )
    rows: list[Ticket] = list(qs[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


@cache
def _message_related() -> tuple[str, ...]:
    """What a conversation message shows with it, joined in the one query: its authors and,
    when the mail app stores them, its email headers (``mail/_message_meta.html``)."""
    from django.core.exceptions import FieldDoesNotExist

    related = ("author_user__agent", "author_customer")
    try:
        Message._meta.get_field("email_details")
    except FieldDoesNotExist:
        return related
    return (*related, "email_details")


def ticket_page(ticket: Ticket) -> dict[str, Any]:
    """Everything the agent's ticket page shows, in a fixed number of queries."""
    from calmdesk.conversations.models import Contact

    ticket = (
        Ticket.objects.select_related(
            "customer", "request_type", "team", "assignee__agent", "merged_into"
        )
        .prefetch_related("tags", "customer__identities")
        .get(pk=ticket.pk)
    )
    messages = list(
        Message.objects.filter(ticket=ticket)
        .select_related(*_message_related())
        .prefetch_related("attachments", "deliveries")
        .order_by("created_at", "id")
    )
    events = list(
        TicketEvent.objects.filter(ticket=ticket)
        .select_related("actor_user__agent")
        .order_by("at", "id")
    )
    earlier = list(
        Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .select_related("request_type")
        .order_by("-created_at")[:20]
    )
    alerts = list(Alert.objects.filter(ticket=ticket, acknowledged_at__isnull=True))
    contacts = list(
        Contact.objects.filter(ticket=ticket).select_related("identity").order_by("at", "id")
    )
    # The reply composer asks for the last contact (``conversations.outbound.last_contact``).
    ticket._last_contact = contacts[-1] if contacts else None  # type: ignore[attr-defined]
    by_message = {c.message_id: c for c in contacts if c.message_id}
    for message in messages:
        message.contact = by_message.get(message.pk)  # type: ignore[attr-defined]
    return {
        "ticket": ticket,
        "messages": messages,
        "events": events,
        "customer_tickets": earlier,
        "alerts": alerts,
        "contacts": contacts,
        # Every channel the customer used on this ticket, in the order they first used it.
        "contact_channels": list(dict.fromkeys(c.channel for c in contacts)),
    }


# ------------------------------------------------------------------------------------------
# Agent workspace: what the pages show around the queue and the ticket (fixed query counts)
# ------------------------------------------------------------------------------------------


def open_alert_count(*, user: Any) -> int:
    """Unacknowledged alerts on the teams this agent sees (the badge in the header)."""
    from calmdesk.accounts.permissions import is_agent, visible_team_ids

    if not is_agent(user):
        return 0
    return open_alerts_on_teams(visible_team_ids(user))


def open_alerts_on_teams(team_ids: list[int] | None) -> int:
    """Unacknowledged alerts on these teams (None: every team), on ``alert_team_open_idx``."""
    qs = Alert.objects.filter(acknowledged_at__isnull=True)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    return qs.count()


@dataclass
class QueueOptions:
    teams: list[Any]  # the teams this agent sees (the team filter's choices)
    request_types: list[Any]
    agents: list[Any]
    # ``visible_team_ids``, read once for the whole page (None: every team).
    team_ids: list[int] | None = None
    # Every team by id: the names on the rows (an assignee also sees tickets of other teams).
    team_by_id: dict[int, Any] = field(default_factory=dict)


def queue_filter_options(*, user: Any) -> QueueOptions:
    """The choices of the queue's filter form: my teams, request types, agents of my teams;
    with the team ids and names the queue's rows reuse (4 queries)."""
    from django.contrib.auth import get_user_model

    from calmdesk.accounts.models import Team
    from calmdesk.accounts.permissions import visible_team_ids

    from .models import RequestType

    team_ids = visible_team_ids(user)
    all_teams = list(Team.objects.order_by("name"))
    agents = get_user_model().objects.filter(is_active=True, agent__isnull=False)
    if team_ids is not None:
        mine = set(team_ids)
        teams = [t for t in all_teams if t.pk in mine]
        agents = agents.filter(Q(agent__teams__in=team_ids) | Q(pk=user.pk))
    else:
        teams = all_teams
    return QueueOptions(
        teams=teams,
        request_types=list(RequestType.objects.order_by("order", "key")),
        agents=list(agents.select_related("agent").distinct().order_by("first_name", "username")),
        team_ids=team_ids,
        team_by_id={t.pk: t for t in all_teams},
    )


@dataclass
class QueueRow:
    """One row of the agent's queue page: what the row shows and nothing else (no model
    instances: 50 tickets with their customer, team, type and assignee cost more to build than
    to read)."""

    pk: int
    subject: str
    status: str
    priority: str
    channel: str
    created_at: datetime
    first_reply_due_at: datetime | None
    resolution_due_at: datetime | None
    first_replied_at: datetime | None
    customer_name: str
    team_name: str  # "" without a team
    request_type_name: str  # in the active language; "" without a type
    assignee_name: str  # "" when unassigned
    has_open_alert: bool
    has_suggestion: bool
    tags: list[str] = field(default_factory=list)  # names, sorted
    contact_channels: list[str] = field(default_factory=list)
    contact_count: int = 1

    @property
    def reference(self) -> str:
        return format_reference(self.pk)


QUEUE_ROW_FIELDS = (
    "pk",
    "subject",
    "status",
    "priority",
    "channel",
    "created_at",
    "first_reply_due_at",
    "resolution_due_at",
    "first_replied_at",
    "team_id",
    "request_type_id",
    "assignee_id",
    "customer__name",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__agent__display_name",
    "has_open_alert",
    "has_suggestion",
)


def queue_rows(
    *,
    user: Any,
    filters: QueueFilters,
    options: QueueOptions,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[QueueRow], bool]:
    """One page of the agent's queue page; (rows, has_more). 3 queries whatever the number of
    rows: the rows (only the columns shown, with the customer's and assignee's names joined;
    teams and request types come from ``options``), their tags, and their contacts (the
    channels each ticket was contacted on and how many contacts)."""
    from calmdesk.conversations.selectors import contact_summaries, open_suggestion_exists

    qs = (
        queue_queryset(user=user, filters=filters, now=now, options=options)
        .annotate(
            has_open_alert=Exists(
                Alert.objects.filter(ticket=OuterRef("pk"), acknowledged_at__isnull=True)
            ),
            has_suggestion=open_suggestion_exists(),
        )
        .values_list(*QUEUE_ROW_FIELDS)
    )
    fetched = list(qs[offset : offset + limit + 1])
    language = get_language()
    team_names = {pk: team.name for pk, team in options.team_by_id.items()}
    type_names = {r.pk: r.name(language) for r in options.request_types}
    rows = []
    for (
        pk,
        subject,
        status,
        priority,
        channel,
        created_at,
        first_reply_due_at,
        resolution_due_at,
        first_replied_at,
        team_id,
        request_type_id,
        assignee_id,
        customer_name,
        username,
        first_name,
        last_name,
        display_name,
        has_open_alert,
        has_suggestion,
    ) in fetched[:limit]:
        rows.append(
            QueueRow(
                pk=pk,
                subject=subject,
                status=status,
                priority=priority,
                channel=channel,
                created_at=created_at,
                first_reply_due_at=first_reply_due_at,
                resolution_due_at=resolution_due_at,
                first_replied_at=first_replied_at,
                customer_name=customer_name,
                team_name=team_names.get(team_id, ""),
                request_type_name=type_names.get(request_type_id, ""),
                # As ``agent_name`` shows an agent: display name, full name, username.
                assignee_name=(
                    (display_name or f"{first_name} {last_name}".strip() or username)
                    if assignee_id
                    else ""
                ),
                has_open_alert=has_open_alert,
                has_suggestion=has_suggestion,
                contact_channels=[channel],
            )
        )
    if rows:
        by_pk = {row.pk: row for row in rows}
        tag_links = (
            Ticket.tags.through.objects.filter(ticket_id__in=list(by_pk))
            .order_by("tag__name")
            .values_list("ticket_id", "tag__name")
        )
        for ticket_id, name in tag_links:
            by_pk[ticket_id].tags.append(name)
        for ticket_id, summary in contact_summaries(list(by_pk)).items():
            # A ticket from before contacts were recorded keeps its opening channel.
            by_pk[ticket_id].contact_channels = summary.channels
            by_pk[ticket_id].contact_count = summary.count
    return rows, len(fetched) > limit


@dataclass
class CustomFieldRow:
    key: str
    label: str
    value: Any
    is_date: bool


def custom_field_rows(ticket: Ticket) -> list[CustomFieldRow]:
    """The ticket's custom field values, labelled from the form definitions (one query)."""
    from datetime import date

    from calmdesk.inbox.models import FieldType, FormField

    values = ticket.custom_fields or {}
    if not values:
        return []
    definitions = {f.key: f for f in FormField.objects.filter(key__in=list(values))}
    rows: list[CustomFieldRow] = []

    def position(key: str) -> tuple[int, str]:
        return (definitions[key].order if key in definitions else 10**6, key)

    ordered = sorted(values.items(), key=lambda kv: position(kv[0]))
    for key, raw in ordered:
        definition = definitions.get(key)
        value: Any = raw
        is_date = False
        if definition is not None and definition.field_type == FieldType.DATE and raw:
            try:
                value, is_date = date.fromisoformat(str(raw)), True
            except ValueError:
                value = raw
        elif definition is not None and definition.field_type == FieldType.CHOICE:
            for choice in definition.choices or []:
                if isinstance(choice, dict) and choice.get("value") == raw:
                    labels = choice.get("labels") or {}
                    lang = (get_language() or "en")[:2]
                    value = labels.get(lang) or labels.get("en") or raw
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        label = definition.label() if definition else key.replace("_", " ").capitalize()
        rows.append(CustomFieldRow(key=key, label=label, value=value, is_date=is_date))
    return rows


@dataclass
class Lookups:
    """Names for the ids stored in event data (teams, request types, users)."""

    teams: dict[int, Any]
    request_types: dict[int, Any]
    request_types_by_key: dict[str, Any]
    users: dict[int, Any]


def ticket_workspace(*, ticket: Ticket, user: Any) -> dict[str, Any]:
    """``ticket_page`` plus what the agent's ticket page needs around it, in fixed queries:
    custom field labels, the teams and request types to choose from, the agents of the ticket's
    team, and the names behind ids in the timeline."""
    from django.contrib.auth import get_user_model

    from calmdesk.accounts.models import Team
    from calmdesk.conversations.selectors import reply_destination, ticket_suggestions

    from .enums import EventType
    from .models import RequestType

    page = ticket_page(ticket)
    ticket = page["ticket"]
    teams = list(Team.objects.order_by("name"))
    request_types = list(RequestType.objects.order_by("order", "key"))
    User = get_user_model()
    team_agents = User.objects.filter(is_active=True, agent__isnull=False)
    if ticket.team_id is not None:
        team_agents = team_agents.filter(agent__teams=ticket.team_id)
    user_ids: set[int] = set()
    for event in page["events"]:
        if event.type == EventType.ASSIGN:
            user_ids.update(v for v in (event.data.get("from"), event.data.get("to")) if v)
    users = (
        {u.pk: u for u in User.objects.filter(pk__in=user_ids).select_related("agent")}
        if user_ids
        else {}
    )
    active = ticket.merged_into_id is None and ticket.status != TicketStatus.CLOSED
    inbound = sum(1 for m in page["messages"] if m.kind == "inbound")
    page.update(
        can_merge=active,
        can_split=active and inbound >= 2,
        suggestions=ticket_suggestions(ticket=ticket, user=user) if active else [],
        reply_to=reply_destination(ticket),
        custom_fields=custom_field_rows(ticket),
        teams=teams,
        request_types=request_types,
        team_agents=list(team_agents.select_related("agent").distinct().order_by("first_name")),
        lookups=Lookups(
            teams={t.pk: t for t in teams},
            request_types={r.pk: r for r in request_types},
            request_types_by_key={r.key: r for r in request_types},
            users=users,
        ),
    )
    return page
