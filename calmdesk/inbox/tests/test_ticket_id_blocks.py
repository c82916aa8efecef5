"""SQLite: ticket ids reserved ahead in a surge, one at a time at a calm pace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calmdesk.core.testing.factories import make_ticket
from calmdesk.inbox import services
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.services import TicketIdBlocks, intake_accept, submissions_file
from calmdesk.inbox.validation import validate_submission
from calmdesk.routing.defaults import install_default_rules
from calmdesk.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the blocks are used in autocommit mode only
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite only (PostgreSQL takes nextval)"
    ),
]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counter() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tickets_ticket'")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def take(blocks: TicketIdBlocks, n: int = 1) -> list[int]:
    with connection.cursor() as cursor:
        return [blocks.take(cursor) for _ in range(n)]


def reservations(captured: CaptureQueriesContext) -> int:
    return sum(q["sql"].startswith("UPDATE sqlite_sequence") for q in captured.captured_queries)


def test_at_a_calm_pace_every_request_reserves_the_next_id() -> None:
    clock = Clock()
    blocks = TicketIdBlocks(clock=clock)
    ids = []
    for _ in range(4):
        ids += take(blocks)
        clock.now += 2  # one request every two seconds
        assert counter() == ids[-1]  # nothing reserved ahead
    assert ids == list(range(ids[0], ids[0] + 4))


def test_in_a_surge_blocks_grow_and_no_other_ticket_takes_a_reserved_id() -> None:
    blocks = TicketIdBlocks(clock=Clock(), most=8)
    with CaptureQueriesContext(connection) as captured:
        ids = take(blocks, 10)
        # Another channel opens a ticket meanwhile.
        other = make_ticket()
        ids += take(blocks, 30)

    assert len(set(ids)) == 40
    assert ids == sorted(ids)
    assert other.pk not in ids
    assert other.pk > max(ids[:10])
    # Blocks of 1, 2, 4, 8, 8, …: 40 ids in 8 counter updates instead of 40.
    assert reservations(captured) == 8


def test_ids_left_in_an_old_block_are_dropped_and_the_pace_starts_again() -> None:
    clock = Clock()
    blocks = TicketIdBlocks(clock=clock, lifetime=1.0)
    first = take(blocks, 4)  # blocks of 1, 2, then 4 reserved with one of them used
    assert counter() == first[0] + 6

    clock.now += 1.5  # the surge is over
    later = take(blocks)

    # The three ids left are skipped, and the next reservation is a single id again.
    assert later == [first[0] + 7]
    assert counter() == later[0]


def test_a_forked_process_does_not_use_its_parents_block(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = TicketIdBlocks(clock=Clock())
    parent = take(blocks, 2)  # the second took a block of two: one id left
    monkeypatch.setattr(services.os, "getpid", lambda: -1)

    child = take(blocks)

    assert child == [parent[-1] + 2]  # not the parent's leftover parent[-1] + 1


def test_a_burst_of_requests_makes_one_counter_update_for_several_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_default_form()
    install_default_rules()
    departure = (timezone.localdate() + timedelta(days=3)).isoformat()

    def request(n: int) -> Any:
        data = {
            "name": f"Rūta Kazlauskienė {n}",
            "email": f"ruta{n}@example.com",
            "request_type": "refund",
            "departure_date": departure,
            "booking_reference": f"LT{n:04d}",
            "message": "The ferry to Klaipėda was cancelled. Please refund the tickets.",
        }
        submission = validate_submission(data, [], language="lt")
        return intake_accept(submission=submission, file=False).submission

    # A process that has not reserved yet (the module's own blocks are left as they were).
    monkeypatch.setattr(services, "_SQLITE_TICKET_IDS", TicketIdBlocks())
    with CaptureQueriesContext(connection) as captured:
        rows = [request(n) for n in range(15)]

    assert reservations(captured) == 4  # blocks of 1, 2, 4 and 8
    assert len({row.pk for row in rows}) == 15
    submissions_file()
    assert sorted(Ticket.objects.values_list("pk", flat=True)) == sorted(row.pk for row in rows)
