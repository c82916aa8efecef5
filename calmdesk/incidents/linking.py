"""Auto-linking of incoming requests to public incidents. CONTRACT — auto-linking work."""

from __future__ import annotations

from calmdesk.customers.models import Customer
from calmdesk.tickets.models import Ticket

from .models import Incident


def incident_for_intake(*, ticket: Ticket, customer: Customer, text: str) -> Incident | None:
    """The public incident this new (unsaved) request belongs to: the customer (by identity) or
    the booking reference in its custom fields is in the incident's segment, or the text
    mentions one of its keywords. Reads cached incidents; at most 1 query."""
    raise NotImplementedError
