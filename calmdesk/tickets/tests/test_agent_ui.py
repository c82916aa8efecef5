"""The queue's presentation helpers keep what they memoise per language and time zone apart:
each language gets its own words, each time zone its own clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import override

from calmdesk.core.templatetags.calmdesk import format_date
from calmdesk.tickets.enums import Channel, Priority, TicketStatus
from calmdesk.tickets.templatetags.agent_ui import (
    age,
    channel_badge,
    channel_badges,
    due_label,
    priority_label,
    status_label,
)

LANGUAGES = ("en", "fa", "tr", "lt")
NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize("language", LANGUAGES)
def test_labels_are_the_choices_labels_in_each_language(language: str) -> None:
    with override(language):
        assert priority_label(Priority.URGENT) == str(Priority.URGENT.label)
        assert status_label(TicketStatus.PENDING) == str(TicketStatus.PENDING.label)
        assert priority_label("retired-value") == "retired-value"


def test_labels_switch_language_back_and_forth() -> None:
    with override("tr"):
        turkish = priority_label(Priority.HIGH)
    with override("en"):
        english = priority_label(Priority.HIGH)
    with override("tr"):
        again = priority_label(Priority.HIGH)

    assert english == "High"
    assert turkish == again != english


@pytest.mark.parametrize("language", LANGUAGES)
def test_channel_badges_are_each_channel_badge_in_a_row(language: str) -> None:
    channels = [Channel.EMAIL, Channel.SMS, "carrier-pigeon"]

    with override(language):
        row = channel_badges(channels)
        one_by_one = "".join(channel_badge(c) for c in channels)

    assert row == one_by_one
    assert 'class="chan chan-carrier-pigeon"' in row


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "delta",
    [
        timedelta(seconds=20),
        timedelta(minutes=1),
        timedelta(minutes=59),
        timedelta(hours=1),
        timedelta(hours=5, minutes=30),
        timedelta(days=1),
        timedelta(days=12),
        timedelta(days=45),
        timedelta(days=400),
        timedelta(days=800),
    ],
)
def test_age_and_due_say_what_django_timesince_says(language: str, delta: timedelta) -> None:
    with override(language):
        assert age(NOW - delta, NOW) == timesince(NOW - delta, NOW, depth=1)
        assert timeuntil(NOW + delta, NOW, depth=1) in due_label(_Due(NOW + delta), NOW)
        assert timesince(NOW - delta, NOW, depth=1) in due_label(_Due(NOW - delta), NOW)


def test_a_date_is_formatted_for_the_active_language_and_time_zone_each_time() -> None:
    moment = datetime(2026, 11, 22, 20, 5, tzinfo=UTC)

    with override("en"), timezone.override(ZoneInfo("UTC")):
        utc = format_date(moment, with_time=True)
    with override("en"), timezone.override(ZoneInfo("Europe/Istanbul")):
        istanbul = format_date(moment, with_time=True)
    with override("fa"), timezone.override(ZoneInfo("Asia/Tehran")):
        tehran = format_date(moment, with_time=True)
    with override("en"), timezone.override(ZoneInfo("UTC")):
        utc_again = format_date(moment, with_time=True)
        day_only = format_date(moment)

    assert utc == utc_again == "Nov. 22, 2026, 8:05 p.m."
    assert istanbul == "Nov. 22, 2026, 11:05 p.m."
    assert tehran == "۰۱ آذر ۱۴۰۵، ۲۳:۳۵"
    assert day_only == "Nov. 22, 2026"


class _Due:
    """What ``due_label`` reads of a ticket or a queue row."""

    status = TicketStatus.OPEN
    first_replied_at = None
    resolution_due_at = None

    def __init__(self, due: datetime) -> None:
        self.first_reply_due_at = due
