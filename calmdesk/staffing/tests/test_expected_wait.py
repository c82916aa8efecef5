"""The expected wait announced to customers: honest, padded, rounded up, in working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils.translation import override

from calmdesk.core.testing.factories import (
    AgentFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.staffing.selectors import WaitEstimate, expected_wait, round_up_wait
from calmdesk.tickets.models import RequestType, Ticket

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def padding(settings: Any) -> Any:
    def set_padding(value: float, history_days: int = 7) -> None:
        settings.CALMDESK = {
            **settings.CALMDESK,
            "WAIT_PADDING": value,
            "WAIT_HISTORY_DAYS": history_days,
        }

    set_padding(1.25)
    return set_padding


@pytest.fixture
def refund() -> RequestType:
    return RequestTypeFactory.create(key="refund", team=TeamFactory.create())


def fill_queue(request_type: RequestType, count: int, now: datetime = MONDAY_NOON) -> None:
    for i in range(count):
        make_ticket(request_type=request_type, subject=f"Waiting {i}", now=now)


def test_empty_queue_without_history_uses_the_default_rate(
    refund: RequestType, padding: Any
) -> None:
    estimate = expected_wait(team=refund.team, now=MONDAY_NOON)

    # No agents: 2 replies an hour → 30 minutes, padded to 37.5, announced as 45.
    assert estimate == WaitEstimate(minutes=45, raw_minutes=30.0, ahead=0, basis="default")
    assert estimate.label() == "within about 45 minutes"


def test_more_tickets_ahead_means_a_longer_wait(refund: RequestType, padding: Any) -> None:
    fill_queue(refund, 5)

    estimate = expected_wait(team=refund.team, now=MONDAY_NOON)

    # 6 tickets at 2 an hour = 3 hours, padded to 3¾, announced as 4 hours.
    assert (estimate.ahead, estimate.raw_minutes, estimate.minutes) == (5, 180.0, 240)
    assert estimate.label() == "within about 4 hours"


def test_only_tickets_sorted_before_this_one_count(refund: RequestType, padding: Any) -> None:
    fill_queue(refund, 3)
    urgent = RequestTypeFactory.create(key="urgent", team=refund.team, default_priority="urgent")
    first = make_ticket(request_type=urgent, now=MONDAY_NOON)
    last = make_ticket(request_type=refund, now=MONDAY_NOON + timedelta(minutes=1))

    assert expected_wait(team=refund.team, ticket=first, now=MONDAY_NOON).ahead == 0
    assert expected_wait(team=refund.team, ticket=last, now=MONDAY_NOON).ahead == 4


def test_answered_and_solved_tickets_are_not_ahead(refund: RequestType, padding: Any) -> None:
    fill_queue(refund, 3)
    replied, solved, _waiting = Ticket.objects.order_by("pk")
    Ticket.objects.filter(pk=replied.pk).update(first_replied_at=MONDAY_NOON)
    Ticket.objects.filter(pk=solved.pk).update(status="solved")

    assert expected_wait(team=refund.team, now=MONDAY_NOON).ahead == 1


def test_padding_makes_the_announced_wait_longer(refund: RequestType, padding: Any) -> None:
    fill_queue(refund, 3)  # 4 tickets at 2 an hour = 2 hours

    padding(1.0)
    plain = expected_wait(team=refund.team, now=MONDAY_NOON)
    padding(1.6)
    padded = expected_wait(team=refund.team, now=MONDAY_NOON)

    assert (plain.raw_minutes, plain.minutes) == (120.0, 120)
    assert (padded.raw_minutes, padded.minutes) == (120.0, 240)  # 3h12 → 4 hours


def test_a_request_on_friday_night_waits_for_monday(padding: Any) -> None:
    office = TeamFactory.create(
        working_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    friday_night = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)

    estimate = expected_wait(team=office, now=friday_night)

    # 30 working minutes → Monday 09:30 (59.5 h away); padded → Monday 09:37:30 → 3 days.
    assert estimate.raw_minutes == 59.5 * 60
    assert estimate.minutes == 3 * 24 * 60
    assert estimate.label() == "within about 3 days"


def test_measured_throughput_is_used_when_there_is_history(
    refund: RequestType, padding: Any
) -> None:
    padding(1.25, history_days=1)
    fill_queue(refund, 12, now=MONDAY_NOON - timedelta(hours=20))
    Ticket.objects.update(first_replied_at=MONDAY_NOON - timedelta(hours=2))

    estimate = expected_wait(team=refund.team, now=MONDAY_NOON)

    # 12 first replies in 24 hours = 0.5 an hour → 2 hours, padded 2.5 → 3 hours.
    assert (estimate.basis, estimate.raw_minutes, estimate.minutes) == ("history", 120.0, 180)


def test_the_default_rate_grows_with_the_number_of_agents(
    refund: RequestType, padding: Any
) -> None:
    for _ in range(3):
        AgentFactory.create(profile__teams=[refund.team])

    estimate = expected_wait(team=refund.team, now=MONDAY_NOON)

    # 3 agents × 4 an hour = 12 an hour → 5 minutes, announced as 15.
    assert (estimate.basis, estimate.raw_minutes, estimate.minutes) == ("default", 5.0, 15)


def test_the_estimate_is_cheap_and_throughput_is_cached_for_a_minute(
    refund: RequestType, padding: Any, django_assert_num_queries: Any, in_process_cache: None
) -> None:
    with django_assert_num_queries(3):
        expected_wait(team=refund.team, now=MONDAY_NOON)
    with django_assert_num_queries(1):
        expected_wait(team=refund.team, now=MONDAY_NOON)
    with (
        time_machine.travel(datetime.now(tz=UTC) + timedelta(seconds=61)),
        django_assert_num_queries(3),
    ):
        expected_wait(team=refund.team, now=MONDAY_NOON)


def test_a_ticket_without_team_has_a_round_the_clock_estimate(padding: Any) -> None:
    make_ticket(now=MONDAY_NOON)

    estimate = expected_wait(team=None, now=MONDAY_NOON)

    assert (estimate.ahead, estimate.minutes) == (1, 120)  # 1 hour, padded 75 min → 2 hours


@pytest.mark.parametrize(
    ("minutes", "announced"),
    [
        (0.5, 15),
        (15, 15),
        (15.1, 30),
        (46, 60),
        (61, 120),
        (4 * 60 + 1, 6 * 60),
        (13 * 60, 24 * 60),
        (4 * 24 * 60, 5 * 24 * 60),
        (6 * 24 * 60, 7 * 24 * 60),
        (8 * 24 * 60, 14 * 24 * 60),
    ],
)
def test_waits_are_rounded_up_to_a_friendly_step(minutes: float, announced: int) -> None:
    assert round_up_wait(minutes) == announced


@pytest.mark.parametrize(
    ("minutes", "label"),
    [
        (15, "within about 15 minutes"),
        (60, "within about 1 hour"),
        (6 * 60, "within about 6 hours"),
        (24 * 60, "within about 1 day"),
        (2 * 24 * 60, "within about 2 days"),
        (7 * 24 * 60, "within about 7 days"),
        (21 * 24 * 60, "within about 3 weeks"),
    ],
)
def test_labels(minutes: int, label: str) -> None:
    assert WaitEstimate(minutes=minutes, raw_minutes=0, ahead=0, basis="default").label() == label


def test_persian_labels_use_persian_digits() -> None:
    estimate = WaitEstimate(minutes=6 * 60, raw_minutes=0, ahead=0, basis="default")

    with override("fa"):
        label = estimate.label()

    assert "۶" in label
    assert "6" not in label


def test_a_ticket_not_written_yet_counts_only_what_sorts_before_it(
    refund: RequestType, padding: Any
) -> None:
    from calmdesk.core.testing.factories import CustomerFactory
    from calmdesk.tickets.services import ticket_prepare

    fill_queue(refund, 3)
    urgent = RequestTypeFactory.create(key="urgent", team=refund.team, default_priority="urgent")
    newcomer = ticket_prepare(
        customer=CustomerFactory.create(),
        subject="Ship fire",
        body_text="Help",
        request_type=urgent,
        now=MONDAY_NOON + timedelta(minutes=5),
    ).ticket
    normal = ticket_prepare(
        customer=CustomerFactory.create(),
        subject="Refund",
        body_text="Later",
        request_type=refund,
        now=MONDAY_NOON + timedelta(minutes=5),
    ).ticket

    assert newcomer.pk is None
    assert expected_wait(team=refund.team, ticket=newcomer, now=MONDAY_NOON).ahead == 0
    assert expected_wait(team=refund.team, ticket=normal, now=MONDAY_NOON).ahead == 3
