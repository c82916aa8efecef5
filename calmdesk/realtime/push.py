"""Push helpers: send an event to a Channels group, after the current transaction commits.

No domain logic here: callers build the event (a TypedDict per event type) and name the group.
A push is best effort (a socket may be gone); what matters is stored in the database first, and
every client re-syncs from it when it reconnects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def push_now(group: str, event: Mapping[str, Any]) -> None:
    """Send ``event`` to every socket in ``group`` now (from synchronous code)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, dict(event))
    except Exception:  # a push is best effort: the clients re-sync from the database
        log.exception("push to %s failed", group)


def push_on_commit(group: str, event: Mapping[str, Any]) -> None:
    """Send ``event`` to ``group`` once the current transaction has committed (at once outside
    a transaction); nothing is sent when it rolls back."""
    payload = dict(event)
    transaction.on_commit(lambda: push_now(group, payload))
