"""Every inbound contact, on any channel, goes through ``contact_receive``.

It finds the customer by the contact's identities, then puts the contact where it belongs:

1. into the conversation the channel names explicitly (``InboundContact.thread``: an email's
   In-Reply-To/References or the reference in its subject, a tracking link, a chat session);
2. else, for a known customer, into an open ticket on the same matter (``dedup``): a
   follow-up marked with its channel, instead of a second ticket;
3. else into a new ticket — triaged, linked to an incident, with the expected wait and the
   acknowledgement, exactly as the request form does — with merge suggestions when the
   match was not certain.

Every contact is recorded as a ``Contact`` in the same transaction as its message, so contacts
per problem can be reported. Idempotent on ``InboundContact.external_key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.accounts.models import Team
from calmdesk.customers.models import Customer, Identity, IdentityKind
from calmdesk.customers.services import ContactMatch, customer_match, customer_save_contact
from calmdesk.incidents.linking import incident_for_intake
from calmdesk.replies.services import autoresponder_limit_reached, autoresponder_queue
from calmdesk.staffing.selectors import WaitEstimate, expected_wait
from calmdesk.tickets.enums import TicketStatus
from calmdesk.tickets.models import Message, RequestType, Ticket
from calmdesk.tickets.services import (
    ticket_customer_reply,
    ticket_open,
    ticket_prepare,
    ticket_prepare_for_incident,
)

from .dedup import ContactFeatures, DedupDecision, dedup_decide
from .models import Contact, ContactOutcome, MergeSuggestion

BOOKING_REFERENCE_FIELD = "booking_reference"


@dataclass
class InboundContact:
    """One contact as a channel hands it over: identities normalised, text extracted."""

    channel: str
    # (IdentityKind, normalised value): the identity the contact came by first (an email's
    # From, an SMS sender in E.164, "telegram:<chat id>", a chat visitor id), then any the
    # customer gave us (the form's email and phone, the chat's email).
    identities: Sequence[tuple[str, str]]
    name: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str = ""  # sanitised when stored
    attachments: Sequence[UploadedFile] = ()
    language: str = "en"
    request_type: RequestType | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    # The channel's team (a mailbox's, a messaging account's) for a request no rule routes.
    team: Team | None = None
    # The conversation the channel itself identified (headers, reference, session).
    thread: Ticket | None = None
    # Idempotency: "<channel>:<id>", e.g. "email:<mailbox id>:<Message-ID>", "sms:<SID>".
    external_key: str | None = None
    external_id: str = ""  # stored on the message (an email's Message-ID, a provider's id)
    auto_submitted: bool = False  # never acknowledged (auto-replies, bulk mail)
    acknowledge: bool = True  # the acknowledgement email when a new ticket opens
    incident_hint: str | None = None
    intake_key: str | None = None  # the form's token (``Ticket.intake_key``)

    @property
    def email(self) -> str:
        return next((v for k, v in self.identities if k == IdentityKind.EMAIL and v), "")

    @property
    def booking_reference(self) -> str:
        value = self.custom_fields.get(BOOKING_REFERENCE_FIELD)
        return value.strip().upper() if isinstance(value, str) else ""


@dataclass
class ContactResult:
    ticket: Ticket
    contact: Contact | None
    outcome: str  # ContactOutcome
    created: bool  # this call opened the ticket
    estimate: WaitEstimate
    duplicate: bool = False  # the same contact (external key / form token) was received before
    message: Message | None = None
    suggestions: list[MergeSuggestion] = field(default_factory=list)

    @property
    def followed_up(self) -> bool:
        return self.outcome in (ContactOutcome.FOLLOW_UP, ContactOutcome.THREAD)


def contact_receive(contact: InboundContact, *, now: datetime | None = None) -> ContactResult:
    """Store one inbound contact where it belongs (module docstring). Reads and decides before
    one short write transaction, as the request form's intake always has."""
    now = now or timezone.now()
    match = customer_match(contact.identities)
    customer = match.customer or Customer(
        name=contact.name[:200], language=contact.language, created_at=now
    )
    decision = _existing_conversation(contact, match, now=now)
    try:
        if decision.ticket is not None:
            return _follow_up(contact, match, customer, decision, now=now)
        return _open_ticket(contact, match, customer, decision, now=now)
    except IntegrityError:
        existing = _already_received(contact)
        if existing is None:
            raise
        return existing


def _existing_conversation(
    contact: InboundContact, match: ContactMatch, *, now: datetime
) -> DedupDecision:
    """Where the contact goes: ``ticket`` set when it continues a conversation (the explicit
    thread, or a certain follow-up); else a new ticket, perhaps with merge suggestions."""
    thread = contact.thread
    if thread is not None:
        thread = _follow_merges(thread)
        if thread.status != TicketStatus.CLOSED:
            return DedupDecision(
                action="thread", ticket=thread, evidence={"reasons": [{"kind": "thread"}]}
            )
    if match.customer is None:
        return DedupDecision(action="new")
    return dedup_decide(
        ContactFeatures(
            customer=match.customer,
            text=f"{contact.subject}\n{contact.body_text}",
            request_type=contact.request_type,
            booking_reference=contact.booking_reference,
            name=contact.name,
            channel=contact.channel,
            by_primary_identity=match.by_primary,
        ),
        now=now,
    )


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
        seen.add(ticket.pk)
    return ticket


def _contact_identity(match: ContactMatch) -> Identity | None:
    """The stored identity the contact came by, when it was stored before this contact."""
    return match.known.get(match.wanted[0]) if match.wanted else None


def _address(match: ContactMatch) -> str:
    return match.wanted[0][1][:320] if match.wanted else ""


def _body(contact: InboundContact) -> str:
    text = contact.body_text.strip()
    if text:
        return text
    if contact.attachments:
        return _("(attachments only)")
    return _("(no text)")


def _follow_up(
    contact: InboundContact,
    match: ContactMatch,
    customer: Customer,
    decision: DedupDecision,
    *,
    now: datetime,
) -> ContactResult:
    ticket = decision.ticket
    assert ticket is not None
    outcome = ContactOutcome.THREAD if decision.action == "thread" else ContactOutcome.FOLLOW_UP
    evidence = decision.evidence
    with transaction.atomic():
        customer = customer_save_contact(match=match, customer=customer, name=contact.name, now=now)
        message = ticket_customer_reply(
            ticket=ticket,
            customer=customer,
            body_text=_body(contact),
            body_html=contact.body_html,
            channel=contact.channel,
            attachments=contact.attachments,
            external_id=contact.external_id,
            now=now,
            data={"contact": outcome, "evidence": evidence},
        )
        row = Contact.objects.create(
            ticket=ticket,
            customer=customer,
            identity=_contact_identity(match),
            address=_address(match),
            message=message,
            channel=contact.channel,
            outcome=outcome,
            external_key=contact.external_key,
            evidence=evidence,
            at=now,
        )
    ticket.refresh_from_db()
    return ContactResult(
        ticket=ticket,
        contact=row,
        outcome=outcome,
        created=False,
        estimate=announced_estimate(ticket),
        message=message,
    )


def _open_ticket(
    contact: InboundContact,
    match: ContactMatch,
    customer: Customer,
    decision: DedupDecision,
    *,
    now: datetime,
) -> ContactResult:
    body = _body(contact)
    prepared = ticket_prepare(
        customer=customer,
        subject=contact.subject,
        body_text=body,
        request_type=contact.request_type,
        channel=contact.channel,
        language=contact.language,
        custom_fields=contact.custom_fields,
        intake_key=contact.intake_key,
        team=contact.team,
        now=now,
    )
    incident = incident_for_intake(
        ticket=prepared.ticket,
        customer=customer,
        text=f"{contact.subject}\n{body}",
        hint=contact.incident_hint,
    )
    if incident is not None:
        prepared = ticket_prepare_for_incident(prepared, incident)
    ticket = prepared.ticket
    estimate = expected_wait(team=ticket.team, ticket=ticket, now=now)
    ticket.announced_wait_minutes = estimate.minutes
    to = contact.email
    acknowledge = bool(to) and contact.acknowledge and not contact.auto_submitted
    # A first contact's address cannot have had an acknowledgement yet.
    if acknowledge and match.customer is not None:
        acknowledge = not autoresponder_limit_reached(to=to)
    suggestions: list[MergeSuggestion] = []
    with transaction.atomic():
        customer_save_contact(match=match, customer=customer, name=contact.name, now=now)
        ticket = ticket_open(
            prepared=prepared,
            body_text=body,
            body_html=contact.body_html,
            attachments=contact.attachments,
            external_id=contact.external_id,
        )
        outcome = ContactOutcome.NEW
        if decision.action == "suggest" and decision.suggestions:
            outcome = ContactOutcome.SUGGESTED
            suggestions = MergeSuggestion.objects.bulk_create(
                [
                    MergeSuggestion(
                        ticket=ticket,
                        candidate=candidate.ticket,
                        score=candidate.score,
                        evidence=candidate.evidence,
                        created_at=now,
                    )
                    for candidate in decision.suggestions
                ]
            )
        row = Contact.objects.create(
            ticket=ticket,
            customer=customer,
            identity=_contact_identity(match),
            address=_address(match),
            message=prepared.message,
            channel=contact.channel,
            outcome=outcome,
            external_key=contact.external_key,
            evidence=decision.suggestions[0].evidence if suggestions else {},
            at=now,
        )
        if acknowledge:
            autoresponder_queue(ticket=ticket, to=to, estimate=estimate, now=now, check_limit=False)
    return ContactResult(
        ticket=ticket,
        contact=row,
        outcome=outcome,
        created=True,
        estimate=estimate,
        message=prepared.message,
        suggestions=suggestions,
    )


def _already_received(contact: InboundContact) -> ContactResult | None:
    """The result of the first delivery of this contact (same external key or form token)."""
    row = None
    if contact.external_key:
        row = (
            Contact.objects.filter(external_key=contact.external_key)
            .select_related("ticket")
            .first()
        )
    if row is not None:
        ticket = row.ticket
    elif contact.intake_key:
        found = Ticket.objects.filter(intake_key=contact.intake_key).first()
        if found is None:
            return None
        ticket = found
    else:
        return None
    return ContactResult(
        ticket=ticket,
        contact=row,
        outcome=row.outcome if row else ContactOutcome.NEW,
        created=False,
        estimate=announced_estimate(ticket),
        duplicate=True,
    )


def announced_estimate(ticket: Ticket) -> WaitEstimate:
    """The estimate announced when the ticket came in (form, mail and API show this one)."""
    minutes = ticket.announced_wait_minutes or 0
    return WaitEstimate(minutes=minutes, raw_minutes=float(minutes), ahead=0, basis="announced")
