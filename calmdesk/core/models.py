"""Shared base models and the outbox: every side effect that must not be lost."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OutboxChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    WEBHOOK = "webhook", _("Webhook")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Suppressed")


class OutboxMessage(models.Model):
    """One outgoing message, written in the transaction that causes it.

    A Huey task enqueued on commit delivers it; a periodic sweep re-drives rows whose task was
    lost. ``delivery_key`` is unique, so the same logical message is never queued twice.
    """

    channel = models.CharField(
        _("channel"), max_length=16, choices=OutboxChannel.choices, default=OutboxChannel.EMAIL
    )
    kind = models.CharField(
        _("kind"), max_length=40, help_text=_("autoresponder, agent_reply, alert, ...")
    )
    delivery_key = models.CharField(_("delivery key"), max_length=200, unique=True)
    to = models.CharField(_("to"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    reply_to = models.CharField(_("reply-to"), max_length=320, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_messages",
    )
    message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    # What the transport called it: our Message-ID for email (bounces find the row by it), the
    # provider's message id for SMS and messaging (delivery-status callbacks find it by that).
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The sweep: pending rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            # Autoresponder limit per address per hour.
            models.Index(fields=["to", "kind", "created_at"], name="outbox_to_kind_idx"),
            models.Index(
                fields=["provider_id"],
                name="outbox_provider_id_idx",
                condition=~models.Q(provider_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.kind} → {self.to} ({self.status})"
