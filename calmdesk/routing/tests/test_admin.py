"""Admins get a clear message for each kind of broken rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from calmdesk.core.testing.factories import TeamFactory, UserFactory
from calmdesk.inbox.models import FormField
from calmdesk.routing.admin import RuleActionForm, RuleConditionForm
from calmdesk.routing.models import TriageRule

pytestmark = pytest.mark.django_db


def condition_errors(**data: str) -> dict[str, list[str]]:
    form = RuleConditionForm(data={"field": "", "key": "", "operator": "", "value": "", **data})
    form.is_valid()
    return {k: [str(m) for m in v] for k, v in form.errors.items()}


def action_errors(**data: str) -> dict[str, list[str]]:
    form = RuleActionForm(data=data)
    form.is_valid()
    return {k: [str(m) for m in v] for k, v in form.errors.items()}


def test_operator_that_does_not_fit_the_field_is_refused() -> None:
    errors = condition_errors(field="channel", operator="within_next_days", value="7")

    assert list(errors) == ["operator"]
    assert errors["operator"][0].startswith("“date is within the next N days” does not apply to")


def test_days_must_be_a_whole_number() -> None:
    FormField.objects.create(key="departure_date", field_type="date", labels={"en": "Departure"})

    errors = condition_errors(
        field="custom", key="departure_date", operator="within_next_days", value="seven"
    )
    ok = condition_errors(
        field="custom", key="departure_date", operator="within_next_days", value="7"
    )

    assert errors == {"value": ["Enter a whole number of days (0 or more), e.g. 7."]}
    assert ok == {}


def test_custom_field_condition_needs_a_known_key() -> None:
    assert condition_errors(field="custom", operator="is_set") == {
        "key": ["Say which field or attribute this condition reads."]
    }
    assert condition_errors(field="custom", key="seat", operator="is", value="1A") == {
        "key": ["There is no form field with the key “seat”."]
    }


def test_unknown_team_slug_and_priority_are_refused() -> None:
    TeamFactory.create(slug="refunds")

    assert action_errors(action="route_team", value="refund") == {
        "value": ["No team has the slug “refund”. Known teams: refunds."]
    }
    assert action_errors(action="set_priority", value="asap") == {
        "value": ["Unknown priority “asap”. Use one of: low, normal, high, urgent."]
    }
    assert action_errors(action="boost", value="lots") == {
        "value": ["Enter a whole number, e.g. 1000 (negative lowers the ticket)."]
    }
    assert action_errors(action="route_team", value="refunds") == {}


def test_admin_saves_a_rule_with_its_conditions_and_actions(client: Any) -> None:
    admin_user = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    prefix_c, prefix_a = "conditions", "actions"
    data = {
        "name": "VIP",
        "order": "5",
        "active": "on",
        "match": "all",
        f"{prefix_c}-TOTAL_FORMS": "1",
        f"{prefix_c}-INITIAL_FORMS": "0",
        f"{prefix_c}-0-field": "customer",
        f"{prefix_c}-0-key": "vip",
        f"{prefix_c}-0-operator": "is",
        f"{prefix_c}-0-value": "true",
        f"{prefix_a}-TOTAL_FORMS": "1",
        f"{prefix_a}-INITIAL_FORMS": "0",
        f"{prefix_a}-0-action": "set_priority",
        f"{prefix_a}-0-value": "high",
    }

    response = client.post(reverse("admin:routing_triagerule_add"), data)

    assert response.status_code == 302
    rule = TriageRule.objects.get(name="VIP")
    assert [str(c) for c in rule.conditions.all()] == ["customer.vip is true"]
    assert [str(a) for a in rule.actions.all()] == ["set_priority high"]
    listing = client.get(reverse("admin:routing_triagerule_changelist"))
    assert listing.status_code == 200
