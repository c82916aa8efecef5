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
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from calmdesk.accounts.models import Team
from calmdesk.core.models import OutboxMessage
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.customers.merging import customer_link_verified
from calmdesk.customers.models import Customer, Identity, IdentityKind
from calmdesk.customers.services import ContactMatch, customer_match, customer_save_contact
from calmdesk.incidents.linking import incident_for_intake
from calmdesk.replies.services import autoresponder_limit_reached, autoresponder_queue
from calmdesk.staffing.selectors import WaitEstimate, expected_wait
from calmdesk.tickets.enums import Channel, TicketStatus
from calmdesk.tickets.models import Message, RequestType, Ticket
from calmdesk.tickets.services import (
    ticket_customer_reply,
    ticket_open,
    ticket_prepare,
    ticket_prepare_for_incident,
)

from .dedup import (
    ContactFeatures,
    DedupDecision,
    booking_reference_in,
    dedup_decide,
    references_in,
    searchable_name,
)
from .models import Contact, ContactOutcome, MergeSuggestion

BOOKING_REFERENCE_FIELD = "booking_reference"

# A follow-up that came by one of these channels is confirmed to the ticket's email address
# ("we added your message to CD-…", at most once an hour): the form and the API must not
# show the ticket to whoever typed the address, and a new email expects an answer. Chat,
# SMS and messaging continue the conversation where the customer is; phone calls are logged
# by an agent.
FOLLOW_UP_NOTICE_CHANNELS = frozenset({Channel.FORM, Channel.API, Channel.EMAIL})
FOLLOW_UP_NOTICE_KIND = "follow_up_notice"
FOLLOW_UP_NOTICE_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class Announced:
    """What intake told the customer before the request was filed: the team, the priority
    and the wait. The ticket repeats the wait only if it is filed into the same team at the
    same priority; otherwise its own, newly computed, wait is announced."""

    team_id: int | None
    priority: str
    minutes: int

    def estimate_for(self, ticket: Ticket) -> WaitEstimate | None:
        if ticket.team_id != self.team_id or ticket.priority != self.priority:
            return None
        return WaitEstimate(
            minutes=self.minutes, raw_minutes=float(self.minutes), ahead=0, basis="announced"
        )


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
    # A request accepted before it is filed (``inbox.Submission``): the ticket takes the id
    # reserved for it (its reference) and its private link, and repeats the wait announced
    # at intake when the filing routes it as intake did (``Announced``).
    reserved_ticket_id: int | None = None
    tracking_token: str = ""
    announced: Announced | None = None
    # The channel proves the sender owns the first identity (an SMS/WhatsApp sender number,
    # a Telegram chat id): it is stored as verified, and a customer already owning it is the
    # same person (``customers.merging.customer_link_verified``). Never for typed input.
    verified: bool = False

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
    # The "we added your message" email queued to the ticket's address (follow-ups only).
    notice: OutboxMessage | None = None

    @property
    def followed_up(self) -> bool:
        return self.outcome in (ContactOutcome.FOLLOW_UP, ContactOutcome.THREAD)


def contact_receive(contact: InboundContact, *, now: datetime | None = None) -> ContactResult:
    """Store one inbound contact where it belongs (module docstring). Reads and decides before
    one short write transaction, as the request form's intake always has.

    A typed identity does not hand over a customer: when the identity the contact came by is
    new and only one it typed is known (a chat's email, a form's phone), the contact gets a
    new customer owning its new identities, and the owner of the typed one is only suggested
    (``shares_identity``) — otherwise whoever types an address would, from then on, be its
    owner on that browser or address, and follow up into their tickets. Except on a thread
    of that very customer that the channel identified (an agent logging a call from a new
    number on the customer's ticket): there the channel vouches for the conversation."""
    now = now or timezone.now()
    match = customer_match(contact.identities)
    shared: ContactMatch | None = None
    thread = contact.thread
    if (
        match.customer is not None
        and not match.by_primary
        and (thread is None or thread.customer_id != match.customer.pk)
    ):
        shared = match
        match = ContactMatch(wanted=match.wanted, known=match.known)
    customer = match.customer or Customer(
        name=contact.name[:200],
        language=contact.language,
        created_at=now,
        shares_identity_with=shared.customer if shared is not None else None,
    )
    decision = _existing_conversation(contact, match, shared=shared, now=now)
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
    contact: InboundContact,
    match: ContactMatch,
    *,
    shared: ContactMatch | None = None,
    now: datetime,
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
    text = f"{contact.subject}\n{contact.body_text}"
    reference = contact.booking_reference
    # An unknown customer costs no query, unless the contact names a booking reference
    # (another customer's ticket on it: a family member, the same person's other address) or
    # a full name (one: other customers' active tickets under that name or family name).
    if (
        match.customer is None
        and shared is None
        and not reference
        and not searchable_name(contact.name)
        and not references_in(text)
    ):
        return DedupDecision(action="new")
    return dedup_decide(
        ContactFeatures(
            customer=match.customer,
            text=text,
            request_type=contact.request_type,
            booking_reference=reference,
            name=contact.name,
            channel=contact.channel,
            by_primary_identity=match.by_primary,
            identity_kind=match.matched_by[0] if match.matched_by else "",
            incident_slug=contact.incident_hint or "",
            shared_customer=shared.customer if shared is not None else None,
            shared_kind=shared.matched_by[0] if shared and shared.matched_by else "",
        ),
        now=now,
    )


def _follow_merges(ticket: Ticket) -> Ticket:
    """The ticket a thread continues, read afresh: a ticket object loaded before an agent
    merged it (a chat session's, a mail thread's) must still lead to the merge target."""
    seen: set[int] = set()
    current = Ticket.objects.filter(pk=ticket.pk).first() or ticket
    while current.pk not in seen:
        seen.add(current.pk)
        if not current.merged_into_id or current.merged_into_id in seen:
            break
        target = Ticket.objects.filter(pk=current.merged_into_id).first()
        if target is None:
            break
        current = target
    return current


def _save_customer(
    contact: InboundContact, match: ContactMatch, customer: Customer, *, now: datetime
) -> Customer:
    """Store the customer and the contact's new identities (in the contact's transaction)."""
    return customer_save_contact(match=match, customer=customer, name=contact.name, now=now)


def _link_verified(contact: InboundContact, match: ContactMatch, customer: Customer) -> bool:
    """A verified contact proves its first identity (``InboundContact.verified``): store it as
    verified; if another customer owns it, the two are one person and are merged (the newer
    into the older). Call at the end of the contact's transaction, once its ticket and contact
    rows exist, so a merge moves them too. True when the customer was merged away."""
    if not contact.verified or not match.wanted:
        return False
    kind, value = match.wanted[0]
    known = match.known.get((kind, value))
    if known is not None and known.verified and known.customer_id == customer.pk:
        return False
    linked = customer_link_verified(customer=customer, kind=kind, value=value)
    return linked.merge is not None


def _contact_identity(match: ContactMatch) -> Identity | None:
    """The stored identity the contact came by, when it was stored before this contact."""
    return match.known.get(match.wanted[0]) if match.wanted else None


def _address(match: ContactMatch) -> str:
    return match.wanted[0][1][:320] if match.wanted else ""


def _custom_fields(contact: InboundContact) -> dict[str, Any]:
    """The contact's fields; a booking reference named in the text of a channel without the
    field (email, SMS, chat, …) is kept as the ticket's booking reference."""
    if BOOKING_REFERENCE_FIELD in contact.custom_fields:
        return contact.custom_fields
    found = booking_reference_in(f"{contact.subject}\n{contact.body_text}")
    if not found:
        return contact.custom_fields
    return {**contact.custom_fields, BOOKING_REFERENCE_FIELD: found}


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
        customer = _save_customer(contact, match, customer, now=now)
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
        notice = None
        if (
            outcome == ContactOutcome.FOLLOW_UP
            and contact.channel in FOLLOW_UP_NOTICE_CHANNELS
            and contact.acknowledge
            and not contact.auto_submitted
        ):
            notice = follow_up_notice_queue(ticket=ticket, message=message, now=now)
        if _link_verified(contact, match, customer):
            row.refresh_from_db()
    ticket.refresh_from_db()
    return ContactResult(
        ticket=ticket,
        contact=row,
        outcome=outcome,
        created=False,
        estimate=announced_estimate(ticket),
        message=message,
        notice=notice,
    )


def follow_up_notice_queue(
    *, ticket: Ticket, message: Message, now: datetime | None = None
) -> OutboxMessage | None:
    """Tell the ticket's own address that a new message was added to it (with the tracking
    link), at most once per ``FOLLOW_UP_NOTICE_INTERVAL`` per address. Call inside the
    follow-up's transaction.

    The submitter of a form or an API request may not be the ticket's customer (the address
    typed is unverified), so the reference and the link go only to the address we already
    answer at, never back to the submitter."""
    from calmdesk.inbox.services import tracking_url  # inbox imports this module
    from calmdesk.replies.services import ack_message_id

    to = ticket.customer.primary_email
    if not to:
        return None
    since = timezone.now() - FOLLOW_UP_NOTICE_INTERVAL
    if OutboxMessage.objects.filter(
        to=to, kind=FOLLOW_UP_NOTICE_KIND, created_at__gte=since
    ).exists():
        return None
    language = ticket.language if ticket.language else "en"
    team = ticket.team
    with override(language):
        subject = _("We added your message to your request [%(reference)s]") % {
            "reference": ticket.reference
        }
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": ticket.customer.name}
                if ticket.customer.name
                else _("Hello,"),
                _(
                    "We received your new message and added it to your open request "
                    "%(reference)s (%(subject)s), so that everything about it stays in one "
                    "conversation. Your request keeps its place in the queue; you do not need "
                    "to write again."
                )
                % {"reference": ticket.reference, "subject": ticket.subject},
                _("Follow your request and write to us here: %(url)s")
                % {"url": tracking_url(ticket)},
                _(
                    "If you did not write to us, you can ignore this email: only you receive "
                    "the link to your request."
                ),
                team.name if team is not None else _("Customer service"),
            ]
        )
    thread = ack_message_id(ticket)
    return outbox_enqueue(
        kind=FOLLOW_UP_NOTICE_KIND,
        to=to,
        delivery_key=f"{FOLLOW_UP_NOTICE_KIND}:{message.pk}",
        subject=subject,
        body_text=body + "\n",
        headers={
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
            "In-Reply-To": thread,
            "References": thread,
        },
        from_address=formataddr((team.name, team.email)) if team and team.email else "",
        reply_to=team.email if team and team.email else "",
        ticket_id=ticket.pk,
    )


SUBJECT_CHARS = 100


def subject_from_text(text: str, *, limit: int = SUBJECT_CHARS) -> str:
    """A subject for a channel without one (SMS, messaging, chat): the first line of the
    customer's text, cut at a word with an ellipsis ("" when there is no text)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = " ".join(first.split())
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


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
        subject=contact.subject.strip() or subject_from_text(contact.body_text),
        body_text=body,
        request_type=contact.request_type,
        channel=contact.channel,
        language=contact.language,
        custom_fields=_custom_fields(contact),
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
    if contact.reserved_ticket_id is not None:
        ticket.pk = contact.reserved_ticket_id
    if contact.tracking_token:
        ticket.tracking_token = contact.tracking_token
    announced = contact.announced.estimate_for(ticket) if contact.announced else None
    estimate = announced or expected_wait(team=ticket.team, ticket=ticket, now=now)
    ticket.announced_wait_minutes = estimate.minutes
    to = contact.email
    acknowledge = bool(to) and contact.acknowledge and not contact.auto_submitted
    # A first contact's address cannot have had an acknowledgement yet.
    if acknowledge and match.customer is not None:
        acknowledge = not autoresponder_limit_reached(to=to)
    suggestions: list[MergeSuggestion] = []
    with transaction.atomic():
        _save_customer(contact, match, customer, now=now)
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
        if _link_verified(contact, match, customer):
            ticket.refresh_from_db()
            row.refresh_from_db()
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
