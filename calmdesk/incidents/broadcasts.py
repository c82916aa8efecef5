"""Broadcasts: one message per language to every customer of a segment, by email or SMS.

Sending is resumable and idempotent:

- ``broadcast_start`` materialises the recipients ONCE from the segment, in batches
  (``bulk_create(ignore_conflicts=True)`` on the unique (broadcast, customer) pair), choosing
  each customer's language, address and booking. Opted-out customers and customers without a
  usable address are stored as ``skipped`` with the reason in ``error``.
- ``broadcast_advance`` (a Huey task every minute, plus a kick on start/resume) takes the next
  pending recipients in id order, as many as the rate allows since the last tick (at most one
  minute's allowance), renders each message and writes ONE outbox row per recipient with the
  delivery key ``broadcast:<broadcast>:<recipient>``, then marks the recipients queued — in one
  transaction per batch. A crash between the two finds the outbox row by its key on the next
  run: nobody gets the same broadcast twice.
- The recipient row stays ``queued`` once handed to the outbox; what the customer sees (sent,
  failed, bounced) is COMPUTED from the outbox row and the address's identity
  (``recipients_with_outcome``), so there is no second copy of the delivery status to sync.
  ``broadcast_progress`` counts the outcomes in one aggregate query.

Replies: email broadcasts carry ``Reply-To`` = the incident team's address and the token
``[INC-<slug>]`` in the subject (plus a ``Message-ID`` of ``<cd-broadcast-<b>-<r>@domain>``), so
the email intake threads a reply to the incident; SMS replies come from the customer's phone
identity, which auto-linking recognises.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxChannel, OutboxMessage, OutboxStatus
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.core.templatetags.calmdesk import format_date
from calmdesk.customers.models import Booking, Customer, Identity, IdentityKind
from calmdesk.customers.segments import bookings_in_segment, customers_in_segment, validate_segment
from calmdesk.tickets.enums import ACTIVE_STATUSES
from calmdesk.tickets.models import Ticket

from .models import (
    Broadcast,
    BroadcastChannel,
    BroadcastRecipient,
    BroadcastStatus,
    Incident,
    IncidentEvent,
    IncidentEventType,
    RecipientStatus,
)

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
PLACEHOLDERS = ("name", "booking", "departure", "tracking_url", "crisis_url", "optout_url")
MIN_RATE, MAX_RATE = 1, 100_000
MATERIALISE_CHUNK = 2000  # customers read (and recipients written) per round trip
SEND_BATCH = 500  # recipients queued per transaction
OUTBOX_KIND = "broadcast"

# Why a recipient was skipped (stored in ``error``; the UI shows the label).
SKIP_OPTED_OUT = "opted_out"
SKIP_NO_ADDRESS = "no_address"
SKIP_BOUNCED = "bounced"
SKIP_CANCELLED = "cancelled"

# Templates are rendered by an engine without loaders or extra libraries: a lead's message can
# use variables, filters and plain tags, not {% include %} of files on the server.
_ENGINE = Engine(builtins=["calmdesk.core.templatetags.calmdesk"], autoescape=False)


# ------------------------------------------------------------------------------------------
# Templates and rendering
# ------------------------------------------------------------------------------------------


def _compile(source: str, *, field_name: str) -> Template:
    try:
        return _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise DomainError(
            _("This message has a placeholder error: %(error)s") % {"error": exc},
            field=field_name,
            code="template_syntax",
        ) from exc


def _clean_templates(templates: Any, channel: str) -> dict[str, dict[str, str]]:
    """{lang: {"subject", "body"}} for the languages with a body; every one compiles."""
    if not isinstance(templates, dict):
        raise DomainError(_("Write the message in at least one language."), field="templates")
    cleaned: dict[str, dict[str, str]] = {}
    for code, parts in templates.items():
        if code not in SUPPORTED_LANGUAGES:
            raise DomainError(
                _("Unknown language “%(code)s”.") % {"code": code}, field=f"templates.{code}"
            )
        parts = parts if isinstance(parts, dict) else {}
        subject = " ".join(str(parts.get("subject") or "").split())
        body = str(parts.get("body") or "").replace("\r\n", "\n").strip()
        if not body:
            if subject:
                raise DomainError(_("Write the message."), field=f"templates.{code}.body")
            continue
        if channel == BroadcastChannel.EMAIL and not subject:
            raise DomainError(
                _("An email needs a subject."), field=f"templates.{code}.subject", code="required"
            )
        if len(subject) > 200:
            raise DomainError(
                _("Keep the subject under 200 characters."), field=f"templates.{code}.subject"
            )
        _compile(subject, field_name=f"templates.{code}.subject")
        _compile(body, field_name=f"templates.{code}.body")
        cleaned[code] = {"subject": subject, "body": body}
    if not cleaned:
        raise DomainError(
            _("Write the message in at least one language."), field="templates", code="required"
        )
    return cleaned


@dataclass
class _Compiled:
    subject: Template
    body: Template
    mentions_optout: bool


def _compiled_templates(broadcast: Broadcast) -> dict[str, _Compiled]:
    return {
        code: _Compiled(
            subject=_ENGINE.from_string(parts.get("subject", "")),
            body=_ENGINE.from_string(parts["body"]),
            mentions_optout="optout_url" in parts["body"],
        )
        for code, parts in broadcast.templates.items()
    }


def crisis_url(incident: Incident | None) -> str:
    return (
        f"{settings.SITE_URL}/crisis/{incident.slug}" if incident else f"{settings.SITE_URL}/crisis"
    )


def request_form_url(incident: Incident | None) -> str:
    url = settings.SITE_URL + reverse("inbox:help")
    return f"{url}?incident={incident.slug}" if incident else url


def optout_url(token: str) -> str:
    return settings.SITE_URL + reverse("broadcasts:optout", args=[token])


def reply_token(incident: Incident | None) -> str:
    """The token in a broadcast's subject that threads replies to the incident."""
    return f"[INC-{incident.slug}]" if incident else ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _render(
    compiled: _Compiled, *, language: str, channel: str, context: dict[str, str]
) -> Rendered:
    with override(language):
        ctx = Context(context, autoescape=False)
        subject = " ".join(compiled.subject.render(ctx).split())
        body = compiled.body.render(ctx).strip()
        if not compiled.mentions_optout and context.get("optout_url"):
            if channel == BroadcastChannel.SMS:
                body += "\n" + _("Stop: %(url)s") % {"url": context["optout_url"]}
            else:
                body += "\n\n-- \n" + _("To stop receiving these messages: %(url)s") % {
                    "url": context["optout_url"]
                }
    return Rendered(subject=subject[:300], body=body + "\n")


def _context(
    *,
    incident: Incident | None,
    language: str,
    name: str,
    booking: str,
    departure: date | None,
    tracking: str,
    optout: str,
) -> dict[str, str]:
    with override(language):
        departure_text = format_date(departure) if departure else ""
    return {
        "name": name,
        "booking": booking,
        "departure": departure_text,
        "tracking_url": tracking,
        "crisis_url": crisis_url(incident),
        "optout_url": optout,
    }


def _email_envelope(
    broadcast: Broadcast, *, subject: str, optout: str, message_id: str
) -> dict[str, Any]:
    incident = broadcast.incident
    team = incident.team if incident else None
    token = reply_token(incident)
    if token and token not in subject:
        subject = f"{subject} {token}"
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "OOF, AutoReply"}
    if optout:
        headers["List-Unsubscribe"] = f"<{optout}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if message_id:
        headers["Message-ID"] = message_id
    from_address = reply_to = ""
    if team is not None and team.email:
        from email.utils import formataddr

        from_address, reply_to = formataddr((team.name, team.email)), team.email
    return {
        "subject": subject[:300],
        "headers": headers,
        "from_address": from_address,
        "reply_to": reply_to,
    }


def _mail_domain() -> str:
    from calmdesk.replies.services import mail_domain

    return mail_domain()


# ------------------------------------------------------------------------------------------
# Events
# ------------------------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _record(broadcast: Broadcast, action: str, *, actor: Any, at: datetime, **data: Any) -> None:
    if broadcast.incident_id is None:
        return
    IncidentEvent.objects.create(
        incident_id=broadcast.incident_id,
        type=IncidentEventType.BROADCAST,
        actor=_user(actor),
        at=at,
        data={"broadcast": broadcast.pk, "action": action, "channel": broadcast.channel, **data},
    )


# ------------------------------------------------------------------------------------------
# Create and edit
# ------------------------------------------------------------------------------------------


def _clean(
    *, name: str, channel: str, segment: Any, templates: Any, rate_per_minute: Any
) -> dict[str, Any]:
    name = " ".join(str(name or "").split())
    if not name:
        raise DomainError(_("Give the broadcast a name."), field="name", code="required")
    if len(name) > 200:
        raise DomainError(_("Keep the name under 200 characters."), field="name")
    if channel not in BroadcastChannel.values:
        raise DomainError(_("Choose email or SMS."), field="channel")
    cleaned_segment = validate_segment(segment if isinstance(segment, dict) else {})
    if not cleaned_segment:
        raise DomainError(
            _("Choose whom to send to: at least one segment condition."),
            field="segment",
            code="required",
        )
    try:
        rate = int(rate_per_minute)
    except (TypeError, ValueError):
        rate = 0
    if not MIN_RATE <= rate <= MAX_RATE:
        raise DomainError(
            _("Send between %(min)s and %(max)s messages per minute.")
            % {"min": MIN_RATE, "max": MAX_RATE},
            field="rate_per_minute",
        )
    return {
        "name": name,
        "channel": channel,
        "segment": cleaned_segment,
        "templates": _clean_templates(templates, channel),
        "rate_per_minute": rate,
    }


def broadcast_create(
    *,
    actor: Any,
    name: str,
    channel: str,
    segment: dict[str, Any],
    templates: dict[str, dict[str, str]],  # {lang: {"subject": ..., "body": ...}}
    incident: Incident | None = None,
    rate_per_minute: int = 600,
    now: datetime | None = None,
) -> Broadcast:
    """A draft broadcast; DomainError(field=...) for a bad name, channel, segment, template or
    rate (fields of templates are ``templates.<lang>.subject|body``)."""
    now = now or timezone.now()
    values = _clean(
        name=name,
        channel=channel,
        segment=segment,
        templates=templates,
        rate_per_minute=rate_per_minute,
    )
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            incident=incident, created_by=_user(actor), created_at=now, **values
        )
        _record(broadcast, "created", actor=actor, at=now)
    return broadcast


def broadcast_update(
    *,
    broadcast: Broadcast,
    actor: Any,
    name: str,
    channel: str,
    segment: dict[str, Any],
    templates: dict[str, dict[str, str]],
    rate_per_minute: int,
) -> Broadcast:
    """Edit a draft (a started broadcast keeps what its recipients were sent)."""
    values = _clean(
        name=name,
        channel=channel,
        segment=segment,
        templates=templates,
        rate_per_minute=rate_per_minute,
    )
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if broadcast.status != BroadcastStatus.DRAFT:
            raise DomainError(_("Only a draft can be edited."), code="not_draft")
        for key, value in values.items():
            setattr(broadcast, key, value)
        broadcast.save(update_fields=list(values))
    return broadcast


# ------------------------------------------------------------------------------------------
# Start: materialise the recipients once
# ------------------------------------------------------------------------------------------


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _language_for(
    customer_language: str, templates: dict[str, Any], incident: Incident | None
) -> str:
    first = incident.languages[0] if incident and incident.languages else None
    for code in ((customer_language or "")[:2].lower(), first, "en"):
        if code and code in templates:
            return code
    return next(iter(templates))


def _addresses(customer_ids: list[int], channel: str) -> dict[int, tuple[str, bool]]:
    """customer → (address, every address bounced). Unbounced and verified identities first."""
    kind = IdentityKind.EMAIL if channel == BroadcastChannel.EMAIL else IdentityKind.PHONE
    found: dict[int, tuple[str, bool]] = {}
    rows = (
        Identity.objects.filter(customer_id__in=customer_ids, kind=kind)
        .order_by("customer_id", F("bounced_at").asc(nulls_first=True), "-verified", "id")
        .values_list("customer_id", "value", "bounced_at")
    )
    for customer_id, value, bounced_at in rows:
        if kind == IdentityKind.PHONE and not value.startswith("+"):
            continue
        if customer_id not in found:
            found[customer_id] = (value, bounced_at is not None)
    return found


def _bookings(segment: dict[str, Any], customer_ids: list[int]) -> dict[int, int]:
    """customer → the earliest-departing booking of theirs in the segment (merged included)."""
    rows = (
        bookings_in_segment(segment)
        .annotate(owner=Coalesce("customer__merged_into_id", "customer_id"))
        .filter(owner__in=customer_ids)
        .order_by("owner", F("departure_date").asc(nulls_last=True), "id")
        .values_list("owner", "pk")
    )
    found: dict[int, int] = {}
    for owner, booking_id in rows:
        found.setdefault(owner, booking_id)
    return found


def _materialise(broadcast: Broadcast, now: datetime) -> int:
    """Write the recipient rows (idempotent: existing pairs are left alone). Returns the total.

    Customers are streamed from the database in chunks, never all held in memory.
    """
    incident = broadcast.incident
    customers = (
        customers_in_segment(broadcast.segment)
        .order_by("pk")
        .values_list("pk", "language", "broadcast_opt_out_at")
        .iterator(chunk_size=MATERIALISE_CHUNK)
    )
    for chunk in _chunks(customers, MATERIALISE_CHUNK):
        ids = [row[0] for row in chunk]
        addresses = _addresses(ids, broadcast.channel)
        bookings = _bookings(broadcast.segment, ids)
        rows = []
        for customer_id, language, opted_out_at in chunk:
            address, bounced = addresses.get(customer_id, ("", False))
            status, error = RecipientStatus.PENDING, ""
            if opted_out_at is not None:
                status, error = RecipientStatus.SKIPPED, SKIP_OPTED_OUT
            elif not address:
                status, error = RecipientStatus.SKIPPED, SKIP_NO_ADDRESS
            elif bounced:
                status, error = RecipientStatus.SKIPPED, SKIP_BOUNCED
            rows.append(
                BroadcastRecipient(
                    broadcast=broadcast,
                    customer_id=customer_id,
                    booking_id=bookings.get(customer_id),
                    address=address,
                    language=_language_for(language, broadcast.templates, incident),
                    status=status,
                    error=error,
                    updated_at=now,
                )
            )
        with transaction.atomic():
            BroadcastRecipient.objects.bulk_create(rows, ignore_conflicts=True)
    return BroadcastRecipient.objects.filter(broadcast=broadcast).count()


def _kick(broadcast_id: int) -> None:
    """Advance the broadcast right after the commit (the periodic task catches up otherwise)."""
    from .tasks import advance_broadcast

    def kick() -> None:
        try:
            advance_broadcast(broadcast_id)
        except Exception:  # the queue is down: the periodic task will advance it
            log.exception("could not enqueue the advance of broadcast %s", broadcast_id)

    transaction.on_commit(kick)


def broadcast_start(*, broadcast: Broadcast, actor: Any, now: datetime | None = None) -> Broadcast:
    """Materialise the recipients and start sending. Starting again is harmless: the recipients
    are unique per customer and a started broadcast is returned as it is."""
    now = now or timezone.now()
    broadcast = Broadcast.objects.select_related("incident").get(pk=broadcast.pk)
    if broadcast.status == BroadcastStatus.CANCELLED:
        raise DomainError(_("This broadcast was cancelled."), code="cancelled")
    if broadcast.status != BroadcastStatus.DRAFT:
        return broadcast
    total = _materialise(broadcast, now)
    with transaction.atomic():
        broadcast = (
            # Lock the broadcast row only: PostgreSQL cannot lock the nullable side of a join.
            Broadcast.objects.select_for_update(of=("self",))
            .select_related("incident")
            .get(pk=broadcast.pk)
        )
        if broadcast.status != BroadcastStatus.DRAFT:
            return broadcast
        broadcast.status = BroadcastStatus.SENDING
        broadcast.started_at = now
        broadcast.total = total
        broadcast.save(update_fields=["status", "started_at", "total"])
        _record(broadcast, "started", actor=actor, at=now, total=total)
        _kick(broadcast.pk)
    return broadcast


# ------------------------------------------------------------------------------------------
# Send: advance at the rate
# ------------------------------------------------------------------------------------------


def _last_tick(broadcast: Broadcast) -> datetime | None:
    """When recipients were last queued: recipients are queued in id order, so it is the
    ``updated_at`` of the highest queued id (an index lookup, no scan)."""
    return (
        BroadcastRecipient.objects.filter(broadcast=broadcast, status=RecipientStatus.QUEUED)
        .order_by("-id")
        .values_list("updated_at", flat=True)
        .first()
    )


def tick_allowance(*, rate_per_minute: int, last_tick: datetime | None, now: datetime) -> int:
    """Messages the rate allows since the last tick, at most one minute's worth (the first tick
    and a tick after a pause get a full minute's allowance)."""
    if last_tick is None:
        return rate_per_minute
    seconds = max((now - last_tick).total_seconds(), 0.0)
    return min(int(rate_per_minute * seconds / 60), rate_per_minute)


def _tracking_urls(incident: Incident | None, customer_ids: list[int]) -> dict[int, str]:
    """customer → the tracking link of their latest open request."""
    from calmdesk.inbox.services import tracking_url

    found: dict[int, str] = {}
    tickets = (
        Ticket.objects.filter(customer_id__in=customer_ids, status__in=ACTIVE_STATUSES)
        .order_by("customer_id", "-created_at", "-id")
        .only("pk", "customer_id", "tracking_token")
    )
    for ticket in tickets:
        if ticket.customer_id not in found:
            found[ticket.customer_id] = tracking_url(ticket)
    return found


def _queue_batch(broadcast_id: int, limit: int, now: datetime) -> tuple[int, bool]:
    """Queue up to ``limit`` pending recipients in one transaction. Returns (queued, more)."""
    with transaction.atomic():
        broadcast = (
            Broadcast.objects.select_for_update(of=("self",))
            .select_related("incident__team")
            .filter(pk=broadcast_id)
            .first()
        )
        if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
            return 0, False
        batch = list(
            BroadcastRecipient.objects.filter(broadcast=broadcast, status=RecipientStatus.PENDING)
            .order_by("id")
            .select_related("customer", "booking")[: limit + 1]
        )
        more = len(batch) > limit
        batch = batch[:limit]
        if not batch:
            return 0, False
        templates = _compiled_templates(broadcast)
        incident = broadcast.incident
        tracking = _tracking_urls(incident, [r.customer_id for r in batch])
        form_url = request_form_url(incident)
        domain = _mail_domain()
        channel = (
            OutboxChannel.SMS if broadcast.channel == BroadcastChannel.SMS else OutboxChannel.EMAIL
        )
        for recipient in batch:
            key = f"broadcast:{broadcast.pk}:{recipient.pk}"
            row = _enqueue_one(
                broadcast,
                recipient,
                key=key,
                channel=channel,
                compiled=templates.get(recipient.language) or next(iter(templates.values())),
                tracking=tracking.get(recipient.customer_id, form_url),
                domain=domain,
            )
            recipient.outbox_id = row.pk
            recipient.status = RecipientStatus.QUEUED
            recipient.updated_at = now
        BroadcastRecipient.objects.bulk_update(batch, ["outbox", "status", "updated_at"])
        Broadcast.objects.filter(pk=broadcast.pk).update(queued=F("queued") + len(batch))
    return len(batch), more


def _enqueue_one(
    broadcast: Broadcast,
    recipient: BroadcastRecipient,
    *,
    key: str,
    channel: str,
    compiled: _Compiled,
    tracking: str,
    domain: str,
) -> OutboxMessage:
    customer: Customer = recipient.customer
    booking: Booking | None = recipient.booking
    optout = optout_url(customer.opt_out_token)
    rendered = _render(
        compiled,
        language=recipient.language,
        channel=broadcast.channel,
        context=_context(
            incident=broadcast.incident,
            language=recipient.language,
            name=customer.name,
            booking=booking.reference if booking else "",
            departure=booking.departure_date if booking else None,
            tracking=tracking,
            optout=optout,
        ),
    )
    extra: dict[str, Any] = {}
    if channel == OutboxChannel.EMAIL:
        extra = _email_envelope(
            broadcast,
            subject=rendered.subject,
            optout=optout,
            message_id=f"<cd-broadcast-{broadcast.pk}-{recipient.pk}@{domain}>",
        )
    row = outbox_enqueue(
        kind=OUTBOX_KIND,
        to=recipient.address,
        delivery_key=key,
        body_text=rendered.body,
        channel=channel,
        **extra,
    )
    if row is None:  # written by a run that crashed before marking the recipient: reuse it
        row = OutboxMessage.objects.get(delivery_key=key)
    return row


def _finish_if_done(broadcast_id: int, now: datetime) -> bool:
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().filter(pk=broadcast_id).first()
        if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
            return False
        if BroadcastRecipient.objects.filter(
            broadcast=broadcast, status=RecipientStatus.PENDING
        ).exists():
            return False
        broadcast.status = BroadcastStatus.DONE
        broadcast.finished_at = now
        broadcast.save(update_fields=["status", "finished_at"])
        _record(broadcast, "done", actor=None, at=now, queued=broadcast.queued)
    return True


def broadcast_advance(*, broadcast_id: int, now: datetime | None = None) -> int:
    """Queue as many pending recipients as the rate allows since the last tick; mark the
    broadcast done when none are left. Returns how many were queued.

    One advance at a time per broadcast (a cache lock; the periodic task and a kick may
    overlap), one transaction per batch, so pausing takes effect between batches.
    """
    now = now or timezone.now()
    broadcast = Broadcast.objects.filter(pk=broadcast_id).first()
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        return 0
    lock = f"broadcast-advance:{broadcast_id}"
    token = secrets.token_hex(8)
    if not cache.add(lock, token, timeout=300):
        return 0
    try:
        budget = tick_allowance(
            rate_per_minute=broadcast.rate_per_minute, last_tick=_last_tick(broadcast), now=now
        )
        queued = 0
        more = True
        while budget > 0 and more:
            done, more = _queue_batch(broadcast_id, min(SEND_BATCH, budget), now)
            if not done:
                break
            queued += done
            budget -= done
        if not more or budget > 0:
            _finish_if_done(broadcast_id, now)
        return queued
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)


def sending_broadcast_ids() -> list[int]:
    return list(
        Broadcast.objects.filter(status=BroadcastStatus.SENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# ------------------------------------------------------------------------------------------
# Pause, resume, cancel
# ------------------------------------------------------------------------------------------


def _transition(
    broadcast: Broadcast,
    *,
    actor: Any,
    allowed: tuple[str, ...],
    to: str,
    action: str,
    now: datetime | None,
) -> Broadcast:
    now = now or timezone.now()
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if broadcast.status == to:
            return broadcast
        if broadcast.status not in allowed:
            raise DomainError(
                _("A broadcast that is “%(status)s” cannot do that.")
                % {"status": broadcast.get_status_display()},
                code="invalid_state",
            )
        broadcast.status = to
        fields = ["status"]
        if to == BroadcastStatus.CANCELLED:
            broadcast.finished_at = now
            fields.append("finished_at")
            BroadcastRecipient.objects.filter(
                broadcast=broadcast, status=RecipientStatus.PENDING
            ).update(status=RecipientStatus.SKIPPED, error=SKIP_CANCELLED, updated_at=now)
        broadcast.save(update_fields=fields)
        _record(broadcast, action, actor=actor, at=now)
        if to == BroadcastStatus.SENDING:
            _kick(broadcast.pk)
    return broadcast


def broadcast_pause(*, broadcast: Broadcast, actor: Any, now: datetime | None = None) -> Broadcast:
    return _transition(
        broadcast,
        actor=actor,
        allowed=(BroadcastStatus.SENDING,),
        to=BroadcastStatus.PAUSED,
        action="paused",
        now=now,
    )


def broadcast_resume(*, broadcast: Broadcast, actor: Any, now: datetime | None = None) -> Broadcast:
    return _transition(
        broadcast,
        actor=actor,
        allowed=(BroadcastStatus.PAUSED,),
        to=BroadcastStatus.SENDING,
        action="resumed",
        now=now,
    )


def broadcast_cancel(*, broadcast: Broadcast, actor: Any, now: datetime | None = None) -> Broadcast:
    """Stop for good: recipients not yet queued are skipped (already queued ones still go)."""
    return _transition(
        broadcast,
        actor=actor,
        allowed=(BroadcastStatus.DRAFT, BroadcastStatus.SENDING, BroadcastStatus.PAUSED),
        to=BroadcastStatus.CANCELLED,
        action="cancelled",
        now=now,
    )


# ------------------------------------------------------------------------------------------
# Outcomes and progress
# ------------------------------------------------------------------------------------------


OUTCOMES = ("pending", "queued", "sent", "failed", "bounced", "skipped")


def recipients_with_outcome(broadcast: Broadcast) -> QuerySet[BroadcastRecipient]:
    """The recipients annotated with ``outcome``: pending, queued (in the outbox), sent,
    failed, bounced (the address bounced after sending) or skipped."""
    kind = IdentityKind.PHONE if broadcast.channel == BroadcastChannel.SMS else IdentityKind.EMAIL
    bounced = Identity.objects.filter(
        kind=kind, value=OuterRef("address"), bounced_at__isnull=False
    )
    queued = Q(status=RecipientStatus.QUEUED)
    return (
        BroadcastRecipient.objects.filter(broadcast=broadcast)
        .annotate(address_bounced=Exists(bounced))
        .annotate(
            outcome=Case(
                When(queued & Q(address_bounced=True), then=Value("bounced")),
                When(queued & Q(outbox__status=OutboxStatus.SENT), then=Value("sent")),
                When(queued & Q(outbox__status=OutboxStatus.FAILED), then=Value("failed")),
                # Suppressed: the customer opted out after it was queued.
                When(queued & Q(outbox__status=OutboxStatus.SUPPRESSED), then=Value("skipped")),
                When(queued, then=Value("queued")),
                default=F("status"),
                output_field=CharField(),
            )
        )
    )


@dataclass(frozen=True)
class BroadcastProgress:
    status: str
    rate_per_minute: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __getattr__(self, name: str) -> int:
        if name in OUTCOMES:
            return self.counts.get(name, 0)
        raise AttributeError(name)

    @property
    def done(self) -> int:
        """Recipients whose fate is known (everything but pending and queued)."""
        return self.total - self.counts.get("pending", 0) - self.counts.get("queued", 0)

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def handed_over_percent(self) -> int:
        """Share of recipients handed to the outbox (or skipped)."""
        return 100 if not self.total else int(100 * (self.total - self.pending) / self.total)

    @property
    def minutes_left(self) -> int:
        pending = self.counts.get("pending", 0)
        return -(-pending // self.rate_per_minute) if self.rate_per_minute else 0


def broadcast_progress(broadcast: Broadcast) -> BroadcastProgress:
    """Counts per outcome in one aggregate query."""
    rows = (
        recipients_with_outcome(broadcast)
        .order_by()
        .values("outcome")  # type: ignore[misc]  # an annotation django-stubs cannot see
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    counts = dict.fromkeys(OUTCOMES, 0)
    counts.update(dict(rows))
    return BroadcastProgress(
        status=broadcast.status, rate_per_minute=broadcast.rate_per_minute, counts=counts
    )


# ------------------------------------------------------------------------------------------
# Preview and test
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    language: str
    subject: str
    body: str
    sample_name: str
    sample_is_real: bool


def _sample(broadcast: Broadcast, language: str) -> tuple[dict[str, Any], bool]:
    """A customer of the segment speaking ``language`` (else any), or a made-up one."""
    customers = customers_in_segment(broadcast.segment).order_by("pk")
    customer = customers.filter(language=language).first() or customers.first()
    if customer is None:
        return {
            "name": _("Ana Example"),
            "booking": "ABC123",
            "departure": timezone.localdate() + timedelta(days=3),
            "customer": None,
        }, False
    booking_id = _bookings(broadcast.segment, [customer.pk]).get(customer.pk)
    booking = Booking.objects.filter(pk=booking_id).first() if booking_id else None
    return {
        "name": customer.name,
        "booking": booking.reference if booking else "",
        "departure": booking.departure_date if booking else None,
        "customer": customer,
    }, True


def _render_for(broadcast: Broadcast, language: str, sample: dict[str, Any]) -> Rendered:
    compiled = _compiled_templates(broadcast)[language]
    customer: Customer | None = sample["customer"]
    tracking = (
        _tracking_urls(broadcast.incident, [customer.pk]).get(customer.pk)
        if customer is not None
        else None
    ) or request_form_url(broadcast.incident)
    optout = optout_url(customer.opt_out_token if customer else "sample")
    rendered = _render(
        compiled,
        language=language,
        channel=broadcast.channel,
        context=_context(
            incident=broadcast.incident,
            language=language,
            name=sample["name"],
            booking=sample["booking"],
            departure=sample["departure"],
            tracking=tracking,
            optout=optout,
        ),
    )
    token = reply_token(broadcast.incident)
    if broadcast.channel == BroadcastChannel.EMAIL and token and token not in rendered.subject:
        rendered = Rendered(subject=f"{rendered.subject} {token}", body=rendered.body)
    return rendered


def broadcast_preview(*, broadcast: Broadcast) -> list[Preview]:
    """The message per language as a sample recipient of the segment would get it."""
    previews = []
    for language in broadcast.templates:
        sample, real = _sample(broadcast, language)
        rendered = _render_for(broadcast, language, sample)
        previews.append(
            Preview(
                language=language,
                subject=rendered.subject,
                body=rendered.body,
                sample_name=sample["name"],
                sample_is_real=real,
            )
        )
    return previews


def broadcast_recipient_count(broadcast: Broadcast) -> int:
    """How many customers it goes (or went) to: the segment before the start, then the rows."""
    if broadcast.status == BroadcastStatus.DRAFT:
        return customers_in_segment(broadcast.segment).count()
    return broadcast.total


def broadcast_send_test(
    *,
    broadcast: Broadcast,
    actor: Any,
    to: str = "",
    language: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Send the message (rendered for a sample recipient) to the lead: their email, or for SMS
    the number given. Each test is a new outbox row."""
    now = now or timezone.now()
    to = (to or "").strip()
    if broadcast.channel == BroadcastChannel.SMS:
        to = _e164(to)
    else:
        to = to or (getattr(actor, "email", "") or "")
        if "@" not in to:
            raise DomainError(_("Your account has no email address."), field="to")
    code: str = next(iter(broadcast.templates))
    if language and language in broadcast.templates:
        code = language
    sample, _real = _sample(broadcast, code)
    rendered = _render_for(broadcast, code, sample)
    subject = _("[TEST] %(subject)s") % {"subject": rendered.subject}
    key = f"broadcast-test:{broadcast.pk}:{secrets.token_hex(8)}"
    with transaction.atomic():
        if broadcast.channel == BroadcastChannel.SMS:
            row = outbox_enqueue(
                kind="broadcast_test",
                to=to,
                delivery_key=key,
                body_text=rendered.body,
                channel=OutboxChannel.SMS,
            )
        else:
            extra = _email_envelope(broadcast, subject=subject, optout="", message_id="")
            row = outbox_enqueue(
                kind="broadcast_test", to=to, delivery_key=key, body_text=rendered.body, **extra
            )
        assert row is not None  # a fresh random key
        _record(broadcast, "tested", actor=actor, at=now, to=to)
    return row


def _e164(number: str) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise DomainError(
            _("Enter a phone number with its country code, e.g. +90 532 123 45 67."), field="to"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# ------------------------------------------------------------------------------------------
# Opt-out
# ------------------------------------------------------------------------------------------


def customer_for_opt_out(token: str) -> Customer | None:
    if not token or len(token) > 40:
        return None
    return Customer.objects.filter(opt_out_token=token).first()


def customer_opt_out(*, token: str, now: datetime | None = None) -> Customer | None:
    """Stop broadcasts to the customer of ``token`` (None for an unknown token). Recipients of
    theirs not yet queued are skipped, and their queued messages not yet sent are suppressed."""
    now = now or timezone.now()
    with transaction.atomic():
        customer = customer_for_opt_out(token)
        if customer is None:
            return None
        if customer.broadcast_opt_out_at is None:
            customer.broadcast_opt_out_at = now
            customer.save(update_fields=["broadcast_opt_out_at"])
        BroadcastRecipient.objects.filter(customer=customer, status=RecipientStatus.PENDING).update(
            status=RecipientStatus.SKIPPED, error=SKIP_OPTED_OUT, updated_at=now
        )
        OutboxMessage.objects.filter(
            broadcast_recipient__customer=customer, status=OutboxStatus.PENDING
        ).update(status=OutboxStatus.SUPPRESSED, next_attempt_at=None)
    return customer
