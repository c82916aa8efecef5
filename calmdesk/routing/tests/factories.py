"""Rules built the way an admin builds them: a rule, its conditions, its actions."""

from __future__ import annotations

from collections.abc import Sequence

from calmdesk.routing.models import RuleAction, RuleCondition, TriageRule


def make_rule(
    name: str,
    *,
    conditions: Sequence[tuple[str, str, str, str]] = (),
    actions: Sequence[tuple[str, str]] = (),
    match: str = "all",
    stop_processing: bool = False,
    order: int = 0,
    active: bool = True,
) -> TriageRule:
    """``conditions``: (field, key, operator, value); ``actions``: (action, value)."""
    rule = TriageRule.objects.create(
        name=name, match=match, stop_processing=stop_processing, order=order, active=active
    )
    for field, key, operator, value in conditions:
        RuleCondition.objects.create(
            rule=rule, field=field, key=key, operator=operator, value=value
        )
    for action, value in actions:
        RuleAction.objects.create(rule=rule, action=action, value=value)
    return rule
