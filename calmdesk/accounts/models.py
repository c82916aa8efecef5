from __future__ import annotations

import hashlib
import secrets
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_working_hours() -> dict[str, list[list[str]]]:
    """Mon–Fri 09:00–17:00 in the team's time zone."""
    return {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


def validate_working_hours(value: object) -> None:
    """{"mon": [["09:00", "17:00"], ...], ...}; days missing or empty are closed."""
    if not isinstance(value, dict):
        raise ValidationError(_("Working hours must map weekdays to lists of [start, end]."))
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(_("Unknown weekday %(day)s; use mon … sun."), params={"day": day})
        if not isinstance(spans, list):
            raise ValidationError(
                _("%(day)s must be a list of [start, end] pairs."), params={"day": day}
            )
        for span in spans:
            if (
                not isinstance(span, list | tuple)
                or len(span) != 2
                or not all(isinstance(t, str) and len(t) == 5 and t[2] == ":" for t in span)
                or span[0] >= span[1]
            ):
                raise ValidationError(
                    _('%(day)s: each span is ["HH:MM", "HH:MM"] with start before end.'),
                    params={"day": day},
                )


class Team(InvalidatesConfig, models.Model):
    # Request types carry their team into intake; the rules route to teams.
    config_caches = ("calmdesk.inbox.validation.FORM", "calmdesk.routing.services.RULES")

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    email = models.EmailField(
        _("team email"), blank=True, help_text=_("From/Reply-To address for this team's mail.")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("team lead"),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    working_hours = models.JSONField(
        _("working hours"),
        default=default_working_hours,
        validators=[validate_working_hours],
        help_text=_('e.g. {"mon": [["09:00", "17:00"]], ...}'),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    LEAD = "lead", _("Team lead")
    ADMIN = "admin", _("Administrator")


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="agents", verbose_name=_("teams"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AGENT)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_('Language codes the agent answers in, e.g. ["en", "tr"].'),
    )
    display_name = models.CharField(_("display name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.get_username()


class ApiToken(models.Model):
    """A bearer token for integrations; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "cdk_" + secrets.token_urlsafe(32)
