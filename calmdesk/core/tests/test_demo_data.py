"""The demo desk `make run` loads: agents who can log in, tickets in four languages with a
history, urgent departures at the top of the queue, and no second load over existing data."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from calmdesk.accounts.models import Role, Team
from calmdesk.core.demo.accounts import DEMO_PASSWORD, demo_logins
from calmdesk.core.models import OutboxMessage
from calmdesk.tickets.enums import EventType, Priority, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent
from calmdesk.tickets.selectors import QUEUE_ORDER

pytestmark = pytest.mark.django_db


def load(tickets: int = 60, *args: str, channels: bool = False) -> str:
    """The demo (without the channel demos, which add calls and chats to the played history,
    unless ``channels``)."""
    out = StringIO()
    extra = () if channels else ("--no-channels",)
    call_command("demo_data", "--tickets", str(tickets), *args, *extra, stdout=out, verbosity=0)
    return out.getvalue()


def test_the_demo_sets_up_every_channel_to_try() -> None:
    from calmdesk.chat.models import ChatWidget
    from calmdesk.mail.models import Mailbox
    from calmdesk.messaging.models import MessagingAccount
    from calmdesk.phone.models import Call, PhoneSystem

    load(5, channels=True)

    mailbox = Mailbox.objects.get()
    assert mailbox.catch_all_domain == "calmdesk.test"
    assert mailbox.team is not None
    assert ChatWidget.objects.filter(active=True).exists()
    assert {a.provider for a in MessagingAccount.objects.all()} == {
        "twilio",
        "whatsapp",
        "telegram",
    }
    assert PhoneSystem.objects.exists()
    assert Call.objects.filter(ticket__isnull=False).exists()


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

    tickets = list(Ticket.objects.filter(incident__isnull=True))  # the crisis demo adds its own
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

    assert Ticket.objects.filter(incident__isnull=True).count() == 10
    assert "already has data" in out


def test_the_same_seed_builds_the_same_desk() -> None:
    from calmdesk.incidents.models import Incident

    load(15)
    first = list(Ticket.objects.order_by("pk").values_list("subject", "language", "priority"))
    Ticket.objects.all().delete()
    Incident.objects.all().delete()

    load(15)

    second = list(Ticket.objects.order_by("pk").values_list("subject", "language", "priority"))
    assert second == first


# ------------------------------------------------------------------------------------------
# Crisis mode: the ship fire under way since yesterday
# ------------------------------------------------------------------------------------------


def test_demo_has_an_active_ship_fire_with_texts_in_four_languages_and_three_updates() -> None:
    from calmdesk.incidents.models import Incident, IncidentEvent

    load(5)

    incident = Incident.objects.get()
    now = timezone.now()
    assert incident.slug == "aurora-fire"
    assert incident.status == "active"
    assert incident.team is not None
    assert incident.team.name == "Trip changes"
    assert set(incident.texts.values_list("language", flat=True)) == {"en", "tr", "fa", "lt"}
    english = incident.texts.get(language="en")
    assert english.title == "Fire aboard MS Aurora: sailings suspended"
    assert "full refund or free rebooking" in english.policy
    assert english.guidance == "Contact us only if you travel within the next 3 days."
    assert timedelta(hours=25) < now - incident.declared_at < timedelta(hours=27)
    updates = list(incident.updates.all())
    assert len(updates) == 3
    assert [u.posted_at for u in updates] == sorted((u.posted_at for u in updates), reverse=True)
    assert all(incident.declared_at < u.posted_at < now for u in updates)
    assert all(set(u.texts) == {"en", "tr", "fa", "lt"} for u in updates)
    assert IncidentEvent.objects.filter(incident=incident, type="declared").count() == 1


def test_demo_passenger_list_is_imported_with_one_ms_aurora_booking_each() -> None:
    from calmdesk.customers.models import Booking, CustomerImport
    from calmdesk.customers.segments import customers_in_segment
    from calmdesk.incidents.models import Incident

    load(5)

    upload = CustomerImport.objects.get()
    incident = Incident.objects.get()
    assert (upload.total_rows, upload.accepted, upload.rejected) == (300, 300, 0)
    assert upload.status == "done"
    assert upload.incident == incident
    bookings = Booking.objects.filter(ship="MS Aurora")
    assert bookings.count() == 300
    assert {b.route for b in bookings} == {"Istanbul – Odessa"}
    assert customers_in_segment(incident.segment).count() == 300


def test_demo_broadcast_went_to_every_passenger_once() -> None:
    from calmdesk.incidents.models import Broadcast, BroadcastRecipient

    load(5)

    broadcast = Broadcast.objects.get()
    recipients = BroadcastRecipient.objects.filter(broadcast=broadcast)
    assert broadcast.status == "done"
    assert broadcast.channel == "email"
    assert broadcast.total == 300
    assert broadcast.queued == 300
    assert recipients.count() == 300
    assert not recipients.filter(status="pending").exists()
    assert recipients.filter(outbox__isnull=False).count() == 300
    assert set(recipients.values_list("language", flat=True)) == {"en", "tr", "fa", "lt"}
    assert broadcast.started_at is not None
    assert timedelta(hours=19) < timezone.now() - broadcast.started_at < timedelta(hours=21)


def test_demo_passenger_requests_are_linked_to_the_incident_and_its_team() -> None:
    from calmdesk.incidents.models import Incident

    load(5)

    incident = Incident.objects.get()
    linked = list(Ticket.objects.filter(incident=incident))
    assert len(linked) == 36
    assert {t.team_id for t in linked} == {incident.team_id}
    assert all(t.created_at > incident.declared_at for t in linked)
    assert all(t.custom_fields["booking_reference"].startswith("AUR") for t in linked)
    assert Ticket.objects.filter(incident__isnull=True).count() == 5


def test_demo_crisis_page_shows_the_fire_in_the_readers_language(client: Client) -> None:
    load(5)

    english = client.get("/crisis/aurora-fire", HTTP_ACCEPT_LANGUAGE="en")
    turkish = client.get("/crisis/aurora-fire?lang=tr")

    assert english.status_code == 200
    assert "Fire aboard MS Aurora: sailings suspended" in english.content.decode()
    assert "Contact us only if you travel within the next 3 days." in english.content.decode()
    assert turkish.status_code == 200
    assert "Yalnızca önümüzdeki 3 gün içinde seyahat ediyorsanız bize ulaşın." in (
        turkish.content.decode()
    )


def test_loading_more_demo_data_leaves_the_crisis_demo_as_it_is() -> None:
    from calmdesk.incidents.models import Broadcast, Incident

    load(5)

    load(5)

    assert Incident.objects.count() == 1
    assert Broadcast.objects.count() == 1
    assert Ticket.objects.filter(incident__isnull=False).count() == 36
    assert Ticket.objects.filter(incident__isnull=True).count() == 10
