"""How a customer's prediction reads on the pages: score and band, warnings, segment, interval sentence."""

import re
from typing import Any

from spendscore_ui.i18n import current_locale, format_integer, format_number, t

JsonObject = dict[str, Any]

# The inference service's warning, e.g. "age 3 is outside the training range 18-70 years: the prediction
# is an extrapolation"; parsed so that the page can say it in the user's words and language.
_RANGE_WARNING = re.compile(
    r"^(?P<field>age|annual_income|income)\s+(?P<value>[-\d.e+]+)\s+is outside the training range\s+"
    r"(?P<low>[-\d.e+]+)\s*-\s*(?P<high>[-\d.e+]+)"
)


def score_and_band(customer: JsonObject) -> tuple[float | None, str | None]:
    """The latest score and band, or (None, None) while the prediction is pending or missing."""
    prediction = customer.get("latest_prediction")
    if not prediction or prediction.get("status") != "done" or prediction.get("spending_score") is None:
        return None, None
    return float(prediction["spending_score"]), prediction.get("band")


def prediction_warnings(prediction: JsonObject | None) -> list[str]:
    """The prediction's warnings as sentences for the owner (the model extrapolates)."""
    if not prediction:
        return []
    sentences = []
    for warning in prediction.get("warnings") or []:
        match = _RANGE_WARNING.match(str(warning))
        if match is None:  # a warning we cannot parse: its gist, in the user's language
            sentences.append(t("view.warning.other"))
            continue
        field = "age" if match["field"] == "age" else "annual_income"
        value, low, high = (float(match[name]) for name in ("value", "low", "high"))
        if field == "age":
            sentences.append(
                t(
                    "view.warning.age",
                    value=format_number(value),
                    low=format_number(low),
                    high=format_number(high),
                )
            )
        else:
            sentences.append(
                t(
                    "view.warning.income",
                    value=format_number(value),
                    low=format_number(low),
                    high=format_number(high),
                )
            )
    return sentences


def segment_name(segment: JsonObject | None) -> str:
    """The segment's short name in this language ("" when there is none)."""
    if not segment:
        return ""
    language = current_locale()
    names = segment.get("name")
    if isinstance(names, dict):
        return str(names.get(language) or names.get("en") or segment.get("id", ""))
    return str(names or segment.get("id", ""))


def segment_description(segment: JsonObject | None) -> str:
    if not segment:
        return ""
    language = current_locale()
    descriptions = segment.get("description")
    if isinstance(descriptions, dict):
        return str(descriptions.get(language) or descriptions.get("en") or "")
    return str(descriptions or "")


def interval_sentence(prediction: JsonObject) -> str:
    """What the interval (or the two peaks) means, in one sentence."""
    modes = prediction.get("modes")
    if isinstance(modes, list) and len(modes) == 2:
        low, high = sorted(float(mode) for mode in modes)
        return t("view.modes", low=format_integer(low), high=format_integer(high))
    interval = prediction.get("interval") or {}
    within = t(
        "view.interval",
        low=format_integer(float(interval["low"])),
        high=format_integer(float(interval["high"])),
    )
    return f"{within} {t('view.interval_outside')}"
