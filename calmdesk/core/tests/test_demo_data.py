"""The demo desk `make run` loads: agents who can log in, tickets in four languages with a
history, urgent departures at the top of the queue, and no second load over existing data."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from calmdesk.accounts.models import Role, Team
from calmdesk.core.demo.accounts import DEMO_PASSWORD, demo_logins
from calmdesk.core.models import OutboxMessage
from calmdesk.tickets.enums import EventType, Priority, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent
from calmdesk.tickets.selectors import QUEUE_ORDER

pytestmark = pytest.mark.django_db


def load(tickets: int = 60, *args: str) -> str:
    out = StringIO()
    call_command("demo_data", "--tickets", str(tickets), *args, stdout=out, verbosity=0)
    return out.getvalue()


def test_demo_agents_log_in_with_the_demo_password_and_the_lead_is_admin() -> None:
    load(5)

    lead = authenticate(username="lead", password=DEMO_PASSWORD)
    agent = authenticate(username="agent3", password=DEMO_PASSWORD)

    assert lead is not None
    assert lead.is_superuser
    assert lead.is_staff
    assert lead.agent.role == Role.LEAD
    assert lead.agent.teams.count() == Team.objects.count() == 4
    assert agent is not None
    assert not agent.is_staff
    assert agent.agent.languages == ["lt", "en"]
    assert agent.agent.teams.count() == 2
    assert set(Team.objects.values_list("lead__username", flat=True)) == {"lead"}
    assert [name for name, _what in demo_logins()] == [
        "lead",
        "agent1",
        "agent2",
        "agent3",
        "agent4",
        "agent5",
        "agent6",
    ]


def test_demo_tickets_are_written_in_four_languages_with_booking_details() -> None:
    out = load(80)

    tickets = list(Ticket.objects.all())
    assert len(tickets) == 80
    assert {t.language for t in tickets} == {"en", "fa", "tr", "lt"}
    assert all(
        t.custom_fields["booking_reference"] in t.messages.first().body_text for t in tickets
    )
    assert all(date.fromisoformat(t.custom_fields["departure_date"]) for t in tickets)
    assert "Demo data loaded" in out
    oldest = min(t.created_at for t in tickets)
    assert timezone.now() - oldest < timedelta(days=10, minutes=5)
    assert timezone.now() - oldest > timedelta(days=2)


def test_departures_within_seven_days_are_urgent_and_lead_the_queue() -> None:
    load(80)

    today = timezone.now().date()
    in_queue = list(
        Ticket.objects.filter(status__in=[TicketStatus.NEW, TicketStatus.OPEN]).order_by(
            *QUEUE_ORDER
        )
    )
    soon = [
        t
        for t in in_queue
        if date.fromisoformat(t.custom_fields["departure_date"]) - today <= timedelta(days=7)
    ]
    assert soon, "the demo always has departures within the urgent week"
    assert {t.priority for t in soon} == {Priority.URGENT}
    assert in_queue[: len(soon)] == sorted(soon, key=in_queue.index)


def test_demo_history_has_replies_transfers_with_reasons_and_solved_tickets() -> None:
    load(120)

    replies = TicketEvent.objects.filter(type=EventType.AGENT_REPLY).count()
    transfers = list(TicketEvent.objects.filter(type=EventType.TRANSFER))
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert replies >= 40
    assert transfers
    assert all(e.data["reason"] for e in transfers)
    assert {TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.SOLVED} <= statuses
    # Every acknowledgement and reply waits in the outbox for the worker.
    assert OutboxMessage.objects.filter(kind="agent_reply").count() == replies


def test_unanswered_urgent_requests_have_alerted_their_lead_when_the_demo_opens() -> None:
    from calmdesk.sla.models import Alert

    load(120)

    overdue = Ticket.objects.filter(
        priority=Priority.URGENT,
        first_replied_at__isnull=True,
        status__in=["new", "open"],
        created_at__lte=timezone.now() - timedelta(days=3),
    )
    assert overdue.exists()
    assert set(Alert.objects.values_list("ticket_id", flat=True)) >= set(
        overdue.values_list("pk", flat=True)
    )
    assert OutboxMessage.objects.filter(kind="alert").count() == Alert.objects.count()


def test_customers_date_from_their_first_request() -> None:
    load(60)

    earliest = Ticket.objects.order_by("created_at").select_related("customer").first()

    assert earliest is not None
    assert earliest.customer.created_at <= earliest.created_at


def test_if_empty_leaves_a_loaded_database_alone() -> None:
    load(10)

    out = load(10, "--if-empty")

    assert Ticket.objects.count() == 10
    assert "already has data" in out


def test_the_same_seed_builds_the_same_desk() -> None:
    load(15)
    first = list(Ticket.objects.order_by("pk").values_list("subject", "language", "priority"))
    Ticket.objects.all().delete()

    load(15)

    second = list(Ticket.objects.order_by("pk").values_list("subject", "language", "priority"))
    assert second == first
