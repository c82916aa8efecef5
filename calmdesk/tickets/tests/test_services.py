"""Ticket services: every state change leaves exactly one structured event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import (
    AgentFactory,
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.tickets.enums import EventType, MessageKind, Priority, TicketStatus
from calmdesk.tickets.models import Ticket, format_reference, parse_reference
from calmdesk.tickets.services import (
    sanitize_html,
    ticket_add_note,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_customer_reply,
    ticket_reply,
    ticket_set_tags,
    ticket_transfer,
)

pytestmark = pytest.mark.django_db


def event_types(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "id").values_list("type", flat=True))


def test_reference_is_formatted_from_the_id_and_parsed_back() -> None:
    assert format_reference(123) == "CD-000123"
    assert parse_reference("cd-000123") == 123
    assert parse_reference(" 77 ") == 77
    assert parse_reference("CD-12a") is None
    assert parse_reference("") is None


def test_create_routes_to_the_request_type_team_and_records_created() -> None:
    refunds = TeamFactory(slug="refunds", name="Refunds")
    refund = RequestTypeFactory(key="refund", team=refunds)

    ticket = make_ticket(request_type=refund, subject="Refund please")

    assert ticket.team == refunds
    assert ticket.status == TicketStatus.NEW
    assert ticket.messages.get().kind == MessageKind.INBOUND
    assert event_types(ticket) == [EventType.CREATED]
    assert ticket.first_reply_due_at is not None
    assert ticket.reference == f"CD-{ticket.pk:06d}"


def test_agent_reply_sets_first_reply_opens_the_ticket_and_queues_one_email() -> None:
    team = TeamFactory()
    agent = AgentFactory(profile__teams=[team])
    customer = CustomerFactory(email="ayse@example.com")
    ticket = make_ticket(customer=customer, request_type=RequestTypeFactory(team=team))

    message = ticket_reply(ticket=ticket, actor=agent, body_text="We refunded you.")

    ticket.refresh_from_db()
    assert message.kind == MessageKind.OUTBOUND
    assert ticket.first_replied_at is not None
    assert ticket.status == TicketStatus.OPEN
    assert ticket.alert_due_at is None
    assert event_types(ticket)[-2:] == [EventType.AGENT_REPLY, EventType.STATUS]
    mail = OutboxMessage.objects.get(kind="agent_reply")
    assert mail.to == "ayse@example.com"
    assert "We refunded you." in mail.body_text


def test_empty_reply_is_refused_and_writes_nothing() -> None:
    agent = AgentFactory()
    ticket = make_ticket()

    with pytest.raises(DomainError) as err:
        ticket_reply(ticket=ticket, actor=agent, body_text="   ")

    assert err.value.field == "body"
    assert ticket.messages.count() == 1
    assert event_types(ticket) == [EventType.CREATED]


def test_transfer_needs_a_reason_and_records_from_to_and_reason() -> None:
    a, b = TeamFactory(), TeamFactory()
    agent = AgentFactory(profile__teams=[a])
    ticket = make_ticket(request_type=RequestTypeFactory(team=a))

    with pytest.raises(DomainError):
        ticket_transfer(ticket=ticket, team=b, reason=" ", actor=agent)
    ticket.refresh_from_db()
    assert ticket.team == a

    ticket_transfer(ticket=ticket, team=b, reason="Needs a refund specialist", actor=agent)

    ticket.refresh_from_db()
    assert ticket.team == b
    event = ticket.events.get(type=EventType.TRANSFER)
    assert event.data == {"from": a.pk, "to": b.pk, "reason": "Needs a refund specialist"}
    assert event.actor_user == agent


def test_priority_change_moves_the_ticket_in_the_queue() -> None:
    ticket = make_ticket()
    before = ticket.queue_score

    ticket_change_priority(ticket=ticket, priority=Priority.URGENT, actor=AgentFactory())

    ticket.refresh_from_db()
    assert ticket.queue_score > before
    assert ticket.events.get(type=EventType.PRIORITY).data == {
        "from": Priority.NORMAL,
        "to": Priority.URGENT,
    }


def test_setting_the_same_value_records_no_event() -> None:
    ticket = make_ticket()

    ticket_change_status(ticket=ticket, status=TicketStatus.NEW, actor=AgentFactory())

    assert event_types(ticket) == [EventType.CREATED]


def test_unknown_status_is_a_field_error() -> None:
    with pytest.raises(DomainError) as err:
        ticket_change_status(ticket=make_ticket(), status="bogus", actor=None)
    assert err.value.field == "status"


def test_assigning_opens_a_new_ticket_and_only_agents_can_be_assigned() -> None:
    agent = AgentFactory()
    ticket = make_ticket()

    ticket_assign(ticket=ticket, assignee=agent, actor=agent)

    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.status == TicketStatus.OPEN
    from calmdesk.core.testing.factories import UserFactory

    with pytest.raises(DomainError):
        ticket_assign(ticket=ticket, assignee=UserFactory(), actor=agent)


def test_customer_reply_reopens_a_solved_ticket() -> None:
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=TicketStatus.SOLVED, actor=AgentFactory())

    ticket_customer_reply(ticket=ticket, customer=ticket.customer, body_text="Still broken")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.solved_at is None
    assert event_types(ticket)[-3:] == [
        EventType.CUSTOMER_MESSAGE,
        EventType.STATUS,
        EventType.REOPENED,
    ]


def test_customer_cannot_reply_to_a_closed_ticket() -> None:
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=TicketStatus.CLOSED, actor=AgentFactory())

    with pytest.raises(DomainError) as err:
        ticket_customer_reply(ticket=ticket, customer=ticket.customer, body_text="Hello?")

    assert err.value.code == "closed"
    assert ticket.messages.count() == 1


def test_note_is_internal_and_sends_nothing() -> None:
    ticket = make_ticket()

    note = ticket_add_note(ticket=ticket, actor=AgentFactory(), body_text="Called the port")

    assert note.kind == MessageKind.NOTE
    assert not OutboxMessage.objects.filter(ticket=ticket, kind="agent_reply").exists()


def test_tags_are_normalised_and_diffed() -> None:
    ticket = make_ticket()

    ticket_set_tags(ticket=ticket, names=["VIP", "ship fire", "vip"], actor=AgentFactory())

    assert sorted(ticket.tags.values_list("name", flat=True)) == ["ship-fire", "vip"]
    assert ticket.events.get(type=EventType.TAGS).data == {"from": [], "to": ["ship-fire", "vip"]}


def test_customer_text_is_escaped_and_html_is_sanitised() -> None:
    ticket = make_ticket(body="<script>alert(1)</script> hi")

    html = ticket.messages.get().body_html

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    cleaned = sanitize_html(
        '<p onclick="x()">ok<img src=x onerror=y()></p><a href="http://e">l</a>'
    )
    assert "onclick" not in cleaned
    assert "onerror" not in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_created_at_follows_the_given_time() -> None:
    then = timezone.now() - timedelta(days=3)

    ticket = make_ticket(now=then)

    ticket.refresh_from_db()
    assert ticket.created_at == then
    assert ticket.events.get(type=EventType.CREATED).at == then


def test_a_reopened_ticket_is_triaged_again_for_its_near_departure() -> None:
    from datetime import UTC, datetime

    import time_machine

    from calmdesk.routing.defaults import install_default_rules

    install_default_rules()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        ticket = make_ticket(custom_fields={"departure_date": "2026-03-20"})
        ticket_change_status(ticket=ticket, status=TicketStatus.SOLVED, actor=AgentFactory())
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert ticket.triage_recheck_at is None

    with time_machine.travel(datetime(2026, 3, 16, 9, 0, tzinfo=UTC), tick=False):
        ticket_customer_reply(ticket=ticket, customer=ticket.customer, body_text="Any news?")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.priority == Priority.URGENT
    assert ticket.events.filter(type=EventType.TRIAGE).count() == 1


def test_the_same_customer_reply_key_adds_the_message_once() -> None:
    ticket = make_ticket()

    first = ticket_customer_reply(
        ticket=ticket, customer=ticket.customer, body_text="Hello again", client_key="k-1"
    )
    second = ticket_customer_reply(
        ticket=ticket, customer=ticket.customer, body_text="Hello again", client_key="k-1"
    )

    assert first == second
    assert ticket.messages.filter(kind=MessageKind.INBOUND).count() == 2
    assert event_types(ticket).count(EventType.CUSTOMER_MESSAGE) == 1


def test_a_ticket_prepared_for_an_incident_goes_to_its_team_with_a_tag() -> None:
    from calmdesk.incidents.models import Incident
    from calmdesk.tickets.services import (
        ticket_open,
        ticket_prepare,
        ticket_prepare_for_incident,
    )

    crisis_team = TeamFactory(slug="crisis")
    incident = Incident.objects.create(slug="aurora-fire", team=crisis_team, languages=["en"])
    prepared = ticket_prepare(
        customer=CustomerFactory(),
        subject="Am I on the Aurora?",
        body_text="Booking AUR123",
        request_type=RequestTypeFactory(team=TeamFactory()),
        now=timezone.now(),
    )

    ticket = ticket_open(
        prepared=ticket_prepare_for_incident(prepared, incident), body_text="Booking AUR123"
    )

    ticket.refresh_from_db()
    assert ticket.incident == incident
    assert ticket.team == crisis_team
    assert list(ticket.tags.values_list("name", flat=True)) == ["incident-aurora-fire"]
    assert ticket.events.get(type=EventType.CREATED).data["incident"] == "aurora-fire"
