"""Inbound: store a verified webhook, process it later (retries, replay), put each customer
message in its conversation through ``conversations.contact_receive``; opt-out keywords; the
acknowledgement on the customer's channel."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from calmdesk.conversations.services import ContactResult, InboundContact, contact_receive
from calmdesk.core.models import OutboxMessage
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.customers.models import Customer, IdentityKind
from calmdesk.customers.services import customer_match
from calmdesk.replies.models import TemplateKind
from calmdesk.staffing.selectors import WaitEstimate
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Ticket

from ..adapters import (
    Adapter,
    InboundMessage,
    MediaRef,
    ProviderError,
    StatusUpdate,
    WebhookRequest,
    get_adapter,
)
from ..http import MediaTooLarge
from ..models import DeliveryStatus, MessagingAccount, Provider, ReceivedMessage, WebhookDelivery
from ..providers.common import language_for_phone
from ..selectors import conversation_ticket
from .outbound import Deferred, status_apply

log = logging.getLogger(__name__)

ACK_KIND = TemplateKind.AUTORESPONDER
WELCOME_KIND = "messaging_welcome"
OPT_OUT_KIND = "messaging_opt_out"
ACK_PER_HOUR = 1
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
# A freshly stored delivery is processed by its own task; the sweep leaves it this long.
SWEEP_GRACE = timedelta(minutes=1)
MAX_BODY_BYTES = 1024 * 1024


# ------------------------------------------------------------------------------------------
# Inbound: store, then process
# ------------------------------------------------------------------------------------------


def webhook_receive(
    *, account: MessagingAccount, request: WebhookRequest, now: datetime | None = None
) -> WebhookDelivery:
    """Store a verified webhook request as it came; its processing runs after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            account=account,
            method=request.method,
            url=request.url[:2000],
            headers=request.headers,
            body=request.body,
            received_at=now,
            next_attempt_at=now,
        )
        transaction.on_commit(lambda: _schedule(delivery.pk))
    return delivery


def _schedule(delivery_id: int) -> None:
    from ..tasks import process_webhook_delivery

    try:
        process_webhook_delivery(delivery_id)
    except Exception:  # the queue is down: the sweep processes the row later
        log.exception("could not queue webhook delivery %s; the sweep will retry", delivery_id)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=[DeliveryStatus.RECEIVED, DeliveryStatus.FAILED],
        next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("account__team").get(pk=delivery_id)


def webhook_process(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """Process one stored delivery; returns its new status (None: not due, or done)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    account = delivery.account
    adapter = get_adapter(account.provider)
    request = WebhookRequest(
        method=delivery.method,
        url=delivery.url,
        headers=dict(delivery.headers or {}),
        body=bytes(delivery.body or b""),
    )
    outcomes: list[str] = []
    try:
        for item in adapter.parse(account, request):
            if isinstance(item, StatusUpdate):
                outcomes.append(status_apply(adapter=adapter, update=item, now=now))
            else:
                outcomes.append(
                    inbound_receive(
                        account=account, adapter=adapter, item=item, delivery=delivery, now=now
                    )
                )
    except Exception as exc:
        failed_status = _fail(delivery, exc, now=now)
        if not isinstance(exc, Deferred):
            log.exception("webhook delivery %s failed", delivery.pk)
        return failed_status
    handled = [o for o in outcomes if o not in _IGNORED_OUTCOMES]
    status = DeliveryStatus.PROCESSED if handled else DeliveryStatus.IGNORED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        summary=", ".join(outcomes)[:300] or "empty",
        error="",
        next_attempt_at=None,
        processed_at=timezone.now(),
    )
    return status


_IGNORED_OUTCOMES = {"duplicate", "group chat", "other number", "unknown message", "no change"}


def _fail(delivery: WebhookDelivery, exc: Exception, *, now: datetime) -> str:
    attempts = delivery.attempts
    if attempts >= MAX_ATTEMPTS:
        next_at = None
    else:
        next_at = now + min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        error=f"{type(exc).__name__}: {exc}"[:4000],
        next_attempt_at=next_at,
    )
    return DeliveryStatus.FAILED


def webhook_replay(*, delivery: WebhookDelivery, now: datetime | None = None) -> str | None:
    """Process a failed (or never processed) delivery again now (the admin's action)."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.RECEIVED, DeliveryStatus.FAILED]
    ).update(next_attempt_at=now)
    return webhook_process(delivery_id=delivery.pk, now=now)


def webhook_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Process deliveries whose task was lost or whose retry time has come."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.RECEIVED, DeliveryStatus.FAILED],
            next_attempt_at__lte=now - SWEEP_GRACE,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        webhook_process(delivery_id=delivery_id, now=now)
    return len(due)


# ------------------------------------------------------------------------------------------
# One customer message
# ------------------------------------------------------------------------------------------


def inbound_receive(
    *,
    account: MessagingAccount,
    adapter: Adapter,
    item: InboundMessage,
    delivery: WebhookDelivery | None = None,
    now: datetime | None = None,
) -> str:
    """Store one customer message where it belongs; returns what became of it."""
    now = now or timezone.now()
    routed = _route(account, adapter, item)
    if routed is None:
        return "other number"
    account = routed
    if ReceivedMessage.objects.filter(provider=adapter.provider, external_id=item.id).exists():
        return "duplicate"
    at = min(item.at or now, now)
    if item.skip == "group":
        return "group chat"
    if item.skip == "start":
        _welcome_queue(account=account, adapter=adapter, item=item, now=now)
        _record(account, adapter, item, delivery, outcome="start", at=at)
        return "start"
    keyword = _keyword(item)
    if keyword in adapter.opt_out_keywords or item.opt_out_type == "STOP":
        _opt_out(account=account, adapter=adapter, item=item, now=now)
        _record(account, adapter, item, delivery, outcome="opt_out", at=at)
        return "opt_out"
    if keyword in adapter.opt_in_keywords and _opt_in(adapter=adapter, item=item):
        _record(account, adapter, item, delivery, outcome="opt_in", at=at)
        return "opt_in"

    attachments, notes = _download(account, adapter, item.media)
    text = item.text.strip()
    if item.edited:
        text = _("(edited) %(text)s") % {"text": text}
    body = "\n".join(part for part in [text, *notes] if part)
    identities = [(adapter.identity_kind, item.handle)]
    result = contact_receive(
        InboundContact(
            channel=adapter.channel,
            identities=identities,
            name=item.name,
            body_text=body,
            attachments=attachments,
            language=_language(adapter, item, identities),
            team=account.team,
            thread=conversation_ticket(channel=adapter.channel, handle=item.handle, now=at),
            external_key=f"{adapter.provider}:{item.id}",
            external_id=item.id,
            verified=True,  # the carrier / Telegram vouches for the sender (signed webhook)
        ),
        now=at,
    )
    with transaction.atomic():
        _record(account, adapter, item, delivery, outcome=result.outcome, at=at, result=result)
        if result.created and not result.duplicate:
            ack_queue(
                account=account,
                adapter=adapter,
                address=item.address,
                ticket=result.ticket,
                estimate=result.estimate,
                now=now,
            )
    return str(result.outcome)


def _route(
    account: MessagingAccount, adapter: Adapter, item: InboundMessage
) -> MessagingAccount | None:
    """The account a message was sent to: one WhatsApp app's webhook carries every business
    number subscribed to it (``metadata.phone_number_id``)."""
    if adapter.provider != Provider.WHATSAPP or not item.route:
        return account
    if account.credential("phone_number_id") == item.route:
        return account
    return MessagingAccount.objects.filter(
        provider=adapter.provider, active=True, credentials__phone_number_id=item.route
    ).first()


def _keyword(item: InboundMessage) -> str:
    words = item.text.strip().upper().strip(".!").split()
    return words[0] if len(words) == 1 else ""


def _language(adapter: Adapter, item: InboundMessage, identities: list[tuple[str, str]]) -> str:
    """A known customer's language; else the app's language (Telegram) or the number's
    country (+90 → Turkish); else English."""
    known = customer_match(identities).customer
    if known is not None and known.language:
        return known.language
    supported = {code for code, _name in settings.LANGUAGES}
    for guess in (item.language, _phone_language(adapter, item)):
        if guess and guess in supported:
            return guess
    return "en"


def _phone_language(adapter: Adapter, item: InboundMessage) -> str:
    return language_for_phone(item.handle) if adapter.identity_kind == IdentityKind.PHONE else ""


def _download(
    account: MessagingAccount, adapter: Adapter, media: tuple[MediaRef, ...]
) -> tuple[list[UploadedFile], list[str]]:
    """The message's attachments within the desk's limits; a line for each one not stored."""
    conf = settings.CALMDESK
    max_bytes = int(conf["ATTACHMENT_MAX_BYTES"])
    files: list[UploadedFile] = []
    notes: list[str] = []
    for index, ref in enumerate(media):
        if index >= int(conf["ATTACHMENT_MAX_FILES"]):
            notes.append(
                _("(%(count)s more attachments not stored)") % {"count": len(media) - index}
            )
            break
        try:
            got = adapter.download(account, ref, max_bytes=max_bytes)
        except MediaTooLarge:
            notes.append(
                _("(%(kind)s not stored: larger than %(limit)s MB)")
                % {"kind": ref.kind, "limit": max_bytes // (1024 * 1024)}
            )
            continue
        except ProviderError as exc:
            log.warning("%s media %s not downloaded: %s", adapter.provider, ref.ref, exc)
            notes.append(
                _("(%(kind)s could not be downloaded: %(error)s)")
                % {"kind": ref.kind, "error": str(exc)[:200]}
            )
            continue
        files.append(SimpleUploadedFile(got.filename[:200], got.content, got.content_type))
    return files, notes


def _record(
    account: MessagingAccount,
    adapter: Adapter,
    item: InboundMessage,
    delivery: WebhookDelivery | None,
    *,
    outcome: str,
    at: datetime,
    result: ContactResult | None = None,
) -> ReceivedMessage:
    try:
        with transaction.atomic():
            row, _created = ReceivedMessage.objects.get_or_create(
                provider=adapter.provider,
                external_id=item.id[:255],
                defaults={
                    "account": account,
                    "delivery": delivery,
                    "handle": item.handle[:320],
                    "address": item.address[:320],
                    "ticket": result.ticket if result else None,
                    "message": result.message if result else None,
                    "contact": result.contact if result else None,
                    "outcome": outcome,
                    "received_at": at,
                },
            )
    except IntegrityError:  # the same message processed concurrently
        row = ReceivedMessage.objects.get(provider=adapter.provider, external_id=item.id[:255])
    return row


# ------------------------------------------------------------------------------------------
# Broadcast opt-out keywords (SMS)
# ------------------------------------------------------------------------------------------


def _customer_for(adapter: Adapter, item: InboundMessage) -> Customer | None:
    return customer_match([(adapter.identity_kind, item.handle)]).customer


def _opt_out(
    *, account: MessagingAccount, adapter: Adapter, item: InboundMessage, now: datetime
) -> None:
    """STOP: no more broadcasts to this customer (their queued ones are suppressed too). The
    provider confirms it itself (Twilio), or we do."""
    from calmdesk.incidents.broadcasts import customer_opt_out

    customer = _customer_for(adapter, item)
    if customer is not None:
        customer_opt_out(token=customer.opt_out_token, now=now)
    if not adapter.confirms_opt_out:
        language = customer.language if customer else "en"
        with override(language):
            text = _(
                "You will not receive our broadcast messages any more. "
                "Reply START to receive them again."
            )
        outbox_enqueue(
            kind=OPT_OUT_KIND,
            channel=adapter.outbox_channel,
            to=item.address,
            delivery_key=f"messaging-opt-out:{adapter.provider}:{item.id}",
            body_text=text,
            headers={"account": str(account.pk)},
        )


def _opt_in(*, adapter: Adapter, item: InboundMessage) -> bool:
    """START after a STOP: broadcasts again. False when the customer had not opted out (the
    word is then an ordinary message)."""
    customer = _customer_for(adapter, item)
    if customer is None or customer.broadcast_opt_out_at is None:
        return False
    Customer.objects.filter(pk=customer.pk).update(broadcast_opt_out_at=None)
    return True


# ------------------------------------------------------------------------------------------
# Acknowledgement and welcome, on the customer's channel
# ------------------------------------------------------------------------------------------


def ack_queue(
    *,
    account: MessagingAccount,
    adapter: Adapter,
    address: str,
    ticket: Ticket,
    estimate: WaitEstimate,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """A short text on the customer's channel for a new ticket: the reference, the expected
    wait (in the ticket's language), where to follow it; at most one per address per hour."""
    now = now or timezone.now()
    recent = OutboxMessage.objects.filter(
        to=address,
        kind=ACK_KIND,
        channel=adapter.outbox_channel,
        created_at__gte=now - timedelta(hours=1),
    ).count()
    if recent >= ACK_PER_HOUR:
        return None
    from calmdesk.inbox.services import tracking_url
    from calmdesk.replies.services import crisis_url

    with override(ticket.language or "en"):
        team = ticket.team.name if ticket.team else _("Customer service")
        text = _(
            "%(team)s: we have your message (reference %(reference)s) and expect to answer "
            "%(wait)s. Reply here to add anything."
        ) % {"team": team, "reference": ticket.reference, "wait": estimate.label()}
        if ticket.incident is not None:
            text += " " + _("News: %(url)s") % {"url": crisis_url(ticket.incident)}
        else:
            text += " " + _("Follow it: %(url)s") % {"url": tracking_url(ticket)}
    row = outbox_enqueue(
        kind=ACK_KIND,
        channel=adapter.outbox_channel,
        to=address,
        delivery_key=f"messaging-ack:{ticket.pk}",
        body_text=text,
        headers={"account": str(account.pk)},
        ticket_id=ticket.pk,
    )
    if row is not None:
        record_event(
            ticket,
            EventType.AUTORESPONDER,
            at=now,
            data={
                "outbox": row.pk,
                "announced_minutes": estimate.minutes,
                "channel": adapter.channel,
            },
        )
    return row


def _welcome_queue(
    *, account: MessagingAccount, adapter: Adapter, item: InboundMessage, now: datetime
) -> None:
    """Telegram's /start (a bot's first contact): a greeting instead of an empty ticket."""
    identities = [(adapter.identity_kind, item.handle)]
    with override(_language(adapter, item, identities)):
        team = account.team.name if account.team else _("our team")
        text = _("Hello! Write your question here and %(team)s will answer you in this chat.") % {
            "team": team
        }
    outbox_enqueue(
        kind=WELCOME_KIND,
        channel=adapter.outbox_channel,
        to=item.address,
        delivery_key=f"messaging-start:{adapter.provider}:{item.id}",
        body_text=text,
        headers={"account": str(account.pk)},
    )
