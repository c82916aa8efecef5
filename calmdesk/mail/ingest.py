"""The one way into the help desk for an email, whatever carried it (IMAP, SMTP/LMTP, webhook).

``mail_receive`` stores the raw bytes first, in their own committed transaction, then
processes the message; a failure while processing leaves the row FAILED with its error, for
the health page and ``mail_replay``. Nothing is ever dropped and the exception never reaches
the transport (which would then deliver the message again, or worse, drop it).
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Sequence
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32, default

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import InboundEmail, InboundStatus, Mailbox

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def _header_message_id(raw: bytes) -> str:
    """The Message-ID as written (``<id@host>``), read without trusting the rest of the
    message; "" when there is none or it cannot be read."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024])
        value = headers.get("Message-ID")
    except Exception:
        return ""
    if value is None:
        return ""
    text = str(value)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join(text.split())  # folded ids
    return text.replace("\x00", "")[:998]


def _summary(raw: bytes) -> tuple[str, str]:
    """(subject, From address) for the health page, read from the headers alone, so a message
    that fails to process still shows who sent what. ("", "") when unreadable."""
    from .parsing import header_text, sender_addresses

    try:
        headers = BytesHeaderParser(policy=default).parsebytes(raw[: 256 * 1024])
        subject = header_text(headers, "Subject")[:300]
        senders = sender_addresses(headers)
        return subject, (senders[0].address.lower()[:320] if senders else "")
    except Exception:
        return "", ""


def dedup_key_for(raw: bytes, message_id: str) -> str:
    """Message-ID when the message has one (a long one is hashed to fit), else the bytes' hash."""
    if message_id and len(message_id) <= 255:
        return message_id
    if message_id:
        return "mid-sha256:" + hashlib.sha256(message_id.encode("utf-8")).hexdigest()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _clean(value: str, limit: int) -> str:
    return value.replace("\x00", "")[:limit]


def mail_receive(
    *,
    raw: bytes,
    mailbox: Mailbox,
    source: str,
    envelope_from: str = "",
    envelope_to: Sequence[str] = (),
    now: datetime | None = None,
) -> InboundEmail:
    """Store ``raw`` for ``mailbox`` and process it (see the module docstring).

    A second delivery of the same message (same Message-ID, or the same bytes when it has
    none) returns the row stored the first time and does nothing else.
    """
    raw = bytes(raw)
    now = now or timezone.now()
    message_id = _header_message_id(raw)
    key = dedup_key_for(raw, message_id)
    subject, from_address = _summary(raw)
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                mailbox=mailbox,
                source=_clean(source, 30),
                raw=raw,
                size=len(raw),
                dedup_key=key,
                header_message_id=message_id,
                envelope_from=_clean(envelope_from, 320),
                envelope_to=[_clean(str(a), 320) for a in envelope_to],
                subject=subject,
                from_address=from_address,
                received_at=now,
            )
    except IntegrityError:
        existing = InboundEmail.objects.filter(mailbox=mailbox, dedup_key=key).first()
        if existing is None:  # pragma: no cover - the row that collided was deleted meanwhile
            raise
        logger.info("mail: %s already received (inbound %s)", key, existing.pk)
        return existing
    return _process(inbound, now=now)


def mail_replay(*, inbound_id: int, now: datetime | None = None) -> InboundEmail:
    """Process a FAILED or RECEIVED message again (the health page's Replay, the sweep).

    Anything else (already processed, ignored, a bounce) is returned unchanged. Processing is
    idempotent: a message that had already become a ticket message is not added twice.
    """
    inbound = InboundEmail.objects.get(pk=inbound_id)
    if inbound.status not in (InboundStatus.FAILED, InboundStatus.RECEIVED):
        return inbound
    return _process(inbound, now=now)


def _process(inbound: InboundEmail, *, now: datetime | None) -> InboundEmail:
    from .services import inbound_process

    # Claim this attempt: two workers replaying the same row at once process it once.
    claimed = InboundEmail.objects.filter(
        pk=inbound.pk,
        attempts=inbound.attempts,
        status__in=[InboundStatus.RECEIVED, InboundStatus.FAILED],
    ).update(attempts=F("attempts") + 1)
    inbound.refresh_from_db()
    if not claimed:
        return inbound
    try:
        # All or nothing: a failure leaves no half-made ticket, and the replay starts clean.
        with transaction.atomic():
            inbound_process(inbound, now=now)
    except Exception as exc:
        logger.exception("mail: inbound %s could not be processed", inbound.pk)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        InboundEmail.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.FAILED, error=_clean(detail, 4000)
        )
        inbound.refresh_from_db()
    return inbound
