"""The only writer of ticket event rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from .enums import ActorKind, EventType
from .models import Ticket, TicketEvent

Actor = AbstractBaseUser | AnonymousUser | None


def record_event(
    ticket: Ticket,
    type: EventType,
    *,
    actor: Actor = None,
    actor_kind: ActorKind | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Append one structured event (who, what, when, before/after in ``data``)."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    kind = actor_kind or (ActorKind.AGENT if user else ActorKind.SYSTEM)
    return TicketEvent.objects.create(
        ticket=ticket,
        type=type,
        actor_kind=kind,
        actor_user=user,  # type: ignore[misc]
        at=at or timezone.now(),
        data=data or {},
    )
