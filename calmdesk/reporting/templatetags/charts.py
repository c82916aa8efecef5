"""Template tags that draw the incident dashboard's figures with ``calmdesk.reporting.charts``.

``{% load charts %}`` then ``{% volume_chart dashboard.volume %}``,
``{% backlog_chart dashboard %}``, ``{% backlog_age_chart dashboard.backlog %}``,
``{% request_types_chart dashboard.request_types %}``, ``{% broadcast_progress_bar progress %}``.
Right to left follows the active language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import jdatetime
from django import template
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_bidi, ngettext
from django.utils.translation import gettext as _

from calmdesk.core.templatetags.calmdesk import localnumber, persian_digits
from calmdesk.incidents.models import RecipientStatus
from calmdesk.reporting import charts
from calmdesk.reporting.selectors import (
    Backlog,
    BroadcastProgress,
    InboundVolume,
    IncidentDashboard,
    RequestTypeCount,
)
from calmdesk.tickets.templatetags.agent_ui import minutes_label

register = template.Library()

MAX_HOUR_LABELS = 12
PROGRESS_COLOURS = {
    "sent": "#18794e",
    "bounced": "#d55e00",
    "failed": "#b42318",
    "skipped": "#8a93a5",
    "queued": "#56b4e9",
}


def _is_persian() -> bool:
    return (get_language() or "en")[:2] == "fa"


def _hour(moment: datetime) -> str:
    return localnumber(f"{moment:%H:%M}")


def _day(moment: datetime) -> str:
    """The day of an hour already in the viewer's zone (no conversion): '3 Mar', '۱۲ اسفند'."""
    if _is_persian():
        jd = jdatetime.datetime.fromgregorian(datetime=moment, locale="fa_IR")
        return persian_digits(jd.strftime("%d %B"))
    return str(date_format(moment, "j M"))


def hour_categories(hours: Sequence[datetime]) -> list[str]:
    """Each hour in full ('3 Mar 14:00'), for tooltips and the data table."""
    return [f"{_day(h)} {_hour(h)}" for h in hours]


def hour_axis_labels(hours: Sequence[datetime], max_labels: int = MAX_HOUR_LABELS) -> list[str]:
    """Labels under the drawn hours: the time, and the day under it when the day changed."""
    every = charts.label_step(len(hours), max_labels)
    labels = []
    shown_day = None
    for i, hour in enumerate(hours):
        if i % every:
            labels.append("")
            continue
        day = hour.date()
        labels.append(_hour(hour) if day == shown_day else f"{_hour(hour)}\n{_day(hour)}")
        shown_day = day
    return labels


def _hours_summary(count: int) -> str:
    return ngettext("%(n)s hour", "%(n)s hours", count) % {"n": localnumber(count)}


@register.simple_tag
def volume_chart(volume: InboundVolume) -> SafeString:
    """Inbound requests and customer messages per hour, stacked by channel."""
    series = [
        charts.ChartSeries(
            key=s.channel,
            label=s.label,
            values=s.counts,
            colour=charts.colour_for(s.channel, i),
        )
        for i, s in enumerate(volume.series)
    ]
    summary = _("%(total)s inbound messages over %(hours)s.") % {
        "total": localnumber(volume.total),
        "hours": _hours_summary(len(volume.hours)),
    }
    return charts.stacked_bar_chart(
        title=_("Inbound volume per hour and channel"),
        summary=summary,
        categories=hour_categories(volume.hours),
        axis_labels=hour_axis_labels(volume.hours),
        series=series,
        category_header=_("Hour"),
        rtl=get_language_bidi(),
    )


@register.simple_tag
def backlog_chart(dashboard: IncidentDashboard) -> SafeString:
    """The backlog at the end of each hour of the window."""
    hours = dashboard.window.hours
    values = dashboard.backlog_series
    summary = _("From %(first)s to %(last)s tickets waiting over %(hours)s.") % {
        "first": localnumber(values[0] if values else 0),
        "last": localnumber(values[-1] if values else 0),
        "hours": _hours_summary(len(hours)),
    }
    return charts.line_chart(
        title=_("Backlog over time"),
        summary=summary,
        categories=hour_categories(hours),
        axis_labels=hour_axis_labels(hours),
        series=charts.ChartSeries(key="backlog", label=_("Tickets waiting"), values=values),
        category_header=_("Hour"),
        rtl=get_language_bidi(),
    )


@register.simple_tag
def backlog_age_chart(backlog: Backlog) -> SafeString:
    items = [(bucket.label, bucket.count) for bucket in backlog.ages]
    return charts.horizontal_bar_chart(
        title=_("Age of the backlog"),
        summary=_("%(n)s tickets waiting.") % {"n": localnumber(backlog.total)},
        items=items,
        label_header=_("Age"),
        value_header=_("Tickets"),
        rtl=get_language_bidi(),
        colour="#E69F00",
    )


@register.simple_tag
def request_types_chart(request_types: Sequence[RequestTypeCount]) -> SafeString:
    items = [(row.label, row.count) for row in request_types]
    return charts.horizontal_bar_chart(
        title=_("Top request types"),
        summary=ngettext("%(n)s request type shown.", "%(n)s request types shown.", len(items))
        % {"n": localnumber(len(items))},
        items=items,
        label_header=_("Request type"),
        value_header=_("Tickets"),
        rtl=get_language_bidi(),
    )


@register.simple_tag
def broadcast_progress_bar(progress: BroadcastProgress) -> SafeString:
    labels = dict(RecipientStatus.choices)
    # (part, the recipient status that names it, the progress attribute, colour)
    shown = (
        ("sent", RecipientStatus.SENT, progress.sent, PROGRESS_COLOURS["sent"]),
        ("bounced", RecipientStatus.BOUNCED, progress.bounced, PROGRESS_COLOURS["bounced"]),
        ("failed", RecipientStatus.FAILED, progress.failed, PROGRESS_COLOURS["failed"]),
        ("skipped", RecipientStatus.SKIPPED, progress.skipped, PROGRESS_COLOURS["skipped"]),
        ("queued", RecipientStatus.QUEUED, progress.queued, PROGRESS_COLOURS["queued"]),
        ("waiting", RecipientStatus.PENDING, progress.waiting, "#eef1f6"),
    )
    parts = [
        charts.ProgressPart(key=key, label=str(labels[status]), value=value, colour=colour)
        for key, status, value, colour in shown
    ]
    summary = _("%(done)s of %(total)s recipients done (%(percent)s%%).") % {
        "done": localnumber(progress.done),
        "total": localnumber(progress.total),
        "percent": localnumber(progress.percent),
    }
    return charts.progress_bar(
        title=progress.broadcast.name,
        summary=summary,
        total=progress.total,
        parts=parts,
        rtl=get_language_bidi(),
    )


@register.filter
def median_label(minutes: float | None) -> str:
    """A median duration in words ('about 45 minutes'); empty when there is none."""
    if minutes is None:
        return ""
    if minutes < 1:
        return _("under a minute")
    return localnumber(minutes_label(round(minutes)))
