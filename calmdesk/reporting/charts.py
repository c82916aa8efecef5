"""A small server-side SVG chart library: no JavaScript, no build step.

Every chart is a ``<figure>`` holding an ``<svg role="img">`` with a ``<title>`` and an
``aria-label`` that says what it shows, an HTML legend where there are series, and a
``<details>`` with the data as a table (what a screen reader or a copy-paste wants).

Right to left: the geometry is mirrored here (the first category is drawn at the right, value
axes grow leftwards, tick labels sit on the right) and the ``<svg>`` carries
``direction="rtl"``, so ``text-anchor="start"``/``"end"`` follow the reading direction. Mirroring
in Python rather than with a CSS transform keeps text unmirrored and makes it testable.
Numbers are shown with ``localnumber`` (Persian digits in Persian).

Scales use "nice" ticks (steps of 1, 2, 2.5 or 5 × 10ⁿ; whole numbers for counts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext as _

from calmdesk.core.templatetags.calmdesk import localnumber

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CHANNEL_COLOURS = {
    "form": "#0072B2",
    "email": "#E69F00",
    "chat": "#009E73",
    "sms": "#CC79A7",
    "phone": "#D55E00",
    "api": "#56B4E9",
    "messaging": "#F0E442",
}
ACCENT = "#2457c5"
FONT_SIZE = 11


def colour_for(key: str, position: int) -> str:
    return CHANNEL_COLOURS.get(key, PALETTE[position % len(PALETTE)])


@dataclass(frozen=True)
class ChartSeries:
    key: str
    label: str
    values: Sequence[float]
    colour: str = ACCENT


# ------------------------------------------------------------------------------------------
# Scale
# ------------------------------------------------------------------------------------------


def nice_ticks(maximum: float, *, count: int = 5, integer: bool = True) -> list[float]:
    """Ticks from 0 to a round value ≥ ``maximum``, about ``count`` steps of 1/2/2.5/5 × 10ⁿ.

    >>> nice_ticks(7)
    [0, 2, 4, 6, 8]
    """
    if maximum <= 0 or not math.isfinite(maximum):
        return [0, 1]
    raw = maximum / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = 10 * magnitude
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * magnitude >= raw:
            step = multiple * magnitude
            break
    if integer:
        step = max(1, math.ceil(step))
    steps = math.ceil(maximum / step - 1e-9)
    return [_round(i * step) for i in range(steps + 1)]


def _round(value: float) -> float:
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def _number(value: float) -> str:
    text = str(_round(value))
    return localnumber(text)


# ------------------------------------------------------------------------------------------
# Markup helpers (everything passes through conditional_escape)
# ------------------------------------------------------------------------------------------


def _attrs(attrs: Mapping[str, object]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if isinstance(value, float):
            value = f"{value:.2f}".rstrip("0").rstrip(".")
        parts.append(f' {name}="{_escape(value)}"')
    return "".join(parts)


def _escape(value: object) -> str:
    """Markup built here passes through; anything else is text and gets escaped."""
    return str(conditional_escape(value if isinstance(value, SafeData) else str(value)))


def _el(tag: str, attrs: Mapping[str, object] | None = None, *content: object) -> SafeString:
    inner = "".join(_escape(c) for c in content)
    return mark_safe(f"<{tag}{_attrs(attrs or {})}>{inner}</{tag}>")  # noqa: S308  (escaped)


@dataclass(frozen=True)
class _Frame:
    """Plot area inside the SVG, in left-to-right coordinates; ``x()`` mirrors for RTL."""

    width: int
    height: int
    start: int  # room for the value axis labels (inline-start side)
    end: int
    top: int
    bottom: int
    rtl: bool

    @property
    def plot_width(self) -> float:
        return self.width - self.start - self.end

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def x(self, offset: float, span: float = 0.0) -> float:
        """The left edge of something ``offset`` from the inline start, ``span`` wide."""
        left = self.start + offset
        return self.width - left - span if self.rtl else left


def _svg(
    frame: _Frame, label: str, title: str, *body: object, aspect: str = "xMidYMid meet"
) -> SafeString:
    return _el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {frame.width} {frame.height}",
            "role": "img",
            "aria-label": label,
            "direction": "rtl" if frame.rtl else "ltr",
            "class": "chart-svg",
            "preserveAspectRatio": aspect,
            "font-size": FONT_SIZE,
        },
        _el("title", {}, title),
        *body,
    )


def _figure(kind: str, rtl: bool, *content: object) -> SafeString:
    return _el("figure", {"class": f"chart chart-{kind}", "dir": "rtl" if rtl else "ltr"}, *content)


def _data_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> SafeString:
    head = _el("tr", {}, *(_el("th", {"scope": "col"}, h) for h in header))
    body = []
    for row in rows:
        first, *rest = row
        cells = [_el("th", {"scope": "row"}, first)]
        cells += [_el("td", {}, _number(v) if isinstance(v, int | float) else v) for v in rest]
        body.append(_el("tr", {}, *cells))
    return _el(
        "details",
        {"class": "chart-data"},
        _el("summary", {}, _("Data table")),
        _el(
            "table",
            {},
            _el("caption", {"class": "visually-hidden"}, caption),
            _el("thead", {}, head),
            _el("tbody", {}, *body),
        ),
    )


def _legend(series: Sequence[ChartSeries]) -> SafeString:
    items = []
    for s in series:
        swatch = _el(
            "svg",
            {"class": "chart-swatch", "width": 12, "height": 12, "aria-hidden": "true"},
            _el("rect", {"width": 12, "height": 12, "rx": 2, "fill": s.colour}),
        )
        total = sum(s.values)
        items.append(
            _el(
                "li",
                {"data-series": s.key},
                swatch,
                " ",
                s.label,
                " ",
                _el("span", {"class": "muted"}, f"({_number(total)})"),
            )
        )
    return _el("ul", {"class": "chart-legend"}, *items)


def _value_axis(frame: _Frame, ticks: Sequence[float]) -> SafeString:
    """Horizontal grid lines with their values at the inline start."""
    top = ticks[-1] or 1
    parts = []
    for tick in ticks:
        y = frame.top + frame.plot_height * (1 - tick / top)
        parts.append(
            _el(
                "line",
                {
                    "x1": frame.x(0),
                    "x2": frame.x(frame.plot_width),
                    "y1": y,
                    "y2": y,
                    "class": "chart-grid",
                    "stroke": "#d9dde5",
                },
            )
        )
        parts.append(
            _el(
                "text",
                {"x": frame.x(-6), "y": y + 4, "text-anchor": "end", "class": "chart-tick"},
                _number(tick),
            )
        )
    return _el("g", {"class": "chart-axis", "aria-hidden": "true"}, *parts)


def label_step(count: int, max_labels: int) -> int:
    """Show every n-th category label so that at most ``max_labels`` are drawn."""
    return max(1, math.ceil(count / max(max_labels, 1)))


def _category_labels(
    frame: _Frame, labels: Sequence[str], slot: float, max_labels: int
) -> SafeString:
    """Labels under the plot (every n-th); a label with a line break gets two lines."""
    every = label_step(len(labels), max_labels)
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = frame.x(slot * i + slot / 2)
        lines = [
            _el("tspan", {"x": x, "dy": 0 if n == 0 else 13}, line)
            for n, line in enumerate(label.split("\n"))
        ]
        parts.append(
            _el(
                "text",
                {
                    "x": x,
                    "y": frame.height - frame.bottom + 15,
                    "text-anchor": "middle",
                    "class": "chart-category",
                },
                *lines,
            )
        )
    return _el("g", {"class": "chart-categories", "aria-hidden": "true"}, *parts)


# ------------------------------------------------------------------------------------------
# Charts
# ------------------------------------------------------------------------------------------


def stacked_bar_chart(
    *,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[ChartSeries],
    category_header: str,
    axis_labels: Sequence[str] | None = None,
    rtl: bool = False,
    width: int = 720,
    height: int = 240,
    max_labels: int = 12,
) -> SafeString:
    """Vertical bars per category, one coloured segment per series, with a legend.

    ``categories`` name each bar in tooltips and the data table; ``axis_labels`` (shorter, may
    hold a line break) are drawn under every n-th bar.
    """
    frame = _Frame(width=width, height=height, start=40, end=8, top=10, bottom=36, rtl=rtl)
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    top = ticks[-1] or 1
    slot = frame.plot_width / max(len(categories), 1)
    bar = max(slot * 0.8, 1.0)
    bars = []
    for i, category in enumerate(categories):
        base = 0.0
        for s in series:
            value = s.values[i]
            if not value:
                continue
            h = frame.plot_height * value / top
            y = frame.top + frame.plot_height * (1 - (base + value) / top)
            bars.append(
                _el(
                    "rect",
                    {
                        "class": "chart-bar",
                        "data-series": s.key,
                        "x": frame.x(slot * i + (slot - bar) / 2, bar),
                        "y": y,
                        "width": bar,
                        "height": h,
                        "fill": s.colour,
                    },
                    _el("title", {}, f"{category} · {s.label}: {_number(value)}"),
                )
            )
            base += value
    svg = _svg(
        frame,
        f"{title}. {summary}",
        title,
        _value_axis(frame, ticks),
        _el("g", {"class": "chart-bars"}, *bars),
        _category_labels(frame, axis_labels or categories, slot, max_labels),
    )
    rows = (
        [category, *(s.values[i] for s in series), totals[i]]
        for i, category in enumerate(categories)
    )
    table = _data_table(title, [category_header, *(s.label for s in series), _("Total")], rows)
    return _figure("stacked", rtl, svg, _legend(series), table)


def line_chart(
    *,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: ChartSeries,
    category_header: str,
    axis_labels: Sequence[str] | None = None,
    rtl: bool = False,
    width: int = 720,
    height: int = 200,
    max_labels: int = 12,
) -> SafeString:
    """One line over the categories (a point per category)."""
    frame = _Frame(width=width, height=height, start=40, end=8, top=10, bottom=36, rtl=rtl)
    values = list(series.values)
    low = min([0.0, *values])
    ticks = nice_ticks(max(values, default=0) - low)
    top = ticks[-1] or 1
    slot = frame.plot_width / max(len(categories), 1)
    points = [
        (
            frame.x(slot * i + slot / 2),
            frame.top + frame.plot_height * (1 - (value - low) / top),
        )
        for i, value in enumerate(values)
    ]
    marks: list[SafeString] = [
        _el(
            "polyline",
            {
                "class": "chart-line",
                "fill": "none",
                "stroke": series.colour,
                "stroke-width": 2,
                "stroke-linejoin": "round",
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
            },
        )
    ]
    if len(points) <= 48:
        for (x, y), category, value in zip(points, categories, values, strict=True):
            marks.append(
                _el(
                    "circle",
                    {"class": "chart-point", "cx": x, "cy": y, "r": 2.5, "fill": series.colour},
                    _el("title", {}, f"{category}: {_number(value)}"),
                )
            )
    svg = _svg(
        frame,
        f"{title}. {summary}",
        title,
        _value_axis(frame, ticks),
        _el("g", {"class": "chart-lines"}, *marks),
        _category_labels(frame, axis_labels or categories, slot, max_labels),
    )
    table = _data_table(
        title,
        [category_header, series.label],
        ([c, v] for c, v in zip(categories, values, strict=True)),
    )
    return _figure("line", rtl, svg, table)


def horizontal_bar_chart(
    *,
    title: str,
    summary: str,
    items: Sequence[tuple[str, float]],
    label_header: str,
    value_header: str,
    rtl: bool = False,
    width: int = 420,
    colour: str = ACCENT,
) -> SafeString:
    """One bar per item, growing from the inline start, the label before it, the value after."""
    row = 24
    label_room = int(width * 0.4)
    frame = _Frame(
        width=width,
        height=max(row * len(items), row),
        start=label_room,
        end=40,
        top=0,
        bottom=0,
        rtl=rtl,
    )
    top = nice_ticks(max((v for _l, v in items), default=0))[-1] or 1
    parts = []
    for i, (label, value) in enumerate(items):
        y = i * row
        w = frame.plot_width * value / top
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            _el(
                "g",
                {"class": "chart-hbar"},
                _el(
                    "text",
                    {"x": frame.x(-8), "y": y + row / 2 + 4, "text-anchor": "end"},
                    short,
                ),
                _el(
                    "rect",
                    {
                        "class": "chart-bar",
                        "x": frame.x(0, w),
                        "y": y + 4,
                        "width": w,
                        "height": row - 8,
                        "fill": colour,
                        "rx": 2,
                    },
                    _el("title", {}, f"{label}: {_number(value)}"),
                ),
                _el(
                    "text",
                    {"x": frame.x(w + 6), "y": y + row / 2 + 4, "text-anchor": "start"},
                    _number(value),
                ),
            )
        )
    svg = _svg(frame, f"{title}. {summary}", title, *parts)
    table = _data_table(
        title, [label_header, value_header], ([label, value] for label, value in items)
    )
    return _figure("hbars", rtl, svg, table)


@dataclass(frozen=True)
class ProgressPart:
    key: str
    label: str
    value: int
    colour: str


def progress_bar(
    *,
    title: str,
    summary: str,
    total: int,
    parts: Sequence[ProgressPart],
    rtl: bool = False,
    width: int = 420,
    height: int = 16,
) -> SafeString:
    """A bar of ``total`` filled from the inline start by each part in turn."""
    frame = _Frame(width=width, height=height, start=0, end=0, top=0, bottom=0, rtl=rtl)
    segments: list[SafeString] = [
        _el(
            "rect",
            {
                "class": "chart-track",
                "x": 0,
                "y": 0,
                "width": width,
                "height": height,
                "fill": "#eef1f6",
                "rx": 3,
            },
        )
    ]
    offset = 0.0
    for part in parts:
        if not part.value or not total:
            continue
        w = width * part.value / total
        segments.append(
            _el(
                "rect",
                {
                    "class": "chart-bar",
                    "data-series": part.key,
                    "x": frame.x(offset, w),
                    "y": 0,
                    "width": w,
                    "height": height,
                    "fill": part.colour,
                },
                _el("title", {}, f"{part.label}: {_number(part.value)}"),
            )
        )
        offset += w
    # Stretched to the width of its box: a bar has no text to distort.
    svg = _svg(frame, f"{title}. {summary}", title, *segments, aspect="none")
    series = [
        ChartSeries(key=p.key, label=p.label, values=[p.value], colour=p.colour) for p in parts
    ]
    table = _data_table(title, [_("Status"), _("Recipients")], ([p.label, p.value] for p in parts))
    return _figure("progress", rtl, svg, _legend(series), table)
