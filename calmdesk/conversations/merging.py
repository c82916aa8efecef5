"""One conversation per problem, by hand: merge two tickets, split one, decide suggestions.

``ticket_merge`` moves everything the customer said and everything we answered from the
``source`` to the ``target`` (messages with their attachments and delivery records, contacts,
open merge suggestions), unions tags and custom fields, keeps the facts that matter for the
customer's wait (the earliest promise, the first reply already sent, the higher priority),
closes the source with ``merged_into`` and writes MERGED on the target and MERGED_INTO on the
source, with the ids of what moved, so both histories stay readable.

``ticket_split`` is the opposite for a ticket that turned out to hold two problems: chosen
customer messages go to a new ticket of the same customer, team, type and priority. It is not
re-triaged: the agent who splits knows where it belongs; due times run from the first moved
message (the customer has waited since then).

Authorisation is the caller's: the views check that the agent may access both tickets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.core.errors import DomainError
from calmdesk.sla.models import Alert
from calmdesk.sla.services import alert_acknowledge, sla_alert_due_at, sla_due_times
from calmdesk.tickets.enums import PRIORITY_BASE_SCORE, EventType, MessageKind, TicketStatus
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import (
    queue_score_for,
    ticket_assign,
    ticket_change_priority,
    ticket_change_request_type,
    ticket_change_status,
    ticket_set_tags,
)

from .models import Contact, MergeSuggestion, SuggestionStatus

User = AbstractBaseUser

_WAITING = (TicketStatus.NEW, TicketStatus.OPEN)
# Priorities in order (the higher one is kept).
_RANK: dict[str, int] = {str(k): v for k, v in PRIORITY_BASE_SCORE.items()}


def _lock_pair(a: int, b: int) -> dict[int, Ticket]:
    """Both tickets locked in a stable order (by pk), so two merges cannot deadlock."""
    rows = Ticket.objects.select_for_update().filter(pk__in=[a, b]).order_by("pk")
    return {t.pk: t for t in rows}


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def check_mergeable(*, source: Ticket, target: Ticket) -> None:
    """Raise DomainError when ``source`` cannot be merged into ``target`` (read from the rows
    given: call it on locked rows to decide, on plain rows to warn early)."""
    if source.pk == target.pk:
        raise DomainError(_("A ticket cannot be merged into itself."), field="target", code="self")
    if source.merged_into_id is not None:
        raise DomainError(
            _("%(ref)s was already merged into another ticket.") % {"ref": source.reference},
            field="target",
            code="merged",
        )
    if target.merged_into_id is not None:
        code = "circular" if target.merged_into_id == source.pk else "merged"
        raise DomainError(
            _("%(ref)s was merged into another ticket: merge into that one.")
            % {"ref": target.reference},
            field="target",
            code=code,
        )
    if target.status == TicketStatus.CLOSED:
        raise DomainError(
            _("%(ref)s is closed: a ticket cannot be merged into a closed one.")
            % {"ref": target.reference},
            field="target",
            code="closed",
        )
    if source.status == TicketStatus.CLOSED:
        raise DomainError(
            _("%(ref)s is closed: closed tickets stay as they are.") % {"ref": source.reference},
            field="target",
            code="closed",
        )


@transaction.atomic
def ticket_merge(
    *,
    source: Ticket,
    target: Ticket,
    actor: User | None,
    reason: str = "",
    suggestion: MergeSuggestion | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Merge ``source`` into ``target`` (module docstring); returns the target, refreshed."""
    now = now or timezone.now()
    if source.pk == target.pk:
        check_mergeable(source=source, target=target)
    locked = _lock_pair(source.pk, target.pk)
    if len(locked) != 2:
        raise DomainError(_("No such ticket."), field="target", code="not_found")
    source, target = locked[source.pk], locked[target.pk]
    check_mergeable(source=source, target=target)
    reason = reason.strip()[:500]

    message_ids = list(
        Message.objects.filter(ticket_id=source.pk)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    contact_ids = list(Contact.objects.filter(ticket_id=source.pk).values_list("pk", flat=True))
    Message.objects.filter(pk__in=message_ids).update(ticket=target)
    Contact.objects.filter(pk__in=contact_ids).update(ticket=target)
    suggestion_ids = _move_suggestions(
        source=source, target=target, actor=actor, chosen=suggestion, now=now
    )

    # Properties the source adds: each through its service (one event per change).
    source_tags = set(source.tags.values_list("name", flat=True))
    target_tags = set(target.tags.values_list("name", flat=True))
    if source_tags - target_tags:
        ticket_set_tags(ticket=target, names=source_tags | target_tags, actor=actor, now=now)
    if target.request_type_id is None and source.request_type_id is not None:
        ticket_change_request_type(
            ticket=target, request_type=source.request_type, actor=actor, now=now
        )
    if _RANK.get(source.priority, 0) > _RANK.get(target.priority, 0):
        ticket_change_priority(ticket=target, priority=source.priority, actor=actor, now=now)
    if target.assignee_id is None and source.assignee_id is not None:
        assignee = source.assignee
        if assignee is not None and assignee.is_active and hasattr(assignee, "agent"):
            ticket_assign(ticket=target, assignee=assignee, actor=actor, now=now)
    if target.status in (TicketStatus.PENDING, TicketStatus.SOLVED) and source.status in _WAITING:
        # The source still waits on us: so does the conversation it joins.
        ticket_change_status(ticket=target, status=TicketStatus.OPEN, actor=actor, now=now)

    target = Ticket.objects.select_for_update().get(pk=target.pk)
    facts = _keep_facts(source=source, target=target)
    target.save()

    for alert in Alert.objects.filter(ticket_id=source.pk, acknowledged_at__isnull=True):
        alert_acknowledge(alert=alert, actor=actor, now=now)
    Ticket.objects.filter(pk=source.pk).update(
        merged_into=target, triage_recheck_at=None, alert_due_at=None
    )
    source.refresh_from_db()
    if source.status != TicketStatus.CLOSED:
        ticket_change_status(ticket=source, status=TicketStatus.CLOSED, actor=actor, now=now)

    common = {
        "messages": message_ids,
        "contacts": contact_ids,
        "suggestion": suggestion.pk if suggestion is not None else None,
        "suggestions": suggestion_ids,
        "reason": reason,
    }
    record_event(
        target,
        EventType.MERGED,
        actor=actor,
        at=now,
        data={
            **common,
            "source": source.pk,
            "source_reference": source.reference,
            "source_subject": source.subject[:200],
            "source_customer": source.customer_id,
            "facts": facts,
        },
    )
    record_event(
        source,
        EventType.MERGED_INTO,
        actor=actor,
        at=now,
        data={**common, "target": target.pk, "target_reference": target.reference},
    )
    target.refresh_from_db()
    return target


def _keep_facts(*, source: Ticket, target: Ticket) -> dict[str, Any]:
    """Carry over what the customer's wait depends on, without resetting the target's SLA:
    the earliest creation, the earliest promised first reply (while none was sent), the first
    reply already sent, the latest message times, the higher queue boost, custom fields and
    incident the target lacks. Returns what changed, as {field: [before, after]}."""
    changes: dict[str, Any] = {}

    def put(field: str, value: Any) -> None:
        before = getattr(target, field)
        if before != value:
            setattr(target, field, value)
            changes[field] = [
                _iso(before) if isinstance(before, datetime) else before,
                _iso(value) if isinstance(value, datetime) else value,
            ]

    put("created_at", min(source.created_at, target.created_at))
    if target.first_replied_at is None and source.first_replied_at is None:
        put("first_reply_due_at", _earliest(source.first_reply_due_at, target.first_reply_due_at))
        put("alert_due_at", _earliest(source.alert_due_at, target.alert_due_at))
    elif source.first_replied_at is not None:
        put("first_replied_at", _earliest(source.first_replied_at, target.first_replied_at))
        put("alert_due_at", None)
    put("resolution_due_at", _earliest(source.resolution_due_at, target.resolution_due_at))
    put(
        "last_customer_message_at",
        _latest(source.last_customer_message_at, target.last_customer_message_at),
    )
    put(
        "last_agent_message_at", _latest(source.last_agent_message_at, target.last_agent_message_at)
    )
    if source.queue_boost > target.queue_boost:
        put("queue_boost", source.queue_boost)
        put("queue_score", queue_score_for(target.priority, target.queue_boost))
    put("triage_recheck_at", _earliest(source.triage_recheck_at, target.triage_recheck_at))
    missing = {
        k: v for k, v in (source.custom_fields or {}).items() if k not in target.custom_fields
    }
    if missing:
        changes["custom_fields"] = sorted(missing)
        target.custom_fields = {**target.custom_fields, **missing}
    if target.incident_id is None and source.incident_id is not None:
        put("incident_id", source.incident_id)
    return changes


def _move_suggestions(
    *,
    source: Ticket,
    target: Ticket,
    actor: User | None,
    chosen: MergeSuggestion | None,
    now: datetime,
) -> list[int]:
    """Open suggestions between the two are decided (MERGED); the source's other open
    suggestions now concern the target (one per pair: a duplicate is closed as dismissed)."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    pair = Q(ticket_id=source.pk, candidate_id=target.pk) | Q(
        ticket_id=target.pk, candidate_id=source.pk
    )
    open_rows = MergeSuggestion.objects.select_for_update().filter(status=SuggestionStatus.OPEN)
    decided = list(open_rows.filter(pair).values_list("pk", flat=True))
    if chosen is not None and chosen.pk not in decided:
        decided.append(chosen.pk)
    MergeSuggestion.objects.filter(pk__in=decided).update(
        status=SuggestionStatus.MERGED, decided_at=now, decided_by=user
    )
    existing = set(
        MergeSuggestion.objects.filter(
            Q(ticket_id=target.pk) | Q(candidate_id=target.pk)
        ).values_list("ticket_id", "candidate_id")
    )
    taken = {frozenset(p) for p in existing}
    for row in open_rows.filter(Q(ticket_id=source.pk) | Q(candidate_id=source.pk)).exclude(
        pk__in=decided
    ):
        other = row.candidate_id if row.ticket_id == source.pk else row.ticket_id
        key = frozenset((target.pk, other))
        if other == target.pk or key in taken:
            row.status = SuggestionStatus.DISMISSED
            row.decided_at = now
            row.save(update_fields=["status", "decided_at"])
            continue
        if row.ticket_id == source.pk:
            row.ticket_id = target.pk
        else:
            row.candidate_id = target.pk
        row.save(update_fields=["ticket", "candidate"])
        taken.add(key)
    return decided


@transaction.atomic
def suggestion_merge(
    *,
    suggestion: MergeSuggestion,
    actor: User | None,
    into: Ticket | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Accept a merge suggestion: by default the newer ticket goes into the older one;
    ``into`` (one of the two) chooses the other direction. Returns the kept ticket."""
    row = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if row.status != SuggestionStatus.OPEN:
        raise DomainError(_("This suggestion was already decided."), code="decided")
    pair = {row.ticket_id: row.ticket, row.candidate_id: row.candidate}
    if into is None:
        older, newer = sorted(pair.values(), key=lambda t: (t.created_at, t.pk))
        source, target = newer, older
    elif into.pk in pair:
        target = pair[into.pk]
        source = next(t for pk, t in pair.items() if pk != into.pk)
    else:
        raise DomainError(_("Choose one of the two tickets."), field="into")
    return ticket_merge(source=source, target=target, actor=actor, suggestion=row, now=now)


@transaction.atomic
def suggestion_dismiss(
    *, suggestion: MergeSuggestion, actor: User | None, now: datetime | None = None
) -> MergeSuggestion:
    """Not the same problem: the suggestion is closed with who decided and when."""
    row = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if row.status != SuggestionStatus.OPEN:
        raise DomainError(_("This suggestion was already decided."), code="decided")
    row.status = SuggestionStatus.DISMISSED
    row.decided_at = now or timezone.now()
    row.decided_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
    row.save(update_fields=["status", "decided_at", "decided_by"])
    return row


# ------------------------------------------------------------------------------------------
# Split
# ------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_split(
    *,
    ticket: Ticket,
    message_ids: Iterable[int],
    actor: User | None,
    subject: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Move the chosen customer messages (with their contacts) to a new ticket of the same
    customer, team, request type and priority. Returns the new ticket."""
    now = now or timezone.now()
    wanted = sorted({int(pk) for pk in message_ids})
    if not wanted:
        raise DomainError(_("Choose the customer messages to split off."), field="messages")
    source = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if source.merged_into_id is not None or source.status == TicketStatus.CLOSED:
        raise DomainError(_("A closed ticket cannot be split."), field="messages", code="closed")
    inbound = list(
        Message.objects.filter(ticket_id=source.pk, kind=MessageKind.INBOUND).order_by(
            "created_at", "id"
        )
    )
    chosen = [m for m in inbound if m.pk in wanted]
    if len(chosen) != len(wanted):
        raise DomainError(
            _("Only this ticket's customer messages can be split off."), field="messages"
        )
    if len(chosen) == len(inbound):
        raise DomainError(
            _("Leave at least one customer message on this ticket."), field="messages"
        )
    first = chosen[0]
    new = Ticket(
        subject=(subject.strip() or source.subject)[:300],
        customer_id=source.customer_id,
        request_type_id=source.request_type_id,
        team_id=source.team_id,
        priority=source.priority,
        queue_boost=source.queue_boost,
        queue_score=queue_score_for(source.priority, source.queue_boost),
        custom_fields=dict(source.custom_fields or {}),
        channel=first.channel,
        language=source.language,
        incident_id=source.incident_id,
        created_at=first.created_at,
        last_customer_message_at=chosen[-1].created_at,
    )
    new.first_reply_due_at, new.resolution_due_at = sla_due_times(
        team=source.team, priority=new.priority, start=first.created_at
    )
    new.alert_due_at = sla_alert_due_at(priority=new.priority, created_at=first.created_at)
    new.save(force_insert=True)
    ids = [m.pk for m in chosen]
    Message.objects.filter(pk__in=ids).update(ticket=new)
    contact_ids = list(Contact.objects.filter(message_id__in=ids).values_list("pk", flat=True))
    Contact.objects.filter(pk__in=contact_ids).update(ticket=new)
    remaining = [m for m in inbound if m.pk not in wanted]
    source.last_customer_message_at = remaining[-1].created_at
    source.save()
    common = {"messages": ids, "contacts": contact_ids}
    record_event(
        source,
        EventType.SPLIT,
        actor=actor,
        at=now,
        data={**common, "ticket": new.pk, "reference": new.reference},
    )
    record_event(
        new,
        EventType.SPLIT_FROM,
        actor=actor,
        at=now,
        data={
            **common,
            "ticket": source.pk,
            "reference": source.reference,
            "channel": new.channel,
        },
    )
    return new
