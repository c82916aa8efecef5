"""The configured Huey storage (SQLite file embedded, Redis scaled out) carries real tasks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_enqueue


@pytest.fixture
def real_queue() -> Iterator[Any]:
    """Huey in queued mode against its configured storage, emptied before and after."""
    was_immediate = HUEY.immediate
    HUEY.immediate = False
    HUEY.flush()
    try:
        yield HUEY
    finally:
        HUEY.flush()
        HUEY.immediate = was_immediate


@pytest.mark.django_db(transaction=True)
def test_outbox_task_travels_through_the_queue_storage(real_queue: Any) -> None:
    row = outbox_enqueue(kind="test", to="q@example.com", delivery_key="q1", body_text="x")
    assert row is not None
    assert real_queue.pending_count() == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING

    task = real_queue.dequeue()
    real_queue.execute(task)

    assert real_queue.pending_count() == 0
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.SENT
