"""Agent endpoints: the queue, a ticket, replies, notes and changes. Bearer token required."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from calmdesk.accounts.models import Team
from calmdesk.core.errors import DomainError, NotFound
from calmdesk.inbox.services import tracking_url
from calmdesk.tickets import services
from calmdesk.tickets.enums import (
    ActorKind,
    Channel,
    EventType,
    MessageKind,
    Priority,
    TicketStatus,
)
from calmdesk.tickets.models import Message, RequestType, Ticket, TicketEvent, parse_reference
from calmdesk.tickets.permissions import access_ticket
from calmdesk.tickets.selectors import QueueFilters, View, queue_page, ticket_page

from .auth import api_token_auth
from .schemas import ErrorOut, RequestTypeRef, TeamRef, UserRef

router = Router(tags=["Tickets"], auth=api_token_auth)

MAX_PAGE = 100
AUTH_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut}

# Service argument names → the API's names, so errors point at what the client sent.
FIELD_NAMES = {"reason": "transfer_reason"}


# ------------------------------------------------------------------------------------------
# Schemas
# ------------------------------------------------------------------------------------------


class CustomerRef(Schema):
    id: int = Field(examples=[42])
    name: str = Field(examples=["Elif Yılmaz"])


class TicketRowOut(Schema):
    """A ticket as a queue row."""

    id: int = Field(examples=[123])
    reference: str = Field(examples=["CD-000123"])
    subject: str = Field(examples=["Refund for a cancelled flight"])
    status: TicketStatus
    priority: Priority
    queue_score: int = Field(description="Higher comes first in the queue.", examples=[400])
    channel: Channel
    language: str = Field(examples=["tr"])
    team: TeamRef | None
    request_type: RequestTypeRef | None
    assignee: UserRef | None
    customer: CustomerRef
    tags: list[str] = Field(examples=[["departure-soon"]])
    has_open_alert: bool = Field(description="An unacknowledged alert was raised on it.")
    created_at: datetime
    updated_at: datetime
    first_reply_due_at: datetime | None
    resolution_due_at: datetime | None
    first_replied_at: datetime | None
    solved_at: datetime | None


class TicketListOut(Schema):
    items: list[TicketRowOut]
    has_more: bool = Field(description="More rows follow; ask again with `next_offset`.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page, if any.")


class IdentityOut(Schema):
    kind: str = Field(examples=["email"])
    value: str = Field(examples=["elif@example.com"])
    verified: bool


class CustomerOut(Schema):
    id: int
    name: str
    language: str
    attributes: dict[str, Any] = Field(examples=[{"vip": True}])
    identities: list[IdentityOut]


class AttachmentOut(Schema):
    id: int
    filename: str = Field(examples=["boarding-pass.pdf"])
    content_type: str = Field(examples=["application/pdf"])
    size: int = Field(description="Bytes.", examples=[182044])


class AuthorOut(Schema):
    kind: ActorKind
    name: str = Field(examples=["Aylin Demir"])
    username: str | None = Field(description="For agents.", examples=["aylin"])


class MessageOut(Schema):
    id: int
    kind: MessageKind = Field(
        description="`inbound` from the customer, `outbound` a reply, `note` internal.",
    )
    channel: Channel
    author: AuthorOut
    body_text: str
    body_html: str = Field(description="Sanitised HTML.")
    created_at: datetime
    attachments: list[AttachmentOut]


class EventOut(Schema):
    id: int
    type: EventType
    actor_kind: ActorKind
    actor: UserRef | None
    at: datetime
    data: dict[str, Any] = Field(
        description="Before/after values and details; ids for teams and messages.",
        examples=[{"from": 3, "to": 5, "reason": "Refunds handles this"}],
    )


class TicketBriefOut(Schema):
    reference: str
    subject: str
    status: TicketStatus
    priority: Priority
    created_at: datetime


class AlertOut(Schema):
    kind: str = Field(examples=["no_agent_reply"])
    raised_at: datetime


class TicketOut(TicketRowOut):
    """A ticket with everything the agent's ticket page shows."""

    tracking_url: str = Field(description="The customer's private tracking page.")
    custom_fields: dict[str, Any] = Field(
        examples=[{"departure_date": "2026-05-12", "booking_reference": "XK7P2Q"}]
    )
    announced_wait_minutes: int | None = Field(
        description="The expected wait announced to the customer at intake."
    )
    customer: CustomerOut  # type: ignore[assignment]
    messages: list[MessageOut] = Field(description="Oldest first, internal notes included.")
    events: list[EventOut] = Field(description="The history, oldest first.")
    customer_tickets: list[TicketBriefOut] = Field(
        description="The customer's other tickets, newest first (at most 20)."
    )
    alerts: list[AlertOut] = Field(description="Open alerts.")


class ReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(
        description="Plain text; emailed to the customer.",
        examples=["Your refund has been issued and reaches your card within 5 business days."],
    )
    status_after: TicketStatus | None = Field(
        None,
        description="Set this status with the reply (e.g. `pending` or `solved`). By default a "
        "new ticket becomes open.",
        examples=["solved"],
    )


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(
        description="Plain text; seen by agents only.",
        examples=["Customer called too; same booking."],
    )


class MessageCreatedOut(Schema):
    message: MessageOut
    ticket: TicketBriefOut


class TicketUpdateIn(Schema):
    """Send only what changes. Each change is recorded in the history; all or none apply."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"team": "refunds", "transfer_reason": "Refund request", "priority": "high"}
            ]
        },
    )

    status: TicketStatus | None = None
    priority: Priority | None = None
    request_type: str | None = Field(
        None, description="A request type's key; `null` clears it.", examples=["refund"]
    )
    team: str | None = Field(
        None,
        description="A team's slug. Moving a ticket is a transfer: `transfer_reason` is required.",
        examples=["refunds"],
    )
    transfer_reason: str | None = Field(
        None, description="Why the ticket changes team.", examples=["Refund request"]
    )
    assignee: str | None = Field(
        None,
        description="An agent's username; `null` unassigns. Assigning a new ticket opens it.",
        examples=["aylin"],
    )


class TicketListQuery(Schema):
    view: Literal["queue", "mine", "unassigned", "urgent", "overdue", "all"] = Field(
        "queue",
        description=(
            "`queue`: new and open tickets of your teams; `mine`: assigned to you and not "
            "solved; `unassigned`; `urgent`; `overdue`: first reply due in the past; `all`: "
            "every status."
        ),
    )
    team: str | None = Field(None, description="A team's slug.", examples=["refunds"])
    status: TicketStatus | None = None
    assignee: str | None = Field(None, description="An agent's username.", examples=["aylin"])
    tag: str | None = Field(None, max_length=60, examples=["departure-soon"])
    channel: Channel | None = None
    request_type: str | None = Field(None, description="A request type's key.")
    q: str | None = Field(
        None,
        max_length=200,
        description="A reference (CD-000123) or words of the subject. A follow-up's own "
        "reference finds the ticket it was added to.",
    )
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=1_000_000)


# ------------------------------------------------------------------------------------------
# Serialisation (no queries beyond what the selectors prefetched)
# ------------------------------------------------------------------------------------------


def _user_ref(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name() or user.get_username()}


def _row(ticket: Ticket, *, has_open_alert: bool | None = None) -> dict[str, Any]:
    team, rtype, customer = ticket.team, ticket.request_type, ticket.customer
    alert = getattr(ticket, "has_open_alert", False) if has_open_alert is None else has_open_alert
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue_score": ticket.queue_score,
        "channel": ticket.channel,
        "language": ticket.language,
        "team": {"slug": team.slug, "name": team.name} if team else None,
        "request_type": {"key": rtype.key, "name": rtype.name()} if rtype else None,
        "assignee": _user_ref(ticket.assignee),
        "customer": {"id": customer.pk, "name": customer.name},
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "has_open_alert": bool(alert),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_reply_due_at": ticket.first_reply_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "first_replied_at": ticket.first_replied_at,
        "solved_at": ticket.solved_at,
    }


def _message(message: Message) -> dict[str, Any]:
    author: dict[str, Any]
    if message.author_user is not None:
        user = message.author_user
        author = {
            "kind": ActorKind.AGENT,
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
        }
    elif message.author_customer is not None:
        author = {
            "kind": ActorKind.CUSTOMER,
            "name": message.author_customer.name,
            "username": None,
        }
    else:
        author = {"kind": ActorKind.SYSTEM, "name": _("Calmdesk"), "username": None}
    return {
        "id": message.pk,
        "kind": message.kind,
        "channel": message.channel,
        "author": author,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "created_at": message.created_at,
        "attachments": [
            {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments.all()
        ],
    }


def _event(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.type,
        "actor_kind": event.actor_kind,
        "actor": _user_ref(event.actor_user),
        "at": event.at,
        "data": event.data,
    }


def _brief(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "created_at": ticket.created_at,
    }


def _detail(ticket: Ticket) -> dict[str, Any]:
    page = ticket_page(ticket)
    ticket = page["ticket"]
    customer = ticket.customer
    alerts = page["alerts"]
    return {
        **_row(ticket, has_open_alert=bool(alerts)),
        "tracking_url": tracking_url(ticket),
        "custom_fields": ticket.custom_fields,
        "announced_wait_minutes": ticket.announced_wait_minutes,
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "language": customer.language,
            "attributes": customer.attributes,
            "identities": [
                {"kind": i.kind, "value": i.value, "verified": i.verified}
                for i in customer.identities.all()
            ],
        },
        "messages": [_message(m) for m in page["messages"]],
        "events": [_event(e) for e in page["events"]],
        "customer_tickets": [_brief(t) for t in page["customer_tickets"]],
        "alerts": [{"kind": a.kind, "raised_at": a.raised_at} for a in alerts],
    }


# ------------------------------------------------------------------------------------------
# Lookups of what the client names (unknown → 400 naming the input)
# ------------------------------------------------------------------------------------------


def _ticket(request: HttpRequest, reference: str) -> Ticket:
    ticket_id = parse_reference(reference)
    if ticket_id is None:
        raise NotFound()
    return access_ticket(request.auth, ticket_id)  # type: ignore[attr-defined]


def _team(slug: str, *, field: str = "team") -> Team:
    team = Team.objects.filter(slug=slug.strip()).first()
    if team is None:
        raise DomainError(_("No team with this slug."), field=field)
    return team


def _request_type(key: str, *, field: str = "request_type") -> RequestType:
    rtype = RequestType.objects.filter(key=key.strip()).first()
    if rtype is None:
        raise DomainError(_("No request type with this key."), field=field)
    return rtype


def _agent_user(username: str, *, field: str = "assignee") -> Any:
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise DomainError(_("No agent with this username."), field=field)
    return user


def _renamed(exc: DomainError) -> DomainError:
    if exc.field in FIELD_NAMES:
        return DomainError(exc.message, field=FIELD_NAMES[exc.field], code=exc.code)
    return exc


# ------------------------------------------------------------------------------------------
# Endpoints
# ------------------------------------------------------------------------------------------


@router.get(
    "/tickets",
    response={200: TicketListOut, 400: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    operation_id="listTickets",
    summary="The queue",
)
def list_tickets(request: HttpRequest, filters: Query[TicketListQuery]) -> dict[str, Any]:
    """Tickets you may see, in queue order: priority (queue score), then first-reply due time,
    then age. Filters combine; `limit` is at most 100."""
    queue_filters = QueueFilters(
        view=filters.view if filters.view in View.choices else View.QUEUE,
        team=_team(filters.team).pk if filters.team else None,
        request_type=_request_type(filters.request_type).pk if filters.request_type else None,
        status=filters.status,
        assignee=_agent_user(filters.assignee).pk if filters.assignee else None,
        tag=filters.tag or None,
        channel=filters.channel,
        q=(filters.q or "").strip() or None,
    )
    rows, has_more = queue_page(
        user=request.auth,  # type: ignore[attr-defined]
        filters=queue_filters,
        limit=filters.limit,
        offset=filters.offset,
    )
    return {
        "items": [_row(t) for t in rows],
        "has_more": has_more,
        "limit": filters.limit,
        "offset": filters.offset,
        "next_offset": filters.offset + filters.limit if has_more else None,
    }


@router.get(
    "/tickets/{reference}",
    response={200: TicketOut, 404: ErrorOut, **AUTH_ERRORS},
    operation_id="getTicket",
    summary="A ticket with its conversation and history",
)
def get_ticket(request: HttpRequest, reference: str) -> dict[str, Any]:
    """`reference` is the ticket's reference (`CD-000123`) or its id (`123`). A ticket of a
    team you are not in answers 404."""
    return _detail(_ticket(request, reference))


@router.post(
    "/tickets/{reference}/replies",
    response={201: MessageCreatedOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    operation_id="replyToTicket",
    summary="Reply to the customer",
)
def reply_to_ticket(
    request: HttpRequest, reference: str, payload: ReplyIn
) -> Status[dict[str, Any]]:
    """Emails the reply to the customer (after commit, through the outbox), records the first
    reply time and, with `status_after`, changes the status. Attachments are not accepted by
    the API."""
    ticket = _ticket(request, reference)
    try:
        message = services.ticket_reply(
            ticket=ticket,
            actor=request.auth,  # type: ignore[attr-defined]
            body_text=payload.body,
            status_after=payload.status_after,
        )
    except DomainError as exc:
        if exc.field == "status":
            raise DomainError(exc.message, field="status_after", code=exc.code) from exc
        raise
    ticket.refresh_from_db()
    return Status(201, {"message": _message(message), "ticket": _brief(ticket)})


@router.post(
    "/tickets/{reference}/notes",
    response={201: MessageCreatedOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    operation_id="addTicketNote",
    summary="Add an internal note",
)
def add_ticket_note(
    request: HttpRequest, reference: str, payload: NoteIn
) -> Status[dict[str, Any]]:
    """A note for agents only; the customer never sees it."""
    ticket = _ticket(request, reference)
    message = services.ticket_add_note(
        ticket=ticket,
        actor=request.auth,  # type: ignore[attr-defined]
        body_text=payload.body,
    )
    ticket.refresh_from_db()
    return Status(201, {"message": _message(message), "ticket": _brief(ticket)})


@router.patch(
    "/tickets/{reference}",
    response={200: TicketOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    operation_id="updateTicket",
    summary="Change status, priority, type, team or assignee",
)
def update_ticket(request: HttpRequest, reference: str, payload: TicketUpdateIn) -> dict[str, Any]:
    """Send any of the fields. All the changes apply together or none does; each is recorded
    in the ticket's history. A team change is a transfer and needs `transfer_reason`."""
    actor = request.auth  # type: ignore[attr-defined]
    ticket = _ticket(request, reference)
    sent = payload.model_fields_set
    # Resolve and check everything before the first write.
    for name in ("status", "priority", "team"):
        if name in sent and getattr(payload, name) is None:
            raise DomainError(_("This field cannot be empty."), field=name)
    rtype = _request_type(payload.request_type) if payload.request_type else None
    team = _team(payload.team) if payload.team else None
    assignee = _agent_user(payload.assignee) if payload.assignee else None
    reason = (payload.transfer_reason or "").strip()
    if team is not None and team.pk != ticket.team_id and not reason:
        raise DomainError(_("Say why the ticket is transferred."), field="transfer_reason")
    try:
        with transaction.atomic():
            if "request_type" in sent:
                ticket = services.ticket_change_request_type(
                    ticket=ticket, request_type=rtype, actor=actor
                )
            if team is not None and team.pk != ticket.team_id:
                ticket = services.ticket_transfer(
                    ticket=ticket, team=team, reason=reason, actor=actor
                )
            if payload.priority is not None:
                ticket = services.ticket_change_priority(
                    ticket=ticket, priority=payload.priority, actor=actor
                )
            if "assignee" in sent:
                ticket = services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
            if payload.status is not None:
                ticket = services.ticket_change_status(
                    ticket=ticket, status=payload.status, actor=actor
                )
    except DomainError as exc:
        raise _renamed(exc) from exc
    return _detail(ticket)
