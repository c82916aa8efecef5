"""The periodic re-triage: date conditions change their answer without anyone touching tickets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from calmdesk.core.testing.factories import RequestTypeFactory, TeamFactory, make_ticket
from calmdesk.routing.defaults import install_default_rules
from calmdesk.routing.tasks import retriage_due_tickets
from calmdesk.tickets.enums import EventType, Priority, TicketStatus
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.selectors import QUEUE_ORDER

pytestmark = pytest.mark.django_db


def queue(team: object) -> list[Ticket]:
    return list(Ticket.objects.filter(team=team, status__in=["new", "open"]).order_by(*QUEUE_ORDER))


def test_departure_9_days_away_becomes_urgent_two_days_later() -> None:
    install_default_rules()
    team = TeamFactory.create()
    refund = RequestTypeFactory.create(key="refund", team=team)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        older = make_ticket(request_type=refund, subject="Older, normal")
        ticket = make_ticket(request_type=refund, custom_fields={"departure_date": "2026-03-11"})
        assert ticket.priority == Priority.NORMAL
        assert queue(team) == [older, ticket]

    with time_machine.travel(datetime(2026, 3, 4, 0, 5, tzinfo=UTC), tick=False):
        retriage_due_tickets.call_local()

    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.queue_score == 1400
    assert queue(team) == [ticket, older]
    assert list(ticket.tags.values_list("name", flat=True)) == ["departs-soon"]
    event = ticket.events.get(type=EventType.TRIAGE)
    assert event.data["before"]["priority"] == Priority.NORMAL
    assert event.data["after"]["priority"] == Priority.URGENT
    # Next change: the day after departure, when "within the next 7 days" stops being true.
    assert ticket.triage_recheck_at == datetime(2026, 3, 12, 0, 0, tzinfo=UTC)


def test_the_job_leaves_tickets_that_are_not_due_yet() -> None:
    install_default_rules()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        ticket = make_ticket(custom_fields={"departure_date": "2026-03-11"})

    with time_machine.travel(datetime(2026, 3, 3, 23, 55, tzinfo=UTC), tick=False):
        retriage_due_tickets.call_local()

    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert not ticket.events.filter(type=EventType.TRIAGE).exists()


def test_a_solved_ticket_is_dropped_from_the_recheck() -> None:
    install_default_rules()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        ticket = make_ticket(custom_fields={"departure_date": "2026-03-11"})
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.SOLVED)

    with time_machine.travel(datetime(2026, 3, 4, 0, 5, tzinfo=UTC), tick=False):
        retriage_due_tickets.call_local()

    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert ticket.triage_recheck_at is None
