"""Agents' replies by email: mailbox From/Reply-To, threading, reply-all, bounced addresses,
delivery status, and the outbox's retries against a real SMTP server."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from calmdesk.core.models import OutboxStatus
from calmdesk.core.outbox import outbox_sweep
from calmdesk.core.testing.factories import AgentFactory, RequestTypeFactory, TeamFactory
from calmdesk.customers.models import Identity
from calmdesk.mail.demo import demo_mailbox
from calmdesk.mail.ingest import mail_receive
from calmdesk.mail.models import Mailbox
from calmdesk.replies.services import ack_message_id
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import ticket_reply

from .transport_helpers import make_mailbox, raw_mail

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def mailbox() -> Mailbox:
    return make_mailbox(
        address="support@calmdesk.test",
        from_name="Calmdesk Support",
        reply_to="reply@calmdesk.test",
        aliases=["help@calmdesk.test"],
    )


def receive(mailbox: Mailbox, raw: bytes, callbacks: Any) -> Ticket:
    with callbacks(execute=True):
        inbound = mail_receive(raw=raw, mailbox=mailbox, source="smtp")
    assert inbound.ticket is not None, inbound.error
    return inbound.ticket


def reply(ticket: Ticket, callbacks: Any, text: str = "Your refund is on its way.") -> Message:
    agent = AgentFactory.create(profile__teams=[ticket.team] if ticket.team else [])
    with callbacks(execute=True):
        return ticket_reply(ticket=ticket, actor=agent, body_text=text)


def test_a_reply_goes_from_the_mailbox_the_customer_wrote_to_threaded_under_their_mail(
    mailbox: Mailbox, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = receive(
        mailbox,
        raw_mail(
            to="help@calmdesk.test",
            message_id="<q-2@example.com>",
            references="<q-0@example.com> <q-1@example.com>",
            in_reply_to="<q-1@example.com>",
        ),
        django_capture_on_commit_callbacks,
    )

    message = reply(ticket, django_capture_on_commit_callbacks)

    ack, answer = smtp_server.to("ayse@example.com")
    assert answer["From"] == "Calmdesk Support <support@calmdesk.test>"
    assert answer["Reply-To"] == "reply@calmdesk.test"
    assert answer["To"] == "ayse@example.com"
    assert answer["Cc"] is None
    assert answer["Subject"] == f"Re: My flight was cancelled [{ticket.reference}]"
    assert answer["In-Reply-To"] == "<q-2@example.com>"
    assert answer["References"] == "<q-0@example.com> <q-1@example.com> <q-2@example.com>"
    assert re.fullmatch(
        rf"<cd-{ticket.pk}-m{message.pk}\.[0-9a-f]{{20}}@calmdesk\.test>", answer["Message-ID"]
    )
    message.refresh_from_db()
    assert message.external_id == answer["Message-ID"]
    [delivery] = message.deliveries.all()
    assert delivery.provider_id == answer["Message-ID"]
    assert delivery.status == OutboxStatus.SENT
    assert delivery.to == "ayse@example.com"
    # The acknowledgement has its own unguessable id, which the row carries.
    assert ack["Message-ID"] == ack_message_id(ticket)
    assert ticket.outbox_messages.get(kind="autoresponder").headers["Message-ID"] == ack_message_id(
        ticket
    )


def test_the_customers_answer_to_our_reply_joins_the_same_ticket(
    mailbox: Mailbox, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = receive(mailbox, raw_mail(), django_capture_on_commit_callbacks)
    reply(ticket, django_capture_on_commit_callbacks)
    answer = smtp_server.to("ayse@example.com")[-1]

    again = receive(
        mailbox,
        raw_mail(
            subject="Re: something else entirely",
            body="Thank you! When will the money arrive?",
            in_reply_to=answer["Message-ID"],
            references=answer["References"] + " " + answer["Message-ID"],
        ),
        django_capture_on_commit_callbacks,
    )

    assert again == ticket
    assert Ticket.objects.count() == 1


def test_a_second_reply_references_our_first_one(
    mailbox: Mailbox, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = receive(
        mailbox, raw_mail(message_id="<first@example.com>"), django_capture_on_commit_callbacks
    )
    first = reply(ticket, django_capture_on_commit_callbacks, "We are on it.")
    reply(ticket, django_capture_on_commit_callbacks, "Done: refunded.")

    second_mail = smtp_server.to("ayse@example.com")[-1]
    first.refresh_from_db()
    assert second_mail["In-Reply-To"] == "<first@example.com>"
    assert second_mail["References"] == f"<first@example.com> {first.external_id}"


def test_people_copied_on_the_customers_mail_are_copied_on_the_reply(
    mailbox: Mailbox, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_mailbox(address="sales@calmdesk.test", name="Sales")
    make_mailbox(address="bookings@desk.example", name="Bookings", catch_all_domain="desk.example")
    ticket = receive(
        mailbox,
        raw_mail(
            to="support@calmdesk.test, Travel Agent <agent@travel.example>",
            cc=(
                "Mehmet <Mehmet@Example.com>, sales@calmdesk.test, ayse@example.com, "
                "refunds@desk.example"
            ),
        ),
        django_capture_on_commit_callbacks,
    )

    message = reply(ticket, django_capture_on_commit_callbacks)

    customer_copy = smtp_server.to("ayse@example.com")[-1]
    assert customer_copy["To"] == "ayse@example.com"
    assert customer_copy["Cc"] == "agent@travel.example, mehmet@example.com"
    for address in ("agent@travel.example", "mehmet@example.com"):
        [copy] = smtp_server.to(address)
        assert copy["Message-ID"] == customer_copy["Message-ID"]
        assert copy["Cc"] == customer_copy["Cc"]
    # Our own addresses (any mailbox's address, alias or catch-all domain) never get a copy.
    assert smtp_server.to("sales@calmdesk.test") == []
    assert smtp_server.to("refunds@desk.example") == []
    deliveries = {d.to: d.status for d in message.deliveries.all()}
    assert deliveries == {
        "ayse@example.com": OutboxStatus.SENT,
        "agent@travel.example": OutboxStatus.SENT,
        "mehmet@example.com": OutboxStatus.SENT,
    }


def test_a_reply_to_an_address_that_bounced_is_kept_unsent_and_the_agent_is_told(
    mailbox: Mailbox, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = receive(mailbox, raw_mail(), django_capture_on_commit_callbacks)
    Identity.objects.filter(value="ayse@example.com").update(bounced_at=NOW)
    smtp_server.messages.clear()

    message = reply(ticket, django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    [delivery] = message.deliveries.all()
    assert delivery.status == OutboxStatus.SUPPRESSED
    assert delivery.to == "ayse@example.com"
    assert delivery.last_error == (
        "Not sent: ayse@example.com bounced earlier. Ask the customer for another address."
    )
    event = ticket.events.get(type=EventType.DELIVERY)
    assert event.data == {
        "message": message.pk,
        "reason": "bounced",
        "to": "ayse@example.com",
        "outbox": delivery.pk,
    }


def test_a_bounced_address_is_skipped_for_another_address_of_the_customer(
    mailbox: Mailbox, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = receive(mailbox, raw_mail(), django_capture_on_commit_callbacks)
    Identity.objects.filter(value="ayse@example.com").update(bounced_at=NOW)
    Identity.objects.create(customer=ticket.customer, kind="email", value="ayse@work.example")

    message = reply(ticket, django_capture_on_commit_callbacks)

    [delivery] = message.deliveries.all()
    assert delivery.to == "ayse@work.example"
    assert delivery.status == OutboxStatus.SENT
    assert len(smtp_server.to("ayse@work.example")) == 1
    event = ticket.events.get(type=EventType.DELIVERY)
    assert event.data["reason"] == "bounced_address_skipped"
    assert event.data["bounced"] == "ayse@example.com"


def test_a_form_ticket_is_answered_from_its_teams_mailbox(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from calmdesk.conversations.services import InboundContact, contact_receive

    team = TeamFactory.create(name="Refunds")
    make_mailbox(address="refunds@calmdesk.test", team=team, from_name="", reply_to="")
    request_type = RequestTypeFactory.create(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        result = contact_receive(
            InboundContact(
                channel="form",
                identities=[("email", "ayse@example.com")],
                name="Ayşe",
                subject="Refund",
                body_text="Please refund my ticket.",
                request_type=request_type,
            )
        )

    reply(result.ticket, django_capture_on_commit_callbacks)

    answer = smtp_server.to("ayse@example.com")[-1]
    assert answer["From"] == "Refunds <refunds@calmdesk.test>"
    assert answer["Reply-To"] == "refunds@calmdesk.test"
    assert answer["In-Reply-To"] == ack_message_id(result.ticket)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_smtp_outage_leaves_the_reply_pending_and_a_later_sweep_sends_it_once(
    mailbox: Mailbox, smtp_server: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        ticket = receive(mailbox, raw_mail(), django_capture_on_commit_callbacks)
        smtp_server.messages.clear()
        settings.EMAIL_PORT = _closed_port()  # the SMTP server refuses connections

        message = reply(ticket, django_capture_on_commit_callbacks)

    [delivery] = message.deliveries.all()
    assert delivery.status == OutboxStatus.PENDING
    assert delivery.attempts == 1
    backoff = settings.CALMDESK["OUTBOX_BACKOFF_SECONDS"]
    assert delivery.next_attempt_at == NOW + timedelta(seconds=backoff)
    assert "Connection refused" in delivery.last_error
    assert smtp_server.messages == []

    settings.EMAIL_PORT = smtp_server.port  # back up
    with time_machine.travel(NOW + timedelta(seconds=backoff - 1), tick=False):
        assert outbox_sweep() == 0  # not due yet
    with time_machine.travel(NOW + timedelta(seconds=backoff), tick=False):
        assert outbox_sweep() == 1
        assert outbox_sweep() == 0

    delivery.refresh_from_db()
    assert delivery.status == OutboxStatus.SENT
    assert delivery.last_error == ""
    [sent] = smtp_server.to("ayse@example.com")
    assert sent["Message-ID"] == delivery.provider_id


def test_the_demo_mailbox_takes_any_address_at_the_demo_domain() -> None:
    from calmdesk.mail.selectors import mailbox_for_recipients

    team = TeamFactory.create()

    first = demo_mailbox()
    again = demo_mailbox()

    assert first == again
    assert Mailbox.objects.count() == 1
    assert (first.address, first.from_name, first.catch_all_domain, first.team) == (
        "support@calmdesk.test",
        "Support",
        "calmdesk.test",
        team,
    )
    assert mailbox_for_recipients(["anything@calmdesk.test"]) == first
