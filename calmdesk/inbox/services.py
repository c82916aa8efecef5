"""Public intake: one submission → one ticket (or a follow-up of the customer's open ticket on
the same matter), acknowledged with an honest expected wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from calmdesk.conversations.models import ContactOutcome
from calmdesk.conversations.services import InboundContact, announced_estimate, contact_receive
from calmdesk.customers.models import IdentityKind
from calmdesk.staffing.selectors import WaitEstimate
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket

from .validation import CleanSubmission


@dataclass
class IntakeResult:
    ticket: Ticket
    created: bool  # False when the same intake key was submitted before, or on a follow-up
    estimate: WaitEstimate
    # ContactOutcome: "new", "suggested", or "follow_up" when the request was added to the
    # customer's open ticket on the same matter instead of opening another one.
    outcome: str = ContactOutcome.NEW
    # The address the submitter gave: a follow-up's confirmation names it (and nothing of the
    # ticket: the address is unverified, the submitter may not be the ticket's customer).
    email: str = ""

    @property
    def tracking_url(self) -> str:
        return tracking_url(self.ticket)

    @property
    def followed_up(self) -> bool:
        """The request was added to an open ticket: the submitter must not be shown it."""
        return self.outcome in (ContactOutcome.FOLLOW_UP, ContactOutcome.THREAD)


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

    The request is one contact (``conversations.services.contact_receive``): a known customer
    writing again on a matter that is still open is added to that ticket as a follow-up.
    Everything that only reads (matching the customer, triage, linking to a public incident,
    due times, the expected wait, the autoresponder limit) happens before the write
    transaction, which then holds only the inserts: in a surge, intakes queue on the
    database's write lock, not on Python.

    A request that belongs to a public incident (``incidents.linking``) is linked and tagged,
    goes to the incident's team — its wait is that team's queue — and gets the incident's
    acknowledgement (the policy in force and the crisis page). ``incident_hint`` is the slug
    of the crisis page whose form link the customer followed.

    A follow-up gets no acknowledgement; the ticket's own address is told instead ("we added
    your message to CD-…", at most once an hour) and the submitter sees neither the ticket's
    reference nor its link (``IntakeResult.followed_up``).

    Idempotent on ``intake_key``: a second submission with the same key returns the first
    outcome and creates nothing. The acknowledgement is never sent to auto-submitted mail.
    """
    result = contact_receive(
        InboundContact(
            channel=channel,
            identities=[
                (IdentityKind.EMAIL, submission.email),
                (IdentityKind.PHONE, submission.phone),
            ],
            name=submission.name,
            subject=submission.subject,
            body_text=submission.message,
            attachments=submission.attachments,
            language=submission.language,
            request_type=submission.request_type,
            custom_fields=submission.custom_fields,
            external_key=intake_key,
            intake_key=intake_key,
            auto_submitted=auto_submitted,
            incident_hint=incident_hint,
        ),
        now=now,
    )
    return IntakeResult(
        ticket=result.ticket,
        created=result.created,
        estimate=result.estimate,
        outcome=result.outcome,
        email=submission.email,
    )


__all__ = ["IntakeResult", "announced_estimate", "intake_submit", "tracking_url"]
