"""The seed's SLA policies (idempotent: existing rows, possibly edited by an admin, are kept)."""

from __future__ import annotations

from .models import SlaPolicy
from .services import DEFAULT_TARGETS


def install_default_policies() -> None:
    """One policy per priority; urgent alerts the lead after 3 days without an agent reply."""
    for priority, targets in DEFAULT_TARGETS.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_reply_minutes": targets.first_reply_minutes,
                "resolution_minutes": targets.resolution_minutes,
                "alert_after_minutes": targets.alert_after_minutes,
            },
        )
