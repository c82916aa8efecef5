"""READS for the lead's incident screens (list and detail), in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from calmdesk.customers.segments import customers_in_segment

from .models import Broadcast, Incident, IncidentEvent, IncidentUpdate


def incident_list() -> QuerySet[Incident]:
    """Every incident, newest first, with its texts, team and number of linked tickets."""
    return (
        Incident.objects.select_related("team")
        .prefetch_related("texts")
        .annotate(ticket_count=Count("tickets"))
        .order_by("-declared_at", "-id")
    )


def incident_by_slug(slug: str) -> Incident | None:
    return (
        Incident.objects.select_related("team", "request_type", "declared_by__agent")
        .prefetch_related("texts")
        .filter(slug=slug)
        .first()
    )


@dataclass(frozen=True)
class IncidentPage:
    incident: Incident
    updates: list[IncidentUpdate]
    events: list[IncidentEvent]
    broadcasts: list[Broadcast]
    ticket_count: int
    affected_customers: int | None


def incident_page(*, incident: Incident) -> IncidentPage:
    """Everything the incident's lead page shows. ``affected_customers`` is None when the
    incident has no segment (it selects nobody)."""
    updates = list(
        IncidentUpdate.objects.filter(incident=incident)
        .select_related("posted_by__agent", "broadcast")
        .order_by("-posted_at", "-id")
    )
    events = list(
        IncidentEvent.objects.filter(incident=incident)
        .select_related("actor__agent")
        .order_by("-at", "-id")
    )
    broadcasts = list(Broadcast.objects.filter(incident=incident).order_by("-created_at", "-id"))
    ticket_count = incident.tickets.count()
    affected = customers_in_segment(incident.segment).count() if incident.segment else None
    return IncidentPage(
        incident=incident,
        updates=updates,
        events=events,
        broadcasts=broadcasts,
        ticket_count=ticket_count,
        affected_customers=affected,
    )


def event_lookups(events: list[IncidentEvent]) -> dict[str, dict[Any, Any]]:
    """Names of the teams and request types that events refer to (one query each, if any)."""
    from calmdesk.accounts.models import Team
    from calmdesk.tickets.models import RequestType

    team_ids: set[int] = set()
    type_ids: set[int] = set()
    for event in events:
        data = event.data or {}
        for key, ids in (("team", team_ids), ("request_type", type_ids)):
            value = data.get(key)
            if isinstance(value, dict):
                ids.update(v for v in (value.get("from"), value.get("to")) if isinstance(v, int))
            elif isinstance(value, int):
                ids.add(value)
    teams = {t.pk: t for t in Team.objects.filter(pk__in=team_ids)} if team_ids else {}
    types = {r.pk: r for r in RequestType.objects.filter(pk__in=type_ids)} if type_ids else {}
    return {"team": teams, "request_type": types}
