"""Callbacks: held out of the queue, into it at their time, tracked to done or missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import TeamFactory, make_ticket
from calmdesk.tickets.enums import Channel, EventType, MessageKind, Priority, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent

from ..models import Call, Callback, CallbackSource, CallbackStatus, CallOutcome
from ..services import (
    call_event_receive,
    callback_attempt,
    callback_cancel,
    callback_request,
    callback_start,
    callbacks_advance,
    parse_call_event,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
PHONE = "+37061234567"


def request(**kwargs: Any) -> Callback:
    values: dict[str, Any] = {
        "phone": PHONE,
        "window_start": NOW + timedelta(hours=5),
        "window_end": NOW + timedelta(hours=6),
        "timezone_name": "Europe/Vilnius",
        "language": "lt",
        "name": "Rūta Kazlauskienė",
        "reason": "Mano kelto bilietas",
        "now": NOW,
    }
    values.update(kwargs)
    return callback_request(**values)


def callback_actions(ticket: Ticket) -> list[str]:
    events = TicketEvent.objects.filter(ticket=ticket, type=EventType.CALLBACK).order_by("id")
    return [e.data["action"] for e in events]


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_callback_request_opens_a_ticket_held_out_of_the_queue(team: Any, frozen: Any) -> None:
    callback = request(team=team, email="Ruta@Example.com")

    ticket = callback.ticket
    assert callback.status == CallbackStatus.SCHEDULED
    assert callback.phone == PHONE
    assert callback.customer == ticket.customer
    assert ticket.subject == "Callback requested"
    assert ticket.channel == Channel.PHONE
    assert ticket.status == TicketStatus.PENDING
    assert ticket.team == team
    assert "Mano kelto bilietas" in ticket.messages.get().body_text
    assert sorted(ticket.customer.identities.values_list("value", flat=True)) == [
        PHONE,
        "ruta@example.com",
    ]
    assert callback_actions(ticket) == ["scheduled"]


def test_the_callback_enters_the_queue_when_its_window_starts(team: Any, frozen: Any) -> None:
    callback = request(team=team)

    frozen.move_to(NOW + timedelta(hours=4, minutes=59))
    assert callbacks_advance() == (0, 0)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.SCHEDULED

    frozen.move_to(NOW + timedelta(hours=5))
    assert callbacks_advance() == (1, 0)

    callback.refresh_from_db()
    ticket = callback.ticket
    assert callback.status == CallbackStatus.QUEUED
    assert callback.queued_at == NOW + timedelta(hours=5)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.priority == Priority.HIGH
    assert callback_actions(ticket) == ["scheduled", "queued"]


def test_a_window_that_ends_unreached_is_missed_and_the_customer_told(
    team: Any, frozen: Any
) -> None:
    callback = request(team=team, email="ruta@example.com")
    frozen.move_to(NOW + timedelta(hours=5))
    callbacks_advance()

    frozen.move_to(NOW + timedelta(hours=6))
    assert callbacks_advance() == (0, 1)

    callback.refresh_from_db()
    ticket = callback.ticket
    assert callback.status == CallbackStatus.MISSED
    assert ticket.status == TicketStatus.OPEN
    assert callback_actions(ticket) == ["scheduled", "queued", "missed"]
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert "passed without reaching the customer (0 attempts)" in note.body_text
    mail = OutboxMessage.objects.get(kind="callback_missed")
    assert mail.to == "ruta@example.com"
    assert mail.channel == "email"
    assert ticket.reference in mail.body_text
    assert "/t/" in mail.body_text


def test_a_missed_callback_without_email_is_told_by_sms(team: Any, frozen: Any) -> None:
    request(team=team)
    frozen.move_to(NOW + timedelta(hours=7))

    callbacks_advance()

    sms = OutboxMessage.objects.get(kind="callback_missed")
    assert sms.channel == "sms"
    assert sms.to == PHONE


def test_an_agent_reaches_the_customer_and_the_callback_is_done(
    team: Any, agent: Any, frozen: Any
) -> None:
    callback = request(team=team)
    frozen.move_to(NOW + timedelta(hours=5, minutes=10))
    callbacks_advance()

    callback_start(callback=callback, actor=agent)
    callback_attempt(
        callback=callback,
        actor=agent,
        outcome=CallOutcome.REACHED,
        notes="Moved the ticket to the 14th.",
        duration_seconds=300,
    )

    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DONE
    assert callback.done_by == agent
    assert callback.attempts == 1
    assert callback.ticket.assignee == agent
    call = Call.objects.get()
    assert call.callback == callback
    assert call.direction == "out"
    assert call.duration_seconds == 300
    assert callback_actions(callback.ticket) == ["scheduled", "queued", "calling", "done"]
    assert TicketEvent.objects.filter(ticket=callback.ticket, type=EventType.CALL).count() == 1


def test_no_answer_is_retried_until_the_last_attempt(team: Any, agent: Any, frozen: Any) -> None:
    callback = request(team=team)
    frozen.move_to(NOW + timedelta(hours=5))
    callbacks_advance()

    for _ in range(2):
        callback_attempt(callback=callback, actor=agent, outcome=CallOutcome.NO_ANSWER)
        callback.refresh_from_db()
        assert callback.status == CallbackStatus.QUEUED
    callback_attempt(callback=callback, actor=agent, outcome=CallOutcome.BUSY)

    callback.refresh_from_db()
    assert callback.status == CallbackStatus.MISSED
    assert callback.attempts == 3
    assert callback.attempt_rows.count() == 3
    assert callback_actions(callback.ticket) == [
        "scheduled",
        "queued",
        "attempt",
        "attempt",
        "attempt",
        "missed",
    ]


def test_another_agent_cannot_call_a_customer_being_called(
    team: Any, agent: Any, other_agent: Any, frozen: Any
) -> None:
    callback = request(team=team, window_start=NOW, window_end=NOW + timedelta(hours=1))
    callback_start(callback=callback, actor=agent)

    with pytest.raises(DomainError) as caught:
        callback_start(callback=callback, actor=other_agent)
    assert caught.value.code == "conflict"
    with pytest.raises(DomainError):
        callback_attempt(callback=callback, actor=other_agent, outcome=CallOutcome.REACHED)
    assert Call.objects.count() == 0


def test_a_window_that_has_started_is_queued_at_once(team: Any, frozen: Any) -> None:
    callback = request(team=team, window_start=NOW, window_end=NOW + timedelta(hours=1))

    assert callback.status == CallbackStatus.QUEUED
    assert callback.ticket.status == TicketStatus.NEW
    assert callback.ticket.priority == Priority.HIGH


def test_a_callback_from_the_tracking_page_holds_that_ticket(frozen: Any) -> None:
    ticket = make_ticket(subject="Refund please")

    callback = request(ticket=ticket, source=CallbackSource.TRACKING, request_key="tok-1")

    ticket.refresh_from_db()
    assert callback.ticket == ticket
    assert ticket.status == TicketStatus.PENDING
    assert Ticket.objects.count() == 1
    last = ticket.messages.order_by("-id").first()
    assert last is not None
    assert last.kind == MessageKind.INBOUND
    assert "+370 612 34567" in last.body_text
    assert request(ticket=ticket, source=CallbackSource.TRACKING, request_key="tok-1") == callback


def test_the_customer_cancels_and_the_ticket_returns_to_the_queue(frozen: Any) -> None:
    ticket = make_ticket()
    callback = request(ticket=ticket, source=CallbackSource.TRACKING)

    callback_cancel(callback=callback, by_customer=True)

    callback.refresh_from_db()
    ticket.refresh_from_db()
    assert callback.status == CallbackStatus.CANCELLED
    assert ticket.status == TicketStatus.OPEN
    event = TicketEvent.objects.filter(type=EventType.CALLBACK).order_by("-id").first()
    assert event is not None
    assert event.actor_kind == "customer"
    assert event.data["by"] == "customer"


def test_the_phone_systems_call_to_a_due_callbacks_number_completes_it(
    team: Any,
    pbx: Any,
    extensions: Any,
    agent: Any,
    frozen: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    callback = request(team=team, window_start=NOW, window_end=NOW + timedelta(hours=1))
    base = {"call_id": "out-1", "direction": "out", "from": "+902125550000", "to": PHONE}

    for event, seconds, extra in (
        ("ringing", 0, {}),
        ("answered", 10, {"agent": "201"}),
        ("ended", 130, {}),
    ):
        at = (NOW + timedelta(seconds=seconds)).isoformat()
        payload = {**base, "event": event, "at": at, **extra}
        with django_capture_on_commit_callbacks(execute=True):
            call_event_receive(
                system=pbx, event=parse_call_event(payload, now=NOW + timedelta(hours=1))
            )

    callback.refresh_from_db()
    call = Call.objects.get()
    assert call.callback == callback
    assert call.ticket == callback.ticket
    assert callback.status == CallbackStatus.DONE
    assert callback.done_by == agent
    note = callback.ticket.messages.get(kind=MessageKind.NOTE)
    assert note.body_text.startswith("Call to +370 612 34567.")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phone": "12345"}, "phone"),
        (
            {"window_start": NOW - timedelta(hours=2), "window_end": NOW - timedelta(hours=1)},
            "date",
        ),
        ({"window_end": NOW + timedelta(hours=4)}, "window_end"),
        ({"window_end": NOW + timedelta(hours=5, minutes=10)}, "window_end"),
        (
            {
                "window_start": NOW + timedelta(days=20),
                "window_end": NOW + timedelta(days=20, hours=1),
            },
            "date",
        ),
        ({"timezone_name": "Mars/Olympus"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_a_callback_request_is_validated(
    team: Any, frozen: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        request(team=team, **kwargs)
    assert caught.value.field == field
    assert Callback.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_window_outside_the_teams_working_hours_is_refused(frozen: Any) -> None:
    office = TeamFactory.create(
        slug="office", time_zone="Europe/Vilnius", working_hours={"mon": [["09:00", "17:00"]]}
    )

    with pytest.raises(DomainError) as caught:
        # Monday 20:00–21:00 in Vilnius: the team works until 17:00 on Mondays only.
        request(
            team=office,
            window_start=datetime(2026, 3, 2, 18, 0, tzinfo=UTC),
            window_end=datetime(2026, 3, 2, 19, 0, tzinfo=UTC),
        )

    assert caught.value.field == "window_start"
    assert "9 March 2026" in caught.value.message or "March 9, 2026" in caught.value.message


def test_one_active_callback_per_number(team: Any, frozen: Any) -> None:
    request(team=team)

    with pytest.raises(DomainError) as caught:
        request(
            team=team,
            window_start=NOW + timedelta(days=1),
            window_end=NOW + timedelta(days=1, hours=1),
        )

    assert caught.value.field == "phone"
    assert caught.value.code == "duplicate"
    assert Callback.objects.count() == 1


def test_a_closed_ticket_takes_no_callback(frozen: Any) -> None:
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    ticket.refresh_from_db()

    with pytest.raises(DomainError) as caught:
        request(ticket=ticket, source=CallbackSource.TRACKING)

    assert caught.value.code == "closed"
