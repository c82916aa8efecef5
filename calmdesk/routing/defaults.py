"""The seed's triage rules. Routing by request type needs no rule: ``RequestType.team`` does it."""

from __future__ import annotations

from django.db import transaction

from calmdesk.tickets.enums import Priority

from .models import ActionType, ConditionField, Operator, RuleAction, RuleCondition, TriageRule

DEPARTS_SOON_RULE = "Departure within 7 days"


@transaction.atomic
def install_default_rules() -> None:
    """Departure date within the next 7 days → urgent, top of the queue, tagged departs-soon.

    Idempotent: an existing rule of that name (possibly edited by an admin) is left alone.
    """
    rule, created = TriageRule.objects.get_or_create(
        name=DEPARTS_SOON_RULE, defaults={"order": 10, "active": True}
    )
    if not created:
        return
    RuleCondition.objects.create(
        rule=rule,
        field=ConditionField.CUSTOM,
        key="departure_date",
        operator=Operator.WITHIN_NEXT_DAYS,
        value="7",
    )
    RuleAction.objects.create(rule=rule, action=ActionType.SET_PRIORITY, value=Priority.URGENT)
    RuleAction.objects.create(rule=rule, action=ActionType.BOOST, value="1000")
    RuleAction.objects.create(rule=rule, action=ActionType.ADD_TAGS, value="departs-soon")
