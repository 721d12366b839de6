"""Altair charts of the store pages: prediction history with its interval, the dashboard's counts and the
income × score scatter. One palette; every title, label and tooltip in the user's language."""

from typing import Any, TypeVar

import altair as alt
import pandas as pd

from spendscore_ui.i18n import band_label, format_datetime, format_integer, format_percent, gender_label, t
from spendscore_ui.store_money import StoreMoney

BAND_ORDER = ["low", "medium", "high"]
# Bands keep the original's meaning (low red, medium grey, high green), dark enough for white text on
# the list's badges (at least 4.5:1, WCAG AA); everything else takes its colours in order from one
# categorical palette.
BAND_COLORS = {"low": "#c62828", "medium": "#616161", "high": "#2e7d32"}
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#9d755d"]
ACCENT = PALETTE[0]
LOW_THRESHOLD = 25
HIGH_THRESHOLD = 75
CHART_HEIGHT = 260
# Legends at the bottom, one entry a line: on a phone a legend at the side takes a third of the width, and
# two columns of segment names run past its right edge.
COMPACT_LEGEND = alt.Legend(orient="bottom", direction="vertical", labelLimit=320, title=None)
# Room past the longest bar for the count (and share) written at its end, as a share of the longest bar.
LABEL_ROOM = 1.3


def band_cell_style(band: object) -> str:
    """CSS for a table cell holding a band ("low", "medium", "high")."""
    color = BAND_COLORS.get(str(band))
    return f"color: white; background-color: {color}; font-weight: 600" if color else ""


AnyChart = TypeVar("AnyChart", alt.Chart, alt.LayerChart)


def described(chart: AnyChart, description: str) -> AnyChart:
    """``chart`` as one picture for screen readers, named by ``description`` in the user's language.

    Vega describes every mark, axis and legend on its own, in English, by the data's column names
    ("segment: ...; source: ...") and with English decimal points: those descriptions are turned off. The
    values stay one click away, in the table of the chart's "Show data" button."""
    return chart.properties(description=description).configure(aria=False)


def _count_scale(counts: list[int]) -> alt.Scale:
    """A count axis from 0 that leaves room for the label at the end of the longest bar (else clipped)."""
    return alt.Scale(domain=[0, max([*counts, 1]) * LABEL_ROOM])


def _band_scale() -> alt.Scale:
    return alt.Scale(
        domain=[band_label(band) for band in BAND_ORDER], range=[BAND_COLORS[band] for band in BAND_ORDER]
    )


def history_chart(history: pd.DataFrame, money: StoreMoney | None = None) -> alt.LayerChart:
    """Score over the predictions with the 80% interval as a shaded band and the 25/75 guide lines;
    incomes in the tooltips in the store's ``money``.

    Needs ``created_at``, ``spending_score``, ``low``, ``high``, ``band``, ``gender``, ``age``,
    ``annual_income``, ``model_version`` (pending rows left out by the caller). The x axis is one step per
    prediction labelled with its local time, so that predictions made seconds apart stay readable."""
    frame = history.reset_index(drop=True).copy()
    labels: list[str] = []
    for moment in frame["created_at"]:
        label = format_datetime(moment, seconds=True)
        while label in labels:  # two predictions in the same second: keep both points apart
            label += " "
        labels.append(label)
    frame["when"] = labels
    frame["band_name"] = [band_label(band) for band in frame["band"]]
    frame["interval_text"] = [
        f"{format_integer(low)}–{format_integer(high)}"
        for low, high in zip(frame["low"], frame["high"], strict=True)
    ]
    money = money or StoreMoney()
    frame["income_text"] = [money.table_number(value, decimals=0) for value in frame["annual_income"]]
    x = alt.X(
        "when:O",
        sort=labels,
        title=t("chart.history.x"),
        axis=alt.Axis(labelAngle=0, labelOverlap="greedy", labelLimit=140),
    )
    y_scale = alt.Scale(domain=[0, 100])
    tooltip = [
        alt.Tooltip("when:N", title=t("chart.history.when")),
        alt.Tooltip("spending_score:Q", title=t("chart.history.score"), format=".0f"),
        alt.Tooltip("interval_text:N", title=t("chart.history.interval")),
        alt.Tooltip("band_name:N", title=t("chart.history.band")),
        alt.Tooltip("age:Q", title=t("field.age")),
        alt.Tooltip("income_text:N", title=money.income_label()),
        alt.Tooltip("gender:N", title=t("field.gender")),
        alt.Tooltip("model_version:N", title=t("chart.history.model")),
    ]
    base = alt.Chart(frame).encode(x=x)
    band = base.mark_area(opacity=0.18, color=ACCENT).encode(
        y=alt.Y("low:Q", scale=y_scale, title=t("chart.history.y")), y2="high:Q"
    )
    whiskers = base.mark_rule(color=ACCENT, opacity=0.5, strokeWidth=6).encode(y="low:Q", y2="high:Q")
    line = base.mark_line(color=ACCENT).encode(y=alt.Y("spending_score:Q", scale=y_scale))
    points = base.mark_circle(size=140, opacity=1).encode(
        y=alt.Y("spending_score:Q", scale=y_scale),
        color=alt.Color(
            "band_name:N",
            scale=_band_scale(),
            legend=alt.Legend(orient="bottom", direction="horizontal", title=None),
        ),
        tooltip=tooltip,
    )
    guides = (
        alt.Chart(pd.DataFrame({"threshold": [LOW_THRESHOLD, HIGH_THRESHOLD]}))
        .mark_rule(strokeDash=[6, 4], color="#555555")
        .encode(y="threshold:Q")
    )
    chart = alt.LayerChart(layer=[band, whiskers, guides, line, points], height=320)
    return described(chart, t("chart.history.description"))


def gender_chart(by_gender: dict[str, Any]) -> alt.LayerChart:
    """Customers by gender as bars labelled with the count and the share."""
    total = sum(int(count or 0) for count in by_gender.values()) or 1
    frame = pd.DataFrame(
        [
            {
                "gender": gender_label(gender),
                "count": int(by_gender.get(gender) or 0),
                "label": t(
                    "chart.count_share",
                    count=format_integer(int(by_gender.get(gender) or 0)),
                    share=format_percent(int(by_gender.get(gender) or 0) / total),
                ),
            }
            for gender in ("female", "male")
        ]
    )
    base = alt.Chart(frame).encode(
        y=alt.Y("gender:N", title=None, sort=None),
        x=alt.X(
            "count:Q",
            title=t("chart.customers"),
            axis=alt.Axis(tickMinStep=1),
            scale=_count_scale(list(frame["count"])),
        ),
        tooltip=[
            alt.Tooltip("gender:N", title=t("field.gender")),
            alt.Tooltip("label:N", title=t("chart.customers")),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color("gender:N", scale=alt.Scale(range=PALETTE[:2]), legend=None)
    )
    text = base.mark_text(align="left", dx=4).encode(text="label:N")
    return described(alt.LayerChart(layer=[bars, text], height=140), t("chart.gender.description"))


def band_counts_chart(by_band: dict[str, Any]) -> alt.LayerChart:
    """Customers per band; a click on a bar selects the band (the page opens the list filtered by it)."""
    total = sum(int(by_band.get(band) or 0) for band in BAND_ORDER) or 1
    frame = pd.DataFrame(
        [
            {
                "band": band,
                "band_name": band_label(band),
                "count": int(by_band.get(band) or 0),
                "label": t(
                    "chart.count_share",
                    count=format_integer(int(by_band.get(band) or 0)),
                    share=format_percent(int(by_band.get(band) or 0) / total),
                ),
            }
            for band in BAND_ORDER
        ]
    )
    pick = alt.selection_point(name="band_pick", fields=["band"], on="click")
    base = alt.Chart(frame).encode(
        x=alt.X(
            "band_name:N",
            sort=[band_label(band) for band in BAND_ORDER],
            title=None,
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y(
            "count:Q",
            title=t("chart.customers"),
            axis=alt.Axis(tickMinStep=1),
            scale=_count_scale(list(frame["count"])),
        ),
        tooltip=[
            alt.Tooltip("band_name:N", title=t("chart.band")),
            alt.Tooltip("label:N", title=t("chart.customers")),
        ],
    )
    bars = (
        base.mark_bar(cursor="pointer")
        .encode(color=alt.Color("band_name:N", scale=_band_scale(), legend=None))
        .add_params(pick)
    )
    text = base.mark_text(dy=-8).encode(text="label:N")
    return described(alt.LayerChart(layer=[bars, text], height=CHART_HEIGHT), t("chart.band.description"))


def score_histogram(buckets: list[dict[str, Any]]) -> alt.Chart:
    frame = pd.DataFrame(
        [
            {
                "from": bucket["from"],
                "to": bucket["to"],
                "count": bucket["count"],
                "range": t("chart.histogram.range", low=bucket["from"], high=bucket["to"]),
            }
            for bucket in buckets
        ]
        or [{"from": 0, "to": 10, "count": 0, "range": ""}]
    )
    chart = (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("from:Q", bin="binned", title=t("chart.histogram.x"), scale=alt.Scale(domain=[0, 100])),
            x2="to:Q",
            y=alt.Y("count:Q", title=t("chart.customers"), axis=alt.Axis(tickMinStep=1)),
            tooltip=[
                alt.Tooltip("range:N", title=t("chart.histogram.x")),
                alt.Tooltip("count:Q", title=t("chart.customers")),
            ],
        )
        .properties(height=CHART_HEIGHT)
    )
    return described(chart, t("chart.histogram.description"))


def age_group_chart(groups: list[dict[str, Any]]) -> alt.Chart:
    frame = pd.DataFrame(
        [
            {
                "group": group["group"],
                "average_score": group.get("average_score"),
                "count": group["count"],
                "average_text": ""
                if group.get("average_score") is None
                else format_integer(group["average_score"]),
            }
            for group in groups
        ]
        or [{"group": "", "average_score": None, "count": 0, "average_text": ""}]
    )
    chart = (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("group:N", title=t("chart.age.x"), sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("average_score:Q", title=t("chart.age.y"), scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("group:N", title=t("chart.age.x")),
                alt.Tooltip("count:Q", title=t("chart.customers")),
                alt.Tooltip("average_text:N", title=t("chart.age.y")),
            ],
        )
        .properties(height=CHART_HEIGHT)
    )
    return described(chart, t("chart.age.description"))


def segment_color_scale(names: dict[str, str]) -> alt.Scale:
    """One colour per segment on every chart, in either language and whatever the data: the colour goes
    with the segment's id (every segment the model knows, in the order of their ids), the legend shows its
    name in the user's language."""
    ids = sorted(names)
    return alt.Scale(
        domain=[names[key] for key in ids], range=[PALETTE[i % len(PALETTE)] for i in range(len(ids))]
    )


def segment_scatter(
    points: list[dict[str, Any]], names: dict[str, str], *, income_title: str | None = None
) -> alt.Chart:
    """Annual income × spending score, one colour per segment (``names``: every segment's id -> name);
    scores the owner entered are squares, predicted ones circles (the caption says so)."""
    observed, predicted = t("chart.scatter.observed"), t("chart.scatter.predicted")
    income_title = income_title or t("field.annual_income")
    frame = pd.DataFrame(
        [
            {
                "income": point["annual_income"],
                "score": point["spending_score"],
                "segment": names.get(str(point.get("segment")), str(point.get("segment") or "")),
                "source": observed if point.get("observed") else predicted,
            }
            for point in points
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_point(size=50, filled=True, opacity=0.75)
        .encode(
            # 8 px of padding: a point at the axis' end is drawn whole, not cut in half by the chart's edge.
            x=alt.X("income:Q", title=income_title, scale=alt.Scale(padding=8)),
            y=alt.Y("score:Q", title=t("chart.scatter.y"), scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("segment:N", scale=segment_color_scale(names), legend=COMPACT_LEGEND),
            # The shapes' legend on top: two legends side by side at the bottom do not fit on a phone.
            shape=alt.Shape(
                "source:N",
                scale=alt.Scale(domain=[observed, predicted], range=["square", "circle"]),
                legend=alt.Legend(orient="top", direction="horizontal", labelLimit=200, title=None),
            ),
            tooltip=[
                alt.Tooltip("segment:N", title=t("chart.scatter.segment")),
                alt.Tooltip("income:Q", title=income_title, format=".0f"),
                alt.Tooltip("score:Q", title=t("chart.scatter.y"), format=".0f"),
                alt.Tooltip("source:N", title=t("chart.scatter.source")),
            ],
        )
        # The height is the plot's: fitted to 360 px in all, the legend (five lines on a phone) squeezed it.
        .properties(height=300, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )
    return described(chart, t("chart.scatter.description"))


def segment_counts_chart(counts: list[tuple[str, str, int]], names: dict[str, str]) -> alt.LayerChart:
    """Customers per segment ((id, name, count); ``names``: every segment's id -> name) as horizontal bars
    with the count, in the segment's colour; a click on a bar selects the segment (the page opens the
    list filtered by it)."""
    frame = pd.DataFrame(
        [{"segment_id": key, "segment": name, "count": count} for key, name, count in counts]
    )
    pick = alt.selection_point(name="segment_pick", fields=["segment_id"], on="click")
    base = alt.Chart(frame).encode(
        y=alt.Y("segment:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        x=alt.X(
            "count:Q",
            title=t("chart.customers"),
            axis=alt.Axis(tickMinStep=1),
            scale=_count_scale([count for _key, _name, count in counts]),
        ),
        tooltip=[
            alt.Tooltip("segment:N", title=t("chart.scatter.segment")),
            alt.Tooltip("count:Q", title=t("chart.customers")),
        ],
    )
    bars = (
        base.mark_bar(cursor="pointer")
        .encode(color=alt.Color("segment:N", scale=segment_color_scale(names), legend=None))
        .add_params(pick)
    )
    text = base.mark_text(align="left", dx=4).encode(text="count:Q")
    chart = alt.LayerChart(layer=[bars, text], height=max(120, 40 * len(frame)))
    return described(chart, t("chart.segments.description"))
