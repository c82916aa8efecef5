"""Contacts (every inbound contact on any channel) and merge suggestions between tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calmdesk.tickets.enums import Channel


class ContactOutcome(models.TextChoices):
    NEW = "new", _("New ticket")
    # Joined its conversation explicitly: email headers, reference in the subject, tracking
    # token, chat session, a reply to an SMS thread.
    THREAD = "thread", _("Reply in its conversation")
    # Recognised as the same problem as an open ticket of the same customer and added to it.
    FOLLOW_UP = "follow_up", _("Added to an open ticket")
    # Opened a ticket, but looks like an open ticket: an agent sees a merge suggestion.
    SUGGESTED = "suggested", _("New ticket, merge suggested")


class Contact(models.Model):
    """One inbound contact from a customer on one channel, whatever became of it.

    Written by ``conversations.services.contact_receive`` (and the form's intake) in the same
    transaction as the message it carries. Contacts per problem = contacts per ticket.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("ticket"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("customer"),
    )
    identity = models.ForeignKey(
        "customers.Identity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("identity"),
    )
    # What it came by, as written when it came ("ayse@example.com", "+905321234567",
    # "telegram:123"); ``identity`` is set when that identity was already stored.
    address = models.CharField(_("address"), max_length=320, blank=True)
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ContactOutcome.choices)
    # Idempotency of ingest: "<channel>:<id>" (an email's mailbox + Message-ID, a provider's
    # message id, a form token). The same contact delivered twice is stored once.
    external_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # Why a follow-up or a suggestion was decided: {"score": .., "reasons": [...]}.
    evidence = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["ticket", "at"], name="contact_ticket_idx"),
            models.Index(fields=["customer", "-at"], name="contact_customer_idx"),
            models.Index(fields=["channel", "at"], name="contact_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} contact on {self.ticket_id} ({self.outcome})"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Dismissed")


class MergeSuggestion(models.Model):
    """``ticket`` (the newer) may be the same problem as ``candidate``; an agent decides."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="merge_suggestions"
    )
    candidate = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    # {"reasons": [{"kind": "booking_reference", "value": "...", "weight": ..}, ...]}
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "candidate"], name="suggestion_unique_pair")
        ]
        indexes = [
            models.Index(fields=["ticket"], name="suggestion_open_idx", condition=Q(status="open")),
            models.Index(
                fields=["candidate"], name="suggestion_candidate_idx", condition=Q(status="open")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ~ {self.candidate_id} ({self.score:.2f})"
