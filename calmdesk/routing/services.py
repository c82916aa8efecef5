"""Triage: evaluate the ordered rules against a ticket. CONTRACT — implemented by the rules work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from calmdesk.accounts.models import Team
from calmdesk.tickets.models import Ticket


@dataclass
class TriageOutcome:
    """What the rules decided. None means "no rule said anything about it"."""

    priority: str | None = None
    team: Team | None = None
    tags: list[str] = field(default_factory=list)
    boost: int = 0
    matched: list[str] = field(default_factory=list)  # names of the rules that matched
    # The earliest moment a date condition could change its answer (e.g. departure - 7 days).
    recheck_at: datetime | None = None


def triage_evaluate(*, ticket: Ticket, text: str, now: datetime) -> TriageOutcome:
    """Evaluate active rules in order against ``ticket`` (its type, custom fields, channel,
    language, customer attributes) and ``text`` (subject + first message). Pure: writes nothing."""
    raise NotImplementedError
