from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig
from calmdesk.core.lookups import JsonKeyText

from .enums import ActorKind, Channel, EventType, MessageKind, Priority, TicketStatus

REFERENCE_PREFIX = "CD-"


# base32hex: its digits sort as their values under any collation (digits, then lowercase).
_TIME_DIGITS = "0123456789abcdefghijklmnopqrstuv"


def new_tracking_token() -> str:
    """The private link's token: 32 URL-safe characters, 128 random bits behind the creation
    time (milliseconds, 10 base32hex digits).

    The time first makes new tokens sort after older ones, so the unique index of the tokens
    grows at its end, as an id's does, instead of writing a page chosen at random among
    millions on every request accepted in a surge. The random part alone keeps a token
    unguessable; the time it tells is the holder's own request's.
    """
    ms = time.time_ns() // 1_000_000
    stamp = "".join(_TIME_DIGITS[(ms >> shift) & 31] for shift in range(45, -1, -5))
    return stamp + secrets.token_urlsafe(16)


class RequestType(InvalidatesConfig, models.Model):
    """What the customer needs (refund, cancellation, …); routes to a team by default."""

    config_caches = ("calmdesk.inbox.validation.FORM",)

    key = models.SlugField(_("key"), max_length=60, unique=True)
    names = models.JSONField(
        _("names per language"), default=dict, help_text=_('e.g. {"en": "Refund", "tr": "İade"}')
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request_types",
        verbose_name=_("team"),
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self) -> str:
        return self.name()

    def name(self, language: str | None = None) -> str:
        lang = (language or get_language() or "en")[:2]
        return self.names.get(lang) or self.names.get("en") or self.key


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=60, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=300)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    request_type = models.ForeignKey(
        RequestType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("request type"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    queue_score = models.IntegerField(
        _("queue score"), default=200, help_text=_("Higher comes first in the queue.")
    )
    # Added to the priority's base score by triage rules ("move to the top of the queue").
    queue_boost = models.IntegerField(_("queue boost"), default=0)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.FORM
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    # The incident this request belongs to (crisis mode links them at intake).
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("incident"),
    )

    # Set when an agent (or dedup) merged this ticket into another one; it is then closed.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )

    tracking_token = models.CharField(
        max_length=64, unique=True, default=new_tracking_token, editable=False
    )
    # Idempotency of public intake: the hidden token of the form (or an API Idempotency-Key).
    intake_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_reply_due_at = models.DateTimeField(_("first reply due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_replied_at = models.DateTimeField(_("first replied"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_message_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    # The expected wait announced to the customer at intake (form, email and API show this one).
    announced_wait_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # When the "no agent reply" alert falls due (null once replied or alerted).
    alert_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When a date condition of a triage rule may next change its answer (null: never).
    triage_recheck_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue: active tickets by score, due time, age. Partial, so closed history
            # (the bulk of a large desk) never enters it.
            models.Index(
                fields=["team", "-queue_score", "first_reply_due_at", "created_at", "id"],
                name="ticket_team_queue_idx",
                condition=Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["-queue_score", "first_reply_due_at", "created_at", "id"],
                name="ticket_queue_idx",
                condition=Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["assignee", "-queue_score", "first_reply_due_at", "created_at"],
                name="ticket_assignee_queue_idx",
                condition=Q(status__in=["new", "open", "pending"]),
            ),
            # Tickets still waiting for a first reply: the expected wait counts those ahead of a
            # new ticket on every intake. Covering, so the count never reads the table.
            models.Index(
                fields=[
                    "team",
                    "-queue_score",
                    "first_reply_due_at",
                    "created_at",
                    # SQLite re-checks the partial condition's columns: keep them in the index.
                    "status",
                    "first_replied_at",
                ],
                name="ticket_awaiting_reply_idx",
                condition=Q(status__in=["new", "open"], first_replied_at__isnull=True),
            ),
            models.Index(
                fields=["alert_due_at"],
                name="ticket_alert_due_idx",
                condition=Q(alert_due_at__isnull=False),
            ),
            models.Index(
                fields=["triage_recheck_at"],
                name="ticket_triage_recheck_idx",
                condition=Q(triage_recheck_at__isnull=False),
            ),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            # One conversation per problem (conversations.dedup): other customers' active
            # tickets on the booking reference a new contact names (a family, another address).
            models.Index(
                Upper(JsonKeyText("custom_fields", "booking_reference")),
                F("created_at").desc(),
                name="ticket_booking_ref_idx",
                condition=Q(status__in=["new", "open", "pending"]),
            ),
            # The "All" view and status views out of the queue: newest first.
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # Team throughput (first replies in a window). Partial: it must not tempt the
            # planner away from ticket_awaiting_reply_idx for "first_replied_at IS NULL".
            models.Index(
                fields=["team", "first_replied_at"],
                name="ticket_team_first_reply_idx",
                condition=Q(first_replied_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return format_reference(self.pk)

    @property
    def is_in_queue(self) -> bool:
        return self.status in (TicketStatus.NEW, TicketStatus.OPEN)


def format_reference(pk: int | None) -> str:
    return f"{REFERENCE_PREFIX}{pk:06d}" if pk else ""


def parse_reference(text: str) -> int | None:
    """'CD-000123', 'cd-123' or '123' → 123; anything else → None."""
    value = text.strip().upper()
    if value.startswith(REFERENCE_PREFIX):
        value = value[len(REFERENCE_PREFIX) :]
    return int(value) if value.isdigit() and 0 < len(value) <= 12 else None


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.FORM
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML (sanitised)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Idempotency of customer replies: the hidden token of the reply form (a double click
    # or a resent POST adds the message once).
    client_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)
    # The channel's own id of this message: the RFC 5322 Message-ID of an email (ours for
    # outbound mail, so replies thread through In-Reply-To/References), a provider's message id.
    external_id = models.CharField(_("external id"), max_length=255, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_idx"),
            models.Index(
                fields=["external_id"],
                name="message_external_id_idx",
                condition=~Q(external_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.ticket_id}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=400)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """Append-only history. Written only by ``tickets.events.record_event``."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=20, choices=EventType.choices)
    actor_kind = models.CharField(
        max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["ticket", "at"], name="event_ticket_idx"),
            models.Index(fields=["type", "at"], name="event_type_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} on {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"
