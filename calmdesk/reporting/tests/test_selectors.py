"""The dashboard's figures on a small known history (see conftest.py), and their query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.testing.factories import CustomerFactory, make_ticket
from calmdesk.incidents.models import RecipientStatus
from calmdesk.reporting.selectors import (
    backlog_now,
    backlog_over_time,
    broadcast_progress,
    expected_waits,
    first_reply_median,
    inbound_volume,
    incident_dashboard,
    incident_window,
    top_request_types,
)
from calmdesk.tickets.models import Ticket

from .conftest import DECLARED, NOW, History, at
from .factories import BroadcastFactory, IncidentFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")


def test_window_runs_from_declaration_to_now_hour_by_hour(history: History) -> None:
    window = incident_window(incident=history.incident, now=NOW)

    assert window.start == DECLARED
    assert window.end == NOW
    assert window.hours == tuple(at(h) for h in (6, 7, 8, 9, 10))


def test_window_of_a_resolved_incident_ends_when_it_was_resolved(history: History) -> None:
    history.incident.resolved_at = at(8, 15)

    window = incident_window(incident=history.incident, now=NOW)

    assert window.end == at(8, 15)
    assert window.hours == (at(6), at(7), at(8))


def test_window_covers_at_most_the_last_14_days() -> None:
    incident = IncidentFactory.build(declared_at=NOW - timedelta(days=30))

    window = incident_window(incident=incident, now=NOW)

    assert window.start == NOW - timedelta(days=14)
    assert len(window.hours) == 14 * 24 + 1


def test_inbound_volume_counts_new_requests_and_customer_messages_per_channel_per_hour(
    history: History, django_assert_num_queries: Any
) -> None:
    window = incident_window(incident=history.incident, now=NOW)

    with django_assert_num_queries(1):
        volume = inbound_volume(incident=history.incident, window=window)

    # 06: t1 form, t2 email · 07: t3 email (the unlinked ticket is left out) · 08: t3 by SMS,
    # t4 form · 09: t5 chat · 10: t4's customer writes again (form).
    assert {s.channel: s.counts for s in volume.series} == {
        "form": (1, 0, 1, 0, 1),
        "email": (1, 1, 0, 0, 0),
        "chat": (0, 0, 0, 1, 0),
        "sms": (0, 0, 1, 0, 0),
    }
    assert [s.channel for s in volume.series] == ["form", "email", "chat", "sms"]
    assert [s.label for s in volume.series] == ["Web form", "Email", "Chat", "SMS"]
    assert volume.total == 7
    assert volume.per_hour() == (2, 1, 2, 1, 1)


def test_inbound_volume_hours_are_cut_in_the_viewers_time_zone(history: History) -> None:
    # Tehran is UTC+3:30: the first hour is 09:00–10:00 Tehran = 05:30–06:30 UTC.
    window = incident_window(incident=history.incident, now=NOW, tz=TEHRAN)

    volume = inbound_volume(incident=history.incident, window=window)

    assert window.hours[0] == datetime(2025, 3, 3, 9, 0, tzinfo=TEHRAN)
    assert len(window.hours) == 6  # 09:00 … 14:00 Tehran (now is 14:00 Tehran)
    assert {s.channel: s.counts for s in volume.series} == {
        "form": (1, 0, 0, 1, 1, 0),  # t1 06:10, t4 08:30, t4 again 10:15 UTC
        "email": (0, 2, 0, 0, 0, 0),  # t2 06:40 and t3 07:20 UTC: one Tehran hour
        "chat": (0, 0, 0, 0, 1, 0),  # t5 09:45 UTC
        "sms": (0, 0, 1, 0, 0, 0),  # t3 08:05 UTC
    }


def test_backlog_now_counts_linked_waiting_tickets_by_age(
    history: History, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        backlog = backlog_now(incident=history.incident, now=NOW)

    # Waiting: old (2 days), t1 (4h20), t2 (3h50), t3 (3h10), t4 reopened (2h), t5 (45 min).
    assert backlog.total == 6
    assert [(b.key, b.count) for b in backlog.ages] == [
        ("lt1h", 1),
        ("1to4h", 3),
        ("4to24h", 1),
        ("1to3d", 1),
        ("gt3d", 0),
    ]
    assert [b.label for b in backlog.ages] == [
        "under 1 hour",
        "1–4 hours",
        "4–24 hours",
        "1–3 days",
        "over 3 days",
    ]


def test_backlog_age_bucket_boundaries_belong_to_the_older_bucket(history: History) -> None:
    t5 = history.tickets["t5"]  # created 09:45

    backlog = backlog_now(incident=history.incident, now=t5.created_at + timedelta(hours=1))

    assert backlog.ages[0].count == 0  # exactly one hour old is "1–4 hours"


def test_backlog_over_time_is_created_minus_solved_and_counts_reopened_again(
    history: History, django_assert_num_queries: Any
) -> None:
    window = incident_window(incident=history.incident, now=NOW)

    with django_assert_num_queries(2):
        series = backlog_over_time(incident=history.incident, window=window)

    # Before: old (1) · 06: +t1 +t2 · 07: +t3 · 08: +t4 · 09: −t4 solved, +t5 · 10: +t4 reopened
    assert series == (3, 4, 5, 5, 6)
    assert series[-1] == backlog_now(incident=history.incident, now=NOW).total


def test_expected_wait_for_the_incident_team_first_then_every_team_with_linked_tickets(
    history: History, django_assert_num_queries: Any
) -> None:
    # Teams query, then per team: tickets ahead, replies in the history, agents (no history).
    with django_assert_num_queries(1 + 3 * 3):
        waits = expected_waits(incident=history.incident, now=NOW)

    assert [(w.team.slug, w.is_incident_team) for w in waits] == [
        ("crisis", True),
        ("refunds", False),
        ("changes", False),
    ]
    # Awaiting a first reply: refunds has "old" and t4 is replied; the unlinked refund too.
    assert {w.team.slug: w.wait.ahead for w in waits} == {"crisis": 0, "changes": 0, "refunds": 2}
    assert all(w.wait.minutes > 0 for w in waits)


def test_expected_waits_read_cached_throughput_in_one_query_per_team(
    history: History, django_assert_num_queries: Any
) -> None:
    expected_waits(incident=history.incident, now=NOW)

    with django_assert_num_queries(1 + 3):
        expected_waits(incident=history.incident, now=NOW)


def test_broadcast_progress_counts_recipients_by_status(
    history: History, django_assert_num_queries: Any
) -> None:
    notice = BroadcastFactory(incident=history.incident, name="Ferry notice", created_at=at(7))
    statuses = (
        [RecipientStatus.SENT] * 3
        + [RecipientStatus.FAILED, RecipientStatus.BOUNCED, RecipientStatus.SKIPPED]
        + [RecipientStatus.QUEUED] * 2
        + [RecipientStatus.PENDING] * 3
    )
    for status in statuses:
        notice.recipients.create(customer=CustomerFactory(), status=status, address="x@y.test")
    BroadcastFactory(incident=history.incident, name="Draft", created_at=at(9))
    elsewhere = BroadcastFactory(incident=IncidentFactory(), name="Elsewhere")
    elsewhere.recipients.create(customer=CustomerFactory(), status=RecipientStatus.SENT)

    with django_assert_num_queries(1 + 2):
        progress = broadcast_progress(incident=history.incident)

    assert [p.broadcast.name for p in progress] == ["Draft", "Ferry notice"]
    draft, ferry = progress
    assert (draft.total, draft.done, draft.percent) == (0, 0, 0)
    assert (ferry.total, ferry.waiting, ferry.queued, ferry.sent) == (11, 3, 2, 3)
    assert (ferry.failed, ferry.bounced, ferry.skipped) == (1, 1, 1)
    assert (ferry.done, ferry.percent) == (6, 54)


def test_broadcast_progress_follows_queued_recipients_to_their_outbox_row(
    history: History,
) -> None:
    notice = BroadcastFactory(incident=history.incident, name="Ferry notice")
    for n, outbox_status in enumerate((OutboxStatus.SENT, OutboxStatus.FAILED, None)):
        outbox = None
        if outbox_status is not None:
            outbox = OutboxMessage.objects.create(
                delivery_key=f"test:{n}", to=f"c{n}@example.com", status=outbox_status
            )
        notice.recipients.create(
            customer=CustomerFactory(), status=RecipientStatus.QUEUED, outbox=outbox
        )

    (progress,) = broadcast_progress(incident=history.incident)

    assert (progress.sent, progress.failed, progress.queued, progress.total) == (1, 1, 1, 3)
    assert (progress.done, progress.percent) == (2, 66)


def test_top_request_types_most_first_with_tickets_without_a_type_last_among_equals(
    history: History, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        rows = top_request_types(incident=history.incident, language="en")

    assert [(r.key, r.label, r.count) for r in rows] == [
        ("refund", "Refund", 4),
        ("change", "Change of a trip", 1),
        (None, "No request type", 1),
    ]


def test_first_reply_median_of_linked_tickets(
    history: History, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        stats = first_reply_median(incident=history.incident)

    # Replied: t2 10 min, t4 20 min, t1 60 min, t3 160 min → median (20 + 60) / 2.
    assert stats.replied == 4
    assert stats.median_minutes == 40


def test_first_reply_median_of_an_odd_count_is_the_middle_one(history: History) -> None:
    Ticket.objects.filter(pk=history.tickets["t3"].pk).update(incident=None)

    stats = first_reply_median(incident=history.incident)

    assert (stats.replied, stats.median_minutes) == (3, 20)


def test_first_reply_median_is_none_without_replies(db: Any) -> None:
    incident = IncidentFactory(declared_at=DECLARED)

    stats = first_reply_median(incident=incident)

    assert (stats.replied, stats.median_minutes) == (0, None)


def test_whole_dashboard_reads_a_fixed_number_of_queries_whatever_the_ticket_count(
    history: History, django_assert_num_queries: Any
) -> None:
    incident_dashboard(incident=history.incident, now=NOW)  # warms the throughput cache
    with django_assert_num_queries(10 + 3):
        before = incident_dashboard(incident=history.incident, now=NOW)
    more = [make_ticket(request_type=None, now=at(9, 0)) for _ in range(5)]
    Ticket.objects.filter(pk__in=[t.pk for t in more]).update(incident=history.incident)

    with django_assert_num_queries(10 + 3):
        after = incident_dashboard(incident=history.incident, now=NOW)

    assert after.backlog.total == before.backlog.total + 5
    assert after.volume.total == before.volume.total + 5


def test_an_incident_without_tickets_shows_zeros(db: Any) -> None:
    incident = IncidentFactory(declared_at=DECLARED)

    dashboard = incident_dashboard(incident=incident, now=NOW, tz=UTC)

    assert dashboard.volume.series == ()
    assert dashboard.volume.total == 0
    assert dashboard.backlog.total == 0
    assert dashboard.backlog_series == (0, 0, 0, 0, 0)
    assert dashboard.waits == ()
    assert dashboard.broadcasts == ()
    assert dashboard.request_types == ()


def test_contacts_per_request_counts_every_contact_and_those_that_joined_an_open_request(
    history: History, django_assert_num_queries: Any
) -> None:
    from calmdesk.conversations.models import Contact, ContactOutcome
    from calmdesk.reporting.selectors import contacts_per_request
    from calmdesk.tickets.enums import Channel

    linked = list(Ticket.objects.filter(incident=history.incident)[:2])
    elsewhere = make_ticket(now=at(9, 0))
    first, second = linked
    for ticket, channel, outcome in [
        (first, Channel.FORM, ContactOutcome.NEW),
        (first, Channel.EMAIL, ContactOutcome.FOLLOW_UP),
        (first, Channel.SMS, ContactOutcome.THREAD),
        (second, Channel.PHONE, ContactOutcome.NEW),
        (elsewhere, Channel.EMAIL, ContactOutcome.FOLLOW_UP),  # not the incident's
    ]:
        Contact.objects.create(
            ticket=ticket, customer=ticket.customer, channel=channel, outcome=outcome, at=at(9, 5)
        )

    with django_assert_num_queries(1):
        stats = contacts_per_request(incident=history.incident)

    assert (stats.contacts, stats.requests, stats.joined) == (4, 2, 2)
    assert stats.per_request == 2.0
