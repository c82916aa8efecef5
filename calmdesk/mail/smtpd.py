"""An SMTP or LMTP receiver (aiosmtpd) for mail delivered straight from an MTA.

``manage.py smtpd --host 127.0.0.1 --port 2525 [--lmtp]`` runs it; ``start_smtpd`` starts it in
the current process (a thread of its own) for tests and for ``make run``.

- RCPT TO an address no mailbox takes → ``550 5.1.1`` (we are no relay).
- A message over ``MAIL_MAX_MESSAGE_BYTES`` → ``552`` (the SIZE extension announces it).
- DATA: the raw bytes are stored with ``mail_receive(source="smtp"|"lmtp")`` for each mailbox
  the recipients belong to, before we answer. If storing fails (the database is down) the
  answer is ``451 4.3.0``: a temporary failure, so the MTA keeps the message and retries, and
  the retry is harmless (``mail_receive`` is idempotent on Message-ID per mailbox). Nothing is
  accepted that was not stored.
- LMTP answers DATA once per recipient (RFC 2033), so one mailbox failing does not make the
  MTA deliver the message again to the others.

The database work runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

from calmdesk.replies.services import mail_domain

from .imap import max_message_bytes
from .ingest import mail_receive
from .models import Mailbox
from .selectors import mailbox_for_recipients, mailbox_per_recipient

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RECIPIENTS = 100

# The database work of every receiver in this process (a few at once is plenty).
_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="smtpd-db")


def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    # A fresh connection per message: nothing held open between deliveries, and a database
    # restart costs one 451 at most.
    close_old_connections()
    try:
        return fn(*args)
    finally:
        connections.close_all()


async def _db(fn: Callable[..., T], *args: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, _in_thread, fn, *args)


def _mailbox_id(address: str) -> int | None:
    mailbox = mailbox_for_recipients([address])
    return mailbox.pk if mailbox is not None else None


def _store(raw: bytes, mail_from: str, rcpt_tos: list[str], source: str) -> list[str]:
    """Store ``raw`` once per mailbox of the recipients. Returns one status per recipient:
    "ok", "unknown" (no mailbox takes it any more) or "failed" (could not be stored)."""
    by_mailbox: dict[int, list[str]] = {}
    mailboxes: dict[int, Mailbox] = {}
    status: dict[str, str] = {}
    by_recipient = mailbox_per_recipient(rcpt_tos)
    for rcpt in rcpt_tos:
        mailbox = by_recipient[rcpt]
        if mailbox is None:
            status[rcpt] = "unknown"
            continue
        mailboxes[mailbox.pk] = mailbox
        by_mailbox.setdefault(mailbox.pk, []).append(rcpt)
    for mailbox_id, rcpts in by_mailbox.items():
        try:
            mail_receive(
                raw=raw,
                mailbox=mailboxes[mailbox_id],
                source=source,
                envelope_from=mail_from or "",
                envelope_to=rcpts,
            )
            outcome = "ok"
        except Exception:  # the database: the MTA must retry later
            log.exception("%s: could not store a message for mailbox %s", source, mailbox_id)
            outcome = "failed"
        for rcpt in rcpts:
            status[rcpt] = outcome
    return [status[rcpt] for rcpt in rcpt_tos]


class MailHandler:
    """aiosmtpd handler: only our mailboxes' addresses, everything stored before the answer."""

    def __init__(self, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        self.source = "lmtp" if lmtp else "smtp"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            mailbox_id = await _db(_mailbox_id, address)
        except Exception:
            log.exception("%s: recipient lookup failed", self.source)
            return "451 4.3.0 Temporary failure, please try again later"
        if mailbox_id is None:
            return f"550 5.1.1 <{_ascii(address)}>: Recipient address rejected: no such mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):  # pragma: no cover - only with decode_data=True
            raw = raw.encode("utf-8", "surrogateescape")
        rcpt_tos = list(envelope.rcpt_tos)
        mail_from = str(envelope.mail_from or "")
        try:
            statuses = await _db(_store, bytes(raw), mail_from, rcpt_tos, self.source)
        except Exception:
            log.exception("%s: storing failed", self.source)
            statuses = ["failed"] * len(rcpt_tos)
        if self.lmtp:
            return "\r\n".join(
                _reply(status, rcpt) for status, rcpt in zip(statuses, rcpt_tos, strict=True)
            )
        if "failed" in statuses:
            return "451 4.3.0 Temporary failure, please try again later"
        if "ok" not in statuses:
            return "550 5.1.1 No such mailbox"
        return "250 2.0.0 OK: message stored"


def _ascii(value: str) -> str:
    return value.encode("ascii", "replace").decode("ascii")


def _reply(status: str, rcpt: str) -> str:
    if status == "ok":
        return f"250 2.0.0 <{_ascii(rcpt)}> OK: message stored"
    if status == "unknown":
        return f"550 5.1.1 <{_ascii(rcpt)}>: no such mailbox"
    return f"451 4.3.0 <{_ascii(rcpt)}>: temporary failure, please try again later"


class MailController(Controller):
    """aiosmtpd's threaded controller, speaking SMTP or LMTP."""

    def __init__(self, handler: MailHandler, *, lmtp: bool = False, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)


def start_smtpd(
    *, host: str = "127.0.0.1", port: int = 2525, lmtp: bool = False, max_bytes: int | None = None
) -> MailController:
    """Start the receiver in a background thread of this process and return its controller
    (``.stop()`` ends it)."""
    controller = MailController(
        MailHandler(lmtp=lmtp),
        lmtp=lmtp,
        hostname=host,
        port=port,
        server_hostname=getattr(settings, "MAIL_SMTPD_HOSTNAME", "") or mail_domain(),
        data_size_limit=max_bytes or max_message_bytes(),
        enable_SMTPUTF8=True,
        ident="Calmdesk",
    )
    controller.start()
    return controller
