"""How a customer's prediction reads on the pages: score and band, warnings, segment, interval sentence."""

import re
from typing import Any

from spendscore_ui.i18n import current_locale, format_integer, format_number, t
from spendscore_ui.store_money import StoreMoney

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


def prediction_warnings(prediction: JsonObject | None, money: StoreMoney | None = None) -> list[str]:
    """The prediction's warnings as sentences for the owner (the model extrapolates), incomes in the
    store's ``money``."""
    money = money or StoreMoney()
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
                    value=money.income_text(value, decimals=1),
                    low=money.income_text(low, decimals=0),
                    high=money.income_text(high, decimals=0),
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
    """What the interval (or the two peaks) means, in one sentence; with two peaks it says where the
    score stands between them, so "around 21 or around 82" never sits unexplained beside a 49."""
    modes = two_modes(prediction)
    if modes is not None:
        low, high = modes
        return t(
            "view.modes",
            low=format_integer(low),
            high=format_integer(high),
            score=format_integer(float(prediction["spending_score"])),
        )
    interval = prediction.get("interval") or {}
    within = t(
        "view.interval",
        low=format_integer(float(interval["low"])),
        high=format_integer(float(interval["high"])),
    )
    return f"{within} {t('view.interval_outside')}"


# --- one story per customer (issue 23 item 5) -------------------------------------------------------
# Band, segment and the two-peaks sentence speak of the same score. The band is the word for the score
# (low < 25, medium 25-75, high > 75, as the model gives it); a segment named by the model's classifier
# is shown as the customer's only when its spending word is that band, or the band of one of the two
# peaks similar customers have; otherwise the page says the group is not clear instead of naming one.
_SEGMENT_ID = re.compile(r"^(?:low|average|high)-income-(?P<spending>low|average|high)-spending$")
_BAND_OF_SPENDING = {"low": "low", "average": "medium", "high": "high"}


def band_of_score(score: float) -> str:
    """The model's band of a score (inference_service.predictor.band_of)."""
    rounded = round(score)
    return "low" if rounded < 25 else "high" if rounded > 75 else "medium"


def two_modes(prediction: JsonObject | None) -> tuple[float, float] | None:
    modes = (prediction or {}).get("modes")
    if isinstance(modes, list) and len(modes) == 2:
        low, high = sorted(float(mode) for mode in modes)
        return low, high
    return None


def segment_agrees(segment: JsonObject, prediction: JsonObject | None) -> bool:
    """Whether a predicted segment's spending word tells the same story as the score's band (or as one
    of the two peaks'). A segment not named by spending level has nothing to contradict."""
    match = _SEGMENT_ID.match(str(segment.get("id", "")))
    if match is None or not prediction or prediction.get("status") != "done":
        return True
    bands = {prediction.get("band")} | {band_of_score(mode) for mode in two_modes(prediction) or ()}
    return _BAND_OF_SPENDING[match["spending"]] in bands


def shown_segment(customer: JsonObject) -> JsonObject | None:
    """The segment the pages name for this customer: the observed one (from the real score the owner
    entered) always; a predicted one only when it agrees with the band (``segment_agrees``)."""
    segment = customer.get("segment")
    if not segment:
        return None
    if customer.get("segment_source") == "observed":
        return dict(segment)
    return dict(segment) if segment_agrees(segment, customer.get("latest_prediction")) else None
