"""Public intake: one submission → one ticket, acknowledged with an honest expected wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from calmdesk.customers.services import customer_for_contact
from calmdesk.replies.services import autoresponder_queue
from calmdesk.staffing.selectors import WaitEstimate, expected_wait
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import ticket_create

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
    now: datetime | None = None,
) -> IntakeResult:
    """Store the request, triage it, estimate the wait and queue the acknowledgement.

    Idempotent on ``intake_key``: a second submission with the same key returns the first
    ticket and creates nothing. The acknowledgement is never sent to auto-submitted mail.
    """
    now = now or timezone.now()
    if intake_key:
        existing = Ticket.objects.filter(intake_key=intake_key).select_related("team").first()
        if existing is not None:
            return IntakeResult(
                existing, False, expected_wait(team=existing.team, ticket=existing, now=now)
            )
    try:
        with transaction.atomic():
            customer = customer_for_contact(
                name=submission.name,
                email=submission.email,
                phone=submission.phone,
                language=submission.language,
                now=now,
            )
            ticket = ticket_create(
                customer=customer,
                subject=submission.subject,
                body_text=submission.message,
                request_type=submission.request_type,
                channel=channel,
                language=submission.language,
                custom_fields=submission.custom_fields,
                attachments=submission.attachments,
                intake_key=intake_key,
                now=now,
            )
            estimate = expected_wait(team=ticket.team, ticket=ticket, now=now)
            ticket.announced_wait_minutes = estimate.minutes
            ticket.save(update_fields=["announced_wait_minutes"])
            if submission.email and not auto_submitted:
                autoresponder_queue(ticket=ticket, to=submission.email, estimate=estimate, now=now)
    except IntegrityError:
        if not intake_key:
            raise
        existing = Ticket.objects.select_related("team").get(intake_key=intake_key)
        return IntakeResult(
            existing, False, expected_wait(team=existing.team, ticket=existing, now=now)
        )
    return IntakeResult(ticket, True, estimate)
