"""Editable message templates per kind and language (autoresponder, reply notification, alert)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig


class TemplateKind(models.TextChoices):
    AUTORESPONDER = "autoresponder", _("Autoresponder (request received)")
    INCIDENT_AUTORESPONDER = (
        "incident_autoresponder",
        _("Incident autoresponder (request about an incident received)"),
    )
    AGENT_REPLY = "agent_reply", _("Agent reply to customer")
    ALERT = "alert", _("Alert to team lead")


class MessageTemplate(InvalidatesConfig, models.Model):
    config_caches = ("calmdesk.replies.services.TEMPLATES",)

    kind = models.CharField(_("kind"), max_length=30, choices=TemplateKind.choices)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Django template syntax. Placeholders: {{ name }}, {{ reference }}, "
            "{{ tracking_url }}, {{ expected_wait }}, {{ request_type }}, {{ subject }}, "
            "{{ reply }}, {{ team }}. Incident autoresponder also: {{ incident_title }}, "
            "{{ policy }} (the policy in force), {{ guidance }}, {{ crisis_url }} (its crisis "
            "page)."
        ),
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="template_unique")]

    def __str__(self) -> str:
        return f"{self.kind} [{self.language}]"
