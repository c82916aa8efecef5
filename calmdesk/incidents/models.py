"""Crisis mode: incidents, their public page and updates, and broadcasts to the affected."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig


class IncidentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


# Statuses in which the incident is public: banner on the form, auto-linking of requests.
PUBLIC_STATUSES = (IncidentStatus.ACTIVE, IncidentStatus.MONITORING)


class Incident(InvalidatesConfig, models.Model):
    """Something went wrong for a segment of customers (a ship fire, a cancelled route).

    ``segment`` selects the affected bookings: any of ``trip``, ``ship``, ``route``,
    ``product``, ``tag`` (exact, case-insensitive) and ``departure_from`` / ``departure_to``
    (ISO dates, inclusive), plus ``import`` (the id of an uploaded list). All given keys must
    match. ``keywords`` link incoming requests that mention them.
    """

    # Active incidents are read on every public page (banner) and every intake (auto-linking).
    config_caches = ("calmdesk.incidents.selectors.PUBLIC_INCIDENTS",)

    slug = models.SlugField(
        _("short name"),
        max_length=60,
        unique=True,
        help_text=_("The crisis page is /crisis/<short name>."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.ACTIVE
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        verbose_name=_("handling team"),
    )
    languages = models.JSONField(
        _("languages"), default=list, help_text=_('Languages to publish in, e.g. ["en", "tr"].')
    )
    segment = models.JSONField(_("affected segment"), default=dict, blank=True)
    keywords = models.JSONField(
        _("keywords"),
        default=list,
        blank=True,
        help_text=_("Requests mentioning any of these are linked."),
    )
    # The request form preset for this incident (/help?incident=<slug> preselects this type).
    request_type = models.ForeignKey(
        "tickets.RequestType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("request type of the form link"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "-declared_at"], name="incident_status_idx")]

    def __str__(self) -> str:
        return self.slug

    def text(self, language: str | None = None) -> IncidentText | None:
        """The texts in ``language`` → the first published language → any (prefetch texts)."""
        texts = {t.language: t for t in self.texts.all()}
        lang = (language or get_language() or "en")[:2]
        for code in (lang, *self.languages, "en"):
            if code in texts:
                return texts[code]
        return next(iter(texts.values()), None)


class IncidentText(InvalidatesConfig, models.Model):
    """What the crisis page says, in one language."""

    config_caches = ("calmdesk.incidents.selectors.PUBLIC_INCIDENTS",)

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("what happened"))
    what_to_do = models.TextField(_("what to do"), blank=True)
    policy = models.TextField(
        _("policy in force"), blank=True, help_text=_("Refunds, rebooking, cancellation.")
    )
    guidance = models.TextField(
        _("guidance"),
        blank=True,
        help_text=_('e.g. "Contact us only if you travel within the next 3 days."'),
    )

    class Meta:
        verbose_name = _("incident text")
        verbose_name_plural = _("incident texts")
        constraints = [
            models.UniqueConstraint(fields=["incident", "language"], name="incident_text_unique")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} [{self.language}]"


class IncidentUpdate(models.Model):
    """A dated update on the crisis page (newest first); may be broadcast to the affected."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    texts = models.JSONField(_("text per language"), default=dict)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)
    broadcast = models.ForeignKey(
        "Broadcast", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        indexes = [models.Index(fields=["incident", "-posted_at"], name="incident_update_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.posted_at:%Y-%m-%d %H:%M}"

    def text(self, language: str | None = None, fallbacks: tuple[str, ...] = ()) -> str:
        lang = (language or get_language() or "en")[:2]
        for code in (lang, *fallbacks, "en"):
            if self.texts.get(code):
                return str(self.texts[code])
        return str(next(iter(self.texts.values()), ""))


class IncidentEventType(models.TextChoices):
    DECLARED = "declared", _("Declared")
    STATUS = "status", _("Status changed")
    EDITED = "edited", _("Edited")
    UPDATE_POSTED = "update_posted", _("Update posted")
    BROADCAST = "broadcast", _("Broadcast")


class IncidentEvent(models.Model):
    """Append-only history of an incident (lifecycle, edits, updates, broadcasts)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=IncidentEventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_idx")]

    def __str__(self) -> str:
        return f"{self.type} on {self.incident_id}"


class BroadcastChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class BroadcastStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class Broadcast(models.Model):
    """One message to every customer in a segment, per language, sent at a limited rate.

    ``templates``: {"en": {"subject": "...", "body": "..."}, "tr": {...}} with placeholders
    {{ name }}, {{ booking }}, {{ departure }}, {{ tracking_url }}, {{ crisis_url }}.
    """

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="broadcasts"
    )
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(
        _("channel"), max_length=8, choices=BroadcastChannel.choices, default=BroadcastChannel.EMAIL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BroadcastStatus.choices, default=BroadcastStatus.DRAFT
    )
    segment = models.JSONField(_("segment"), default=dict, blank=True)
    templates = models.JSONField(_("message per language"), default=dict)
    rate_per_minute = models.PositiveIntegerField(_("messages per minute"), default=600)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counters kept with F() by the sender; the recipients table is the truth.
    total = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        indexes = [
            models.Index(
                fields=["status"], name="broadcast_status_idx", condition=Q(status__in=["sending"])
            )
        ]

    def __str__(self) -> str:
        return self.name


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    BOUNCED = "bounced", _("Bounced")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (opted out or no address)")


class BroadcastRecipient(models.Model):
    """One customer of a broadcast. Unique per broadcast: nobody gets it twice."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="broadcasts_received"
    )
    booking = models.ForeignKey(
        "customers.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(_("address"), max_length=320, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(
        _("status"), max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    outbox = models.OneToOneField(
        "core.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="broadcast_recipient",
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "customer"], name="broadcast_once_per_customer"
            )
        ]
        indexes = [
            # The sender takes the next batch of pending recipients in id order.
            models.Index(
                fields=["broadcast", "id"],
                name="recipient_pending_idx",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["broadcast", "status"], name="recipient_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.broadcast_id} → {self.address}"
