"""Expected wait to a first reply. CONTRACT — implemented by the rules work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from calmdesk.accounts.models import Team
from calmdesk.tickets.models import Ticket


@dataclass(frozen=True)
class WaitEstimate:
    minutes: int  # the announced, padded and rounded-up figure
    raw_minutes: float  # the model's unpadded figure
    ahead: int  # tickets ahead in the team's queue
    basis: str  # "history" (measured throughput) or "default" (no history yet)

    def label(self) -> str:
        """ "within about 6 hours" in the active language."""
        raise NotImplementedError


def expected_wait(
    *, team: Team | None, ticket: Ticket | None = None, now: datetime
) -> WaitEstimate:
    """The expected time to a first reply for a new (or this) ticket in ``team``'s queue."""
    raise NotImplementedError
