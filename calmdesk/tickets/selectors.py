"""READS on tickets: the queue and the ticket page, with bounded query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from calmdesk.sla.models import Alert

from .enums import ACTIVE_STATUSES, QUEUE_STATUSES, Priority
from .models import Message, Ticket, TicketEvent
from .permissions import visible_tickets

QUEUE_ORDER = ("-queue_score", "first_reply_due_at", "created_at", "id")


class View:
    """Built-in queue views."""

    QUEUE = "queue"  # new + open, across my teams
    MINE = "mine"  # assigned to me, not solved
    UNASSIGNED = "unassigned"
    URGENT = "urgent"
    OVERDUE = "overdue"  # first reply due in the past
    ALL = "all"  # every status

    choices = (QUEUE, MINE, UNASSIGNED, URGENT, OVERDUE, ALL)


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
    *, user: Any, filters: QueueFilters, now: datetime | None = None
) -> QuerySet[Ticket]:
    now = now or timezone.now()
    qs = visible_tickets(user)
    view = filters.view if filters.view in View.choices else View.QUEUE
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif view == View.MINE:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif view != View.ALL:
        qs = qs.filter(status__in=QUEUE_STATUSES)
    if view == View.MINE:
        qs = qs.filter(assignee=user)
    elif view == View.UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif view == View.URGENT:
        qs = qs.filter(priority=Priority.URGENT)
    elif view == View.OVERDUE:
        qs = qs.filter(first_replied_at__isnull=True, first_reply_due_at__lt=now)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.request_type:
        qs = qs.filter(request_type_id=filters.request_type)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.q:
        from .models import parse_reference

        ref = parse_reference(filters.q)
        qs = qs.filter(Q(pk=ref) if ref else Q(subject__icontains=filters.q))
    return qs.order_by(*QUEUE_ORDER)


def queue_page(
    *,
    user: Any,
    filters: QueueFilters,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Ticket], bool]:
    """One page of the queue with what a row shows; (rows, has_more). 3 queries at most."""
    qs = (
        queue_queryset(user=user, filters=filters, now=now)
        .select_related("customer", "request_type", "team", "assignee")
        .prefetch_related("tags")
        .annotate(
            has_open_alert=Exists(
                Alert.objects.filter(ticket=OuterRef("pk"), acknowledged_at__isnull=True)
            )
        )
    )
    rows: list[Ticket] = list(qs[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


def ticket_page(ticket: Ticket) -> dict[str, Any]:
    """Everything the agent's ticket page shows, in a fixed number of queries."""
    ticket = (
        Ticket.objects.select_related("customer", "request_type", "team", "assignee")
        .prefetch_related("tags", "customer__identities")
        .get(pk=ticket.pk)
    )
    messages = list(
        Message.objects.filter(ticket=ticket)
        .select_related("author_user", "author_customer")
        .prefetch_related("attachments", "deliveries")
        .order_by("created_at", "id")
    )
    events = list(
        TicketEvent.objects.filter(ticket=ticket).select_related("actor_user").order_by("at", "id")
    )
    earlier = list(
        Ticket.objects.filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .select_related("request_type")
        .order_by("-created_at")[:20]
    )
    alerts = list(Alert.objects.filter(ticket=ticket, acknowledged_at__isnull=True))
    return {
        "ticket": ticket,
        "messages": messages,
        "events": events,
        "customer_tickets": earlier,
        "alerts": alerts,
    }
