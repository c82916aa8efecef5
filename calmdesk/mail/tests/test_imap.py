"""IMAP against a real Dovecot: fetch, store, then mark seen; errors recorded; IDLE."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import OperationalError

from calmdesk.mail import imap as imap_module
from calmdesk.mail.imap import IdleWorker, idle_heartbeat, imap_fetch, imap_poll_all
from calmdesk.mail.models import InboundEmail, InboundStatus, Mailbox
from calmdesk.tickets.models import Message, Ticket

from .dovecot import Dovecot, dovecot_fixture, imap_fixture  # noqa: F401  (fixtures)
from .transport_helpers import make_mailbox, raw_mail

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def imap_mailbox(server: Dovecot, *, user: str = "support", **fields: Any) -> Mailbox:
    fields.setdefault("address", f"{user}@calmdesk.test")
    fields.setdefault("imap_host", server.host)
    fields.setdefault("imap_port", server.port)
    fields.setdefault("imap_security", "none")
    fields.setdefault("imap_user", user)
    fields.setdefault("imap_password", server.password(user))
    return make_mailbox(**fields)


def test_fetch_stores_every_unseen_message_and_marks_it_seen(imap: Dovecot) -> None:
    mailbox = imap_mailbox(imap)
    imap.append(raw_mail(message_id="<one@example.com>"))
    imap.append(
        raw_mail(
            sender="Jonas Petraitis <jonas@example.lt>",
            subject="Lost luggage",
            message_id="<two@example.lt>",
        )
    )

    with time_machine.travel(NOW, tick=False):
        stored = imap_fetch(mailbox)

    assert stored == 2
    rows = InboundEmail.objects.order_by("pk")
    assert [(r.source, r.header_message_id, r.mailbox_id) for r in rows] == [
        ("imap", "<one@example.com>", mailbox.pk),
        ("imap", "<two@example.lt>", mailbox.pk),
    ]
    assert [r.status for r in rows] == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Lost luggage",
        "My flight was cancelled",
    ]
    assert imap.unseen() == []
    assert len(imap.all()) == 2  # marked seen, never deleted
    mailbox.refresh_from_db()
    assert mailbox.imap_last_checked_at == NOW
    assert mailbox.imap_last_error == ""


def test_a_second_pass_finds_nothing_new(imap: Dovecot) -> None:
    mailbox = imap_mailbox(imap)
    imap.append(raw_mail())
    imap_fetch(mailbox)

    assert imap_fetch(mailbox) == 0
    assert InboundEmail.objects.count() == 1


def test_the_same_message_appended_twice_becomes_one_ticket_message(imap: Dovecot) -> None:
    mailbox = imap_mailbox(imap)
    raw = raw_mail(message_id="<same@example.com>")
    imap.append(raw)
    imap.append(raw)

    imap_fetch(mailbox)

    assert InboundEmail.objects.count() == 1
    assert Message.objects.count() == 1
    assert imap.unseen() == []  # both copies were handled


def test_a_message_is_marked_seen_only_after_it_is_stored(
    imap: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = imap_mailbox(imap)
    imap.append(raw_mail(message_id="<later@example.com>"))

    def database_down(**kwargs: Any) -> None:
        raise OperationalError("the database is down")

    monkeypatch.setattr(imap_module, "mail_receive", database_down)
    with pytest.raises(OperationalError):
        imap_fetch(mailbox)

    assert len(imap.unseen()) == 1  # still there for the next pass
    monkeypatch.undo()
    assert imap_fetch(mailbox) == 1
    assert InboundEmail.objects.get().header_message_id == "<later@example.com>"
    assert imap.unseen() == []


def test_a_message_that_fails_to_process_is_kept_and_marked_seen(
    imap: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Decision: the raw message is stored (FAILED, listed on the health page, replayable), so
    # it is marked seen like any other; leaving it unseen would fetch it on every pass.
    from calmdesk.mail import services

    def broken(inbound: InboundEmail, **kwargs: Any) -> None:
        raise ValueError("cannot parse this")

    monkeypatch.setattr(services, "inbound_process", broken)
    mailbox = imap_mailbox(imap)
    raw = raw_mail(message_id="<broken@example.com>")
    imap.append(raw)

    assert imap_fetch(mailbox) == 1

    inbound = InboundEmail.objects.get()
    assert inbound.status == InboundStatus.FAILED
    assert "cannot parse this" in inbound.error
    assert bytes(inbound.raw).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert imap.unseen() == []
    assert Ticket.objects.count() == 0


def test_messages_over_the_size_limit_stay_on_the_server_and_are_reported(
    imap: Dovecot, settings: Any
) -> None:
    settings.MAIL_MAX_MESSAGE_BYTES = 2000
    mailbox = imap_mailbox(imap)
    imap.append(raw_mail(message_id="<small@example.com>"))
    imap.append(raw_mail(message_id="<big@example.com>", body="x" * 5000))

    assert imap_fetch(mailbox) == 1

    assert InboundEmail.objects.get().header_message_id == "<small@example.com>"
    assert len(imap.unseen()) == 1
    mailbox.refresh_from_db()
    assert mailbox.imap_last_error.startswith(
        "1 message(s) over the size limit of 2000 bytes left unread on the server (UID "
    )


def test_a_refused_connection_is_recorded_on_the_mailbox(imap: Dovecot) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = imap_mailbox(imap, imap_port=port)

    with time_machine.travel(NOW, tick=False):
        assert imap_fetch(mailbox) == 0

    mailbox.refresh_from_db()
    assert mailbox.imap_last_error.startswith("Connection refused")
    assert mailbox.imap_last_checked_at == NOW


def test_a_wrong_password_is_recorded_and_the_next_good_pass_clears_it(imap: Dovecot) -> None:
    mailbox = imap_mailbox(imap)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")
    mailbox.refresh_from_db()

    assert imap_fetch(mailbox) == 0
    mailbox.refresh_from_db()
    assert mailbox.imap_last_error.startswith("MailboxLoginError")

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password=imap.password("support"))
    mailbox.refresh_from_db()
    imap_fetch(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.imap_last_error == ""


def test_tls_against_a_plain_server_is_an_error_not_a_crash(imap: Dovecot) -> None:
    mailbox = imap_mailbox(imap, imap_security="ssl")

    assert imap_fetch(mailbox) == 0

    mailbox.refresh_from_db()
    assert mailbox.imap_last_error != ""
    assert InboundEmail.objects.count() == 0


def _needs_tls(server: Dovecot) -> int:
    if server.tls_port is None:
        pytest.skip("openssl is missing: no certificate for the TLS tests")
    return server.tls_port


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_fetch_over_tls_with_the_servers_certificate_trusted(
    imap: Dovecot, settings: Any, security: str
) -> None:
    tls_port = _needs_tls(imap)
    settings.MAIL_IMAP_CA_FILE = imap.ca_file
    port = tls_port if security == "ssl" else imap.port
    mailbox = imap_mailbox(imap, imap_security=security, imap_port=port)
    imap.append(raw_mail())

    assert imap_fetch(mailbox) == 1

    mailbox.refresh_from_db()
    assert mailbox.imap_last_error == ""
    assert imap.unseen() == []


def test_an_untrusted_certificate_is_refused_and_recorded(imap: Dovecot) -> None:
    mailbox = imap_mailbox(imap, imap_security="ssl", imap_port=_needs_tls(imap))
    imap.append(raw_mail())

    assert imap_fetch(mailbox) == 0

    mailbox.refresh_from_db()
    assert mailbox.imap_last_error.startswith("SSLCertVerificationError")
    assert len(imap.unseen()) == 1


def test_the_periodic_poll_fetches_every_mailbox_no_idle_worker_watches(imap: Dovecot) -> None:
    support = imap_mailbox(imap, user="support")
    sales = imap_mailbox(imap, user="sales")
    make_mailbox(address="webhooks@calmdesk.test")  # no IMAP host: not polled
    imap.append(raw_mail(to="support@calmdesk.test"), user="support")
    imap.append(raw_mail(to="sales@calmdesk.test", message_id="<s@x.com>"), user="sales")
    idle_heartbeat(sales.pk)  # an imap_idle worker has this one

    assert imap_poll_all() == 1

    assert list(InboundEmail.objects.values_list("mailbox_id", flat=True)) == [support.pk]
    assert len(imap.unseen("sales")) == 1


def test_the_poll_task_runs_the_poll(imap: Dovecot) -> None:
    imap_mailbox(imap)
    imap.append(raw_mail())

    imap_module.poll_imap_mailboxes.call_local()

    assert InboundEmail.objects.count() == 1


class CountingStop(threading.Event):
    """A stop event that records the waits and stops the worker after ``times`` of them."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.times = times

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        if len(self.waits) >= self.times:
            self.set()
        return self.is_set()


# The worker manages its own database connection (as in the imap_idle process).
@pytest.mark.django_db(transaction=True)
def test_the_idle_worker_reconnects_with_exponential_backoff(imap: Dovecot) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = imap_mailbox(imap, imap_port=port)
    stop = CountingStop(times=5)

    IdleWorker(mailbox_id=mailbox.pk, stop=stop, backoff_seconds=2, max_backoff_seconds=10).run()

    assert stop.waits == [2, 4, 8, 10, 10]
    mailbox.refresh_from_db()
    assert mailbox.imap_last_error.startswith("Connection refused")


@pytest.mark.django_db(transaction=True)
def test_idle_fetches_a_new_mail_as_soon_as_the_server_announces_it(dovecot: Dovecot) -> None:
    for user in ("support", "sales"):
        dovecot.empty(user)
    mailbox = imap_mailbox(dovecot)
    idling = threading.Event()
    fetched: list[int] = []
    got_mail = threading.Event()

    def on_fetch(stored: int) -> None:
        fetched.append(stored)
        if stored:
            got_mail.set()

    # Poll far in the future: only IDLE can bring the mail in within the test's wait.
    worker = IdleWorker(
        mailbox_id=mailbox.pk,
        idle_seconds=600,
        poll_seconds=600,
        on_fetch=on_fetch,
        on_idle=idling.set,
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert idling.wait(10), "the worker never entered IDLE"
        dovecot.append(raw_mail(message_id="<idle@example.com>"))
        assert got_mail.wait(15), "IDLE did not announce the new mail"
    finally:
        worker.stop.set()
        thread.join(timeout=10)

    assert worker.supports_idle is True
    assert fetched == [0, 1]  # the first pass found nothing, IDLE brought the one mail
    assert InboundEmail.objects.get().header_message_id == "<idle@example.com>"
    assert dovecot.unseen() == []
    assert not thread.is_alive()
