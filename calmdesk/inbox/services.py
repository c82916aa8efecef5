"""Public intake: one submission → one ticket, acknowledged with an honest expected wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from calmdesk.customers.models import Customer
from calmdesk.customers.services import customer_find, customer_save_contact
from calmdesk.incidents.linking import incident_for_intake
from calmdesk.replies.services import autoresponder_limit_reached, autoresponder_queue
from calmdesk.staffing.selectors import WaitEstimate, expected_wait
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import ticket_open, ticket_prepare, ticket_prepare_for_incident

from .validation import CleanSubmission


@dataclass
class IntakeResult:
    ticket: Ticket
    created: bool  # False when the same intake key was submitted before
    estimate: WaitEstimate

    @property
    def tracking_url(self) -> str:
        return tracking_url(self.ticket)


def tracking_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("inbox:track", args=[ticket.tracking_token])


def intake_submit(
    *,
    submission: CleanSubmission,
    channel: str = Channel.FORM,
    intake_key: str | None = None,
    auto_submitted: bool = False,
    incident_hint: str | None = None,
    now: datetime | None = None,
) -> IntakeResult:
    """Store the request, triage it, estimate the wait and queue the acknowledgement.

    Everything that only reads (matching the customer, triage, linking to a public incident,
    due times, the expected wait, the autoresponder limit) happens before the write
    transaction, which then holds only the inserts: in a surge, intakes queue on the
    database's write lock, not on Python.

    A request that belongs to a public incident (``incidents.linking``) is linked and tagged,
    goes to the incident's team — its wait is that team's queue — and gets the incident's
    acknowledgement (the policy in force and the crisis page). ``incident_hint`` is the slug
    of the crisis page whose form link the customer followed.

    Idempotent on ``intake_key``: a second submission with the same key returns the first
    ticket and creates nothing. The acknowledgement is never sent to auto-submitted mail.
    """
    now = now or timezone.now()
    match = customer_find(email=submission.email, phone=submission.phone)
    customer = match.customer or Customer(
        name=submission.name[:200], language=submission.language, created_at=now
    )
    prepared = ticket_prepare(
        customer=customer,
        subject=submission.subject,
        body_text=submission.message,
        request_type=submission.request_type,
        channel=channel,
        language=submission.language,
        custom_fields=submission.custom_fields,
        intake_key=intake_key,
        now=now,
    )
    incident = incident_for_intake(
        ticket=prepared.ticket,
        customer=customer,
        text=f"{submission.subject}\n{submission.message}",
        hint=incident_hint,
    )
    if incident is not None:
        prepared = ticket_prepare_for_incident(prepared, incident)
    ticket = prepared.ticket
    estimate = expected_wait(team=ticket.team, ticket=ticket, now=now)
    ticket.announced_wait_minutes = estimate.minutes
    # A first contact's address cannot have had an acknowledgement yet.
    acknowledge = bool(submission.email) and not auto_submitted
    if acknowledge and match.customer is not None:
        acknowledge = not autoresponder_limit_reached(to=submission.email)
    try:
        with transaction.atomic():
            customer_save_contact(match=match, customer=customer, name=submission.name, now=now)
            ticket = ticket_open(
                prepared=prepared, body_text=submission.message, attachments=submission.attachments
            )
            if acknowledge:
                autoresponder_queue(
                    ticket=ticket,
                    to=submission.email,
                    estimate=estimate,
                    now=now,
                    check_limit=False,
                )
    except IntegrityError:
        existing = Ticket.objects.filter(intake_key=intake_key).first() if intake_key else None
        if existing is None:
            raise
        return IntakeResult(existing, False, announced_estimate(existing))
    return IntakeResult(ticket, True, estimate)


def announced_estimate(ticket: Ticket) -> WaitEstimate:
    """The estimate announced when the ticket came in (form, mail and API show this one)."""
    minutes = ticket.announced_wait_minutes or 0
    return WaitEstimate(minutes=minutes, raw_minutes=float(minutes), ahead=0, basis="announced")
