"""Triage rules: ordered, admin-editable conditions → actions, evaluated at intake."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig


class RuleMatch(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class ConditionField(models.TextChoices):
    REQUEST_TYPE = "request_type", _("Request type (key)")
    CUSTOM = "custom", _("Custom field")
    CHANNEL = "channel", _("Channel")
    LANGUAGE = "language", _("Language")
    TEXT = "text", _("Words in subject or message")
    CUSTOMER = "customer", _("Customer attribute")


class Operator(models.TextChoices):
    IS = "is", _("is")
    IS_NOT = "is_not", _("is not")
    IN = "in", _("is one of (comma separated)")
    CONTAINS = "contains", _("contains")
    CONTAINS_ANY = "contains_any", _("contains any word of (comma separated)")
    IS_SET = "is_set", _("is set")
    WITHIN_NEXT_DAYS = "within_next_days", _("date is within the next N days")
    MORE_THAN_DAYS_AWAY = "more_than_days_away", _("date is more than N days away")
    BEFORE_TODAY = "before_today", _("date is in the past")


class ActionType(models.TextChoices):
    SET_PRIORITY = "set_priority", _("Set priority")
    ROUTE_TEAM = "route_team", _("Route to team (slug)")
    ADD_TAGS = "add_tags", _("Add tags (comma separated)")
    BOOST = "boost", _("Raise queue score by")


class _InvalidatesRules(InvalidatesConfig, models.Model):
    """Saving or deleting a rule, condition or action makes every process reload the rules."""

    config_caches = ("calmdesk.routing.services.RULES",)

    class Meta:
        abstract = True


class TriageRule(_InvalidatesRules):
    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    match = models.CharField(
        _("match"), max_length=4, choices=RuleMatch.choices, default=RuleMatch.ALL
    )
    stop_processing = models.BooleanField(_("stop after this rule"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")

    def __str__(self) -> str:
        return self.name


class RuleCondition(_InvalidatesRules):
    rule = models.ForeignKey(TriageRule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(_("field"), max_length=16, choices=ConditionField.choices)
    key = models.CharField(
        _("key"),
        max_length=60,
        blank=True,
        help_text=_("For custom fields and customer attributes: which one."),
    )
    operator = models.CharField(_("operator"), max_length=24, choices=Operator.choices)
    value = models.CharField(_("value"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")

    def __str__(self) -> str:
        return f"{self.field}{'.' + self.key if self.key else ''} {self.operator} {self.value}"


class RuleAction(_InvalidatesRules):
    rule = models.ForeignKey(TriageRule, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("action"), max_length=16, choices=ActionType.choices)
    value = models.CharField(_("value"), max_length=200)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"{self.action} {self.value}"
