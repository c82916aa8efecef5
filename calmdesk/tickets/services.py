"""WRITES on tickets. Every state change of a ticket goes through ``_change`` and leaves an event.

Services take keyword arguments, run in a transaction, lock the ticket row, write an event and
queue side effects through the outbox (delivered after commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.accounts.models import Team
from calmdesk.core.errors import DomainError
from calmdesk.customers.models import Customer
from calmdesk.incidents.models import Incident
from calmdesk.routing.services import TriageOutcome, triage_evaluate
from calmdesk.sla.services import sla_alert_due_at, sla_due_times

from .enums import (
    PRIORITY_BASE_SCORE,
    ActorKind,
    Channel,
    EventType,
    MessageKind,
    Priority,
    TicketStatus,
)
from .events import record_event
from .models import Attachment, Message, RequestType, Tag, Ticket

User = AbstractBaseUser

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}


def sanitize_html(html: str) -> str:
    """Allow a safe subset of HTML; links get rel=noopener noreferrer nofollow."""
    return nh3.clean(html, tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


def text_to_html(text: str) -> str:
    """Plain text → escaped HTML paragraphs (the safe way to show what a customer typed)."""
    from django.utils.html import linebreaks

    return linebreaks(text, autoescape=True)


def queue_score_for(priority: str, boost: int) -> int:
    return PRIORITY_BASE_SCORE[Priority(priority)] + boost


# ------------------------------------------------------------------------------------------
# Creation
# ------------------------------------------------------------------------------------------


@dataclass
class PreparedTicket:
    """A triaged ticket with its due times, not yet written (``ticket_prepare``)."""

    ticket: Ticket
    outcome: TriageOutcome
    before_triage: dict[str, Any]
    message: Message | None = None  # the first message, once ``ticket_open`` wrote it


def ticket_prepare(
    *,
    customer: Customer,
    subject: str,
    body_text: str,
    request_type: RequestType | None,
    channel: str = Channel.FORM,
    language: str = "en",
    custom_fields: dict[str, Any] | None = None,
    intake_key: str | None = None,
    team: Team | None = None,
    now: datetime,
    due_times: bool = True,
) -> PreparedTicket:
    """Decide everything about a new ticket (triage, priority, team, due times) without writing.

    Reads only cached configuration, so intake can do it before its write transaction.
    ``team``: the channel's team (a mailbox's) for a request whose type does not route it.
    ``due_times=False`` leaves the due times empty (``ticket_set_due_times`` fills them): the
    intake's answer needs them only when it computes a wait afresh.
    """
    priority = request_type.default_priority if request_type else Priority.NORMAL
    subject = subject.strip()[:300] or _("(no subject)")
    ticket = Ticket(
        subject=subject,
        customer=customer,
        request_type=request_type,
        team=(request_type.team if request_type and request_type.team_id else None) or team,
        priority=priority,
        queue_score=queue_score_for(priority, 0),
        custom_fields=custom_fields or {},
        channel=channel,
        language=language,
        intake_key=intake_key,
        created_at=now,
        last_customer_message_at=now,
    )
    outcome = triage_evaluate(ticket=ticket, text=f"{subject}\n{body_text}", now=now)
    before = _triage_state(ticket)
    _apply_triage_fields(ticket, outcome, include_team=True)
    if due_times:
        ticket_set_due_times(ticket)
    return PreparedTicket(ticket=ticket, outcome=outcome, before_triage=before)


def ticket_set_due_times(ticket: Ticket) -> None:
    """The due times of a prepared (unsaved) ticket, from its team and priority."""
    _refresh_sla(ticket, start=ticket.created_at, has_alerts=False)


def ticket_prepare_for_incident(
    prepared: PreparedTicket, incident: Incident, *, due_times: bool = True
) -> PreparedTicket:
    """Link a prepared (unsaved) ticket to a crisis incident: route it to the incident's team,
    tag it ``incident-<slug>`` and recompute its due times. The CREATED event records it."""
    ticket = prepared.ticket
    ticket.incident = incident
    if incident.team_id is not None:
        ticket.team = incident.team
    tag = f"incident-{incident.slug}"
    if tag not in prepared.outcome.tags:
        prepared.outcome.tags.append(tag)
        if not prepared.outcome.matched:
            prepared.outcome.matched.append(f"incident {incident.slug}")
    if due_times:
        ticket_set_due_times(ticket)
    return prepared


@transaction.atomic(savepoint=False)
def ticket_open(
    *,
    prepared: PreparedTicket,
    body_text: str,
    attachments: Sequence[UploadedFile] = (),
    actor: User | None = None,
    body_html: str = "",
    external_id: str = "",
) -> Ticket:
    """Write a prepared ticket with the customer's first message and its events.

    ``body_html`` is sanitised here; ``external_id`` is the channel's id of the message.
    """
    ticket = prepared.ticket
    now = ticket.created_at
    ticket.save(force_insert=True)
    message = _add_message(
        ticket=ticket,
        kind=MessageKind.INBOUND,
        channel=ticket.channel,
        body_text=body_text,
        body_html=body_html,
        author_customer=ticket.customer,
        attachments=attachments,
        now=now,
        external_id=external_id,
    )
    prepared.message = message
    request_type = ticket.request_type
    record_event(
        ticket,
        EventType.CREATED,
        actor=actor,
        actor_kind=ActorKind.AGENT if actor else ActorKind.CUSTOMER,
        at=now,
        data={
            "channel": ticket.channel,
            "message": message.pk,
            "request_type": request_type.key if request_type else None,
            "team": prepared.before_triage["team"],
            "priority": prepared.before_triage["priority"],
            "incident": ticket.incident.slug if ticket.incident is not None else None,
        },
    )
    _record_triage(ticket, prepared.outcome, before=prepared.before_triage, now=now, fresh=True)
    return ticket


def ticket_create(
    *,
    customer: Customer,
    subject: str,
    body_text: str,
    request_type: RequestType | None,
    channel: str = Channel.FORM,
    language: str = "en",
    custom_fields: dict[str, Any] | None = None,
    attachments: Sequence[UploadedFile] = (),
    intake_key: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket with the customer's first message, triaged, with SLA due times."""
    prepared = ticket_prepare(
        customer=customer,
        subject=subject,
        body_text=body_text,
        request_type=request_type,
        channel=channel,
        language=language,
        custom_fields=custom_fields,
        intake_key=intake_key,
        now=now or timezone.now(),
    )
    with transaction.atomic():
        return ticket_open(
            prepared=prepared, body_text=body_text, attachments=attachments, actor=actor
        )


def _add_message(
    *,
    ticket: Ticket,
    kind: MessageKind,
    channel: str,
    body_text: str,
    body_html: str = "",
    author_user: User | None = None,
    author_customer: Customer | None = None,
    attachments: Sequence[UploadedFile] = (),
    now: datetime | None = None,
    client_key: str | None = None,
    external_id: str = "",
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        client_key=client_key,
        external_id=external_id[:255],
        created_at=now or timezone.now(),
        kind=kind,
        channel=channel,
        body_text=body_text,
        body_html=sanitize_html(body_html) if body_html else text_to_html(body_text),
        author_user=author_user,
        author_customer=author_customer,  # type: ignore[misc]
    )
    for upload in attachments:
        Attachment.objects.create(
            message=message,
            file=upload,
            filename=(upload.name or "file")[:255],
            content_type=(upload.content_type or "application/octet-stream")[:120],
            size=upload.size or 0,
        )
    return message


# ------------------------------------------------------------------------------------------
# Triage and SLA (derived state, recomputed by the services that change its inputs)
# ------------------------------------------------------------------------------------------


def _triage_state(ticket: Ticket) -> dict[str, Any]:
    return {"priority": ticket.priority, "team": ticket.team_id, "boost": ticket.queue_boost}


def _apply_triage_fields(ticket: Ticket, outcome: TriageOutcome, *, include_team: bool) -> None:
    """Apply a triage outcome to the in-memory ticket (no writes)."""
    if outcome.priority:
        ticket.priority = outcome.priority
    if include_team and outcome.team is not None:
        ticket.team = outcome.team
    ticket.queue_boost = outcome.boost
    ticket.queue_score = queue_score_for(ticket.priority, ticket.queue_boost)
    ticket.triage_recheck_at = outcome.recheck_at


def _record_triage(
    ticket: Ticket,
    outcome: TriageOutcome,
    *,
    before: dict[str, Any],
    now: datetime,
    fresh: bool = False,
) -> None:
    """Add the outcome's tags to the saved ticket and record a TRIAGE event with the diff.

    ``fresh``: the ticket was just created, so it has no tags yet.
    """
    added_tags: list[str] = []
    if outcome.tags:
        existing = set() if fresh else set(ticket.tags.values_list("name", flat=True))
        added_tags = [t for t in outcome.tags if t not in existing]
    if added_tags:
        tags = {tag.name: tag for tag in Tag.objects.filter(name__in=added_tags)}
        for name in added_tags:
            if name not in tags:
                tags[name], _created = Tag.objects.get_or_create(name=name)
        ticket.tags.add(*tags.values())
    after = _triage_state(ticket)
    if outcome.matched and (before != after or added_tags):
        record_event(
            ticket,
            EventType.TRIAGE,
            at=now,
            data={
                "rules": outcome.matched,
                "before": before,
                "after": after,
                "tags_added": added_tags,
            },
        )


def _refresh_sla(
    ticket: Ticket, *, start: datetime | None = None, has_alerts: bool | None = None
) -> None:
    """Recompute due times and the alert time after a priority or team change."""
    start = start or ticket.created_at
    first_due, resolution_due = sla_due_times(
        team=ticket.team, priority=ticket.priority, start=start
    )
    if ticket.first_replied_at is None:
        ticket.first_reply_due_at = first_due
        ticket.alert_due_at = None
        if not (ticket.alerts.exists() if has_alerts is None else has_alerts):
            ticket.alert_due_at = sla_alert_due_at(
                priority=ticket.priority, created_at=ticket.created_at
            )
    ticket.resolution_due_at = resolution_due


@transaction.atomic
def ticket_retriage(*, ticket_id: int, now: datetime | None = None) -> Ticket | None:
    """Re-evaluate the rules when a date condition may have changed its answer.

    Only priority, queue boost and tags follow the rules here; the team is left as the agents
    set it (a re-route would undo a transfer).
    """
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return None
    if ticket.status not in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING):
        Ticket.objects.filter(pk=ticket.pk).update(triage_recheck_at=None)
        return ticket
    first = ticket.messages.filter(kind=MessageKind.INBOUND).order_by("created_at", "id").first()
    text = f"{ticket.subject}\n{first.body_text if first else ''}"
    outcome = triage_evaluate(ticket=ticket, text=text, now=now)
    before = _triage_state(ticket)
    _apply_triage_fields(ticket, outcome, include_team=False)
    if ticket.priority != before["priority"]:
        _refresh_sla(ticket)
    ticket.save()
    _record_triage(ticket, outcome, before=before, now=now)
    return ticket


# ------------------------------------------------------------------------------------------
# Field changes: one path, one event each
# ------------------------------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _change(
    ticket: Ticket,
    *,
    field: str,
    new: Any,
    event: EventType,
    actor: User | None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Set one field on the locked ticket, keep derived state true, and record the event."""
    locked = _lock(ticket)
    is_relation = Ticket._meta.get_field(field).is_relation
    old = getattr(locked, f"{field}_id") if is_relation else getattr(locked, field)
    if old == _plain(new):
        return locked
    setattr(locked, field, new)
    now = now or timezone.now()
    if field == "priority":
        locked.queue_score = queue_score_for(locked.priority, locked.queue_boost)
        _refresh_sla(locked)
    elif field == "team":
        _refresh_sla(locked)
    elif field == "status":
        if new == TicketStatus.SOLVED:
            locked.solved_at = now
        elif old in (TicketStatus.SOLVED, TicketStatus.CLOSED):
            locked.solved_at = None
        if new in (TicketStatus.SOLVED, TicketStatus.CLOSED):
            locked.triage_recheck_at = None
    locked.save()
    record_event(
        locked, event, actor=actor, at=now, data={"from": old, "to": _plain(new), **(data or {})}
    )
    reopened = field == "status" and old in (TicketStatus.SOLVED, TicketStatus.CLOSED)
    if reopened and new not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        # Date rules stopped being re-checked when it was solved: their answer may have changed.
        locked = ticket_retriage(ticket_id=locked.pk, now=now) or locked
    return locked


def _plain(value: Any) -> Any:
    return getattr(value, "pk", value)


@transaction.atomic
def ticket_change_status(
    *, ticket: Ticket, status: str, actor: User | None, now: datetime | None = None
) -> Ticket:
    if status not in TicketStatus.values:
        raise DomainError(_("Unknown status."), field="status")
    return _change(ticket, field="status", new=status, event=EventType.STATUS, actor=actor, now=now)


@transaction.atomic
def ticket_change_priority(
    *, ticket: Ticket, priority: str, actor: User | None, now: datetime | None = None
) -> Ticket:
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    return _change(
        ticket, field="priority", new=priority, event=EventType.PRIORITY, actor=actor, now=now
    )


@transaction.atomic
def ticket_change_request_type(
    *,
    ticket: Ticket,
    request_type: RequestType | None,
    actor: User | None,
    now: datetime | None = None,
) -> Ticket:
    return _change(
        ticket,
        field="request_type",
        new=request_type,
        event=EventType.REQUEST_TYPE,
        actor=actor,
        now=now,
    )


@transaction.atomic
def ticket_transfer(
    *, ticket: Ticket, team: Team, reason: str, actor: User | None, now: datetime | None = None
) -> Ticket:
    """Move a ticket to another team. The reason is required: transfers are analysed."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is transferred."), field="reason")
    return _change(
        ticket,
        field="team",
        new=team,
        event=EventType.TRANSFER,
        actor=actor,
        data={"reason": reason[:500]},
        now=now,
    )


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: User | None, actor: User | None, now: datetime | None = None
) -> Ticket:
    """Assign (or unassign with None). The assignee must be an active agent."""
    if assignee is not None and (not assignee.is_active or not hasattr(assignee, "agent")):
        raise DomainError(_("Only active agents can be assigned."), field="assignee")
    locked = _change(
        ticket, field="assignee", new=assignee, event=EventType.ASSIGN, actor=actor, now=now
    )
    if assignee is not None and locked.status == TicketStatus.NEW:
        locked = _change(
            locked,
            field="status",
            new=TicketStatus.OPEN,
            event=EventType.STATUS,
            actor=actor,
            now=now,
        )
    return locked


@transaction.atomic
def ticket_set_tags(
    *, ticket: Ticket, names: Iterable[str], actor: User | None, now: datetime | None = None
) -> Ticket:
    from django.utils.text import slugify

    wanted = sorted({slugify(n, allow_unicode=True) for n in names if n.strip()} - {""})
    locked = _lock(ticket)
    before = sorted(locked.tags.values_list("name", flat=True))
    if before == wanted:
        return locked
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    locked.tags.set(tags)
    locked.save(update_fields=["updated_at"])
    record_event(locked, EventType.TAGS, actor=actor, at=now, data={"from": before, "to": wanted})
    return locked


# ------------------------------------------------------------------------------------------
# Conversation
# ------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    actor: User,
    body_text: str,
    attachments: Sequence[UploadedFile] = (),
    status_after: str | None = None,
    now: datetime | None = None,
) -> Message:
    """An agent answers the customer: message, event, first-reply time, email via the outbox."""
    from calmdesk.conversations.outbound import deliver_reply, reply_channel

    body_text = body_text.strip()
    if not body_text:
        raise DomainError(_("Write a reply first."), field="body")
    if status_after is not None and status_after not in TicketStatus.values:
        raise DomainError(_("Unknown status."), field="status")
    now = now or timezone.now()
    locked = _lock(ticket)
    message = _add_message(
        ticket=locked,
        kind=MessageKind.OUTBOUND,
        channel=reply_channel(locked),
        body_text=body_text,
        author_user=actor,
        attachments=attachments,
        now=now,
    )
    first = locked.first_replied_at is None
    if first:
        locked.first_replied_at = now
    locked.last_agent_message_at = now
    locked.alert_due_at = None
    locked.save()
    record_event(
        locked,
        EventType.AGENT_REPLY,
        actor=actor,
        at=now,
        data={"message": message.pk, "first_reply": first},
    )
    deliver_reply(ticket=locked, message=message)
    target = status_after or (TicketStatus.OPEN if locked.status == TicketStatus.NEW else None)
    if target and target != locked.status:
        locked = _change(
            locked, field="status", new=target, event=EventType.STATUS, actor=actor, now=now
        )
    ticket.refresh_from_db()
    return message


@transaction.atomic
def ticket_add_note(
    *,
    ticket: Ticket,
    actor: User,
    body_text: str,
    attachments: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Message:
    body_text = body_text.strip()
    if not body_text:
        raise DomainError(_("Write the note first."), field="body")
    locked = _lock(ticket)
    message = _add_message(
        ticket=locked,
        kind=MessageKind.NOTE,
        channel=locked.channel,
        body_text=body_text,
        author_user=actor,
        attachments=attachments,
        now=now,
    )
    locked.save(update_fields=["updated_at"])
    record_event(locked, EventType.NOTE, actor=actor, at=now, data={"message": message.pk})
    return message


@transaction.atomic
def ticket_customer_reply(
    *,
    ticket: Ticket,
    customer: Customer,
    body_text: str,
    channel: str = Channel.FORM,
    attachments: Sequence[UploadedFile] = (),
    client_key: str | None = None,
    now: datetime | None = None,
    body_html: str = "",
    external_id: str = "",
    data: dict[str, Any] | None = None,
) -> Message:
    """The customer writes again. A solved or pending ticket goes back to the queue.

    ``data`` is added to the CUSTOMER_MESSAGE event (e.g. how the contact was matched).

    With ``client_key`` (the reply form's single-use token) a repeated submission returns the
    message already added and changes nothing.
    """
    body_text = body_text.strip()
    if not body_text:
        raise DomainError(_("Write a message first."), field="body")
    now = now or timezone.now()
    locked = _lock(ticket)
    if client_key:
        already = Message.objects.filter(ticket=locked, client_key=client_key).first()
        if already is not None:
            return already
    if locked.status == TicketStatus.CLOSED:
        raise DomainError(
            _("This request is closed. Please submit a new request."), field="body", code="closed"
        )
    message = _add_message(
        ticket=locked,
        kind=MessageKind.INBOUND,
        channel=channel,
        body_text=body_text,
        body_html=body_html,
        author_customer=customer,
        attachments=attachments,
        now=now,
        client_key=client_key,
        external_id=external_id,
    )
    locked.last_customer_message_at = now
    locked.save()
    record_event(
        locked,
        EventType.CUSTOMER_MESSAGE,
        actor_kind=ActorKind.CUSTOMER,
        at=now,
        data={"message": message.pk, "channel": channel, **(data or {})},
    )
    if locked.status in (TicketStatus.SOLVED, TicketStatus.PENDING):
        was_solved = locked.status == TicketStatus.SOLVED
        locked = _change(
            locked,
            field="status",
            new=TicketStatus.OPEN,
            event=EventType.STATUS,
            actor=None,
            now=now,
            data={"by_customer": True},
        )
        if was_solved:
            record_event(
                locked,
                EventType.REOPENED,
                actor_kind=ActorKind.CUSTOMER,
                at=now,
                data={"message": message.pk},
            )
    return message
