"""The SVG chart library: scales, marks, legend, accessibility, right to left, escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from django.utils import translation

from calmdesk.reporting import charts
from calmdesk.reporting.templatetags.charts import hour_axis_labels, hour_categories

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str) -> ElementTree.Element:
    match = re.search(r"<svg xmlns.*?</svg>", html, re.S)
    assert match is not None
    return ElementTree.fromstring(match.group(0))  # noqa: S314  (our own output)


def _bars(html: str) -> list[ElementTree.Element]:
    return [r for r in _svg(html).iter(f"{SVG}rect") if r.get("class") == "chart-bar"]


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (23, [0, 5, 10, 15, 20, 25]),
        (100, [0, 20, 40, 60, 80, 100]),
        (101, [0, 25, 50, 75, 100, 125]),
        (1234, [0, 250, 500, 750, 1000, 1250]),
    ],
)
def test_nice_ticks_reach_a_round_value_at_or_above_the_maximum(
    maximum: float, ticks: list[float]
) -> None:
    assert charts.nice_ticks(maximum) == ticks


def test_nice_ticks_of_fractions_when_asked() -> None:
    assert charts.nice_ticks(0.9, integer=False) == [0, 0.2, 0.4, 0.6, 0.8, 1]


def _stacked(rtl: bool = False) -> str:
    return charts.stacked_bar_chart(
        title="Inbound volume",
        summary="7 messages over 3 hours.",
        categories=["06:00", "07:00", "08:00"],
        series=[
            charts.ChartSeries(key="form", label="Web form", values=[1, 0, 3], colour="#0072B2"),
            charts.ChartSeries(key="email", label="Email", values=[2, 1, 0], colour="#E69F00"),
        ],
        category_header="Hour",
        rtl=rtl,
    )


def test_stacked_bar_chart_draws_one_segment_per_non_zero_value_in_its_series_colour() -> None:
    bars = _bars(_stacked())

    assert [(b.get("data-series"), b.get("fill")) for b in bars] == [
        ("form", "#0072B2"),
        ("email", "#E69F00"),
        ("email", "#E69F00"),
        ("form", "#0072B2"),
    ]
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "06:00 · Web form: 1",
        "06:00 · Email: 2",
        "07:00 · Email: 1",
        "08:00 · Web form: 3",
    ]


def test_stacked_bars_share_one_scale_the_tallest_total_reaching_the_top_tick() -> None:
    bars = _bars(_stacked())
    heights = [float(b.get("height", 0)) for b in bars]

    # Scale 0–3: the plot is 240 − 10 − 36 = 194 high; 1 unit is a third of it.
    assert heights == pytest.approx([194 / 3, 2 * 194 / 3, 194 / 3, 194], abs=0.01)
    ticks = [t.text for t in _svg(_stacked()).iter(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert ticks == ["0", "1", "2", "3"]


def test_stacked_bar_chart_is_labelled_for_screen_readers_with_a_legend_and_data_table() -> None:
    html = _stacked()
    svg = _svg(html)

    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Inbound volume. 7 messages over 3 hours."
    assert svg.find(f"{SVG}title").text == "Inbound volume"
    assert re.findall(r'<li data-series="(\w+)">.*?</svg> (.*?) <span', html) == [
        ("form", "Web form"),
        ("email", "Email"),
    ]
    assert "<details" in html
    assert "<summary>Data table</summary>" in html
    table = re.search(r"<table>.*</table>", html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0))
    assert re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows[0]) == [
        "Hour",
        "Web form",
        "Email",
        "Total",
    ]
    assert [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in rows[1:]] == [
        ["06:00", "1", "2", "3"],
        ["07:00", "0", "1", "1"],
        ["08:00", "3", "0", "3"],
    ]


def test_right_to_left_chart_draws_the_first_hour_at_the_right() -> None:
    ltr = [float(b.get("x", 0)) for b in _bars(_stacked(rtl=False))]
    rtl = [float(b.get("x", 0)) for b in _bars(_stacked(rtl=True))]

    assert ltr[0] < ltr[-1]  # 06:00 left of 08:00
    assert rtl[0] > rtl[-1]  # 06:00 right of 08:00
    # Mirrored exactly: x ↦ width − x − bar width.
    widths = [float(b.get("width", 0)) for b in _bars(_stacked())]
    assert rtl == pytest.approx([720 - x - w for x, w in zip(ltr, widths, strict=True)])
    html = _stacked(rtl=True)
    assert 'dir="rtl"' in html
    assert _svg(html).get("direction") == "rtl"


def test_texts_are_escaped() -> None:
    html = charts.horizontal_bar_chart(
        title="Types <b>",
        summary="x",
        items=[("<script>alert(1)</script>", 2)],
        label_header="Type",
        value_header="Tickets",
    )

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'aria-label="Types &lt;b&gt;. x"' in html


def test_horizontal_bars_grow_from_the_inline_start_in_proportion() -> None:
    items = [("Refund", 4), ("Change of a trip", 1), ("Other", 0)]

    ltr = _bars(
        charts.horizontal_bar_chart(
            title="T", summary="S", items=items, label_header="L", value_header="V"
        )
    )
    rtl = _bars(
        charts.horizontal_bar_chart(
            title="T", summary="S", items=items, label_header="L", value_header="V", rtl=True
        )
    )

    widths = [float(b.get("width", 0)) for b in ltr]
    assert widths == pytest.approx([212, 212 / 4, 0])  # 420 − 168 − 40 wide, scale 0–4
    assert {float(b.get("x", 0)) for b in ltr} == {168}
    assert [float(b.get("x", 0)) + float(b.get("width", 0)) for b in rtl] == pytest.approx(
        [420 - 168] * 3
    )


def test_line_chart_has_a_point_per_category() -> None:
    html = charts.line_chart(
        title="Backlog",
        summary="S",
        categories=["a", "b", "c", "d"],
        series=charts.ChartSeries(key="backlog", label="Waiting", values=[3, 4, 5, 5]),
        category_header="Hour",
    )
    svg = _svg(html)

    line = next(svg.iter(f"{SVG}polyline"))
    points = [tuple(map(float, p.split(","))) for p in (line.get("points") or "").split()]
    assert len(points) == 4
    assert [p[0] for p in points] == sorted(p[0] for p in points)
    # Higher backlog is higher up (smaller y); equal values at equal height.
    assert points[0][1] > points[1][1] > points[2][1] == points[3][1]
    assert len(list(svg.iter(f"{SVG}circle"))) == 4


def test_progress_bar_fills_each_status_in_proportion_to_the_total() -> None:
    html = charts.progress_bar(
        title="Ferry notice",
        summary="6 of 10 done.",
        total=10,
        parts=[
            charts.ProgressPart(key="sent", label="Sent", value=5, colour="#18794e"),
            charts.ProgressPart(key="failed", label="Failed", value=1, colour="#b42318"),
            charts.ProgressPart(key="queued", label="Queued", value=0, colour="#56b4e9"),
        ],
    )

    bars = _bars(html)
    assert [(b.get("data-series"), float(b.get("width", 0))) for b in bars] == [
        ("sent", 210),
        ("failed", 42),
    ]
    assert float(bars[1].get("x", 0)) == 210
    assert _svg(html).get("aria-label") == "Ferry notice. 6 of 10 done."


def test_hour_labels_show_the_day_when_it_changes() -> None:
    hours = [datetime(2025, 3, 3, h, tzinfo=UTC) for h in (22, 23)] + [
        datetime(2025, 3, 4, h, tzinfo=UTC) for h in (0, 1)
    ]

    assert hour_categories(hours) == ["3 Mar 22:00", "3 Mar 23:00", "4 Mar 00:00", "4 Mar 01:00"]
    assert hour_axis_labels(hours) == ["22:00\n3 Mar", "23:00", "00:00\n4 Mar", "01:00"]
    assert hour_axis_labels(hours, max_labels=2) == ["22:00\n3 Mar", "", "00:00\n4 Mar", ""]


def test_hour_labels_in_persian_use_the_solar_calendar_and_persian_digits() -> None:
    with translation.override("fa"):
        labels = hour_categories([datetime(2025, 3, 3, 14, tzinfo=UTC)])

    assert labels == ["۱۳ اسفند ۱۴:۰۰"]
