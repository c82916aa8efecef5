"""Messaging accounts (one per provider number or bot), every webhook request stored raw before
it is processed, and the messages received through them.

A provider is one module under ``calmdesk.messaging.providers`` (see ``adapters``); an
account's ``credentials`` hold the keys that module declares, so a new provider needs no
migration.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_webhook_key() -> str:
    return secrets.token_urlsafe(24)


class Provider(models.TextChoices):
    """The providers built in. The field holds any registered provider module's name (no
    choices at the database level: a new provider is one module, no migration)."""

    TWILIO = "twilio", _("Twilio SMS")
    WHATSAPP = "whatsapp", _("WhatsApp Cloud API")
    TELEGRAM = "telegram", _("Telegram bot")


class MessagingAccount(models.Model):
    """One number or bot at a provider, bound to a team.

    The provider posts to ``hooks/messaging/<provider>/<webhook_key>/``; the key is random, and
    every request is also signed with the account's secret (verified before anything is stored).
    """

    provider = models.CharField(_("provider"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messaging_accounts",
        verbose_name=_("team"),
        help_text=_("New conversations no triage rule routes go to this team."),
    )
    # The provider's keys, as its module declares them (``Adapter.credential_fields``).
    credentials = models.JSONField(_("credentials"), default=dict, blank=True)
    base_url = models.URLField(
        _("API base URL"),
        blank=True,
        help_text=_("Leave empty for the provider's own API (set only for a proxy or tests)."),
    )
    webhook_key = models.CharField(
        _("webhook key"), max_length=64, unique=True, default=new_webhook_key, editable=False
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = _("messaging account")
        verbose_name_plural = _("messaging accounts")

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"

    def credential(self, key: str) -> str:
        value: Any = (self.credentials or {}).get(key, "")
        return str(value or "")

    @property
    def webhook_path(self) -> str:
        return reverse("messaging:webhook", args=[self.provider, self.webhook_key])

    @property
    def webhook_url(self) -> str:
        return settings.SITE_URL + self.webhook_path


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not processed yet
    PROCESSED = "processed", _("Processed")  # every item in it was handled
    IGNORED = "ignored", _("Ignored")  # nothing to do (a repeat, a group chat, an empty event)
    FAILED = "failed", _("Failed")  # processing raised: kept, retried and replayable


class WebhookDelivery(models.Model):
    """One webhook request exactly as the provider sent it, stored (after its signature was
    verified) before any processing, so a failure never loses a customer's message."""

    account = models.ForeignKey(
        MessagingAccount,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("account"),
    )
    method = models.CharField(max_length=8, default="POST")
    url = models.CharField(_("URL"), max_length=2000)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    # What it carried, for the admin list: "2 messages, 1 status", "duplicate", "group chat".
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The retry sweep: what is not done yet.
            models.Index(
                fields=["status", "received_at"],
                name="msg_delivery_pending_idx",
                condition=Q(status__in=["received", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.received_at:%Y-%m-%d %H:%M:%S} ({self.status})"


class ReceivedMessage(models.Model):
    """One customer message received through an account: idempotency on the provider's id,
    the conversation it joined, and where a reply to it goes (``address`` on ``account``)."""

    account = models.ForeignKey(
        MessagingAccount,
        on_delete=models.CASCADE,
        related_name="received",
        verbose_name=_("account"),
    )
    delivery = models.ForeignKey(
        WebhookDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    provider = models.CharField(_("provider"), max_length=20)
    external_id = models.CharField(_("provider message id"), max_length=255)
    # The customer's identity value ("+905321234567", "telegram:123") and where replies go
    # ("+905321234567", the Telegram chat id).
    handle = models.CharField(_("handle"), max_length=320)
    address = models.CharField(_("reply address"), max_length=320)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messaging_received",
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "conversations.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # contact outcome (new, thread, follow_up, suggested), or opt_out / opt_in / start.
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="msg_received_unique")
        ]
        indexes = [
            # The open conversation of a handle; the WhatsApp 24-hour window.
            models.Index(fields=["handle", "-received_at"], name="msg_received_handle_idx"),
            # Where a reply on a ticket goes.
            models.Index(fields=["ticket", "-received_at"], name="msg_received_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"
