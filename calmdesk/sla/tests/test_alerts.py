"""An urgent request without an agent reply alerts the team lead exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.core.models import OutboxMessage
from calmdesk.core.testing.factories import (
    AgentFactory,
    RequestTypeFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from calmdesk.sla.defaults import install_default_policies
from calmdesk.sla.models import Alert, AlertKind
from calmdesk.sla.services import alert_acknowledge, sla_raise_due_alerts
from calmdesk.sla.tasks import raise_due_alerts
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import ticket_reply

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
THREE_DAYS_LATER = CREATED + timedelta(days=3, minutes=1)


@pytest.fixture
def urgent_ticket() -> Ticket:
    install_default_policies()
    lead = UserFactory.create(email="lead@calmdesk.test", first_name="Leyla")
    team = TeamFactory.create(name="Refunds", lead=lead, email="refunds@calmdesk.test")
    urgent = RequestTypeFactory.create(key="stranded", team=team, default_priority="urgent")
    with time_machine.travel(CREATED, tick=False):
        return make_ticket(request_type=urgent, subject="Stranded at the airport")


def test_urgent_ticket_unanswered_for_3_days_alerts_the_lead_once(
    urgent_ticket: Ticket, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert urgent_ticket.alert_due_at == CREATED + timedelta(days=3)

    with (
        time_machine.travel(THREE_DAYS_LATER, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        raise_due_alerts.call_local()

    alert = Alert.objects.get()
    assert (alert.ticket, alert.kind, alert.team) == (
        urgent_ticket,
        AlertKind.NO_AGENT_REPLY,
        urgent_ticket.team,
    )
    assert alert.raised_at == THREE_DAYS_LATER
    [mail] = smtp_server.messages
    assert mail["X-Envelope-To"] == "lead@calmdesk.test"
    assert mail["Subject"] == (
        f"Alert: urgent request {urgent_ticket.reference} still has no reply"
        f" [{urgent_ticket.reference}]"
    )
    body = mail.get_content()
    assert body.startswith("Hello Leyla,")
    assert "“Stranded at the airport”" in body
    event = urgent_ticket.events.get(type=EventType.ALERT)
    assert event.data["alert"] == alert.pk
    assert event.data["to"] == "lead@calmdesk.test"
    urgent_ticket.refresh_from_db()
    assert urgent_ticket.alert_due_at is None


def test_running_the_job_twice_still_raises_one_alert(urgent_ticket: Ticket) -> None:
    first = sla_raise_due_alerts(now=THREE_DAYS_LATER)
    # Even if the due time came back (e.g. set again by hand), the alert is not repeated.
    Ticket.objects.filter(pk=urgent_ticket.pk).update(alert_due_at=CREATED)
    second = sla_raise_due_alerts(now=THREE_DAYS_LATER + timedelta(minutes=5))

    assert (first, second) == (1, 0)
    assert Alert.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="alert").count() == 1
    assert urgent_ticket.events.filter(type=EventType.ALERT).count() == 1


def test_no_alert_before_3_days(urgent_ticket: Ticket) -> None:
    assert sla_raise_due_alerts(now=CREATED + timedelta(days=3) - timedelta(minutes=1)) == 0

    assert Alert.objects.count() == 0


def test_a_ticket_answered_in_time_raises_no_alert(urgent_ticket: Ticket) -> None:
    agent = AgentFactory.create(profile__teams=[urgent_ticket.team])
    with time_machine.travel(CREATED + timedelta(days=1), tick=False):
        ticket_reply(ticket=urgent_ticket, actor=agent, body_text="We are on it.")

    assert sla_raise_due_alerts(now=THREE_DAYS_LATER) == 0
    assert Alert.objects.count() == 0
    assert OutboxMessage.objects.filter(kind="alert").count() == 0
    assert not urgent_ticket.events.filter(type=EventType.ALERT).exists()


def test_a_normal_ticket_never_alerts() -> None:
    install_default_policies()
    ticket = make_ticket(request_type=RequestTypeFactory.create(), now=CREATED)

    assert ticket.alert_due_at is None
    assert sla_raise_due_alerts(now=CREATED + timedelta(days=30)) == 0


def test_without_a_lead_the_team_address_gets_the_alert(urgent_ticket: Ticket) -> None:
    team = urgent_ticket.team
    assert team is not None
    team.lead = None
    team.save()

    sla_raise_due_alerts(now=THREE_DAYS_LATER)

    assert list(OutboxMessage.objects.filter(kind="alert").values_list("to", flat=True)) == [
        "refunds@calmdesk.test"
    ]


def test_acknowledging_an_alert_records_who_and_when(urgent_ticket: Ticket) -> None:
    sla_raise_due_alerts(now=THREE_DAYS_LATER)
    lead = AgentFactory.create()
    alert = Alert.objects.get()
    seen_at = THREE_DAYS_LATER + timedelta(hours=1)

    alert_acknowledge(alert=alert, actor=lead, now=seen_at)
    alert_acknowledge(alert=alert, actor=lead, now=seen_at + timedelta(hours=1))

    alert.refresh_from_db()
    assert alert.acknowledged_at == seen_at
    acks = urgent_ticket.events.filter(type=EventType.ALERT, data__acknowledged=True)
    assert [e.actor_user for e in acks] == [lead]
