from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig
from calmdesk.tickets.enums import Priority


class SlaPolicy(InvalidatesConfig, models.Model):
    """Targets per priority, counted in the team's working hours."""

    config_caches = ("calmdesk.sla.services.SLA_POLICIES",)

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    first_reply_minutes = models.PositiveIntegerField(_("first reply within (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolve within (working minutes)"))
    alert_after_minutes = models.PositiveIntegerField(
        _("alert the lead after (calendar minutes without an agent reply)"),
        null=True,
        blank=True,
        help_text=_("Empty: no alert. The seed: urgent → 3 days (4320)."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return str(self.get_priority_display())


class AlertKind(models.TextChoices):
    NO_AGENT_REPLY = "no_agent_reply", _("Urgent request without an agent reply")


class Alert(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    raised_at = models.DateTimeField(_("raised"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="alert_once")]
        indexes = [models.Index(fields=["team", "acknowledged_at"], name="alert_team_open_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"
