"""The outbox: written in the transaction, delivered after commit, never twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_deliver, outbox_enqueue, outbox_sweep

pytestmark = pytest.mark.django_db


def enqueue(key: str = "k1", to: str = "a@example.com") -> OutboxMessage | None:
    return outbox_enqueue(kind="test", to=to, delivery_key=key, subject="Hi", body_text="Body")


def test_message_is_delivered_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = enqueue()

    assert row is not None
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue()
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass

    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []


def test_same_delivery_key_is_queued_once() -> None:
    assert enqueue("same") is not None
    assert enqueue("same") is None
    assert OutboxMessage.objects.count() == 1


def test_delivering_twice_sends_once() -> None:
    row = enqueue()
    assert row is not None

    assert outbox_deliver(outbox_id=row.pk) == OutboxStatus.SENT
    assert outbox_deliver(outbox_id=row.pk) is None

    assert len(mail.outbox) == 1


def test_sweep_redrives_a_row_whose_task_was_lost() -> None:
    row = enqueue()  # no on_commit execution: as if the queue lost the task
    assert row is not None
    assert mail.outbox == []

    assert outbox_sweep(now=timezone.now() + timedelta(seconds=1)) == 1

    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert len(mail.outbox) == 1


def test_failure_backs_off_and_then_gives_up(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port: connection refused
    settings.EMAIL_TIMEOUT = 2
    settings.CALMDESK = {**settings.CALMDESK, "OUTBOX_MAX_ATTEMPTS": 2}
    row = enqueue()
    assert row is not None
    now = timezone.now()

    assert outbox_deliver(outbox_id=row.pk, now=now) == OutboxStatus.PENDING
    row.refresh_from_db()
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > now
    assert row.last_error.startswith("ConnectionRefusedError")

    assert outbox_deliver(outbox_id=row.pk, now=row.next_attempt_at) == OutboxStatus.FAILED
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 2


def test_crashed_sender_is_recovered_by_the_sweep() -> None:
    row = enqueue()
    assert row is not None
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENDING, next_attempt_at=timezone.now() - timedelta(minutes=1)
    )

    outbox_sweep()

    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
