"""One announced wait everywhere: the crisis page, the form and the phone line say what intake
would announce to a new request of the same type at the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calmdesk.core.testing.factories import RequestTypeFactory, TeamFactory, make_ticket
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.services import intake_submit
from calmdesk.inbox.validation import validate_submission
from calmdesk.incidents.services import incident_declare
from calmdesk.replies.defaults import install_default_templates
from calmdesk.routing.defaults import install_default_rules
from calmdesk.staffing.selectors import public_wait
from calmdesk.tickets.models import RequestType

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded() -> None:
    install_default_form()
    install_default_rules()
    install_default_templates()


def submit(request_type: str, n: int, now: datetime) -> int | None:
    """A default-priority request (no departure date) through the real intake."""
    submission = validate_submission(
        {
            "name": "Ayşe",
            "email": f"ayse{n}@example.com",
            "request_type": request_type,
            "message": "Please look at my booking.",
        },
        [],
        language="en",
    )
    return intake_submit(submission=submission, now=now).ticket.announced_wait_minutes


@pytest.mark.parametrize("key", ["refund", "cancellation", "change", "other"])
def test_public_wait_is_what_intake_announces_to_a_new_request_of_that_type(
    seeded: None, key: str
) -> None:
    request_type = RequestType.objects.get(key=key)
    with time_machine.travel(MONDAY_NOON, tick=False):
        for n in range(7):
            submit(key, n, MONDAY_NOON - timedelta(minutes=10 - n))

        announced = public_wait(request_type=request_type, now=MONDAY_NOON).minutes
        # A fresh cache does not change the figure: it is computed, not remembered.
        cache.clear()
        assert submit(key, 99, MONDAY_NOON) == announced


def test_public_wait_counts_the_queue_ahead_of_a_new_request() -> None:
    refund = RequestTypeFactory.create(key="refund", team=TeamFactory.create())
    for i in range(5):
        make_ticket(request_type=refund, subject=f"Waiting {i}", now=MONDAY_NOON)

    estimate = public_wait(request_type=refund, now=MONDAY_NOON)

    # 5 ahead + this one at the default 2 replies an hour = 3 hours, padded, announced as 4.
    assert (estimate.ahead, estimate.minutes) == (5, 240)


def test_public_wait_is_remembered_for_30_seconds_per_request_type(
    in_process_cache: None,
) -> None:
    refund = RequestTypeFactory.create(key="refund", team=TeamFactory.create())
    other = RequestTypeFactory.create(key="other", team=TeamFactory.create())
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        first = public_wait(request_type=refund, now=MONDAY_NOON)
        for i in range(5):
            make_ticket(request_type=refund, subject=f"Waiting {i}", now=MONDAY_NOON)

        with CaptureQueriesContext(connection) as captured:
            again = public_wait(request_type=refund, now=MONDAY_NOON)
        assert again == first
        assert len(captured) == 0
        # Another type has its own figure.
        assert public_wait(request_type=other, now=MONDAY_NOON).ahead == 0

        traveller.shift(timedelta(seconds=31))
        later = MONDAY_NOON + timedelta(seconds=31)
        # The five tickets written meanwhile count once the remembered figure expires.
        assert public_wait(request_type=refund, now=later).ahead == 5


def test_with_an_incident_it_is_what_intake_announces_to_a_request_linked_to_it(
    seeded: None,
) -> None:
    fire_team = TeamFactory.create(slug="fire-desk")
    refund = RequestType.objects.get(key="refund")
    with time_machine.travel(MONDAY_NOON, tick=False):
        incident = incident_declare(
            actor=None,
            slug="ship-fire",
            team=fire_team,
            languages=["en"],
            texts={"en": {"title": "Fire", "summary": "A fire on the ship."}},
            keywords=["aurora"],
        )
        for n in range(3):  # ordinary refunds: not ahead of the incident's requests
            submit("refund", n, MONDAY_NOON - timedelta(minutes=5))

        linked = public_wait(request_type=refund, now=MONDAY_NOON, incident=incident)
        cache.clear()
        submission = validate_submission(
            {
                "name": "Ayşe",
                "email": "ayse-aurora@example.com",
                "request_type": "refund",
                "message": "I was booked on the Aurora.",
            },
            [],
            language="en",
        )
        ticket = intake_submit(submission=submission, now=MONDAY_NOON).ticket

    assert ticket.team == fire_team
    assert ticket.announced_wait_minutes == linked.minutes
    assert linked.ahead == 0
    assert public_wait(request_type=refund, now=MONDAY_NOON).ahead == 3
