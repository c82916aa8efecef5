"""Broadcasts: one message per language to every customer of a segment. CONTRACT — broadcasts.

Sending is resumable and idempotent: recipients are materialised once (unique per customer),
each becomes one outbox row with delivery key ``broadcast:<broadcast>:<recipient>``, and a
periodic task advances sending broadcasts at their rate.
"""

from __future__ import annotations

from typing import Any

from .models import Broadcast, Incident


def broadcast_create(
    *,
    actor: Any,
    name: str,
    channel: str,
    segment: dict[str, Any],
    templates: dict[str, dict[str, str]],  # {lang: {"subject": ..., "body": ...}}
    incident: Incident | None = None,
    rate_per_minute: int = 600,
) -> Broadcast:
    raise NotImplementedError


def broadcast_start(*, broadcast: Broadcast, actor: Any) -> Broadcast:
    raise NotImplementedError
