"""Templated customer mail. CONTRACT — implemented by the rules work."""

from __future__ import annotations

from calmdesk.core.models import OutboxMessage
from calmdesk.staffing.selectors import WaitEstimate
from calmdesk.tickets.models import Message, Ticket


def autoresponder_queue(*, ticket: Ticket, to: str, estimate: WaitEstimate) -> OutboxMessage | None:
    """Queue the acknowledgement (in the ticket's language) through the outbox, unless the
    per-address hourly limit is reached. Call inside the intake transaction."""
    raise NotImplementedError


def agent_reply_queue(*, ticket: Ticket, message: Message, to: str) -> OutboxMessage | None:
    """Queue the email that carries an agent's reply to the customer."""
    raise NotImplementedError
