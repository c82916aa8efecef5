"""WRITES for incidents: declare, edit, change status, post updates. CONTRACT — lead UI work.

Every change appends an IncidentEvent and invalidates the public-incident cache (the model's
save does that).
"""

from __future__ import annotations

from typing import Any

from calmdesk.accounts.models import Team
from calmdesk.tickets.models import RequestType

from .models import Incident, IncidentUpdate


def incident_declare(
    *,
    actor: Any,
    slug: str,
    team: Team | None,
    languages: list[str],
    texts: dict[str, dict[str, str]],  # {lang: {title, summary, what_to_do, policy, guidance}}
    segment: dict[str, Any] | None = None,
    keywords: list[str] | None = None,
    request_type: RequestType | None = None,
) -> Incident:
    raise NotImplementedError


def incident_set_status(*, incident: Incident, status: str, actor: Any) -> Incident:
    raise NotImplementedError


def incident_post_update(
    *, incident: Incident, actor: Any, texts: dict[str, str], send_to_affected: bool = False
) -> IncidentUpdate:
    """Post a dated update; with ``send_to_affected`` it is also broadcast by email to the
    incident's segment (``broadcasts.broadcast_create`` + ``broadcast_start``)."""
    raise NotImplementedError
