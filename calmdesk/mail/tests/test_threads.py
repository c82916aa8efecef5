"""Threading: headers, the tracking link, the subject reference (only from the customer), our
guessable ids treated like a reference, broadcasts → incident, agent forwards, Cc."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from calmdesk.accounts.models import Role
from calmdesk.conversations.models import Contact, ContactOutcome
from calmdesk.core.models import OutboxMessage
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory, make_ticket
from calmdesk.mail.ingest import mail_receive
from calmdesk.mail.models import EmailDetails, InboundStatus
from calmdesk.tickets.enums import MessageKind, TicketStatus
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import ticket_change_status

from .factories import MailboxFactory, build_mail

pytestmark = pytest.mark.django_db


def _receive(raw: bytes) -> Any:
    mailbox = MailboxFactory.create(address="support@calmdesk.test")
    return mail_receive(raw=raw, mailbox=mailbox, source="smtp")


def _customer_ticket(email: str = "ayla@example.com") -> Ticket:
    customer = CustomerFactory(name="Ayla", email=email)
    return make_ticket(customer=customer, subject="Cabin", body="My cabin is wrong.")


def _sent(ticket: Ticket, message_id: str) -> OutboxMessage:
    row = outbox_enqueue(
        kind="agent_reply",
        to="ayla@example.com",
        delivery_key=f"test:{message_id}",
        subject="Re: Cabin",
        headers={"Message-ID": message_id},
        ticket_id=ticket.pk,
    )
    assert row is not None
    return row


def test_a_reply_to_an_outgoing_mail_with_a_random_id_joins_its_ticket_whoever_writes() -> None:
    ticket = _customer_ticket()
    _sent(ticket, "<cd-1-m2.k3J9xQ7pTz@calmdesk.test>")

    inbound = _receive(
        build_mail(
            sender="Mert <mert@example.com>",  # a Cc'd party: the id is proof enough
            subject="Re: Cabin",
            headers={"In-Reply-To": "<cd-1-m2.k3J9xQ7pTz@calmdesk.test>"},
        )
    )

    assert inbound.ticket == ticket
    assert Ticket.objects.count() == 1
    assert EmailDetails.objects.get(message=inbound.message).threaded_by == "headers"
    assert Contact.objects.get(message=inbound.message).outcome == ContactOutcome.THREAD


def test_a_reply_found_by_provider_id_in_references_joins_its_ticket() -> None:
    ticket = _customer_ticket()
    row = _sent(ticket, "<irrelevant@calmdesk.test>")
    OutboxMessage.objects.filter(pk=row.pk).update(provider_id="<0100018abc-provider@ses>")

    inbound = _receive(
        build_mail(
            sender="ayla@example.com",
            subject="Something else entirely",
            headers={"References": "<old@example.com> <0100018abc-provider@ses>"},
        )
    )

    assert inbound.ticket == ticket


def test_a_reply_to_the_customers_own_earlier_mail_joins_the_same_ticket() -> None:
    first = _receive(build_mail(message_id="<first@example.com>", subject="Lost bag"))

    second = mail_receive(
        raw=build_mail(
            subject="Also", headers={"In-Reply-To": "<first@example.com>"}, text="One more thing."
        ),
        mailbox=first.mailbox,
        source="smtp",
    )

    assert second.ticket == first.ticket
    assert second.ticket is not None
    assert second.ticket.messages.count() == 2


def test_a_guessable_id_threads_only_when_the_sender_is_the_customer() -> None:
    ticket = _customer_ticket()
    guessable = f"<cd-{ticket.pk}-ack@calmdesk.test>"

    from_customer = _receive(
        build_mail(sender="Ayla <AYLA@example.com>", headers={"In-Reply-To": guessable})
    )
    from_stranger = mail_receive(
        raw=build_mail(
            sender="Eve <eve@evil.example>",
            subject="Re: Cabin",
            headers={"In-Reply-To": guessable},
        ),
        mailbox=from_customer.mailbox,
        source="smtp",
    )

    assert from_customer.ticket == ticket
    assert EmailDetails.objects.get(message=from_customer.message).threaded_by == "headers_weak"
    assert from_stranger.ticket != ticket
    assert from_stranger.ticket is not None
    assert from_stranger.ticket.customer.primary_email == "eve@evil.example"
    assert ticket.messages.filter(kind=MessageKind.INBOUND).count() == 2


def test_the_reference_in_the_subject_threads_the_customers_reply() -> None:
    ticket = _customer_ticket()

    inbound = _receive(
        build_mail(sender="ayla@example.com", subject=f"Re: Cabin [{ticket.reference}]")
    )

    assert inbound.ticket == ticket
    assert EmailDetails.objects.get(message=inbound.message).threaded_by == "subject"


def test_the_reference_from_someone_else_opens_a_new_contact_not_a_message_on_the_ticket() -> None:
    ticket = _customer_ticket()

    inbound = _receive(
        build_mail(
            sender="Eve <eve@evil.example>",
            subject=f"Re: Cabin [{ticket.reference}]",
            text="Please send me the booking details.",
        )
    )

    assert inbound.ticket is not None
    assert inbound.ticket.pk != ticket.pk
    assert ticket.messages.count() == 1


def test_the_tracking_link_in_the_body_is_proof_whoever_writes() -> None:
    ticket = _customer_ticket()

    inbound = _receive(
        build_mail(
            sender="Ayla's husband <husband@example.com>",
            subject="About our trip",
            text=f"See https://help.example.com/t/{ticket.tracking_token} — any news?",
        )
    )

    assert inbound.ticket == ticket
    assert EmailDetails.objects.get(message=inbound.message).threaded_by == "token"


def test_a_made_up_tracking_token_threads_nothing() -> None:
    ticket = _customer_ticket()

    inbound = _receive(
        build_mail(
            sender="eve@evil.example",
            text="https://help.example.com/t/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
    )

    assert inbound.ticket != ticket


def test_a_reply_to_a_closed_ticket_opens_a_new_one() -> None:
    ticket = _customer_ticket()
    ticket_change_status(ticket=ticket, status=TicketStatus.CLOSED, actor=None)

    inbound = _receive(
        build_mail(sender="ayla@example.com", subject=f"Re: Cabin [{ticket.reference}]")
    )

    assert inbound.ticket is not None
    assert inbound.ticket.pk != ticket.pk


def test_an_agent_forwarding_a_customers_mail_opens_the_ticket_for_the_original_sender() -> None:
    agent = AgentFactory(email="deniz@calmdesk.test", profile__role=Role.AGENT)
    raw = build_mail(
        sender=f"Deniz <{agent.email}>",
        subject="Fwd: Refund please",
        text=(
            "This came to my personal address, please handle.\n\n"
            "---------- Forwarded message ---------\n"
            "From: Kemal Aslan <kemal@example.com>\n"
            "Date: Mon, 2 Mar 2026 at 09:12\n"
            "Subject: Refund please\n"
            "To: <deniz@calmdesk.test>\n\n"
            "I want a refund for booking BK-77.\n"
        ),
    )

    inbound = _receive(raw)

    ticket = inbound.ticket
    assert ticket is not None
    assert ticket.customer.primary_email == "kemal@example.com"
    assert ticket.customer.name == "Kemal Aslan"
    assert ticket.subject == "Refund please"
    first = ticket.messages.get(kind=MessageKind.INBOUND)
    assert first.body_text == "I want a refund for booking BK-77."
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert note.author_user == agent
    assert note.body_text == (
        "Forwarded by email: This came to my personal address, please handle."
    )
    assert EmailDetails.objects.get(message=first).forwarded_by == "deniz@calmdesk.test"


def test_an_agent_forwarding_an_attached_message_opens_the_ticket_for_its_sender() -> None:
    AgentFactory(email="deniz@calmdesk.test")
    raw = (
        b"From: Deniz <deniz@calmdesk.test>\nTo: support@calmdesk.test\nSubject: Fwd: Cabin\n"
        b"Message-ID: <fwd-1@calmdesk.test>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        b"FYI\n--b\nContent-Type: message/rfc822\n\nFrom: Lina <lina@example.com>\n"
        b"Subject: Cabin too small\nMessage-ID: <orig@example.com>\n\n"
        b"Our cabin is too small for four.\n--b--\n"
    )

    inbound = _receive(raw)

    assert inbound.ticket is not None
    assert inbound.ticket.customer.primary_email == "lina@example.com"
    assert inbound.ticket.subject == "Cabin too small"
    assert inbound.message is not None
    assert inbound.message.body_text == "Our cabin is too small for four."


def test_a_customer_forwarding_a_mail_stays_the_customer() -> None:
    inbound = _receive(
        build_mail(
            sender="ayla@example.com",
            subject="Fwd: booking",
            text="Look:\n\n---------- Forwarded message ---------\nFrom: Ferry "
            "<noreply@ferry.example>\nSubject: booking\n\nBooking confirmed.\n",
        )
    )

    assert inbound.ticket is not None
    assert inbound.ticket.customer.primary_email == "ayla@example.com"
    assert inbound.message is not None
    assert "Booking confirmed." in inbound.message.body_text


def test_the_subject_incident_tag_links_a_new_ticket_to_the_incident() -> None:
    from calmdesk.incidents.tests.broadcast_factories import make_incident

    incident = make_incident()

    inbound = _receive(
        build_mail(
            sender="new@example.com",
            subject=f"Re: Your trip [INC-{incident.slug}]",
            text="Will I get a refund?",
        )
    )

    assert inbound.ticket is not None
    assert inbound.ticket.incident == incident


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_an_email_broadcast_comes_back_as_a_ticket_linked_to_the_incident(
    smtp_server: Any, settings: Any
) -> None:
    from calmdesk.core.tasks import deliver_outbox_message
    from calmdesk.incidents.broadcasts import broadcast_start
    from calmdesk.incidents.tests.broadcast_factories import (
        affected_customer,
        make_broadcast,
        make_incident,
    )

    incident = make_incident()
    customer = affected_customer(name="Ana", reference="EN-1")
    broadcast = make_broadcast(
        incident=incident, templates={"en": {"subject": "About {{ booking }}", "body": "Hi"}}
    )
    broadcast_start(broadcast=broadcast, actor=None, now=timezone.now())
    for row in OutboxMessage.objects.filter(kind__startswith="broadcast").order_by("pk"):
        deliver_outbox_message.call_local(row.pk)
    sent = smtp_server.to(customer.primary_email)
    assert len(sent) == 1
    original = sent[0]

    reply = build_mail(
        sender=f"Ana <{customer.primary_email}>",
        to=str(original["Reply-To"] or original["From"]),
        subject=f"Re: {original['Subject']}",
        text="Will the ship leave tomorrow?\n\nOn Monday Crisis wrote:\n> Hi\n",
        headers={"In-Reply-To": original["Message-ID"], "References": original["Message-ID"]},
    )
    inbound = mail_receive(
        raw=reply, mailbox=MailboxFactory(address="crisis@calmdesk.test"), source="smtp"
    )

    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.ticket is not None
    assert inbound.ticket.incident == incident
    assert inbound.ticket.customer == customer
    assert inbound.message is not None
    assert inbound.message.body_text == "Will the ship leave tomorrow?"
    assert mail.outbox == []  # nothing went through the locmem backend: it was real SMTP


def test_cc_parties_are_kept_for_reply_all() -> None:
    inbound = _receive(
        build_mail(
            sender="Ayla <ayla@example.com>",
            to="support@calmdesk.test, Ops <ops@partner.example>",
            headers={"Cc": "Mert <mert@example.com>, =?utf-8?q?=C5=9Eule?= <sule@example.com>"},
        )
    )

    details = EmailDetails.objects.get(message=inbound.message)
    assert details.to_addresses == [
        ["", "support@calmdesk.test"],
        ["Ops", "ops@partner.example"],
    ]
    assert details.cc_addresses == [["Mert", "mert@example.com"], ["Şule", "sule@example.com"]]
    assert details.cc_header == "Mert <mert@example.com>, Şule <sule@example.com>"


def test_a_message_joining_a_ticket_by_headers_is_stored_once_per_message_id() -> None:
    ticket = _customer_ticket()
    _sent(ticket, "<random-abc123@calmdesk.test>")
    raw = build_mail(
        sender="ayla@example.com",
        message_id="<again@example.com>",
        headers={"In-Reply-To": "<random-abc123@calmdesk.test>"},
    )
    mailbox = MailboxFactory()

    mail_receive(raw=raw, mailbox=mailbox, source="imap")
    mail_receive(raw=raw, mailbox=mailbox, source="smtp")

    assert Message.objects.filter(external_id="<again@example.com>").count() == 1


def test_made_up_ids_with_numbers_too_large_for_a_key_do_not_fail_the_message() -> None:
    inbound = _receive(
        build_mail(
            sender="Mert <mert@example.com>",
            subject="Re: Cabin",
            headers={
                "In-Reply-To": "<cd-99999999999999999999999999-ack@calmdesk.test>",
                "References": "<cd-broadcast-99999999999999999999999-1@calmdesk.test>",
            },
        )
    )

    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.ticket is not None
