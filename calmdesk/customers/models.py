from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    attributes = models.JSONField(
        _("attributes"),
        default=dict,
        blank=True,
        help_text=_('Free attributes used by triage rules, e.g. {"vip": true}.'),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def primary_email(self) -> str:
        for identity in self.identities.all():
            if identity.kind == IdentityKind.EMAIL:
                return identity.value
        return ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat visitor")
    MESSAGING = "messaging", _("Messaging handle")


class Identity(models.Model):
    """How we reach a customer on one channel. ``value`` is normalised (lower-case email, E.164)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=12, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    verified = models.BooleanField(_("verified"), default=False)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
