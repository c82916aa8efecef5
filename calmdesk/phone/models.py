"""Phone calls (posted by a phone system or logged by an agent), their event history, and
callbacks customers ask for.

A finished call becomes a contact on a ticket (``services.call_finalize`` through
``conversations.contact_receive``) with a ``CALL`` event carrying its figures. A callback holds its
ticket out of the queue until its window starts (``services.callbacks_advance``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_phone_token() -> str:
    return "cdp_" + secrets.token_urlsafe(32)


class PhoneSystem(models.Model):
    """A phone system (Asterisk, FreePBX, a cloud PBX) that posts call events to
    ``POST /hooks/phone/events/`` with ``Authorization: Bearer <token>``."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    token = models.CharField(
        _("token"),
        max_length=80,
        unique=True,
        default=new_phone_token,
        help_text=_(
            "Sent by the phone system as 'Authorization: Bearer <token>'; also the key of the "
            "optional X-Calmdesk-Signature HMAC."
        ),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_systems",
        verbose_name=_("team"),
        help_text=_("Calls from this system go to this team unless a rule routes them."),
    )
    default_region = models.CharField(
        _("default country"),
        max_length=2,
        blank=True,
        help_text=_("ISO country code for numbers the system sends without one, e.g. TR, LT."),
    )
    language = models.CharField(
        _("language of new callers"), max_length=10, default="en", choices=settings.LANGUAGES
    )
    require_signature = models.BooleanField(
        _("require a signature"),
        default=False,
        help_text=_("Refuse events without a valid X-Calmdesk-Signature header."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("phone system")
        verbose_name_plural = _("phone systems")

    def __str__(self) -> str:
        return self.name


class Extension(models.Model):
    """An agent's extension on a phone system (events name agents by email or extension)."""

    phone_system = models.ForeignKey(
        PhoneSystem, on_delete=models.CASCADE, related_name="extensions"
    )
    number = models.CharField(_("extension"), max_length=40)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="phone_extensions",
        verbose_name=_("agent"),
    )

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_system", "number"], name="phone_extension_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone_system}: {self.number}"


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class CallState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    MISSED = "missed", _("Missed")


ENDED_STATES = (CallState.COMPLETED, CallState.MISSED)


class CallOutcome(models.TextChoices):
    """What came of a call, as an agent logs it (a phone system's calls: reached or missed)."""

    REACHED = "reached", _("Talked to the customer")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    VOICEMAIL = "voicemail", _("Left a voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    MISSED = "missed", _("Missed call")


class Call(models.Model):
    """One phone call. ``phone_system`` is null for calls an agent logged by hand."""

    phone_system = models.ForeignKey(
        PhoneSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        verbose_name=_("phone system"),
    )
    # The phone system's id of the call (Asterisk's UNIQUEID/LINKEDID); unique per system.
    external_id = models.CharField(_("call id"), max_length=120, blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    # E.164, or "" for a withheld / unknown number (the raw value is kept in ``raw_from``).
    from_number = models.CharField(_("from"), max_length=20, blank=True)
    to_number = models.CharField(_("to"), max_length=20, blank=True)
    raw_from = models.CharField(max_length=80, blank=True)
    raw_to = models.CharField(max_length=80, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("customer"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("ticket"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("agent"),
    )
    callback = models.ForeignKey(
        "Callback",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("callback"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=CallState.choices, default=CallState.RINGING
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=CallOutcome.choices, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), default=0)
    talk_seconds = models.PositiveIntegerField(_("talk time (s)"), default=0)
    hold_count = models.PositiveSmallIntegerField(_("holds"), default=0)
    hold_seconds = models.PositiveIntegerField(_("time on hold (s)"), default=0)
    transfer_count = models.PositiveSmallIntegerField(_("transfers"), default=0)
    # [{"at": iso, "from": "ext 201", "to": "ext 305", "agent": user id or null}, ...]
    transfers = models.JSONField(_("transfer list"), default=list, blank=True)
    queue = models.CharField(_("queue"), max_length=80, blank=True)
    did = models.CharField(_("number dialled (DID)"), max_length=20, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    notes = models.TextField(_("agent notes"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logged by"),
    )
    # When the call was written to its ticket (contact + CALL event); null while it runs.
    finalized_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_system", "external_id"],
                name="call_external_id_unique",
                condition=Q(phone_system__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="call_started_idx"),
            models.Index(fields=["ticket", "started_at"], name="call_ticket_idx"),
            models.Index(fields=["from_number", "-started_at"], name="call_from_idx"),
            # Ended calls still to be written to a ticket (the finalize sweep).
            models.Index(
                fields=["ended_at"],
                name="call_unfinalized_idx",
                condition=Q(finalized_at__isnull=True, ended_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} call {self.external_id or self.pk}"

    @property
    def customer_number(self) -> str:
        return self.from_number if self.direction == CallDirection.INBOUND else self.to_number

    @property
    def is_missed(self) -> bool:
        return self.state == CallState.MISSED


class CallEventType(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    HOLD = "hold", _("On hold")
    RESUME = "resume", _("Resumed")
    TRANSFER = "transfer", _("Transferred")
    ENDED = "ended", _("Ended")


class CallEvent(models.Model):
    """One event of a call as the phone system posted it. ``key`` makes a repeated delivery of
    the same event a no-op (the system's event id, else type + time)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=10, choices=CallEventType.choices)
    at = models.DateTimeField(_("at"))
    key = models.CharField(max_length=160)
    data = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        constraints = [
            models.UniqueConstraint(fields=["call", "key"], name="call_event_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.at:%H:%M:%S}"


class CallbackStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # held out of the queue until its window starts
    QUEUED = "queued", _("Due now")  # its window is open: in the queue
    IN_PROGRESS = "in_progress", _("Calling")  # an agent is calling
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_CALLBACK_STATUSES = (
    CallbackStatus.SCHEDULED,
    CallbackStatus.QUEUED,
    CallbackStatus.IN_PROGRESS,
)
DUE_CALLBACK_STATUSES = (CallbackStatus.QUEUED, CallbackStatus.IN_PROGRESS)


class CallbackSource(models.TextChoices):
    FORM = "form", _("Callback page")
    CHAT = "chat", _("Chat")
    TRACKING = "tracking", _("Tracking page")
    AGENT = "agent", _("Agent")


class Callback(models.Model):
    """A customer asked to be called at ``phone`` between ``window_start`` and ``window_end``."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="callbacks",
        verbose_name=_("customer"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="callbacks",
        verbose_name=_("ticket"),
    )
    phone = models.CharField(_("phone"), max_length=20)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    time_zone = models.CharField(_("customer's time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=10, default="en")
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("requested via"), max_length=10, choices=CallbackSource.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CallbackStatus.choices,
        default=CallbackStatus.SCHEDULED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The agent calling now (status in_progress), so two agents never call the same person.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("calling"),
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    queued_at = models.DateTimeField(_("entered the queue"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    # Idempotency of requests (the public page's form token, a chat message id).
    request_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["window_end", "id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__lt=models.F("window_end")),
                name="callback_window_order",
            )
        ]
        indexes = [
            # The minute task: scheduled callbacks whose window has started.
            models.Index(
                fields=["window_start"],
                name="callback_due_idx",
                condition=Q(status="scheduled"),
            ),
            # The minute task (windows that ended) and the agents' list, by window end.
            models.Index(
                fields=["window_end"],
                name="callback_open_idx",
                condition=Q(status__in=["scheduled", "queued", "in_progress"]),
            ),
            models.Index(fields=["ticket", "window_start"], name="callback_ticket_idx"),
            models.Index(fields=["phone", "status"], name="callback_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"callback {self.phone} {self.window_start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_CALLBACK_STATUSES

    @property
    def is_due(self) -> bool:
        return self.status in DUE_CALLBACK_STATUSES


class CallbackAttempt(models.Model):
    """One try to reach the customer of a callback."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField(_("at"), default=timezone.now)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=CallOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d %H:%M}"
