"""Working-hours arithmetic in the team's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from calmdesk.accounts.models import Team
from calmdesk.sla.calendar import add_working_minutes, working_minutes_between
from calmdesk.sla.defaults import install_default_policies
from calmdesk.sla.models import SlaPolicy
from calmdesk.sla.services import sla_alert_due_at, sla_due_times

ISTANBUL = ZoneInfo("Europe/Istanbul")
OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def team(hours: dict[str, list[list[str]]], tz: str = "Europe/Istanbul") -> Team:
    return Team(name="T", slug="t", time_zone=tz, working_hours=hours)


def test_minutes_left_on_friday_carry_over_to_monday_morning() -> None:
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=ISTANBUL)

    due = add_working_minutes(team(OFFICE), friday_4pm, 120)

    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=ISTANBUL)
    assert working_minutes_between(team(OFFICE), friday_4pm, due) == 120


def test_a_start_before_opening_counts_from_opening_time() -> None:
    monday_7am = datetime(2026, 3, 9, 7, 0, tzinfo=ISTANBUL)

    assert add_working_minutes(team(OFFICE), monday_7am, 30) == datetime(
        2026, 3, 9, 9, 30, tzinfo=ISTANBUL
    )
    assert add_working_minutes(team(OFFICE), monday_7am, 0) == datetime(
        2026, 3, 9, 9, 0, tzinfo=ISTANBUL
    )


def test_split_shifts_and_the_time_zone_are_respected() -> None:
    hours = {"mon": [["13:30", "17:00"], ["09:00", "12:30"]]}
    start = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)  # 09:00 in Istanbul

    assert add_working_minutes(team(hours), start, 240) == datetime(
        2026, 3, 9, 14, 0, tzinfo=ISTANBUL
    )


def test_no_working_hours_or_no_team_means_round_the_clock() -> None:
    saturday_night = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)

    assert add_working_minutes(team({}), saturday_night, 90) == datetime(
        2026, 3, 8, 0, 30, tzinfo=UTC
    )
    assert add_working_minutes(None, saturday_night, 90) == datetime(2026, 3, 8, 0, 30, tzinfo=UTC)
    assert working_minutes_between(None, saturday_night, saturday_night) == 0


def test_an_end_of_23_59_is_the_whole_day_and_dst_days_are_shorter() -> None:
    every_day = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    vilnius = ZoneInfo("Europe/Vilnius")
    saturday = datetime(2026, 3, 28, 0, 0, tzinfo=vilnius)
    monday = datetime(2026, 3, 30, 0, 0, tzinfo=vilnius)

    # Clocks go forward on Sunday 29 March: that weekend has 47 hours.
    assert working_minutes_between(team(every_day, "Europe/Vilnius"), saturday, monday) == 47 * 60


@pytest.mark.django_db
def test_due_times_follow_the_policy_or_the_built_in_defaults() -> None:
    start = datetime(2026, 3, 9, 9, 0, tzinfo=ISTANBUL)  # Monday opening

    assert sla_due_times(team=team(OFFICE), priority="urgent", start=start) == (
        datetime(2026, 3, 9, 10, 0, tzinfo=ISTANBUL),  # 60 working minutes
        datetime(2026, 3, 9, 17, 0, tzinfo=ISTANBUL),  # 480 working minutes = one day
    )
    SlaPolicy.objects.create(priority="urgent", first_reply_minutes=30, resolution_minutes=600)
    first, resolution = sla_due_times(team=team(OFFICE), priority="urgent", start=start)

    assert first == datetime(2026, 3, 9, 9, 30, tzinfo=ISTANBUL)
    assert resolution == datetime(2026, 3, 10, 11, 0, tzinfo=ISTANBUL)


@pytest.mark.django_db
def test_urgent_alerts_after_3_calendar_days_and_others_never() -> None:
    install_default_policies()
    install_default_policies()
    created = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)

    assert SlaPolicy.objects.count() == 4
    assert sla_alert_due_at(priority="urgent", created_at=created) == datetime(
        2026, 3, 9, 16, 0, tzinfo=UTC
    )
    assert sla_alert_due_at(priority="normal", created_at=created) is None
