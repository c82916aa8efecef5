"""Reads behind the agent workspace: queue order, custom field labels, alert counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override

from calmdesk.core.testing.factories import (
    AgentFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.inbox.models import FieldType, FormField
from calmdesk.sla.models import Alert, AlertKind
from calmdesk.tickets.enums import Channel, Priority
from calmdesk.tickets.selectors import (
    QueueFilters,
    custom_field_rows,
    open_alert_count,
    queue_filter_options,
    queue_page,
    queue_rows,
)
from calmdesk.tickets.services import ticket_set_tags

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Any:
    return TeamFactory(slug="refunds", name="Refunds")


def test_queue_orders_by_score_then_due_time_then_age(team: Any) -> None:
    agent = AgentFactory(profile__teams=[team])
    now = timezone.now()
    normal = RequestTypeFactory(key="normal", team=team)
    high = RequestTypeFactory(key="high", team=team, default_priority=Priority.HIGH)
    old_normal = make_ticket(request_type=normal, now=now - timedelta(hours=3))
    new_normal = make_ticket(request_type=normal, now=now - timedelta(hours=1))
    high_one = make_ticket(request_type=high, now=now)

    rows, has_more = queue_page(user=agent, filters=QueueFilters())

    assert [t.pk for t in rows] == [high_one.pk, old_normal.pk, new_normal.pk]
    assert has_more is False


def test_queue_rows_read_a_page_in_three_queries_named_in_the_reader_language(
    team: Any, django_assert_num_queries: Any
) -> None:
    agent = AgentFactory(profile__teams=[team])
    refund = RequestTypeFactory(key="refund", names={"en": "Refund", "tr": "İade"}, team=team)
    now = timezone.now()
    tickets = [make_ticket(request_type=refund, now=now - timedelta(hours=4 - i)) for i in range(4)]
    ticket_set_tags(ticket=tickets[0], names=["storm", "baggage"], actor=None)
    options = queue_filter_options(user=agent)

    with override("tr"), django_assert_num_queries(3):
        rows, has_more = queue_rows(user=agent, filters=QueueFilters(), options=options, limit=3)

    assert [r.pk for r in rows] == [t.pk for t in tickets[:3]]
    assert has_more is True
    assert [(r.team_name, r.request_type_name, r.assignee_name) for r in rows] == [
        ("Refunds", "İade", "")
    ] * 3
    assert [r.tags for r in rows] == [["baggage", "storm"], [], []]
    # No contact recorded (a ticket from before contacts were): its opening channel, once.
    assert (rows[1].contact_channels, rows[1].contact_count) == ([Channel.FORM], 1)
    assert rows[0].reference == tickets[0].reference


def test_custom_fields_are_labelled_in_the_reader_language_with_dates_and_choices(
    team: Any,
) -> None:
    FormField.objects.create(
        key="departure_date",
        field_type=FieldType.DATE,
        labels={"en": "Departure date", "tr": "Kalkış tarihi"},
        order=1,
    )
    FormField.objects.create(
        key="cabin",
        field_type=FieldType.CHOICE,
        labels={"en": "Cabin"},
        choices=[{"value": "y", "labels": {"en": "Economy", "tr": "Ekonomi"}}],
        order=2,
    )
    ticket = make_ticket(
        request_type=RequestTypeFactory(team=team),
        custom_fields={"cabin": "y", "departure_date": "2026-12-01", "legacy_code": "Z9"},
    )

    with override("tr"):
        rows = custom_field_rows(ticket)

    assert [(r.label, r.value, r.is_date) for r in rows] == [
        ("Kalkış tarihi", date(2026, 12, 1), True),
        ("Cabin", "Ekonomi", False),
        ("Legacy code", "Z9", False),
    ]


def test_open_alert_count_covers_only_my_teams_and_unacknowledged(team: Any) -> None:
    other = TeamFactory(slug="other")
    agent = AgentFactory(profile__teams=[team])
    mine = make_ticket(request_type=RequestTypeFactory(key="a", team=team))
    seen = make_ticket(request_type=RequestTypeFactory(key="b", team=team))
    theirs = make_ticket(request_type=RequestTypeFactory(key="c", team=other))
    now = timezone.now()
    for ticket, acknowledged in ((mine, None), (seen, now), (theirs, None)):
        Alert.objects.create(
            ticket=ticket,
            kind=AlertKind.NO_AGENT_REPLY,
            team=ticket.team,
            raised_at=now,
            acknowledged_at=acknowledged,
        )

    assert open_alert_count(user=agent) == 1


def test_filter_options_list_my_teams_and_their_agents(team: Any) -> None:
    other = TeamFactory(slug="other", name="Other")
    me = AgentFactory(username="me", profile__teams=[team])
    colleague = AgentFactory(username="colleague", profile__teams=[team])
    AgentFactory(username="stranger", profile__teams=[other])
    options = queue_filter_options(user=me)

    assert [t.name for t in options.teams] == ["Refunds"]
    assert {u.username for u in options.agents} == {me.username, colleague.username}
