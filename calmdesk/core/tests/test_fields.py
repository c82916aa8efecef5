"""Calmdesk's own model fields."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from calmdesk.inbox.models import Submission

pytestmark = pytest.mark.django_db


def _submission(pk: int) -> Submission:
    return Submission.objects.create(
        id=pk,
        received_at=timezone.now(),
        channel="api",
        tracking_token=f"token-{pk}",
        language="en",
        priority="normal",
        wait_minutes=60,
    )


def test_an_assigned_big_primary_key_keeps_all_64_bits() -> None:
    big = 2**62 + 12345

    _submission(big)

    assert Submission.objects.get(pk=big).pk == big


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's rowid")
def test_on_sqlite_the_assigned_key_is_the_rowid_with_no_index_of_its_own() -> None:
    _submission(41)

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pragma_index_list('inbox_submission') WHERE origin = 'pk'")
        pk_indexes = cursor.fetchall()
        cursor.execute("SELECT rowid, id FROM inbox_submission")
        rows = cursor.fetchall()

    assert pk_indexes == []
    assert rows == [(41, 41)]
