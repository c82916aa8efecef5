"""Bounces mark the outgoing mail, the address and the ticket; auto-replies and out-of-office
are never answered, never open a ticket, never reopen one; automated mail is not acknowledged."""

from __future__ import annotations

from typing import Any

import pytest

from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.core.testing.factories import CustomerFactory, make_ticket
from calmdesk.customers.models import Identity
from calmdesk.mail.detect import AUTO_REPLY, AUTOMATED, BOUNCE, detect
from calmdesk.mail.ingest import mail_receive
from calmdesk.mail.models import InboundStatus
from calmdesk.mail.parsing import parse_email
from calmdesk.replies.models import TemplateKind
from calmdesk.tickets.enums import EventType, TicketStatus
from calmdesk.tickets.models import Ticket, TicketEvent
from calmdesk.tickets.services import ticket_change_status

from .factories import MailboxFactory, build_mail

pytestmark = pytest.mark.django_db


def _detect(raw: bytes) -> Any:
    return detect(parse_email(raw, max_attachment_bytes=10**7, max_total_bytes=10**8))


def _dsn(*, original_id: str, recipient: str, action: str = "failed") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
        "To: support@calmdesk.test\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <dsn-1@mx.example.net>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\n\n'
        "--dsn\nContent-Type: text/plain\n\nThis is the mail system. Your message could not "
        "be delivered.\n\n"
        "--dsn\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Action: {action}\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <user>: Recipient address rejected: User unknown\n\n"
        "--dsn\nContent-Type: text/rfc822-headers\n\n"
        "From: Support <support@calmdesk.test>\n"
        f"To: {recipient}\nSubject: Your request\nMessage-ID: {original_id}\n\n"
        "--dsn--\n"
    ).encode()


def _sent_reply(ticket: Ticket, *, to: str, message_id: str) -> OutboxMessage:
    row = outbox_enqueue(
        kind=TemplateKind.AGENT_REPLY,
        to=to,
        delivery_key=f"reply-test:{message_id}",
        subject="Re: Cabin",
        headers={"Message-ID": message_id},
        ticket_id=ticket.pk,
    )
    assert row is not None
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.SENT)
    return row


def test_a_bounce_marks_the_outgoing_mail_the_address_and_the_ticket() -> None:
    customer = CustomerFactory(email="gone@example.com")
    ticket = make_ticket(customer=customer)
    row = _sent_reply(ticket, to="gone@example.com", message_id="<cd-r-abc123@calmdesk.test>")

    inbound = mail_receive(
        raw=_dsn(original_id="<cd-r-abc123@calmdesk.test>", recipient="Gone@Example.com"),
        mailbox=MailboxFactory(),
        source="smtp",
        envelope_from="<>",
    )

    assert inbound.status == InboundStatus.BOUNCE
    assert inbound.reason == "Bounced: gone@example.com"
    assert inbound.ticket == ticket
    row.refresh_from_db()
    assert row.status == OutboxStatus.BOUNCED
    assert row.last_error == "smtp; 550 5.1.1 <user>: Recipient address rejected: User unknown"
    assert Identity.objects.get(value="gone@example.com").bounced_at == inbound.processed_at
    event = TicketEvent.objects.get(ticket=ticket, type=EventType.DELIVERY)
    assert event.data["status"] == "bounced"
    assert event.data["recipient"] == "gone@example.com"
    assert event.data["outbox"] == row.pk
    assert event.data["dsn_status"] == "5.1.1"
    assert Ticket.objects.count() == 1  # the bounce opened nothing


def test_a_bounce_finds_the_outgoing_mail_by_its_provider_id() -> None:
    ticket = make_ticket(customer=CustomerFactory(email="gone@example.com"))
    row = _sent_reply(ticket, to="gone@example.com", message_id="<ours@calmdesk.test>")
    OutboxMessage.objects.filter(pk=row.pk).update(provider_id="<smtp-id-9@calmdesk.test>")

    mail_receive(
        raw=_dsn(original_id="<smtp-id-9@calmdesk.test>", recipient="gone@example.com"),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    row.refresh_from_db()
    assert row.status == OutboxStatus.BOUNCED


def test_a_bounce_for_mail_we_never_sent_marks_nothing() -> None:
    CustomerFactory(email="victim@example.com")

    inbound = mail_receive(
        raw=_dsn(original_id="<forged@elsewhere>", recipient="victim@example.com"),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    assert inbound.status == InboundStatus.BOUNCE
    assert inbound.reason == "Bounce for a message we did not send (nothing marked)"
    assert Identity.objects.get(value="victim@example.com").bounced_at is None
    assert Ticket.objects.count() == 0


def test_a_delayed_delivery_report_is_ignored_and_marks_nothing() -> None:
    ticket = make_ticket(customer=CustomerFactory(email="slow@example.com"))
    row = _sent_reply(ticket, to="slow@example.com", message_id="<slow@calmdesk.test>")

    inbound = mail_receive(
        raw=_dsn(
            original_id="<slow@calmdesk.test>", recipient="slow@example.com", action="delayed"
        ),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    assert inbound.status == InboundStatus.IGNORED
    assert inbound.reason == "Automatic reply (delivery delayed)"
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT


def test_a_non_standard_bounce_is_recognised_by_the_quoted_message_id() -> None:
    ticket = make_ticket(customer=CustomerFactory(email="old@example.com"))
    row = _sent_reply(ticket, to="old@example.com", message_id="<qmail-1@calmdesk.test>")
    raw = (
        b"From: MAILER-DAEMON@mail.example.org\nTo: support@calmdesk.test\n"
        b"Subject: failure notice\nMessage-ID: <qmail-bounce@mail.example.org>\n\n"
        b"Hi. This is the qmail-send program at mail.example.org.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        b"<old@example.com>:\n550 sorry, no mailbox here by that name (#5.1.1)\n\n"
        b"--- Below this line is a copy of the message.\n\n"
        b"From: support@calmdesk.test\nMessage-ID: <qmail-1@calmdesk.test>\nSubject: Re: Cabin\n"
    )

    inbound = mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")

    assert inbound.status == InboundStatus.BOUNCE
    row.refresh_from_db()
    assert row.status == OutboxStatus.BOUNCED
    assert Identity.objects.get(value="old@example.com").bounced_at is not None


@pytest.mark.parametrize(
    ("headers", "subject", "kind"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Cabin", AUTO_REPLY),
        ({"Auto-Submitted": "auto-generated"}, "Out of Office: Cabin", AUTO_REPLY),
        ({"Auto-Submitted": "auto-generated"}, "Your invoice", AUTOMATED),
        ({"Auto-Submitted": "no"}, "Cabin", ""),
        ({"X-Autoreply": "yes"}, "Re: Cabin", AUTO_REPLY),
        ({"X-Autorespond": "Vacation"}, "Re: Cabin", AUTO_REPLY),
        ({"X-Auto-Response-Suppress": "All"}, "Automatic reply: Cabin", AUTO_REPLY),
        ({"Precedence": "bulk"}, "Newsletter", AUTOMATED),
        ({"Precedence": "auto_reply"}, "Re: Cabin", AUTO_REPLY),
        ({"Precedence": "list", "List-Id": "<l.example.com>"}, "[l] news", AUTOMATED),
        ({}, "Automatic reply: Cabin", AUTO_REPLY),
        ({}, "Otomatik yanıt: Kabin", AUTO_REPLY),
        ({}, "Automatinis atsakymas: kajutė", AUTO_REPLY),
        ({}, "پاسخ خودکار: کابین", AUTO_REPLY),
        ({}, "Abwesenheitsnotiz: Kabine", AUTO_REPLY),
        ({}, "Cabin problem", ""),
    ],
)
def test_automatic_mail_is_recognised(headers: dict[str, str], subject: str, kind: str) -> None:
    assert _detect(build_mail(headers=headers, subject=subject)).kind == kind


def test_a_read_receipt_is_an_automatic_reply() -> None:
    raw = (
        b"From: a@example.com\nTo: support0@calmdesk.test\nSubject: Read: Cabin\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"\n\n'
        b"--m\nContent-Type: text/plain\n\nRead.\n--m\n"
        b"Content-Type: message/disposition-notification\n\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\n--m--\n"
    )

    assert _detect(raw).kind == AUTO_REPLY


def test_mail_from_a_no_reply_sender_is_automated() -> None:
    assert _detect(build_mail(sender="no-reply@shop.example")).kind == AUTOMATED


def test_an_out_of_office_reply_is_stored_ignored_linked_to_its_ticket_never_answered() -> None:
    customer = CustomerFactory(email="away@example.com")
    ticket = make_ticket(customer=customer)
    ticket_change_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None)
    outbox_before = OutboxMessage.objects.count()

    inbound = mail_receive(
        raw=build_mail(
            sender="away@example.com",
            subject=f"Automatic reply: Cabin [{ticket.reference}]",
            headers={"Auto-Submitted": "auto-replied"},
            text="I am away until Monday.",
        ),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    assert inbound.status == InboundStatus.IGNORED
    assert inbound.reason == "Automatic reply (Auto-Submitted: auto-replied)"
    assert inbound.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    assert ticket.messages.count() == 1
    assert OutboxMessage.objects.count() == outbox_before
    assert Ticket.objects.count() == 1


def test_an_out_of_office_from_a_stranger_opens_no_ticket() -> None:
    inbound = mail_receive(
        raw=build_mail(sender="who@example.com", subject="Out of office"),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    assert inbound.status == InboundStatus.IGNORED
    assert Ticket.objects.count() == 0


def test_automated_mail_opens_a_ticket_without_an_acknowledgement() -> None:
    inbound = mail_receive(
        raw=build_mail(
            sender="alerts@booking-system.example",
            subject="Payment failed for BK-1",
            headers={"Auto-Submitted": "auto-generated"},
        ),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.reason == "Automated mail, not acknowledged (Auto-Submitted: auto-generated)"
    assert inbound.ticket is not None
    assert OutboxMessage.objects.filter(kind=TemplateKind.AUTORESPONDER).count() == 0


def test_a_person_gets_the_acknowledgement() -> None:
    mail_receive(raw=build_mail(), mailbox=MailboxFactory(), source="smtp")

    assert OutboxMessage.objects.filter(kind=TemplateKind.AUTORESPONDER).count() == 1


def test_automated_mail_never_reopens_a_solved_ticket() -> None:
    ticket = make_ticket(customer=CustomerFactory(email="system@example.com"))
    ticket_change_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None)

    inbound = mail_receive(
        raw=build_mail(
            sender="system@example.com",
            subject=f"Re: [{ticket.reference}] status",
            headers={"Precedence": "bulk"},
        ),
        mailbox=MailboxFactory(),
        source="smtp",
    )

    assert inbound.status == InboundStatus.IGNORED
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED


def test_the_python_corpus_bounce_is_recognised() -> None:
    import email
    from pathlib import Path

    path = Path(email.__file__).parent.parent / "test" / "test_email" / "data" / "msg_16.txt"
    if not path.exists():
        pytest.skip("Python's email test corpus is missing")

    assert _detect(path.read_bytes()).kind == BOUNCE
