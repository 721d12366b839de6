"""Altair charts of the store pages: prediction history with its interval, the dashboard's counts and the
income × score scatter. One palette; every title, label and tooltip in the user's language, and so is
every column of the data behind a chart (Streamlit's "Show data" table is headed by the column names)."""

import re
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


def field(column: str) -> str:
    """A column's name as a Vega-Lite field: a dot or a bracket in it would read as a nested field."""
    return re.sub(r"([.\[\]\\])", r"\\\1", column)


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
    money = money or StoreMoney()
    history = history.reset_index(drop=True)
    labels: list[str] = []
    for moment in history["created_at"]:
        label = format_datetime(moment, seconds=True)
        while label in labels:  # two predictions in the same second: keep both points apart
            label += " "
        labels.append(label)
    when, score, low, high = (
        t("chart.history.when"),
        t("chart.history.score"),
        t("chart.data.low"),
        t("chart.data.high"),
    )
    band, interval, income, model = (
        t("chart.history.band"),
        t("chart.history.interval"),
        money.income_label(),
        t("chart.history.model"),
    )
    frame = pd.DataFrame(
        {
            when: labels,
            score: history["spending_score"],
            low: history["low"],
            high: history["high"],
            interval: [
                f"{format_integer(bottom)}–{format_integer(top)}"
                for bottom, top in zip(history["low"], history["high"], strict=True)
            ],
            band: [band_label(name) for name in history["band"]],
            t("field.age"): history["age"],
            income: [money.table_number(value, decimals=0) for value in history["annual_income"]],
            t("field.gender"): history["gender"],
            model: history["model_version"],
        }
    )
    x = alt.X(
        field=field(when),
        type="ordinal",
        sort=labels,
        title=t("chart.history.x"),
        axis=alt.Axis(labelAngle=0, labelOverlap="greedy", labelLimit=140),
    )
    y_scale = alt.Scale(domain=[0, 100])
    tooltip = [
        alt.Tooltip(field=field(when), type="nominal"),
        alt.Tooltip(field=field(score), type="quantitative", format=".0f"),
        alt.Tooltip(field=field(interval), type="nominal"),
        alt.Tooltip(field=field(band), type="nominal"),
        alt.Tooltip(field=field(t("field.age")), type="quantitative"),
        alt.Tooltip(field=field(income), type="nominal"),
        alt.Tooltip(field=field(t("field.gender")), type="nominal"),
        alt.Tooltip(field=field(model), type="nominal"),
    ]
    base = alt.Chart(frame).encode(x=x)
    y_low = alt.Y(field=field(low), type="quantitative", scale=y_scale, title=t("chart.history.y"))
    shaded = base.mark_area(opacity=0.18, color=ACCENT).encode(y=y_low, y2=alt.Y2(field=field(high)))
    whiskers = base.mark_rule(color=ACCENT, opacity=0.5, strokeWidth=6).encode(
        y=alt.Y(field=field(low), type="quantitative"), y2=alt.Y2(field=field(high))
    )
    y_score = alt.Y(field=field(score), type="quantitative", scale=y_scale)
    line = base.mark_line(color=ACCENT).encode(y=y_score)
    points = base.mark_circle(size=140, opacity=1).encode(
        y=y_score,
        color=alt.Color(
            field=field(band),
            type="nominal",
            scale=_band_scale(),
            legend=alt.Legend(orient="bottom", direction="horizontal", title=None),
        ),
        tooltip=tooltip,
    )
    threshold = t("chart.data.threshold")
    guides = (
        alt.Chart(pd.DataFrame({threshold: [LOW_THRESHOLD, HIGH_THRESHOLD]}))
        .mark_rule(strokeDash=[6, 4], color="#555555")
        .encode(y=alt.Y(field=field(threshold), type="quantitative"))
    )
    chart = alt.LayerChart(layer=[shaded, whiskers, guides, line, points], height=320)
    return described(chart, t("chart.history.description"))


def _counted(count: int, total: int) -> str:
    """ "12 (40%)": a bar's label."""
    return t("chart.count_share", count=format_integer(count), share=format_percent(count / total))


def gender_chart(by_gender: dict[str, Any]) -> alt.LayerChart:
    """Customers by gender as bars labelled with the count and the share."""
    total = sum(int(count or 0) for count in by_gender.values()) or 1
    gender, count, label = t("field.gender"), t("chart.customers"), t("chart.data.count_share")
    frame = pd.DataFrame(
        [
            {
                gender: gender_label(name),
                count: int(by_gender.get(name) or 0),
                label: _counted(int(by_gender.get(name) or 0), total),
            }
            for name in ("female", "male")
        ]
    )
    base = alt.Chart(frame).encode(
        y=alt.Y(field=field(gender), type="nominal", title=None, sort=None),
        x=alt.X(
            field=field(count),
            type="quantitative",
            title=count,
            axis=alt.Axis(tickMinStep=1),
            scale=_count_scale(list(frame[count])),
        ),
        tooltip=[
            alt.Tooltip(field=field(gender), type="nominal"),
            alt.Tooltip(field=field(label), type="nominal", title=count),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(field=field(gender), type="nominal", scale=alt.Scale(range=PALETTE[:2]), legend=None)
    )
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(field=field(label), type="nominal"))
    return described(alt.LayerChart(layer=[bars, text], height=140), t("chart.gender.description"))


def band_counts_chart(by_band: dict[str, Any]) -> alt.LayerChart:
    """Customers per band; a click on a bar selects the band by its name (``band_picked`` reads it; the
    page opens the list filtered by it)."""
    total = sum(int(by_band.get(name) or 0) for name in BAND_ORDER) or 1
    band, count, label = t("chart.band"), t("chart.customers"), t("chart.data.count_share")
    frame = pd.DataFrame(
        [
            {
                band: band_label(name),
                count: int(by_band.get(name) or 0),
                label: _counted(int(by_band.get(name) or 0), total),
            }
            for name in BAND_ORDER
        ]
    )
    pick = alt.selection_point(name="band_pick", fields=[field(band)], on="click")
    base = alt.Chart(frame).encode(
        x=alt.X(
            field=field(band),
            type="nominal",
            sort=[band_label(name) for name in BAND_ORDER],
            title=None,
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y(
            field=field(count),
            type="quantitative",
            title=count,
            axis=alt.Axis(tickMinStep=1),
            scale=_count_scale(list(frame[count])),
        ),
        tooltip=[
            alt.Tooltip(field=field(band), type="nominal"),
            alt.Tooltip(field=field(label), type="nominal", title=count),
        ],
    )
    bars = (
        base.mark_bar(cursor="pointer")
        .encode(color=alt.Color(field=field(band), type="nominal", scale=_band_scale(), legend=None))
        .add_params(pick)
    )
    text = base.mark_text(dy=-8).encode(text=alt.Text(field=field(label), type="nominal"))
    return described(alt.LayerChart(layer=[bars, text], height=CHART_HEIGHT), t("chart.band.description"))


def band_picked(selection: dict[str, Any]) -> str | None:
    """The band ("low", "medium", "high") of the bar clicked on ``band_counts_chart``, if any."""
    chosen = selection.get("band_pick") or []
    if not (isinstance(chosen, list) and chosen and isinstance(chosen[0], dict)):
        return None
    by_label = {band_label(name): name for name in BAND_ORDER}
    return by_label.get(str(chosen[0].get(t("chart.band"))))


def score_histogram(buckets: list[dict[str, Any]]) -> alt.Chart:
    low, high, count, scores = (
        t("chart.data.from"),
        t("chart.data.to"),
        t("chart.customers"),
        t("chart.histogram.x"),
    )
    frame = pd.DataFrame(
        [
            {
                low: bucket["from"],
                high: bucket["to"],
                count: bucket["count"],
                scores: t("chart.histogram.range", low=bucket["from"], high=bucket["to"]),
            }
            for bucket in buckets
        ]
        or [{low: 0, high: 10, count: 0, scores: ""}]
    )
    chart = (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X(
                field=field(low),
                type="quantitative",
                bin="binned",
                title=scores,
                scale=alt.Scale(domain=[0, 100]),
            ),
            x2=alt.X2(field=field(high)),
            y=alt.Y(field=field(count), type="quantitative", title=count, axis=alt.Axis(tickMinStep=1)),
            tooltip=[
                alt.Tooltip(field=field(scores), type="nominal"),
                alt.Tooltip(field=field(count), type="quantitative"),
            ],
        )
        .properties(height=CHART_HEIGHT)
    )
    return described(chart, t("chart.histogram.description"))


def age_group_chart(groups: list[dict[str, Any]]) -> alt.Chart:
    group, average, count = t("chart.age.x"), t("chart.age.y"), t("chart.customers")
    frame = pd.DataFrame(
        [
            {
                group: item["group"],
                average: None if item.get("average_score") is None else round(float(item["average_score"])),
                count: item["count"],
            }
            for item in groups
        ]
        or [{group: "", average: None, count: 0}]
    )
    chart = (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X(field=field(group), type="nominal", title=group, sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                field=field(average), type="quantitative", title=average, scale=alt.Scale(domain=[0, 100])
            ),
            tooltip=[
                alt.Tooltip(field=field(group), type="nominal"),
                alt.Tooltip(field=field(count), type="quantitative"),
                alt.Tooltip(field=field(average), type="quantitative"),
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
    income = income_title or t("field.annual_income")
    score, segment, source = t("chart.scatter.y"), t("chart.scatter.segment"), t("chart.scatter.source")
    frame = pd.DataFrame(
        [
            {
                segment: names.get(str(point.get("segment")), str(point.get("segment") or "")),
                income: point["annual_income"],
                score: point["spending_score"],
                source: observed if point.get("observed") else predicted,
            }
            for point in points
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_point(size=50, filled=True, opacity=0.75)
        .encode(
            # 8 px of padding: a point at the axis' end is drawn whole, not cut in half by the chart's edge.
            # Not from zero: with the padding, a zero-based axis reached below it (a tick at -4 k$).
            x=alt.X(
                field=field(income), type="quantitative", title=income, scale=alt.Scale(padding=8, zero=False)
            ),
            y=alt.Y(field=field(score), type="quantitative", title=score, scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                field=field(segment), type="nominal", scale=segment_color_scale(names), legend=COMPACT_LEGEND
            ),
            # The shapes' legend on top: two legends side by side at the bottom do not fit on a phone.
            shape=alt.Shape(
                field=field(source),
                type="nominal",
                scale=alt.Scale(domain=[observed, predicted], range=["square", "circle"]),
                legend=alt.Legend(orient="top", direction="horizontal", labelLimit=200, title=None),
            ),
            tooltip=[
                alt.Tooltip(field=field(segment), type="nominal"),
                alt.Tooltip(field=field(income), type="quantitative", format=".0f"),
                alt.Tooltip(field=field(score), type="quantitative", format=".0f"),
                alt.Tooltip(field=field(source), type="nominal"),
            ],
        )
        # The height is the plot's: fitted to 360 px in all, the legend (five lines on a phone) squeezed it.
        .properties(height=300, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )
    return described(chart, t("chart.scatter.description"))


def segment_counts_chart(counts: list[tuple[str, str, int]], names: dict[str, str]) -> alt.LayerChart:
    """Customers per segment ((id, name, count); ``names``: every segment's id -> name) as horizontal bars
    with the count, in the segment's colour; a click on a bar selects the segment by its name
    (``segment_picked`` reads it; the page opens the list filtered by it)."""
    segment, count = t("chart.scatter.segment"), t("chart.customers")
    frame = pd.DataFrame([{segment: name, count: number} for _key, name, number in counts])
    pick = alt.selection_point(name="segment_pick", fields=[field(segment)], on="click")
    base = alt.Chart(frame).encode(
        y=alt.Y(
            field=field(segment),
            type="nominal",
            title=None,
            sort="-x",
            axis=alt.Axis(labelLimit=320, labelOverlap=False),
        ),
        x=alt.X(
            field=field(count),
            type="quantitative",
            title=count,
            axis=alt.Axis(tickMinStep=1),
            scale=_count_scale([number for _key, _name, number in counts]),
        ),
        tooltip=[
            alt.Tooltip(field=field(segment), type="nominal"),
            alt.Tooltip(field=field(count), type="quantitative"),
        ],
    )
    bars = (
        base.mark_bar(cursor="pointer")
        .encode(
            color=alt.Color(
                field=field(segment), type="nominal", scale=segment_color_scale(names), legend=None
            )
        )
        .add_params(pick)
    )
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(field=field(count), type="quantitative"))
    chart = alt.LayerChart(layer=[bars, text], height=max(120, 40 * len(frame)))
    return described(chart, t("chart.segments.description"))


def segment_picked(selection: dict[str, Any], counts: list[tuple[str, str, int]]) -> str | None:
    """The id of the segment clicked on ``segment_counts_chart`` (``counts`` as given to it), if any."""
    chosen = selection.get("segment_pick") or []
    if not (isinstance(chosen, list) and chosen and isinstance(chosen[0], dict)):
        return None
    by_name = {name: key for key, name, _count in counts}
    return by_name.get(str(chosen[0].get(t("chart.scatter.segment"))))
