"""Why a score is what it is, for the owner: one sentence and a small chart from the prediction's
explanation (each input's Shapley value against the model's training data, issue 23)."""

from typing import Any

import altair as alt
import pandas as pd

from spendscore_ui.charts import described, field
from spendscore_ui.i18n import format_number, gender_label, t
from spendscore_ui.store_money import StoreMoney

JsonObject = dict[str, Any]
INPUTS = ("annual_income", "age", "gender")
# A contribution that rounds to 0 points makes no difference the owner could see.
NO_DIFFERENCE_BELOW = 0.5
UP_COLOUR, DOWN_COLOUR = "#2ca02c", "#d62728"


def signed_points(value: float) -> str:
    """+18 / −12 (a real minus sign) / 0, the locale's digits."""
    rounded = round(value)
    if rounded == 0:
        return format_number(0, decimals=0)
    return ("+" if rounded > 0 else "\u2212") + format_number(abs(rounded), decimals=0)


def _what(name: str, customer: JsonObject, money: StoreMoney) -> str:
    if name == "annual_income":
        return t("explain.what.annual_income", value=money.customer_income_text(customer))
    if name == "age":
        return t("explain.what.age", value=format_number(customer["age"], decimals=0))
    return t("explain.what.gender", value=gender_label(customer["gender"]).lower())


def _part(name: str, value: float, customer: JsonObject, money: StoreMoney) -> str:
    what = _what(name, customer, money)
    if abs(value) < NO_DIFFERENCE_BELOW:
        return t("explain.none", what=what)
    if value > 0:
        return t("explain.up", what=what, points=signed_points(value))
    return t("explain.down", what=what, points=signed_points(value))


def explanation_sentence(
    explanation: JsonObject | None, customer: JsonObject, money: StoreMoney | None = None
) -> str | None:
    """ "Starting from the average of 50, the income of 70 k$ pulls the score up (+18); …", biggest first,
    the income in the store's ``money``; None when the prediction has no explanation (pending, or made
    before explanations existed)."""
    money = money or StoreMoney()
    if not explanation:
        return None
    contributions = explanation.get("contributions") or {}
    if set(contributions) != set(INPUTS):
        return None
    ordered = sorted(INPUTS, key=lambda name: -abs(float(contributions[name])))
    parts = [_part(name, float(contributions[name]), customer, money) for name in ordered]
    return t(
        "explain.sentence", base=format_number(float(explanation["base"]), decimals=0), parts="; ".join(parts)
    )


def contributions_chart(
    explanation: JsonObject, customer: JsonObject, money: StoreMoney | None = None
) -> alt.Chart:
    """One horizontal bar per input: up (green) or down (red), in points of score."""
    money = money or StoreMoney()
    contributions = explanation["contributions"]
    # Named in the user's language: the names head the table of the chart's "Show data" button.
    what, points, effect, direction = (
        t("explain.chart.input"),
        t("explain.chart.x"),
        t("explain.chart.effect"),
        t("explain.chart.direction"),
    )
    frame = pd.DataFrame(
        {
            what: [_what(name, customer, money) for name in INPUTS],
            points: [float(contributions[name]) for name in INPUTS],
            effect: [signed_points(float(contributions[name])) for name in INPUTS],
            direction: [
                t("explain.chart.up") if contributions[name] >= 0 else t("explain.chart.down")
                for name in INPUTS
            ],
        }
    )
    chart = (
        # A fixed step per bar: in a fixed height the three labels overlapped and one was left out.
        alt.Chart(frame, height=alt.Step(32))
        .mark_bar()
        .encode(
            x=alt.X(field=field(points), type="quantitative", title=points),
            y=alt.Y(field=field(what), type="nominal", sort=None, title=None, axis=alt.Axis(labelLimit=180)),
            color=alt.Color(
                field=field(direction),
                type="nominal",
                scale=alt.Scale(
                    domain=[t("explain.chart.up"), t("explain.chart.down")], range=[UP_COLOUR, DOWN_COLOUR]
                ),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip(field=field(what), type="nominal"),
                alt.Tooltip(field=field(effect), type="nominal", title=points),
            ],
        )
    )
    return described(chart, t("explain.chart.description"))
