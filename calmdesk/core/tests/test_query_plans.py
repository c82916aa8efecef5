"""The hot queries use their partial indexes. SQLite only does when the query states the index
condition literally (see core.lookups), so the plans are checked there; PostgreSQL's planner
matches parameters itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from calmdesk.accounts.models import Role
from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import AgentFactory, TeamFactory
from calmdesk.staffing.selectors import _queue
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.selectors import QueueFilters, View, queue_queryset

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite partial-index matching"),
]


def plan(qs: Any) -> str:
    return str(qs.explain())


def test_the_queue_reads_its_partial_index() -> None:
    lead = AgentFactory(profile__role=Role.LEAD)

    queue = plan(queue_queryset(user=lead, filters=QueueFilters(view=View.QUEUE))[:50])
    mine = plan(queue_queryset(user=lead, filters=QueueFilters(view=View.MINE))[:50])

    assert "USING INDEX ticket_queue_idx" in queue
    assert "ticket_assignee_queue_idx" in mine


def test_the_wait_count_reads_only_the_covering_index() -> None:
    team = TeamFactory()

    # What COUNT(*) reads: only indexed columns.
    count_plan = plan(_queue(team).filter(queue_score__gt=200).values("id"))

    assert "USING COVERING INDEX ticket_awaiting_reply_idx" in count_plan


def test_the_outbox_sweep_reads_its_partial_index() -> None:
    due = OutboxMessage.objects.filter(
        status__literal_in=("pending", "sending"), next_attempt_at__lte=timezone.now()
    )

    assert "outbox_due_idx" in plan(due.filter(status="pending"))


def test_the_submission_sweep_and_purge_read_their_partial_indexes() -> None:
    from calmdesk.inbox.models import Submission

    now = timezone.now()
    stale = Submission.objects.filter(state__literal_in=["filing"], claimed_at__lt=now)
    old = Submission.objects.filter(state__literal_in=["filed"], received_at__lt=now)

    assert "submission_filing_idx" in plan(stale)
    assert "submission_filed_idx" in plan(old.values("pk")[:2000])


def test_the_dedup_finds_tickets_by_booking_reference_through_its_index(
    django_assert_num_queries: Any,
) -> None:
    from calmdesk.conversations.dedup import nothing_to_compare, reference_candidates

    with django_assert_num_queries(2) as queries:
        reference_candidates(("XK7P2Q",), exclude_customer=None)
        nothing_to_compare(("XK7P2Q",), "", now=timezone.now())
    captured = [q["sql"] for q in queries.captured_queries]

    with connection.cursor() as cursor:
        for sql in captured:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH tickets_ticket USING INDEX ticket_booking_ref_idx" in steps, steps


def test_json_key_text_refuses_anything_but_a_plain_key() -> None:
    from calmdesk.core.lookups import JsonKeyText

    with pytest.raises(ValueError, match="plain key"):
        JsonKeyText("custom_fields", "x') OR 1=1 --")


def test_literal_in_refuses_anything_but_plain_choice_values() -> None:
    with pytest.raises(ValueError, match="plain choice values"):
        list(Ticket.objects.filter(status__literal_in=["new'); DROP TABLE x; --"]))


def test_statistics_refresh_writes_sqlite_stat1() -> None:
    from calmdesk.core.maintenance import sqlite_refresh_statistics

    assert sqlite_refresh_statistics() is True

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone() == (1,)
