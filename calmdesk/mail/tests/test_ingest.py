"""mail_receive / mail_replay: raw stored first, idempotent, failures kept, every corpus
message and every nasty case ingested without an error."""

from __future__ import annotations

import email
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from calmdesk.conversations.models import Contact
from calmdesk.mail import services as mail_services
from calmdesk.mail.ingest import mail_receive, mail_replay
from calmdesk.mail.models import EmailDetails, InboundEmail, InboundStatus
from calmdesk.mail.services import inbound_replay_all_stuck
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Message, Ticket

from .factories import MailboxFactory, build_mail

CORPUS = Path(email.__file__).parent.parent / "test" / "test_email" / "data"
CORPUS_FILES = sorted(CORPUS.glob("msg_*.txt")) if CORPUS.is_dir() else []
NASTY = Path(__file__).parent / "nasty"

pytestmark = pytest.mark.django_db


def test_a_mail_becomes_a_ticket_with_its_text_sender_and_headers() -> None:
    mailbox = MailboxFactory(address="support@calmdesk.test")
    raw = build_mail(
        sender="Ayla Demir <Ayla@Example.COM>",
        to="support@calmdesk.test",
        headers={"Cc": "Mert <mert@example.com>"},
        message_id="<first-1@example.com>",
    )

    inbound = mail_receive(raw=raw, mailbox=mailbox, source="smtp")

    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.attempts == 1
    assert bytes(inbound.raw) == raw
    assert inbound.from_address == "ayla@example.com"
    ticket = inbound.ticket
    assert ticket is not None
    assert ticket.channel == Channel.EMAIL
    assert ticket.subject == "My booking"
    assert ticket.customer.name == "Ayla Demir"
    assert ticket.customer.primary_email == "ayla@example.com"
    message = inbound.message
    assert message is not None
    assert message.body_text == "Hello, my cabin is wrong."
    assert message.external_id == "<first-1@example.com>"
    details = EmailDetails.objects.get(message=message)
    assert details.cc_addresses == [["Mert", "mert@example.com"]]
    assert details.from_header == "Ayla Demir <Ayla@Example.COM>"
    assert details.inbound == inbound


def test_the_same_mail_twice_is_one_message() -> None:
    mailbox = MailboxFactory()
    raw = build_mail(message_id="<twice@example.com>")

    first = mail_receive(raw=raw, mailbox=mailbox, source="imap")
    second = mail_receive(raw=raw, mailbox=mailbox, source="smtp")

    assert second.pk == first.pk
    assert InboundEmail.objects.count() == 1
    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1
    assert second.attempts == 1


def test_a_mail_without_message_id_is_deduplicated_by_its_bytes() -> None:
    mailbox = MailboxFactory()
    raw = b"From: a@example.com\nTo: support0@calmdesk.test\nSubject: hi\n\nno id\n"

    first = mail_receive(raw=raw, mailbox=mailbox, source="smtp")
    second = mail_receive(raw=raw, mailbox=mailbox, source="smtp")

    assert first.pk == second.pk
    assert first.dedup_key.startswith("sha256:")
    assert Ticket.objects.count() == 1


def test_the_same_message_id_in_two_mailboxes_is_two_receptions() -> None:
    raw = build_mail(message_id="<both@example.com>")

    mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")
    mail_receive(raw=raw, mailbox=MailboxFactory(), source="smtp")

    assert InboundEmail.objects.count() == 2


def test_a_failure_keeps_the_raw_message_failed_and_replay_processes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailbox = MailboxFactory()
    raw = build_mail(message_id="<fails@example.com>")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the parser broke")

    monkeypatch.setattr(mail_services, "parse_email", broken)
    inbound = mail_receive(raw=raw, mailbox=mailbox, source="smtp")

    assert inbound.status == InboundStatus.FAILED
    assert inbound.error == "RuntimeError: the parser broke"
    assert bytes(inbound.raw) == raw
    assert Ticket.objects.count() == 0

    monkeypatch.undo()
    replayed = mail_replay(inbound_id=inbound.pk)

    assert replayed.status == InboundStatus.PROCESSED
    assert replayed.error == ""
    assert replayed.attempts == 2
    assert Ticket.objects.count() == 1


def test_a_failure_after_the_ticket_was_written_leaves_nothing_half_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailbox = MailboxFactory()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("details could not be stored")

    monkeypatch.setattr(mail_services, "_store_details", broken)
    inbound = mail_receive(raw=build_mail(), mailbox=mailbox, source="smtp")

    assert inbound.status == InboundStatus.FAILED
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0
    monkeypatch.undo()
    assert mail_replay(inbound_id=inbound.pk).status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1


def test_replay_of_a_processed_message_changes_nothing() -> None:
    inbound = mail_receive(raw=build_mail(), mailbox=MailboxFactory(), source="smtp")

    again = mail_replay(inbound_id=inbound.pk)

    assert again.attempts == 1
    assert Message.objects.count() == 1


def test_the_sweep_processes_messages_stored_but_never_processed() -> None:
    mailbox = MailboxFactory()
    stuck = InboundEmail.objects.create(
        mailbox=mailbox,
        source="smtp",
        raw=build_mail(message_id="<stuck@example.com>"),
        dedup_key="<stuck@example.com>",
        received_at=timezone.now() - timedelta(minutes=10),
    )
    fresh = InboundEmail.objects.create(
        mailbox=mailbox,
        source="smtp",
        raw=build_mail(message_id="<fresh@example.com>"),
        dedup_key="<fresh@example.com>",
    )

    assert inbound_replay_all_stuck() == 1

    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == InboundStatus.PROCESSED
    assert fresh.status == InboundStatus.RECEIVED  # may still be in the hands of its worker


def test_the_sweep_gives_up_after_five_attempts_and_the_message_shows_as_failed() -> None:
    stuck = InboundEmail.objects.create(
        mailbox=MailboxFactory(),
        source="smtp",
        raw=b"x",
        dedup_key="sha256:x",
        attempts=5,
        received_at=timezone.now() - timedelta(minutes=10),
    )

    inbound_replay_all_stuck()

    stuck.refresh_from_db()
    assert stuck.status == InboundStatus.FAILED
    assert stuck.error == "Processing never finished after 5 attempts"


@pytest.mark.skipif(not CORPUS_FILES, reason=f"Python's email test corpus is missing ({CORPUS})")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_message_of_the_python_email_corpus_is_ingested(path: Path) -> None:
    mailbox = MailboxFactory()

    inbound = mail_receive(
        raw=path.read_bytes(),
        mailbox=mailbox,
        source="smtp",
        envelope_from="envelope-sender@example.org",  # as the SMTP receiver always has one
    )

    assert inbound.status in (
        InboundStatus.PROCESSED,
        InboundStatus.IGNORED,
        InboundStatus.BOUNCE,
    ), inbound.error
    if inbound.status == InboundStatus.PROCESSED:
        assert inbound.ticket is not None
        assert inbound.message is not None
    else:
        assert inbound.reason != ""


def test_the_corpus_has_the_48_messages_we_expect() -> None:
    if not CORPUS_FILES:
        pytest.skip(f"Python's email test corpus is missing ({CORPUS})")
    assert len(CORPUS_FILES) >= 48


NASTY_FILES = sorted(NASTY.glob("*.eml"))


@pytest.mark.parametrize("path", NASTY_FILES, ids=lambda p: p.name)
def test_every_nasty_message_is_ingested_without_an_error(path: Path) -> None:
    inbound = mail_receive(
        raw=path.read_bytes(),
        mailbox=MailboxFactory(),
        source="smtp",
        envelope_from="envelope@example.org",
    )

    assert inbound.status in (InboundStatus.PROCESSED, InboundStatus.IGNORED), inbound.error


def _nasty(name: str) -> InboundEmail:
    return mail_receive(
        raw=(NASTY / name).read_bytes(),
        mailbox=MailboxFactory(),
        source="smtp",
        envelope_from="envelope@example.org",
    )


def test_a_zero_byte_mail_is_kept_and_ignored() -> None:
    inbound = _nasty("zero_bytes.eml")

    assert inbound.status == InboundStatus.IGNORED
    assert inbound.reason == "Empty message"


def test_persian_windows_1256_html_is_decoded() -> None:
    inbound = _nasty("persian_cp1256.eml")

    assert inbound.ticket is not None
    assert inbound.ticket.subject == "لغو رزرو"
    assert inbound.ticket.customer.name == "سارا احمدي"
    assert inbound.message is not None
    assert inbound.message.body_text == "سلام، لطفاً رزرو من را لغو کنيد.\n\nبا تشکر"


def test_turkish_iso_8859_9_is_decoded() -> None:
    inbound = _nasty("turkish_iso8859_9.eml")

    assert inbound.ticket is not None
    assert inbound.ticket.subject == "Bilet değişikliği"
    assert inbound.ticket.customer.name == "Şükrü Yılmaz"
    assert inbound.message is not None
    assert "Teşekkürler, Şükrü" in inbound.message.body_text


def test_lithuanian_iso_8859_13_is_decoded() -> None:
    inbound = _nasty("lithuanian_iso8859_13.eml")

    assert inbound.ticket is not None
    assert inbound.ticket.subject == "Kelionės atšaukimas"
    assert inbound.message is not None
    assert inbound.message.body_text == "Laba diena, noriu atšaukti kelionę. Ačiū, Šarūnas"


def test_a_wrongly_declared_charset_still_reads_as_utf8() -> None:
    inbound = _nasty("wrong_charset.eml")

    assert inbound.message is not None
    assert "Çağrı, Šiaulių, café, شماره" in inbound.message.body_text


def test_raw_8bit_headers_are_decoded() -> None:
    utf8 = _nasty("eight_bit_headers.eml")
    latin1 = _nasty("latin1_8bit_headers.eml")

    assert utf8.ticket is not None
    assert utf8.ticket.subject == "Rezervasyon iptali – acil"
    assert utf8.ticket.customer.name == "Gökhan Çelik"
    assert latin1.ticket is not None
    assert latin1.ticket.subject == "Señor, mi reserva"


def test_nul_bytes_never_reach_the_database() -> None:
    inbound = _nasty("nul_bytes.eml")

    assert inbound.ticket is not None
    assert inbound.ticket.subject == "nul byte"
    assert inbound.message is not None
    assert inbound.message.body_text == "Text with a NUL inside."


def test_a_missing_boundary_leaves_the_body_readable() -> None:
    inbound = _nasty("missing_boundary.eml")

    assert inbound.message is not None
    assert "The body is still readable." in inbound.message.body_text


def test_a_garbage_from_falls_back_to_the_sender_header() -> None:
    inbound = _nasty("bad_address_header.eml")

    assert inbound.ticket is not None
    assert inbound.ticket.customer.primary_email == "real@example.com"


def test_outlook_html_shows_the_new_part_and_keeps_the_whole_mail() -> None:
    inbound = _nasty("outlook_html.eml")

    message = inbound.message
    assert message is not None
    assert message.body_text == "Hello,\n\nPlease move me to an outside cabin.\n\nRuta"
    assert "outside cabin" in message.body_html
    assert "Old reply text" not in message.body_html
    assert "<script" not in message.body_html
    details = EmailDetails.objects.get(message=message)
    assert "Old reply text" in details.full_html
    assert "<script" not in details.full_html


def test_a_forwarded_rfc822_message_shows_in_the_body_under_its_headers() -> None:
    inbound = _nasty("forward_rfc822.eml")

    message = inbound.message
    assert message is not None
    assert inbound.ticket is not None
    assert inbound.ticket.customer.primary_email == "mert@example.com"
    assert message.body_text.startswith("See the confirmation below, the date is wrong.")
    assert "From: Bookings <bookings@ferry.example>" in message.body_text
    assert "Booking BK-4411, departure 12 May." in message.body_text


def test_a_dangerous_attachment_name_is_made_safe() -> None:
    inbound = _nasty("broken_base64.eml")

    assert inbound.message is not None
    names = list(inbound.message.attachments.values_list("filename", flat=True))
    assert names == ["passwd.pdf"]


def test_the_sender_is_throttled_after_too_many_mails_in_an_hour(settings: Any) -> None:
    settings.MAIL_LOOP_MAX_PER_HOUR = 3
    mailbox = MailboxFactory()
    results = [
        mail_receive(
            raw=build_mail(subject=f"Ticket {i}", message_id=f"<loop-{i}@example.com>"),
            mailbox=mailbox,
            source="smtp",
        )
        for i in range(5)
    ]

    assert [r.status for r in results] == ["processed"] * 3 + ["ignored"] * 2
    assert results[4].reason == "Mail loop: more than 3 mails in an hour from this sender"
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        later = mail_receive(
            raw=build_mail(message_id="<loop-later@example.com>"), mailbox=mailbox, source="smtp"
        )
    assert later.status == InboundStatus.PROCESSED


def test_mail_from_our_own_mailbox_is_ignored() -> None:
    mailbox = MailboxFactory(address="support@calmdesk.test")

    inbound = mail_receive(
        raw=build_mail(sender="Support <support@calmdesk.test>"), mailbox=mailbox, source="smtp"
    )

    assert inbound.status == InboundStatus.IGNORED
    assert Ticket.objects.count() == 0
