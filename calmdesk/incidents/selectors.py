"""READS for crisis mode. Public incidents are read on every public page and every intake, so
they are kept per process and reloaded everywhere when an incident changes."""

from __future__ import annotations

from calmdesk.core.config_cache import ProcessCache

from .models import PUBLIC_STATUSES, Incident


def _load_public_incidents() -> tuple[Incident, ...]:
    return tuple(
        Incident.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("team", "request_type")
        .prefetch_related("texts")
        .order_by("-declared_at")
    )


PUBLIC_INCIDENTS: ProcessCache[tuple[Incident, ...]] = ProcessCache(
    "public-incidents", _load_public_incidents, ttl=30
)


def public_incidents() -> tuple[Incident, ...]:
    """Active and monitoring incidents, newest first, with their texts (no query when cached)."""
    return PUBLIC_INCIDENTS.get()
