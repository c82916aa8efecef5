"""Triage: evaluate the ordered, admin-edited rules against a ticket. Pure: writes nothing.

The active rule set (rules, conditions, actions and the teams they route to) is loaded once and
kept in the process for a few seconds; saving or deleting a rule bumps a version key in the
shared cache, so every process reloads at once after an admin edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.text import slugify

from calmdesk.accounts.models import Team
from calmdesk.core.config_cache import ProcessCache
from calmdesk.tickets.enums import Priority
from calmdesk.tickets.models import Ticket

from .models import ActionType, ConditionField, Operator, RuleMatch, TriageRule

RULES_TTL_SECONDS = 5.0

DATE_OPERATORS = {Operator.WITHIN_NEXT_DAYS, Operator.MORE_THAN_DAYS_AWAY, Operator.BEFORE_TODAY}
DAYS_OPERATORS = {Operator.WITHIN_NEXT_DAYS, Operator.MORE_THAN_DAYS_AWAY}
TEXT_OPERATORS = {
    Operator.IS,
    Operator.IS_NOT,
    Operator.IN,
    Operator.CONTAINS,
    Operator.CONTAINS_ANY,
    Operator.IS_SET,
}
# Which operators make sense on which field (the admin refuses the others).
OPERATORS_FOR_FIELD: dict[str, set[str]] = {
    ConditionField.REQUEST_TYPE: {Operator.IS, Operator.IS_NOT, Operator.IN, Operator.IS_SET},
    ConditionField.CUSTOM: TEXT_OPERATORS | DATE_OPERATORS,
    ConditionField.CHANNEL: {Operator.IS, Operator.IS_NOT, Operator.IN},
    ConditionField.LANGUAGE: {Operator.IS, Operator.IS_NOT, Operator.IN},
    ConditionField.TEXT: {Operator.CONTAINS, Operator.CONTAINS_ANY},
    ConditionField.CUSTOMER: TEXT_OPERATORS | DATE_OPERATORS,
}
FIELDS_WITH_KEY = {ConditionField.CUSTOM, ConditionField.CUSTOMER}


@dataclass
class TriageOutcome:
    """What the rules decided. None means "no rule said anything about it"."""

    priority: str | None = None
    team: Team | None = None
    tags: list[str] = field(default_factory=list)
    boost: int = 0
    matched: list[str] = field(default_factory=list)  # names of the rules that matched
    # The earliest moment a date condition could change its answer (e.g. departure - 7 days).
    recheck_at: datetime | None = None


# ------------------------------------------------------------------------------------------
# The compiled rule set
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledCondition:
    field: str
    key: str
    operator: str
    value: str
    words: tuple[str, ...]  # casefolded, comma separated parts of ``value``
    days: int | None  # N of the date operators


@dataclass(frozen=True)
class CompiledRule:
    name: str
    match_any: bool
    stop_processing: bool
    conditions: tuple[CompiledCondition, ...]
    priority: str | None
    team: Team | None
    tags: tuple[str, ...]
    boost: int


def parse_int(value: str) -> int | None:
    try:
        return int(value.strip())
    except (TypeError, ValueError):
        return None


def parse_days(value: str) -> int | None:
    days = parse_int(value)
    return days if days is not None and days >= 0 else None


def split_words(value: str) -> tuple[str, ...]:
    return tuple(w.strip().casefold() for w in value.split(",") if w.strip())


def split_tags(value: str) -> tuple[str, ...]:
    tags = (slugify(t, allow_unicode=True) for t in value.split(","))
    return tuple(dict.fromkeys(t for t in tags if t))


def _compile(rules: list[TriageRule]) -> tuple[CompiledRule, ...]:
    slugs = {
        a.value.strip()
        for rule in rules
        for a in rule.actions.all()
        if a.action == ActionType.ROUTE_TEAM
    }
    teams = {t.slug: t for t in Team.objects.filter(slug__in=slugs)} if slugs else {}
    compiled = []
    for rule in rules:
        priority: str | None = None
        team: Team | None = None
        tags: list[str] = []
        boost = 0
        for action in rule.actions.all():  # in id order: a later action wins within a rule
            value = action.value.strip()
            if action.action == ActionType.SET_PRIORITY and value in Priority.values:
                priority = value
            elif action.action == ActionType.ROUTE_TEAM and value in teams:
                team = teams[value]
            elif action.action == ActionType.ADD_TAGS:
                tags.extend(split_tags(value))
            elif action.action == ActionType.BOOST:
                boost += parse_int(value) or 0
        conditions = tuple(
            CompiledCondition(
                field=c.field,
                key=c.key.strip(),
                operator=c.operator,
                value=c.value.strip(),
                words=split_words(c.value),
                days=parse_days(c.value),
            )
            for c in rule.conditions.all()
        )
        compiled.append(
            CompiledRule(
                name=rule.name,
                match_any=rule.match == RuleMatch.ANY,
                stop_processing=rule.stop_processing,
                conditions=conditions,
                priority=priority,
                team=team,
                tags=tuple(dict.fromkeys(tags)),
                boost=boost,
            )
        )
    return tuple(compiled)


def _load_rules() -> tuple[CompiledRule, ...]:
    rules = list(
        TriageRule.objects.filter(active=True)
        .order_by("order", "id")
        .prefetch_related("conditions", "actions")
    )
    return _compile(rules)


RULES: ProcessCache[tuple[CompiledRule, ...]] = ProcessCache(
    "routing-rules", _load_rules, ttl=RULES_TTL_SECONDS
)


def invalidate_rules() -> None:
    """Make every process reload the rules (called when a rule, condition or action changes)."""
    RULES.invalidate()


def active_rules() -> tuple[CompiledRule, ...]:
    """The active rules in order, from the process cache when fresh (3 queries on a miss)."""
    return RULES.get()


# ------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    """A ticket value as casefolded strings (lists give one string per element)."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list | tuple | set):
        return [s for item in value for s in _strings(item)]
    text = str(value).strip().casefold()
    return [text] if text else []


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


class _Subject:
    """The ticket's values, looked up lazily (a relation is read only when a rule needs it)."""

    def __init__(self, ticket: Ticket, text: str, now: datetime) -> None:
        self.ticket = ticket
        self.now = now
        self._text = text
        self._cache: dict[str, Any] = {}

    def zone(self) -> ZoneInfo:
        if "zone" not in self._cache:
            team = self.ticket.team if self.ticket.team_id else None
            self._cache["zone"] = ZoneInfo(team.time_zone if team else settings.TIME_ZONE)
        return self._cache["zone"]

    def today(self) -> date:
        return self.now.astimezone(self.zone()).date()

    def text(self) -> str:
        if "text" not in self._cache:
            self._cache["text"] = self._text.casefold()
        return self._cache["text"]

    def value(self, condition: CompiledCondition) -> Any:
        kind = condition.field
        if kind == ConditionField.REQUEST_TYPE:
            request_type = self.ticket.request_type
            return request_type.key if request_type is not None else None
        if kind == ConditionField.CUSTOM:
            return (self.ticket.custom_fields or {}).get(condition.key)
        if kind == ConditionField.CHANNEL:
            return self.ticket.channel
        if kind == ConditionField.LANGUAGE:
            return (self.ticket.language or "")[:2]
        if kind == ConditionField.CUSTOMER:
            attributes = self.ticket.customer.attributes
            return attributes.get(condition.key) if isinstance(attributes, dict) else None
        return None


def _text_matches(condition: CompiledCondition, haystack: str) -> bool:
    if condition.operator == Operator.CONTAINS:
        needle = condition.value.casefold()
        return bool(needle) and needle in haystack
    if condition.operator == Operator.CONTAINS_ANY:
        return any(word in haystack for word in condition.words)
    return False


def _date_matches(condition: CompiledCondition, day: date | None, today: date) -> bool:
    if day is None:
        return False
    if condition.operator == Operator.BEFORE_TODAY:
        return day < today
    if condition.days is None:
        return False
    if condition.operator == Operator.WITHIN_NEXT_DAYS:
        return today <= day <= today + timedelta(days=condition.days)
    return day > today + timedelta(days=condition.days)  # more_than_days_away


def _value_matches(condition: CompiledCondition, value: Any) -> bool:
    values = _strings(value)
    op = condition.operator
    if op == Operator.IS_SET:
        return bool(values)
    if op == Operator.IS:
        return condition.value.casefold() in values
    if op == Operator.IS_NOT:
        return condition.value.casefold() not in values
    if op == Operator.IN:
        return any(v in condition.words for v in values)
    if op == Operator.CONTAINS:
        needle = condition.value.casefold()
        return bool(needle) and any(needle in v for v in values)
    if op == Operator.CONTAINS_ANY:
        return any(word in v for v in values for word in condition.words)
    return False


def condition_matches(condition: CompiledCondition, subject: _Subject) -> bool:
    if condition.field == ConditionField.TEXT:
        return _text_matches(condition, subject.text())
    value = subject.value(condition)
    if condition.operator in DATE_OPERATORS:
        return _date_matches(condition, _parse_date(value), subject.today())
    return _value_matches(condition, value)


def _date_changes(condition: CompiledCondition, day: date) -> list[date]:
    """The local days at whose midnight this date condition may flip its answer."""
    if condition.operator == Operator.BEFORE_TODAY:
        return [day + timedelta(days=1)]
    if condition.days is None:
        return []
    if condition.operator == Operator.WITHIN_NEXT_DAYS:
        return [day - timedelta(days=condition.days), day + timedelta(days=1)]
    return [day - timedelta(days=condition.days)]  # more_than_days_away stops being true


def _recheck_at(rules: tuple[CompiledRule, ...], subject: _Subject) -> datetime | None:
    """The earliest future local midnight at which any date condition changes its answer."""
    today = subject.today()
    candidates: list[date] = []
    for rule in rules:
        for condition in rule.conditions:
            if condition.operator not in DATE_OPERATORS:
                continue
            day = _parse_date(subject.value(condition))
            if day is not None:
                candidates.extend(d for d in _date_changes(condition, day) if d > today)
    if not candidates:
        return None
    return datetime.combine(min(candidates), day_time(0), tzinfo=subject.zone())


def triage_evaluate(*, ticket: Ticket, text: str, now: datetime) -> TriageOutcome:
    """Evaluate active rules in order against ``ticket`` (its type, custom fields, channel,
    language, customer attributes) and ``text`` (subject + first message). Pure: writes nothing.

    A later matching rule overrides the priority and team of an earlier one; boosts add up and
    tags are united. A matching rule with "stop after this rule" ends the evaluation (date
    conditions of the later rules still count for ``recheck_at``).
    """
    rules = active_rules()
    subject = _Subject(ticket, text, now)
    outcome = TriageOutcome()
    for rule in rules:
        results = (condition_matches(c, subject) for c in rule.conditions)
        matched = (any(results) if rule.match_any else all(results)) or not rule.conditions
        if not matched:
            continue
        outcome.matched.append(rule.name)
        if rule.priority:
            outcome.priority = rule.priority
        if rule.team is not None:
            outcome.team = rule.team
        outcome.tags.extend(t for t in rule.tags if t not in outcome.tags)
        outcome.boost += rule.boost
        if rule.stop_processing:
            break
    outcome.recheck_at = _recheck_at(rules, subject)
    return outcome
