"""Outbound: agents' replies on the account the customer wrote to (the WhatsApp window),
outbox delivery in parts, and delivery receipts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.replies.models import TemplateKind
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Message, Ticket

from ..adapters import (
    FAILED_STATUSES,
    STATUS_RANK,
    Adapter,
    ProviderError,
    StatusUpdate,
    get_adapter,
)
from ..models import MessagingAccount, ReceivedMessage
from ..selectors import last_received_at, reply_route

REPLY_KIND = TemplateKind.AGENT_REPLY


class Deferred(Exception):
    """Processing must wait (a receipt for a message still being sent)."""


# ------------------------------------------------------------------------------------------
# Agent replies
# ------------------------------------------------------------------------------------------


def reply_queue(
    *, ticket: Ticket, message: Message, channel: str, now: datetime | None = None
) -> bool:
    """Queue an agent's reply on the account and address the customer last wrote from.

    False (→ email) when there is none or its account is switched off, and on WhatsApp
    outside the 24-hour customer-service window when the customer has an email address;
    without one, the reply is kept as a failed delivery with the reason, for the agent.
    """
    now = now or timezone.now()
    route = reply_route(ticket=ticket, channel=channel)
    if route is None or not route.account.active:
        return False
    adapter = get_adapter(route.account.provider)
    body = message.body_text
    if message.attachments.exists():
        from calmdesk.inbox.services import tracking_url

        with override(ticket.language or "en"):
            body += "\n\n" + _("Attachments: %(url)s") % {"url": tracking_url(ticket)}
    if adapter.session_window is not None:
        last = last_received_at(account=route.account, handle=route.handle)
        if last is None or last < now - adapter.session_window:
            return _window_closed(
                ticket=ticket, message=message, route=route, adapter=adapter, body=body, now=now
            )
    outbox_enqueue(
        kind=REPLY_KIND,
        channel=adapter.outbox_channel,
        to=route.address,
        delivery_key=f"reply:{message.pk}",
        body_text=body,
        headers={"account": str(route.account_id)},
        ticket_id=ticket.pk,
        message_id=message.pk,
    )
    return True


def _window_closed(
    *,
    ticket: Ticket,
    message: Message,
    route: ReceivedMessage,
    adapter: Adapter,
    body: str,
    now: datetime,
) -> bool:
    hours = int((adapter.session_window or timedelta()).total_seconds() // 3600)
    data = {
        "message": message.pk,
        "channel": adapter.channel,
        "reason": "window_closed",
        "last_customer_message": route.received_at.isoformat(),
    }
    if ticket.customer.primary_email:
        record_event(ticket, EventType.DELIVERY, at=now, data={**data, "fallback": "email"})
        return False
    row = outbox_enqueue(
        kind=REPLY_KIND,
        channel=adapter.outbox_channel,
        to=route.address,
        delivery_key=f"reply:{message.pk}",
        body_text=body,
        headers={"account": str(route.account_id)},
        ticket_id=ticket.pk,
        message_id=message.pk,
    )
    if row is not None:
        OutboxMessage.objects.filter(pk=row.pk).update(
            status=OutboxStatus.FAILED,
            next_attempt_at=None,
            last_error=(
                f"Not sent: the customer last wrote more than {hours} hours ago, and "
                f"{adapter.provider} refuses free-form messages after that. "
                "Ask them to write again, or reach them on another channel."
            ),
        )
    record_event(
        ticket, EventType.DELIVERY, at=now, data={**data, "outbox": row.pk if row else None}
    )
    return True


def reply_sender(channel: str) -> Callable[..., bool]:
    """The function ``conversations.outbound`` calls for a reply on ``channel``."""

    def send(*, ticket: Ticket, message: Message, contact: object = None) -> bool:
        return reply_queue(ticket=ticket, message=message, channel=channel)

    send.__name__ = f"messaging_reply_{channel}"
    return send


# ------------------------------------------------------------------------------------------
# Outbox delivery and receipts
# ------------------------------------------------------------------------------------------


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at a line or word break."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts


def outbox_send(row: OutboxMessage) -> str:
    """Send an outbox row of channel sms, whatsapp or telegram with the account in its
    ``headers``; returns the provider's message id (of the first part). A long text goes in
    parts; parts already sent are remembered on the row, so a retry never repeats them."""
    headers = dict(row.headers or {})
    account_id = headers.get("account")
    if not account_id:
        raise ProviderError(f"no messaging account given for this {row.channel} message")
    account = MessagingAccount.objects.filter(pk=account_id).first()
    if account is None or not account.active:
        raise ProviderError(f"messaging account {account_id} is missing or switched off")
    adapter = get_adapter(account.provider)
    sent: list[str] = list(headers.get("parts") or [])
    for index, part in enumerate(split_text(row.body_text, adapter.max_text_length)):
        if index < len(sent):
            continue
        sent.append(adapter.send(account, row.to, part))
        headers["parts"] = sent
        OutboxMessage.objects.filter(pk=row.pk).update(headers=headers, provider_id=sent[0][:255])
    return sent[0]


def status_apply(*, adapter: Adapter, update: StatusUpdate, now: datetime | None = None) -> str:
    """A delivery receipt: sent/delivered/read → the row is sent (and a retry never repeats
    it); failed/undelivered → failed with the provider's code, and the ticket's timeline says
    so. Receipts for a row still being sent wait (``Deferred``)."""
    now = now or timezone.now()
    row = (
        OutboxMessage.objects.filter(channel=adapter.outbox_channel, provider_id=update.id)
        .select_related("ticket")
        .first()
    )
    if row is None:
        return "unknown message"
    if row.status == OutboxStatus.SENDING:
        raise Deferred(f"outbox row {row.pk} is still being sent")
    headers = dict(row.headers or {})
    if update.status in FAILED_STATUSES:
        if row.status == OutboxStatus.FAILED and headers.get("provider_status") in FAILED_STATUSES:
            return "no change"
        error = " ".join(p for p in (update.error_code, update.error_message) if p)
        headers.update(provider_status=update.status, provider_status_at=now.isoformat())
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=row.pk).update(
                status=OutboxStatus.FAILED,
                next_attempt_at=None,
                headers=headers,
                last_error=f"{adapter.provider} {update.status}: {error or 'no reason given'}",
            )
            if row.ticket is not None:
                record_event(
                    row.ticket,
                    EventType.DELIVERY,
                    at=now,
                    data={
                        "outbox": row.pk,
                        "message": row.message_id,
                        "channel": adapter.channel,
                        "status": update.status,
                        "code": update.error_code,
                        "error": update.error_message[:300],
                    },
                )
        return update.status
    rank = STATUS_RANK.get(update.status)
    if rank is None:
        return "no change"
    if rank > STATUS_RANK.get(str(headers.get("provider_status", "")), -1):
        headers.update(provider_status=update.status, provider_status_at=now.isoformat())
    changes: dict[str, object] = {"headers": headers}
    if rank >= STATUS_RANK["sent"] and row.status in (OutboxStatus.PENDING, OutboxStatus.FAILED):
        # An earlier attempt did go out: mark it sent, so no retry sends it twice.
        changes.update(status=OutboxStatus.SENT, next_attempt_at=None, sent_at=row.sent_at or now)
    OutboxMessage.objects.filter(pk=row.pk).update(**changes)
    return update.status
