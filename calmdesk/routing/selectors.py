"""READS for routing: which tickets need their date conditions looked at again."""

from __future__ import annotations

from datetime import datetime

from calmdesk.tickets.models import Ticket


def tickets_due_for_recheck(*, now: datetime, limit: int = 500) -> list[int]:
    """Ids of tickets whose ``triage_recheck_at`` has come, via its partial index."""
    return list(
        Ticket.objects.filter(triage_recheck_at__isnull=False, triage_recheck_at__lte=now)
        .order_by("triage_recheck_at")
        .values_list("pk", flat=True)[:limit]
    )
