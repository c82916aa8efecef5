"""The outbox: write outgoing messages in the caller's transaction, deliver after commit.

``outbox_enqueue`` must be called inside the transaction of the change that causes the message.
Delivery runs in a Huey task (``calmdesk.core.tasks.deliver_outbox_message``) scheduled on
commit; ``outbox_sweep`` (periodic) re-drives rows whose task was lost. ``delivery_key`` makes
enqueueing idempotent, and a row is claimed with a status change before sending, so a retry
never sends twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxChannel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


def outbox_enqueue(
    *,
    kind: str,
    to: str,
    delivery_key: str,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    channel: str = OutboxChannel.EMAIL,
    headers: dict[str, str] | None = None,
    from_address: str = "",
    reply_to: str = "",
    ticket_id: int | None = None,
    message_id: int | None = None,
    provider_id: str = "",
) -> OutboxMessage | None:
    """Write one outgoing message; None when that delivery key was already queued."""
    try:
        with transaction.atomic():
            row = OutboxMessage.objects.create(
                kind=kind,
                to=to,
                delivery_key=delivery_key[:200],
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                channel=channel,
                headers=headers or {},
                from_address=from_address,
                reply_to=reply_to,
                ticket_id=ticket_id,
                message_id=message_id,
                provider_id=provider_id[:255],
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _schedule(row.pk))
    return row


def _schedule(outbox_id: int) -> None:
    from .tasks import deliver_outbox_message

    try:
        deliver_outbox_message(outbox_id)
    except Exception:  # the queue is down: the sweep will re-drive the row
        log.exception("could not enqueue outbox message %s; the sweep will retry", outbox_id)


def _claim(outbox_id: int, now: datetime) -> OutboxMessage | None:
    """Mark a due row as being sent; None if another worker has it or it is done."""
    with transaction.atomic():
        claimed = OutboxMessage.objects.filter(
            pk=outbox_id, status=OutboxStatus.PENDING, next_attempt_at__lte=now
        ).update(
            status=OutboxStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + timedelta(minutes=10),
        )
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=outbox_id)


def outbox_deliver(*, outbox_id: int, now: datetime | None = None) -> OutboxStatus | None:
    """Send one row. Returns the new status, or None when there was nothing to do."""
    now = now or timezone.now()
    row = _claim(outbox_id, now)
    if row is None:
        return None
    try:
        _send(row)
    except Exception as exc:  # any transport failure: back off and retry later
        conf = settings.CALMDESK
        if row.attempts >= conf["OUTBOX_MAX_ATTEMPTS"]:
            status = OutboxStatus.FAILED
            next_at = None
        else:
            status = OutboxStatus.PENDING
            delay = min(conf["OUTBOX_BACKOFF_SECONDS"] * 2 ** (row.attempts - 1), 6 * 3600)
            next_at = now + timedelta(seconds=delay)
        OutboxMessage.objects.filter(pk=row.pk).update(
            status=status, next_attempt_at=next_at, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        log.warning("outbox %s attempt %s failed: %s", row.pk, row.attempts, exc)
        return status
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return OutboxStatus.SENT


# Channels the messaging app's provider adapters send (calmdesk.messaging).
MESSAGING_CHANNELS = (OutboxChannel.SMS, OutboxChannel.WHATSAPP, OutboxChannel.TELEGRAM)


def _send(row: OutboxMessage) -> None:
    if row.channel in MESSAGING_CHANNELS:
        # A row naming its messaging account (replies, acknowledgements) goes through that
        # account's provider; an SMS without one (broadcasts) through ``SMS_URL``. The
        # provider's message id is recorded: delivery receipts find the row by it.
        if row.channel == OutboxChannel.SMS and not (row.headers or {}).get("account"):
            from .sms import send_sms

            provider_id = send_sms(to=row.to, body=row.body_text)
        else:
            from calmdesk.messaging.services import outbox_send

            provider_id = outbox_send(row)
        OutboxMessage.objects.filter(pk=row.pk).update(provider_id=provider_id[:255])
        return
    if row.channel != OutboxChannel.EMAIL:
        raise NotImplementedError(f"no transport for channel {row.channel}")
    mail = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_address or settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        reply_to=[row.reply_to] if row.reply_to else None,
        headers=row.headers or None,
        connection=get_connection(fail_silently=False),
    )
    if row.body_html:
        mail.attach_alternative(row.body_html, "text/html")
    mail.send(fail_silently=False)


def outbox_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Re-drive due rows (lost task, retry time reached, or a crashed sender). Returns the count."""
    now = now or timezone.now()
    # Through outbox_due_idx: its condition stated literally (see core.lookups).
    due = OutboxMessage.objects.filter(
        status__literal_in=("pending", "sending"), next_attempt_at__lte=now
    )
    due.filter(status=OutboxStatus.SENDING).update(status=OutboxStatus.PENDING)
    ids = list(
        due.filter(status=OutboxStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for outbox_id in ids:
        outbox_deliver(outbox_id=outbox_id, now=now)
    return len(ids)
