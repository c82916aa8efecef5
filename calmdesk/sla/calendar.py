"""A team's working-hours calendar: add working minutes, count working minutes between instants.

Working hours come from ``Team.working_hours`` ({"mon": [["09:00", "17:00"]], ...}) in
``Team.time_zone``. A team without any span at all, and "no team", work round the clock. An end
of "23:59" or "24:00" means the end of the day, so ``[["00:00", "23:59"]]`` is a full day.
Daylight-saving changes are handled: spans are built in local time and compared as instants.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calmdesk.accounts.models import WEEKDAYS, Team

# A calendar with open time every week finds the next open span within 7 days; this bounds
# the walk for absurd inputs (years of working minutes) without ever looping forever.
_MAX_DAYS = 3700


def _minutes_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    return 24 * 60 if value >= 23 * 60 + 59 else value


def _week_spans(team: Team | None) -> dict[int, list[tuple[int, int]]] | None:
    """Weekday (0 = Monday) → sorted, merged (start, end) minutes of day; None = round the clock."""
    if team is None or not isinstance(team.working_hours, dict):
        return None
    week: dict[int, list[tuple[int, int]]] = {}
    for index, day in enumerate(WEEKDAYS):
        spans = sorted(
            (_minutes_of_day(s), _minutes_of_day(e)) for s, e in (team.working_hours.get(day) or [])
        )
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if merged:
            week[index] = merged
    return week or None


def team_zone(team: Team | None) -> ZoneInfo:
    from django.conf import settings

    return ZoneInfo(team.time_zone if team is not None else settings.TIME_ZONE)


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant (arithmetic between datetimes sharing a
    ZoneInfo ignores DST changes, so everything is computed in UTC)."""
    if minute >= 24 * 60:
        local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _open_spans(
    week: dict[int, list[tuple[int, int]]], zone: ZoneInfo, start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Open spans (as aware instants) that end after ``start``, in order."""
    day = start.astimezone(zone).date() - timedelta(days=1)  # a span may begin the day before
    for _ in range(_MAX_DAYS):
        for begin, end in week.get(day.weekday(), []):
            span_start, span_end = _at(day, begin, zone), _at(day, end, zone)
            if span_end > start:
                yield max(span_start, start), span_end
        day += timedelta(days=1)


def is_round_the_clock(team: Team | None) -> bool:
    return _week_spans(team) is None


def add_working_minutes(team: Team | None, start: datetime, minutes: float) -> datetime:
    """The instant (in UTC) when ``minutes`` of the team's working time have passed since
    ``start``.

    Zero minutes gives ``start`` when the team is open then, else the next opening time.
    """
    week = _week_spans(team)
    if week is None:
        return start.astimezone(UTC) + timedelta(minutes=minutes)
    start = start.astimezone(UTC)
    remaining = timedelta(minutes=max(minutes, 0))
    last = start
    for span_start, span_end in _open_spans(week, team_zone(team), start):
        available = span_end - span_start
        if remaining <= available:
            return span_start + remaining
        remaining -= available
        last = span_end
    return last + remaining  # unreachable in practice: every open week has open spans


def working_minutes_between(team: Team | None, start: datetime, end: datetime) -> float:
    """Working minutes of the team between two instants (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    week = _week_spans(team)
    if week is None:
        return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    for span_start, span_end in _open_spans(week, team_zone(team), start):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total.total_seconds() / 60
