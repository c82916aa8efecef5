from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from calmdesk.accounts.models import Team
from calmdesk.tickets.enums import Priority

from .models import ActionType, ConditionField, Operator, RuleAction, RuleCondition, TriageRule
from .services import (
    DAYS_OPERATORS,
    FIELDS_WITH_KEY,
    OPERATORS_FOR_FIELD,
    parse_int,
    split_tags,
)


class RuleConditionForm(forms.ModelForm):
    class Meta:
        model = RuleCondition
        fields = ("field", "key", "operator", "value")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        field, operator = data.get("field"), data.get("operator")
        key = (data.get("key") or "").strip()
        value = (data.get("value") or "").strip()
        if not field or not operator:
            return data
        if operator not in OPERATORS_FOR_FIELD[field]:
            allowed = ", ".join(
                str(label) for op, label in Operator.choices if op in OPERATORS_FOR_FIELD[field]
            )
            self.add_error(
                "operator",
                _("“%(operator)s” does not apply to %(field)s. Use one of: %(allowed)s.")
                % {
                    "operator": Operator(operator).label,
                    "field": ConditionField(field).label,
                    "allowed": allowed,
                },
            )
            return data
        if field in FIELDS_WITH_KEY and not key:
            self.add_error("key", _("Say which field or attribute this condition reads."))
        elif field not in FIELDS_WITH_KEY and key:
            self.add_error(
                "key",
                _("Leave the key empty: only custom fields and customer attributes use it."),
            )
        if field == ConditionField.CUSTOM and key:
            from calmdesk.inbox.models import FormField

            if not FormField.objects.filter(key=key).exists():
                self.add_error(
                    "key", _("There is no form field with the key “%(key)s”.") % {"key": key}
                )
        if operator in DAYS_OPERATORS:
            days = parse_int(value)
            if days is None or days < 0:
                self.add_error("value", _("Enter a whole number of days (0 or more), e.g. 7."))
        elif operator in (Operator.IS_SET, Operator.BEFORE_TODAY):
            if value:
                self.add_error("value", _("Leave the value empty for this operator."))
        elif not value:
            self.add_error("value", _("Enter the value to compare with."))
        data["key"], data["value"] = key, value
        return data


class RuleActionForm(forms.ModelForm):
    class Meta:
        model = RuleAction
        fields = ("action", "value")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        value = (data.get("value") or "").strip()
        if action == ActionType.SET_PRIORITY and value not in Priority.values:
            self.add_error(
                "value",
                _("Unknown priority “%(value)s”. Use one of: %(allowed)s.")
                % {"value": value, "allowed": ", ".join(Priority.values)},
            )
        elif action == ActionType.ROUTE_TEAM and not Team.objects.filter(slug=value).exists():
            self.add_error(
                "value",
                _("No team has the slug “%(value)s”. Known teams: %(allowed)s.")
                % {
                    "value": value,
                    "allowed": ", ".join(
                        Team.objects.order_by("slug").values_list("slug", flat=True)
                    )
                    or "—",
                },
            )
        elif action == ActionType.BOOST and parse_int(value) is None:
            self.add_error(
                "value", _("Enter a whole number, e.g. 1000 (negative lowers the ticket).")
            )
        elif action == ActionType.ADD_TAGS and not split_tags(value):
            self.add_error("value", _("Enter one or more tags, separated by commas."))
        data["value"] = value
        return data


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    form = RuleConditionForm
    extra = 1


class RuleActionInline(admin.TabularInline):
    model = RuleAction
    form = RuleActionForm
    extra = 1


@admin.register(TriageRule)
class TriageRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "active", "match", "stop_processing", "summary")
    list_display_links = ("name",)
    list_editable = ("order", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    ordering = ("order", "id")
    inlines = (RuleConditionInline, RuleActionInline)
    fieldsets = ((None, {"fields": ("name", "order", "active", "match", "stop_processing")}),)

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("conditions", "actions")

    @admin.display(description=_("conditions → actions"))
    def summary(self, rule: TriageRule) -> str:
        conditions = " · ".join(str(c) for c in rule.conditions.all()) or _("always")
        actions = " · ".join(str(a) for a in rule.actions.all()) or "—"
        return f"{conditions} → {actions}"
