"""IMAP: fetch a mailbox's unseen messages, store each, and only then mark it seen.

``imap_fetch`` is one pass over a mailbox (the periodic task runs it every minute for every
active IMAP mailbox). ``ImapIdleWorker`` keeps one connection in IDLE where the server offers it
and fetches as soon as the server announces new mail (``manage.py imap_idle``); it falls back
to polling, and reconnects with backoff after any error.

A message is marked ``\\Seen`` only after ``mail_receive`` stored it: a crash in between means
the next pass fetches it again, which ``mail_receive`` makes harmless (idempotent on
Message-ID per mailbox). A message that cannot be parsed is stored too (for the health page
and replay), so it is marked seen as well. Messages over the size limit are left unseen on the
server and reported in ``Mailbox.imap_last_error``.

The IMAP library's own ``flag`` helper is not used: it runs EXPUNGE after every STORE, which
would delete messages another client had flagged for deletion.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from .ingest import mail_receive
from .models import Mailbox

log = logging.getLogger(__name__)

# Connection problems of every kind: network, TLS, login, protocol.
IMAP_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, timeouts (socket.timeout), ssl.SSLError
    imaplib.IMAP4.error,  # includes abort and readonly
    MailboxLoginError,
    UnexpectedCommandStatusError,
    EOFError,
    ValueError,  # imap_tools refuses STARTTLS on port 993
)

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_message_bytes() -> int:
    """Largest message taken by IMAP and the SMTP receiver (setting MAIL_MAX_MESSAGE_BYTES)."""
    return _setting("MAIL_MAX_MESSAGE_BYTES", 50 * 1024 * 1024)


def imap_timeout() -> int:
    return _setting("MAIL_IMAP_TIMEOUT", 30)


def _batch_size() -> int:
    return _setting("MAIL_IMAP_BATCH", 100)


# ------------------------------------------------------------------------------------------
# Connecting
# ------------------------------------------------------------------------------------------


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca_file = getattr(settings, "MAIL_IMAP_CA_FILE", "")
    if ca_file:  # a private CA (e.g. an internal mail server)
        context.load_verify_locations(cafile=ca_file)
    return context


def imap_client(mailbox: Mailbox) -> BaseMailBox:
    """A connected (not yet logged-in) client with the mailbox's security."""
    host, port, timeout = mailbox.imap_host, mailbox.imap_port, imap_timeout()
    if mailbox.imap_security == "ssl":
        return MailBox(host, port, timeout=timeout, ssl_context=_tls_context())
    if mailbox.imap_security == "starttls":
        return MailBoxStartTls(host, port, timeout=timeout, ssl_context=_tls_context())
    return MailBoxUnencrypted(host, port, timeout=timeout)


@contextmanager
def imap_session(mailbox: Mailbox) -> Iterator[BaseMailBox]:
    """Logged in, the mailbox's folder selected; logged out at the end (quietly)."""
    client = imap_client(mailbox)
    try:
        client.login(mailbox.imap_user, mailbox.imap_password, initial_folder=None)
        client.folder.set(mailbox.imap_folder or "INBOX")
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # the connection is gone already
            log.debug("imap: logout failed", exc_info=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"Connection refused: {exc}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"Timed out: {exc}"
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------------------
# Fetching
# ------------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    stored: int = 0  # handed to mail_receive and marked seen
    too_large: list[str] = field(default_factory=list)  # UIDs left on the server
    more: bool = False  # the batch was full: call again


def _unseen_uids(client: BaseMailBox) -> list[str]:
    return client.uids("UNSEEN")


def _sizes(client: BaseMailBox, uids: list[str]) -> dict[str, int]:
    typ, data = client.client.uid("FETCH", ",".join(uids), "(RFC822.SIZE)")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH RFC822.SIZE failed: {data!r}")
    sizes: dict[str, int] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid, size = _UID.search(line), _SIZE.search(line)
        if uid and size:
            sizes[uid.group(1).decode()] = int(size.group(1))
    return sizes


def _raw_message(client: BaseMailBox, uid: str) -> bytes | None:
    """The message exactly as the server has it, without setting \\Seen (BODY.PEEK)."""
    typ, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged by another client meanwhile


def _mark_seen(client: BaseMailBox, uid: str) -> None:
    typ, data = client.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"STORE {uid} failed: {data!r}")


def fetch_unseen(client: BaseMailBox, mailbox: Mailbox, *, limit: int | None = None) -> FetchResult:
    """Store the folder's unseen messages (oldest first, at most ``limit``) and mark each seen
    once stored. Over-size messages stay unseen and are reported."""
    result = FetchResult()
    uids = _unseen_uids(client)
    if not uids:
        return result
    limit = limit or _batch_size()
    sizes = _sizes(client, uids)
    largest = max_message_bytes()
    wanted = []
    for uid in uids:
        if sizes.get(uid, 0) > largest:
            result.too_large.append(uid)
        else:
            wanted.append(uid)
    result.more = len(wanted) > limit
    for uid in wanted[:limit]:
        raw = _raw_message(client, uid)
        if raw is None:
            continue
        mail_receive(raw=raw, mailbox=mailbox, source="imap")
        _mark_seen(client, uid)
        result.stored += 1
    return result


def _record(mailbox: Mailbox, *, error: str, now: datetime) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_last_checked_at=now, imap_last_error=error)
    mailbox.imap_last_checked_at = now
    mailbox.imap_last_error = error


def _too_large_error(uids: list[str]) -> str:
    return (
        f"{len(uids)} message(s) over the size limit of {max_message_bytes()} bytes left "
        f"unread on the server (UID {', '.join(uids[:20])})"
    )


def imap_fetch(mailbox: Mailbox, *, now: datetime | None = None) -> int:
    """One pass over ``mailbox``: every unseen message stored and marked seen. Returns how many
    were stored. Connection, login and protocol errors are recorded on the mailbox
    (``imap_last_error``; cleared by the next good pass), never raised."""
    if not mailbox.imap_host:
        return 0
    stored = 0
    error = ""
    try:
        with imap_session(mailbox) as client:
            while True:
                result = fetch_unseen(client, mailbox)
                stored += result.stored
                if result.too_large:
                    error = _too_large_error(result.too_large)
                if not result.more:
                    break
    except IMAP_ERRORS as exc:
        error = _describe(exc)
        log.warning("imap: mailbox %s (%s): %s", mailbox.pk, mailbox.imap_host, error)
    _record(mailbox, error=error, now=now or timezone.now())
    return stored


# ------------------------------------------------------------------------------------------
# The periodic poll
# ------------------------------------------------------------------------------------------

IDLE_HEARTBEAT_SECONDS = 120


def _idle_key(mailbox_id: int) -> str:
    return f"mail:imap-idle:{mailbox_id}"


def idle_heartbeat(mailbox_id: int) -> None:
    """An IDLE worker watches this mailbox: the periodic poll leaves it alone."""
    cache.set(_idle_key(mailbox_id), 1, timeout=IDLE_HEARTBEAT_SECONDS)


def imap_mailboxes() -> list[Mailbox]:
    return list(
        Mailbox.objects.filter(active=True)
        .exclude(imap_host="")
        .select_related("team")
        .order_by("pk")
    )


def imap_poll_all(*, now: datetime | None = None) -> int:
    """Fetch every active IMAP mailbox that no IDLE worker is watching."""
    total = 0
    for mailbox in imap_mailboxes():
        if cache.get(_idle_key(mailbox.pk)):
            continue
        total += imap_fetch(mailbox, now=now)
    return total


# Periodic: fetch new mail from every active IMAP mailbox (those an imap_idle worker watches
# are skipped: it fetches them the moment mail arrives).
@db_periodic_task(crontab(minute="*"))
@lock_task("mail-imap-poll")  # a slow server: the next minute's run does not overlap
def poll_imap_mailboxes() -> None:
    imap_poll_all()


# ------------------------------------------------------------------------------------------
# IDLE
# ------------------------------------------------------------------------------------------

# Server responses during IDLE that mean the folder changed.
_CHANGES = (b"EXISTS", b"RECENT")


@dataclass
class IdleWorker:
    """Watch one mailbox: fetch, then IDLE until the server announces mail (or ``idle_seconds``
    pass: RFC 2177 asks to renew IDLE within 29 minutes), fetch again, and so on. Without IDLE
    on the server, poll every ``poll_seconds``. After an error, reconnect with exponential
    backoff (``backoff_seconds`` doubling up to ``max_backoff_seconds``).

    ``stop`` ends the loop within about a second. ``on_fetch(stored)`` is called after each
    fetch (for logging and tests); ``on_idle()`` when the worker enters IDLE.
    """

    mailbox_id: int
    stop: threading.Event = field(default_factory=threading.Event)
    idle_seconds: float = 25 * 60
    poll_seconds: float = 60
    backoff_seconds: float = 2
    max_backoff_seconds: float = 300
    on_fetch: Callable[[int], None] | None = None
    on_idle: Callable[[], None] | None = None
    supports_idle: bool | None = None  # known after the first connection

    def run(self) -> None:
        try:
            self._run()
        finally:
            connections.close_all()  # this thread's database connections

    def _run(self) -> None:
        backoff = self.backoff_seconds
        while not self.stop.is_set():
            mailbox = self._mailbox()
            if mailbox is None:
                log.warning("imap idle: mailbox %s is gone or inactive; stopping", self.mailbox_id)
                return
            try:
                self._session(mailbox)
                backoff = self.backoff_seconds
            except IMAP_ERRORS as exc:
                error = _describe(exc)
                log.warning(
                    "imap idle: mailbox %s: %s; reconnecting in %ss", mailbox.pk, error, backoff
                )
                _record(mailbox, error=error, now=timezone.now())
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
            except DatabaseError:  # the database went away: nothing was marked seen
                log.exception("imap idle: mailbox %s: database error", mailbox.pk)
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
            finally:
                close_old_connections()

    def _mailbox(self) -> Mailbox | None:
        close_old_connections()
        return Mailbox.objects.filter(pk=self.mailbox_id, active=True).exclude(imap_host="").first()

    def _fetch(self, client: BaseMailBox, mailbox: Mailbox) -> None:
        close_old_connections()
        stored = 0
        error = ""
        while True:
            result = fetch_unseen(client, mailbox)
            stored += result.stored
            if result.too_large:
                error = _too_large_error(result.too_large)
            if not result.more:
                break
        _record(mailbox, error=error, now=timezone.now())
        idle_heartbeat(mailbox.pk)
        if self.on_fetch is not None:
            self.on_fetch(stored)

    def _session(self, mailbox: Mailbox) -> None:
        with imap_session(mailbox) as client:
            self.supports_idle = "IDLE" in client.client.capabilities
            self._fetch(client, mailbox)
            while not self.stop.is_set():
                changed = self._idle(client) if self.supports_idle else self._sleep()
                if self.stop.is_set():
                    return
                if changed or not self.supports_idle:
                    self._fetch(client, mailbox)
                else:  # IDLE renewed without news; still alive
                    idle_heartbeat(mailbox.pk)
                    # A NOOP keeps NAT boxes and the server's autologout at bay.
                    client.client.noop()

    def _sleep(self) -> bool:
        self.stop.wait(self.poll_seconds)
        return True

    def _idle(self, client: BaseMailBox) -> bool:
        """One IDLE round; True when the server announced a change."""
        client.idle.start()
        if self.on_idle is not None:
            self.on_idle()
        changed = False
        started = last_beat = time.monotonic()
        try:
            while not self.stop.is_set() and time.monotonic() - started < self.idle_seconds:
                responses = client.idle.poll(timeout=1.0)
                if any(change in line for line in responses for change in _CHANGES):
                    changed = True
                    break
                if time.monotonic() - last_beat >= IDLE_HEARTBEAT_SECONDS / 2:
                    idle_heartbeat(self.mailbox_id)
                    last_beat = time.monotonic()
        finally:
            client.idle.stop()
        return changed


def run_idle_workers(
    mailbox_ids: list[int], *, stop: threading.Event, poll_seconds: float = 60
) -> list[threading.Thread]:
    """One thread per mailbox, each running an ``IdleWorker`` until ``stop`` is set."""
    threads = []
    for mailbox_id in mailbox_ids:
        worker = IdleWorker(mailbox_id=mailbox_id, stop=stop, poll_seconds=poll_seconds)
        thread = threading.Thread(target=worker.run, name=f"imap-idle-{mailbox_id}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
