"""SLA due times and alerts. CONTRACT — implemented by the rules work."""

from __future__ import annotations

from datetime import datetime

from calmdesk.accounts.models import Team


def sla_due_times(
    *, team: Team | None, priority: str, start: datetime
) -> tuple[datetime | None, datetime | None]:
    """(first reply due, resolution due) counted in the team's working hours from ``start``."""
    raise NotImplementedError


def sla_alert_due_at(*, priority: str, created_at: datetime) -> datetime | None:
    """When an unanswered ticket of this priority alerts its lead (None: never)."""
    raise NotImplementedError
