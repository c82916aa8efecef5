"""The triage engine: every operator, all/any, stop, later-overrides, and the recheck time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calmdesk.core.testing.factories import (
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.routing.defaults import install_default_rules
from calmdesk.routing.models import RuleAction, TriageRule
from calmdesk.routing.services import triage_evaluate
from calmdesk.tickets.enums import EventType, Priority
from calmdesk.tickets.models import Ticket

from .factories import make_rule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def ticket_with(**fields: Any) -> Ticket:
    """An unsaved ticket, as ticket_create triages it before the insert."""
    fields.setdefault("customer", CustomerFactory.create())
    fields.setdefault("team", TeamFactory.create())
    return Ticket(subject="Help", **fields)


def evaluate(ticket: Ticket, text: str = "", now: datetime = NOW) -> Any:
    return triage_evaluate(ticket=ticket, text=text, now=now)


# --- The seed's default rule ------------------------------------------------------------------


def test_departure_within_7_days_goes_to_top_of_queue() -> None:
    install_default_rules()
    team = TeamFactory.create()
    refund = RequestTypeFactory.create(key="refund", team=team)
    earlier = make_ticket(request_type=refund, now=NOW)

    soon = make_ticket(request_type=refund, custom_fields={"departure_date": "2026-03-06"}, now=NOW)

    assert soon.priority == Priority.URGENT
    assert soon.queue_score == 1400
    assert list(soon.tags.values_list("name", flat=True)) == ["departs-soon"]
    queue = Ticket.objects.filter(team=team).order_by("-queue_score", "created_at")
    assert list(queue) == [soon, earlier]
    triage = soon.events.get(type=EventType.TRIAGE)
    assert triage.data["rules"] == ["Departure within 7 days"]
    assert triage.data["after"]["priority"] == Priority.URGENT


def test_default_rules_install_once() -> None:
    install_default_rules()
    install_default_rules()

    rule = TriageRule.objects.get()
    assert [(c.key, c.operator, c.value) for c in rule.conditions.all()] == [
        ("departure_date", "within_next_days", "7")
    ]
    assert sorted((a.action, a.value) for a in rule.actions.all()) == [
        ("add_tags", "departs-soon"),
        ("boost", "1000"),
        ("set_priority", "urgent"),
    ]


def test_departure_9_days_away_stays_normal_and_is_rechecked_at_the_7_day_mark() -> None:
    install_default_rules()

    ticket = make_ticket(custom_fields={"departure_date": "2026-03-11"}, now=NOW)

    assert ticket.priority == Priority.NORMAL
    assert ticket.queue_score == 200
    assert ticket.triage_recheck_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)


# --- Date operators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("departure", "matches"),
    [
        ("2026-03-01", False),  # yesterday
        ("2026-03-02", True),  # today
        ("2026-03-09", True),  # today + 7
        ("2026-03-10", False),  # today + 8
        ("2026-03-09T18:30:00", True),  # a datetime string counts by its date
        ("next week", False),  # not a date
    ],
)
def test_within_next_days_counts_today_through_today_plus_n(departure: str, matches: bool) -> None:
    make_rule(
        "soon",
        conditions=[("custom", "departure_date", "within_next_days", "7")],
        actions=[("set_priority", "urgent")],
    )

    outcome = evaluate(ticket_with(custom_fields={"departure_date": departure}))

    assert outcome.priority == (Priority.URGENT if matches else None)


def test_within_next_days_uses_the_teams_time_zone() -> None:
    make_rule(
        "soon",
        conditions=[("custom", "departure_date", "within_next_days", "7")],
        actions=[("set_priority", "urgent")],
    )
    late_evening_utc = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)  # already the 11th in Tehran
    tehran = TeamFactory.create(time_zone="Asia/Tehran")
    london = TeamFactory.create(time_zone="Europe/London")
    fields = {"custom_fields": {"departure_date": "2026-03-18"}}

    in_tehran = evaluate(ticket_with(team=tehran, **fields), now=late_evening_utc)
    in_london = evaluate(ticket_with(team=london, **fields), now=late_evening_utc)

    assert in_tehran.priority == Priority.URGENT
    assert in_london.priority is None
    assert in_london.recheck_at == datetime(2026, 3, 11, 0, 0, tzinfo=ZoneInfo("Europe/London"))


def test_more_than_days_away_and_before_today() -> None:
    make_rule(
        "far",
        conditions=[("custom", "departure_date", "more_than_days_away", "30")],
        actions=[("add_tags", "far-away")],
    )
    make_rule(
        "past",
        conditions=[("custom", "departure_date", "before_today", "")],
        actions=[("add_tags", "departed")],
    )

    far = evaluate(ticket_with(custom_fields={"departure_date": "2026-04-02"}))
    edge = evaluate(ticket_with(custom_fields={"departure_date": "2026-04-01"}))
    past = evaluate(ticket_with(custom_fields={"departure_date": "2026-03-01"}))

    assert far.tags == ["far-away"]
    assert far.recheck_at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # stops being > 30 days
    assert edge.tags == []
    assert past.tags == ["departed"]
    assert past.recheck_at is None  # nothing can change any more


def test_recheck_at_is_the_earliest_change_across_all_active_rules() -> None:
    make_rule(
        "stop first",
        conditions=[("channel", "", "is", "form")],
        actions=[("add_tags", "web")],
        stop_processing=True,
        order=1,
    )
    make_rule(
        "urgent within 2 days",
        conditions=[("custom", "departure_date", "within_next_days", "2")],
        actions=[("set_priority", "urgent")],
        order=2,
    )
    make_rule(
        "high within 5 days",
        conditions=[("custom", "departure_date", "within_next_days", "5")],
        actions=[("set_priority", "high")],
        order=3,
    )
    make_rule(
        "inactive",
        conditions=[("custom", "departure_date", "within_next_days", "6")],
        active=False,
        order=4,
    )

    outcome = evaluate(ticket_with(channel="form", custom_fields={"departure_date": "2026-03-12"}))

    assert outcome.matched == ["stop first"]
    # departure - 5 days = Mar 7 is the first change (the inactive rule's Mar 6 does not count).
    assert outcome.recheck_at == datetime(2026, 3, 7, 0, 0, tzinfo=UTC)


def test_no_date_value_means_no_recheck() -> None:
    install_default_rules()

    outcome = evaluate(ticket_with(custom_fields={}))

    assert outcome.recheck_at is None
    assert outcome.matched == []


# --- Other fields and operators ---------------------------------------------------------------


def test_request_type_is_and_in() -> None:
    refund = RequestTypeFactory.create(key="refund")
    other = RequestTypeFactory.create(key="other")
    make_rule("is", conditions=[("request_type", "", "is", "refund")], actions=[("boost", "5")])
    make_rule(
        "in", conditions=[("request_type", "", "in", "cancel, refund")], actions=[("boost", "7")]
    )
    make_rule(
        "not", conditions=[("request_type", "", "is_not", "refund")], actions=[("boost", "100")]
    )

    assert evaluate(ticket_with(request_type=refund)).boost == 12
    assert evaluate(ticket_with(request_type=other)).boost == 100
    assert evaluate(ticket_with()).boost == 100  # no type "is not refund"


def test_channel_and_language() -> None:
    make_rule(
        "persian email",
        conditions=[("channel", "", "is", "email"), ("language", "", "in", "fa, ar")],
        actions=[("add_tags", "fa-mail")],
    )

    assert evaluate(ticket_with(channel="email", language="fa")).tags == ["fa-mail"]
    assert evaluate(ticket_with(channel="form", language="fa")).tags == []
    assert evaluate(ticket_with(channel="email", language="en")).tags == []


def test_text_contains_any_is_case_insensitive_across_subject_and_message() -> None:
    make_rule(
        "fire",
        conditions=[("text", "", "contains_any", "fire, YANGIN, gaisras")],
        actions=[("set_priority", "high")],
    )
    make_rule(
        "refund words",
        conditions=[("text", "", "contains", "money back")],
        actions=[("add_tags", "money")],
    )

    assert evaluate(ticket_with(), "Gemide YANGIN var").priority == Priority.HIGH
    assert evaluate(ticket_with(), "There was a FIRE on board").priority == Priority.HIGH
    assert evaluate(ticket_with(), "I want my Money Back").tags == ["money"]
    nothing = evaluate(ticket_with(), "A quiet question")
    assert (nothing.priority, nothing.tags) == (None, [])


def test_customer_attribute_conditions() -> None:
    make_rule(
        "vip",
        conditions=[("customer", "vip", "is", "true")],
        actions=[("set_priority", "high"), ("add_tags", "VIP guest")],
    )
    make_rule(
        "has tier",
        conditions=[("customer", "tier", "is_set", "")],
        actions=[("boost", "10")],
    )
    vip = CustomerFactory.create(attributes={"vip": True, "tier": "gold"})
    plain = CustomerFactory.create(attributes={"vip": False})

    vip_outcome = evaluate(ticket_with(customer=vip))
    plain_outcome = evaluate(ticket_with(customer=plain))

    assert (vip_outcome.priority, vip_outcome.tags, vip_outcome.boost) == (
        Priority.HIGH,
        ["vip-guest"],
        10,
    )
    assert (plain_outcome.priority, plain_outcome.tags, plain_outcome.boost) == (None, [], 0)


def test_custom_text_field_contains() -> None:
    make_rule(
        "group booking",
        conditions=[("custom", "booking_reference", "contains", "GRP")],
        actions=[("add_tags", "group")],
    )

    assert evaluate(ticket_with(custom_fields={"booking_reference": "xgrp-881"})).tags == ["group"]
    assert evaluate(ticket_with(custom_fields={"booking_reference": "AB12"})).tags == []
    assert evaluate(ticket_with(custom_fields={})).tags == []


# --- Combining rules --------------------------------------------------------------------------


def test_match_all_needs_every_condition_and_any_needs_one() -> None:
    conditions = [("channel", "", "is", "email"), ("language", "", "is", "tr")]
    make_rule("all", conditions=conditions, actions=[("add_tags", "all")], order=1)
    make_rule("any", conditions=conditions, match="any", actions=[("add_tags", "any")], order=2)

    assert evaluate(ticket_with(channel="email", language="tr")).tags == ["all", "any"]
    assert evaluate(ticket_with(channel="email", language="lt")).tags == ["any"]
    assert evaluate(ticket_with(channel="form", language="lt")).tags == []


def test_stop_processing_ends_evaluation_after_a_matching_rule() -> None:
    make_rule(
        "not matching",
        conditions=[("channel", "", "is", "sms")],
        actions=[("add_tags", "sms")],
        stop_processing=True,
        order=1,
    )
    make_rule("stopper", actions=[("add_tags", "first")], stop_processing=True, order=2)
    make_rule("never reached", actions=[("add_tags", "second")], order=3)

    outcome = evaluate(ticket_with(channel="form"))

    assert outcome.matched == ["stopper"]
    assert outcome.tags == ["first"]


def test_later_rules_override_priority_and_team_while_boosts_add_and_tags_unite() -> None:
    billing = TeamFactory.create(slug="billing")
    vip_desk = TeamFactory.create(slug="vip-desk")
    make_rule(
        "first",
        actions=[
            ("set_priority", "high"),
            ("route_team", "billing"),
            ("boost", "50"),
            ("add_tags", "a, b"),
        ],
        order=1,
    )
    make_rule(
        "second",
        actions=[
            ("set_priority", "low"),
            ("route_team", "vip-desk"),
            ("boost", "-20"),
            ("add_tags", "b, c"),
        ],
        order=2,
    )

    outcome = evaluate(ticket_with())

    assert outcome.priority == Priority.LOW
    assert outcome.team == vip_desk
    assert outcome.team != billing
    assert outcome.boost == 30
    assert outcome.tags == ["a", "b", "c"]
    assert outcome.matched == ["first", "second"]


def test_route_team_sends_the_new_ticket_to_that_team() -> None:
    TeamFactory.create(slug="persian-desk")
    make_rule(
        "persian",
        conditions=[("language", "", "is", "fa")],
        actions=[("route_team", "persian-desk")],
    )

    ticket = make_ticket(language="fa", request_type=RequestTypeFactory.create(), now=NOW)

    assert ticket.team is not None
    assert ticket.team.slug == "persian-desk"


def test_rule_edits_apply_at_once_and_the_rule_set_is_cached(
    django_assert_num_queries: Any,
) -> None:
    rule = make_rule("all form", conditions=[("channel", "", "is", "form")])
    ticket = ticket_with(channel="form")
    assert evaluate(ticket).priority is None

    RuleAction.objects.create(rule=rule, action="set_priority", value="high")
    assert evaluate(ticket).priority == Priority.HIGH

    with django_assert_num_queries(0):
        assert evaluate(ticket).priority == Priority.HIGH

    rule.active = False
    rule.save()
    assert evaluate(ticket).matched == []
