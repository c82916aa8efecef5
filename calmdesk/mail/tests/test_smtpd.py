"""The SMTP/LMTP receiver, started in-process on a free port, spoken to with smtplib."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError

from calmdesk.mail import smtpd as smtpd_module
from calmdesk.mail.models import InboundEmail, InboundStatus, Mailbox
from calmdesk.mail.smtpd import MailController, start_smtpd
from calmdesk.tickets.models import Message, Ticket

from .transport_helpers import make_mailbox, raw_mail

# The receiver works in its own threads: the data must be committed for them to see it.
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Mailbox:
    return make_mailbox(catch_all_domain="calmdesk.test")


@pytest.fixture
def smtp() -> Iterator[MailController]:
    controller = start_smtpd(host="127.0.0.1", port=_free_port(), max_bytes=20_000)
    yield controller
    controller.stop()


@pytest.fixture
def lmtp() -> Iterator[MailController]:
    controller = start_smtpd(host="127.0.0.1", port=_free_port(), lmtp=True)
    yield controller
    controller.stop()


def send(controller: MailController, raw: bytes, to: list[str], sender: str = "") -> Any:
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
        return client.sendmail(sender or "ayse@example.com", to, raw)


def test_smtp_mail_for_a_mailbox_is_stored_and_becomes_a_ticket(
    mailbox: Mailbox, smtp: MailController
) -> None:
    raw = raw_mail(to="help@calmdesk.test", message_id="<smtp-1@example.com>")

    refused = send(smtp, raw, ["help@calmdesk.test"], sender="bounces@example.com")

    assert refused == {}
    inbound = InboundEmail.objects.get()
    assert inbound.source == "smtp"
    assert inbound.mailbox == mailbox
    assert inbound.envelope_from == "bounces@example.com"
    assert inbound.envelope_to == ["help@calmdesk.test"]
    assert inbound.header_message_id == "<smtp-1@example.com>"
    assert inbound.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().subject == "My flight was cancelled"


def test_an_address_no_mailbox_takes_is_refused_with_550(
    mailbox: Mailbox, smtp: MailController
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp, raw_mail(to="someone@elsewhere.example"), ["someone@elsewhere.example"])

    [(code, text)] = refused.value.recipients.values()
    assert code == 550
    assert text.startswith(b"5.1.1 <someone@elsewhere.example>")
    assert InboundEmail.objects.count() == 0


def test_known_and_unknown_recipients_the_known_one_gets_the_mail(
    mailbox: Mailbox, smtp: MailController
) -> None:
    refused = send(smtp, raw_mail(), ["support@calmdesk.test", "nobody@elsewhere.example"])

    assert list(refused) == ["nobody@elsewhere.example"]
    assert InboundEmail.objects.get().envelope_to == ["support@calmdesk.test"]


def test_a_message_over_the_size_limit_is_refused_with_552(
    mailbox: Mailbox, smtp: MailController
) -> None:
    big = raw_mail(body="x" * 30_000)

    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as error:
        send(smtp, big, ["support@calmdesk.test"])

    assert error.value.smtp_code == 552
    assert InboundEmail.objects.count() == 0


def test_when_storing_fails_the_answer_is_451_and_the_retry_stores_it_once(
    mailbox: Mailbox, smtp: MailController, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down(**kwargs: Any) -> None:
        raise OperationalError("the database is down")

    raw = raw_mail(message_id="<retry@example.com>")
    monkeypatch.setattr(smtpd_module, "mail_receive", database_down)
    with pytest.raises(smtplib.SMTPDataError) as error:
        send(smtp, raw, ["support@calmdesk.test"])
    assert error.value.smtp_code == 451
    assert InboundEmail.objects.count() == 0

    monkeypatch.undo()
    send(smtp, raw, ["support@calmdesk.test"])
    send(smtp, raw, ["support@calmdesk.test"])  # the MTA retried once more: harmless

    assert InboundEmail.objects.get().header_message_id == "<retry@example.com>"
    assert Message.objects.count() == 1


def test_the_raw_bytes_are_stored_as_received(mailbox: Mailbox, smtp: MailController) -> None:
    raw = raw_mail(subject="Rückerstattung für Ayşe — iade talebi")

    send(smtp, raw, ["support@calmdesk.test"])

    stored = bytes(InboundEmail.objects.get().raw)
    assert stored.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


class LmtpClient(smtplib.LMTP):
    """smtplib reads one reply after DATA; LMTP sends one per recipient (RFC 2033)."""

    def deliver(self, sender: str, recipients: list[str], raw: bytes) -> list[tuple[int, bytes]]:
        self.ehlo_or_helo_if_needed()
        code, text = self.mail(sender)
        assert code == 250, text
        accepted = []
        replies: list[tuple[int, bytes]] = []
        for rcpt in recipients:
            code, text = self.rcpt(rcpt)
            if code == 250:
                accepted.append(rcpt)
            else:
                replies.append((code, text))
        code, text = self.docmd("DATA")
        assert code == 354, text
        data = smtplib.quotedata(raw.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
        self.send(data + b"\r\n.\r\n")
        replies.extend(self.getreply() for _rcpt in accepted)
        return replies


def test_lmtp_answers_each_recipient_and_a_failed_mailbox_gets_451(
    mailbox: Mailbox, lmtp: MailController, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = make_mailbox(address="sales@example.org", name="Sales")
    real_receive = smtpd_module.mail_receive

    def sales_database_down(**kwargs: Any) -> Any:
        if kwargs["mailbox"].pk == sales.pk:
            raise OperationalError("the sales database is down")
        return real_receive(**kwargs)

    monkeypatch.setattr(smtpd_module, "mail_receive", sales_database_down)
    with LmtpClient(lmtp.hostname, lmtp.port, timeout=10) as client:
        replies = client.deliver(
            "ayse@example.com",
            ["support@calmdesk.test", "sales@example.org", "nobody@elsewhere.example"],
            raw_mail(to="support@calmdesk.test, sales@example.org"),
        )

    assert [code for code, _text in replies] == [550, 250, 451]
    assert replies[1][1].startswith(b"2.0.0 <support@calmdesk.test>")
    assert replies[2][1].startswith(b"4.3.0 <sales@example.org>")
    assert list(InboundEmail.objects.values_list("mailbox_id", "source")) == [(mailbox.pk, "lmtp")]


def test_lmtp_refuses_helo(lmtp: MailController) -> None:
    with smtplib.SMTP(lmtp.hostname, lmtp.port, timeout=10) as client:
        code, _text = client.helo("mta.example.com")

    assert code == 500


def test_the_command_stops_on_a_busy_port_with_a_clear_error() -> None:
    from django.core.management.base import CommandError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("smtpd", "--port", str(port))
