"""Thin Huey tasks for crisis mode: ids in, call a service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .broadcasts import broadcast_advance, sending_broadcast_ids


@db_task(retries=3, retry_delay=10)
def advance_broadcast(broadcast_id: int) -> None:
    """Queue the next recipients of one broadcast (kicked when it is started or resumed)."""
    broadcast_advance(broadcast_id=broadcast_id)


# Periodic: every sending broadcast queues its next recipients at its rate (one minute's
# allowance per tick), and is marked done when nobody is left.
@db_periodic_task(crontab(minute="*"))
def advance_sending_broadcasts() -> None:
    for broadcast_id in sending_broadcast_ids():
        broadcast_advance(broadcast_id=broadcast_id)
