"""Calls from a phone system's events and calls logged by agents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.conversations.models import Contact, ContactOutcome
from calmdesk.core.errors import DomainError
from calmdesk.core.testing.factories import CustomerFactory, make_ticket
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.tickets.enums import Channel, EventType, MessageKind
from calmdesk.tickets.models import Ticket, TicketEvent

from ..models import Call, CallEvent, CallOutcome, CallState
from ..services import (
    WebhookError,
    call_event_receive,
    call_finalize,
    call_log,
    calls_sweep,
    parse_call_event,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
CALLER = "+905321234567"


def post(pbx: Any, event: str, offset: int, **fields: Any) -> Any:
    payload = {"call_id": fields.pop("call_id", "1700000000.42"), "event": event}
    payload["at"] = (T0 + timedelta(seconds=offset)).isoformat()
    payload.update(fields)
    return call_event_receive(
        system=pbx, event=parse_call_event(payload, now=T0 + timedelta(hours=1)), now=T0
    )


def whole_call(pbx: Any, *, call_id: str = "1700000000.42", order: list[int] | None = None) -> Any:
    """ringing → answered (ext 201) → hold 40 s → resume → transfer to 305 → hold 20 s → ended."""
    events: list[tuple[str, int, dict[str, Any]]] = [
        ("ringing", 0, {"from": "0532 123 45 67", "to": "+902125550000", "queue": "support"}),
        ("answered", 12, {"agent": "201"}),
        ("hold", 100, {}),
        ("resume", 140, {}),
        ("transfer", 200, {"transfer_to": "305"}),
        ("hold", 260, {}),
        ("resume", 280, {}),
        ("ended", 412, {"recording_url": "https://pbx.example.com/rec/42.wav"}),
    ]
    results = []
    for index in order or range(len(events)):
        name, offset, fields = events[index]
        results.append(post(pbx, name, offset, call_id=call_id, **fields))
    return results


def test_a_whole_call_becomes_a_ticket_with_its_duration_holds_and_transfers(
    pbx: Any, extensions: Any, other_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        whole_call(pbx)

    call = Call.objects.get()
    assert call.state == CallState.COMPLETED
    assert call.from_number == CALLER  # local number read in the system's country (TR)
    assert call.did == "+902125550000"
    assert call.duration_seconds == 412
    assert call.hold_count == 2
    assert call.hold_seconds == 60
    assert call.talk_seconds == 412 - 12 - 60
    assert call.transfer_count == 1
    assert call.transfers[0]["from"] == "201"
    assert call.transfers[0]["to"] == "305"
    assert call.agent == other_agent  # the agent the call ended with
    assert call.queue == "support"
    assert call.finalized_at is not None

    ticket = Ticket.objects.get()
    assert call.ticket == ticket
    assert ticket.channel == Channel.PHONE
    assert ticket.team == pbx.team
    assert ticket.subject == "Phone call from +90 532 123 45 67"
    assert Identity.objects.get(kind=IdentityKind.PHONE).customer == ticket.customer
    message = ticket.messages.get()
    assert message.kind == MessageKind.INBOUND
    assert "Duration 6 min 52 s, talk time 5 min 40 s." in message.body_text
    assert "On hold 2 times (1 min 00 s)." in message.body_text
    assert "Transferred 1 time: 305." in message.body_text
    assert message.external_id == "1700000000.42"
    event = TicketEvent.objects.get(ticket=ticket, type=EventType.CALL)
    assert event.at == T0 + timedelta(seconds=412)
    assert event.data["duration"] == 412
    assert event.data["holds"] == 2
    assert event.data["hold_seconds"] == 60
    assert event.data["transfers"] == 1
    assert event.data["revised"] is False
    contact = Contact.objects.get(ticket=ticket)
    assert contact.channel == Channel.PHONE
    assert contact.external_key == f"phone:{pbx.pk}:1700000000.42"


def test_the_same_event_twice_is_stored_once(pbx: Any) -> None:
    first = post(pbx, "ringing", 0, **{"from": CALLER})
    again = post(pbx, "ringing", 0, **{"from": CALLER})

    assert first.duplicate is False
    assert again.duplicate is True
    assert CallEvent.objects.count() == 1
    assert Call.objects.count() == 1


def test_an_ended_that_arrives_before_answered_still_gives_the_right_figures(
    pbx: Any, extensions: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # ringing and ended (the call is written to its ticket), then the late ones: answered,
    # hold, resume, transfer, hold, resume.
    with django_capture_on_commit_callbacks(execute=True):
        whole_call(pbx, order=[0, 7])
    whole_call(pbx, order=[1, 2, 3, 4, 5, 6])

    call = Call.objects.get()
    assert call.state == CallState.COMPLETED
    assert call.duration_seconds == 412
    assert call.talk_seconds == 340
    assert call.hold_count == 2
    assert call.hold_seconds == 60
    assert call.transfer_count == 1
    # Written to its ticket when it ended; each late event that changed the figures revised it.
    events = list(TicketEvent.objects.filter(type=EventType.CALL).order_by("id"))
    assert events[0].data["state"] == "missed"
    assert events[-1].data == {**events[-1].data, "state": "completed", "revised": True}
    assert events[-1].data["duration"] == 412
    assert events[-1].data["holds"] == 2


def test_an_event_after_the_end_is_refused_with_a_conflict(pbx: Any) -> None:
    post(pbx, "ringing", 0, **{"from": CALLER})
    post(pbx, "ended", 60)

    with pytest.raises(WebhookError) as caught:
        post(pbx, "hold", 90)
    assert caught.value.status == 409
    with pytest.raises(WebhookError) as again:
        post(pbx, "ended", 70)
    assert again.value.status == 409
    assert CallEvent.objects.count() == 2


def test_a_hold_before_the_answer_is_refused(pbx: Any) -> None:
    post(pbx, "answered", 30, **{"from": CALLER})

    with pytest.raises(WebhookError) as caught:
        post(pbx, "hold", 10)
    assert caught.value.status == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event": "ringing"}, "call_id"),
        ({"call_id": "1", "event": "exploded"}, "event"),
        ({"call_id": "1", "event": "ended", "at": "yesterday"}, "at"),
        ({"call_id": "1", "event": "ended", "at": "2026-03-02T10:00:00"}, "at"),
        ({"call_id": "1", "event": "ended", "at": "2026-03-09T10:00:00Z"}, "at"),
        ({"call_id": "1", "event": "transfer"}, "transfer_to"),
        ({"call_id": "1", "event": "ended", "recording_url": "javascript:x"}, "recording_url"),
        ({"call_id": ["1"], "event": "ended"}, "call_id"),
        ({"call_id": "1", "event": "ended", "direction": "sideways"}, "direction"),
    ],
)
def test_impossible_input_is_refused_with_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(WebhookError) as caught:
        parse_call_event(payload, now=T0)
    assert caught.value.status == 422
    assert caught.value.field == field


def test_a_call_nobody_answered_opens_a_missed_call_ticket(
    pbx: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post(pbx, "ringing", 0, **{"from": CALLER})
        post(pbx, "ended", 25)

    call = Call.objects.get()
    assert call.state == CallState.MISSED
    assert call.outcome == CallOutcome.MISSED
    assert call.duration_seconds == 25
    assert call.talk_seconds == 0
    assert call.ticket is not None
    assert call.ticket.subject == "Missed call from +90 532 123 45 67"
    assert call.ticket.status == "new"  # in the queue, so someone calls back


def test_a_withheld_number_gives_an_anonymous_caller(
    pbx: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post(pbx, "ringing", 0, **{"from": "anonymous"})
        post(pbx, "answered", 5)
        post(pbx, "ended", 65)

    call = Call.objects.get()
    assert call.from_number == ""
    assert call.raw_from == "anonymous"
    customer = call.ticket.customer
    assert customer.name == "Anonymous caller"
    assert customer.identities.count() == 0
    assert call.ticket.subject == "Phone call from an anonymous caller"


def test_a_known_callers_call_lands_on_their_customer(
    pbx: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory.create(name="Ayşe Yılmaz")
    Identity.objects.create(customer=customer, kind=IdentityKind.PHONE, value=CALLER)

    with django_capture_on_commit_callbacks(execute=True):
        post(pbx, "ringing", 0, **{"from": CALLER})
        post(pbx, "answered", 5)
        post(pbx, "ended", 65)

    call = Call.objects.get()
    assert call.customer == customer
    assert call.ticket.customer == customer


def test_finalize_runs_once(pbx: Any) -> None:
    post(pbx, "ringing", 0, **{"from": CALLER})
    post(pbx, "ended", 20)
    call = Call.objects.get()

    call_finalize(call_id=call.pk)
    call_finalize(call_id=call.pk)

    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(type=EventType.CALL).count() == 1


def test_the_sweep_finalizes_ended_calls_whose_task_was_lost_and_closes_stale_ones(
    pbx: Any,
) -> None:
    with time_machine.travel(T0, tick=False):
        post(pbx, "ringing", 0, **{"from": CALLER})
        post(pbx, "ended", 20)  # its on-commit task never ran (no commit in this test)
        post(pbx, "ringing", 0, call_id="stale", **{"from": "+37060000001"})
        post(pbx, "answered", 3, call_id="stale")
    with time_machine.travel(T0 + timedelta(hours=7), tick=False):
        finalized = calls_sweep()

    assert finalized == 2
    stale = Call.objects.get(external_id="stale")
    assert stale.state == CallState.COMPLETED
    assert stale.ended_at == T0 + timedelta(seconds=3)
    assert Ticket.objects.count() == 2


def test_an_agent_logs_a_call_on_a_ticket(agent: Any) -> None:
    ticket = make_ticket(subject="Refund for CD-1")
    Identity.objects.create(customer=ticket.customer, kind=IdentityKind.PHONE, value=CALLER)

    call = call_log(
        actor=agent,
        direction="in",
        number="+90 532 123 45 67",
        duration_seconds=185,
        outcome=CallOutcome.REACHED,
        notes="Wants the refund to the original card.",
        ticket=ticket,
    )

    assert call.ticket == ticket
    assert call.customer == ticket.customer
    assert call.duration_seconds == 185
    assert call.talk_seconds == 185
    message = ticket.messages.order_by("-id").first()
    assert message is not None
    assert message.channel == Channel.PHONE
    assert "Wants the refund to the original card." in message.body_text
    assert (
        Contact.objects.get(ticket=ticket, channel=Channel.PHONE).outcome == ContactOutcome.THREAD
    )
    event = TicketEvent.objects.get(ticket=ticket, type=EventType.CALL)
    assert event.actor_user == agent
    assert event.data["duration"] == 185
    assert event.data["source"] == "agent"


def test_a_new_number_logged_on_a_ticket_joins_its_customer(agent: Any) -> None:
    ticket = make_ticket()

    call_log(
        actor=agent,
        direction="in",
        number="+37061234567",
        duration_seconds=60,
        outcome=CallOutcome.REACHED,
        ticket=ticket,
    )

    phone = Identity.objects.get(kind=IdentityKind.PHONE)
    assert phone.value == "+37061234567"
    assert phone.customer == ticket.customer


def test_an_outbound_call_on_a_ticket_is_a_note_not_a_contact(agent: Any) -> None:
    ticket = make_ticket()

    call_log(
        actor=agent,
        direction="out",
        number="+37061234567",
        duration_seconds=0,
        outcome=CallOutcome.NO_ANSWER,
        ticket=ticket,
    )

    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert note.body_text.startswith("Call to +370 612 34567, not answered (No answer).")
    assert Contact.objects.filter(ticket=ticket).count() == 0
    assert TicketEvent.objects.get(ticket=ticket, type=EventType.CALL).data["state"] == "missed"


def test_a_standalone_logged_call_opens_a_ticket(agent: Any, team: Any) -> None:
    call = call_log(
        actor=agent,
        direction="in",
        number="+37061234567",
        duration_seconds=240,
        outcome=CallOutcome.REACHED,
        name="Jonas Petraitis",
        subject="Change of the ferry date",
        notes="Wants to travel on the 14th instead.",
        team=team,
    )

    ticket = call.ticket
    assert ticket.subject == "Change of the ferry date"
    assert ticket.team == team
    assert ticket.customer.name == "Jonas Petraitis"
    assert ticket.channel == Channel.PHONE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"number": "12"}, "number"),
        ({"direction": "out", "number": ""}, "number"),
        ({"duration_seconds": -1}, "duration"),
        ({"outcome": "exploded"}, "outcome"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_a_logged_call_is_validated(agent: Any, kwargs: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {
        "actor": agent,
        "direction": "in",
        "number": "+37061234567",
        "duration_seconds": 60,
        "outcome": CallOutcome.REACHED,
    }
    values.update(kwargs)
    with pytest.raises(DomainError) as caught:
        call_log(**values)
    assert caught.value.field == field
    assert Call.objects.count() == 0


def test_a_second_call_on_the_same_open_problem_is_matched_to_the_first_ticket(
    pbx: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for call_id, offset in (("first", 0), ("second", 3600)):
        with django_capture_on_commit_callbacks(execute=True):
            post(pbx, "ringing", offset, call_id=call_id, **{"from": CALLER})
            post(pbx, "answered", offset + 5, call_id=call_id)
            post(pbx, "ended", offset + 65, call_id=call_id)

    first, second = Call.objects.order_by("started_at")
    contact = Contact.objects.get(external_key=f"phone:{pbx.pk}:second")
    assert contact.outcome == ContactOutcome.FOLLOW_UP
    assert second.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=first.ticket, type=EventType.CALL).count() == 2
