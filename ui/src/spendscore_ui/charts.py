"""Altair charts: prediction history, customers by gender, band counts, score histogram, age groups."""

from typing import Any

import altair as alt
import pandas as pd

BAND_ORDER = ["low", "medium", "high"]
# The colours the original chart used: low red, medium grey, high green.
BAND_COLORS = {"low": "#d62728", "medium": "#8c8c8c", "high": "#2ca02c"}
GENDER_COLORS = {"female": "#e377c2", "male": "#1f77b4"}
LOW_THRESHOLD = 25
HIGH_THRESHOLD = 75


def band_scale() -> alt.Scale:
    return alt.Scale(domain=BAND_ORDER, range=[BAND_COLORS[band] for band in BAND_ORDER])


def band_cell_style(band: object) -> str:
    """CSS for a table cell holding a band name."""
    color = BAND_COLORS.get(str(band))
    return f"color: white; background-color: {color}; font-weight: 600" if color else ""


def history_chart(history: pd.DataFrame) -> alt.LayerChart:
    """Score over time with the 25/75 guide lines; points coloured by band. Needs ``created_at``,
    ``spending_score``, ``band`` (pending rows without a score are left out by the caller)."""
    base = alt.Chart(history).encode(
        x=alt.X("created_at:T", title="Predicted at", axis=alt.Axis(format="%d %b %H:%M", labelAngle=-30)),
        y=alt.Y("spending_score:Q", title="Spending score", scale=alt.Scale(domain=[0, 100])),
    )
    line = base.mark_line(color="#4c78a8")
    points = base.mark_circle(size=120, opacity=1).encode(
        color=alt.Color("band:N", scale=band_scale(), title="Band"),
        tooltip=[
            alt.Tooltip("created_at:T", title="When", format="%Y-%m-%d %H:%M"),
            alt.Tooltip("spending_score:Q", title="Score", format=".1f"),
            alt.Tooltip("band:N", title="Band"),
            alt.Tooltip("model_version:N", title="Model"),
        ],
    )
    guides = (
        alt.Chart(pd.DataFrame({"threshold": [LOW_THRESHOLD, HIGH_THRESHOLD]}))
        .mark_rule(strokeDash=[6, 4], color="#555555")
        .encode(y="threshold:Q")
    )
    return alt.LayerChart(layer=[guides, line, points], height=320)


def gender_donut(by_gender: dict[str, Any]) -> alt.Chart:
    frame = pd.DataFrame(
        [{"gender": gender, "count": int(count or 0)} for gender, count in by_gender.items()]
    )
    return (
        alt.Chart(frame)
        .mark_arc(innerRadius=60)
        .encode(
            theta=alt.Theta("count:Q"),
            color=alt.Color(
                "gender:N",
                title="Gender",
                scale=alt.Scale(domain=list(GENDER_COLORS), range=list(GENDER_COLORS.values())),
            ),
            tooltip=["gender:N", "count:Q"],
        )
        .properties(height=260)
    )


def band_counts_chart(by_band: dict[str, Any]) -> alt.Chart:
    frame = pd.DataFrame([{"band": band, "count": int(by_band.get(band) or 0)} for band in BAND_ORDER])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("band:N", sort=BAND_ORDER, title="Band"),
            y=alt.Y("count:Q", title="Customers"),
            color=alt.Color("band:N", scale=band_scale(), legend=None),
            tooltip=["band:N", "count:Q"],
        )
        .properties(height=260)
    )


def score_histogram(buckets: list[dict[str, Any]]) -> alt.Chart:
    frame = pd.DataFrame(
        [{"from": bucket["from"], "to": bucket["to"], "count": bucket["count"]} for bucket in buckets]
        or [{"from": 0, "to": 10, "count": 0}]
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("from:Q", bin="binned", title="Spending score", scale=alt.Scale(domain=[0, 100])),
            x2="to:Q",
            y=alt.Y("count:Q", title="Customers"),
            tooltip=["from:Q", "to:Q", "count:Q"],
        )
        .properties(height=260)
    )


def age_group_chart(groups: list[dict[str, Any]]) -> alt.Chart:
    frame = pd.DataFrame(
        [
            {"group": group["group"], "average_score": group.get("average_score"), "count": group["count"]}
            for group in groups
        ]
        or [{"group": "", "average_score": None, "count": 0}]
    )
    return (
        alt.Chart(frame)
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("group:N", title="Age group", sort=None),
            y=alt.Y("average_score:Q", title="Average score", scale=alt.Scale(domain=[0, 100])),
            tooltip=["group:N", "count:Q", alt.Tooltip("average_score:Q", format=".1f")],
        )
        .properties(height=260)
    )
