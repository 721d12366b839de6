"""Inputs the model never learned from: found before saving, so that the owner confirms them first
(issue 23: an age of 7 is more likely a typo than a customer, and its score would be a guess)."""

from typing import Any

import streamlit as st

from spendscore_ui.api_client import ApiClient, ApiError
from spendscore_ui.config import get_settings
from spendscore_ui.i18n import format_number, t
from spendscore_ui.store_money import StoreMoney

JsonObject = dict[str, Any]
FIELDS = ("age", "annual_income")


@st.cache_data(ttl=600, show_spinner=False)
def training_ranges(token: str) -> dict[str, tuple[float, float]]:
    """The model's training ranges of age and income ({} when the model card cannot be read now)."""
    try:
        card = ApiClient(get_settings(), token).model_card()
    except ApiError:
        return {}
    ranges = card.get("training_ranges") or {}
    found = {}
    for name in FIELDS:
        bounds = ranges.get(name)
        if isinstance(bounds, dict) and {"min", "max"} <= set(bounds):
            found[name] = (float(bounds["min"]), float(bounds["max"]))
    return found


def outside_training(
    values: JsonObject, ranges: dict[str, tuple[float, float]], money: StoreMoney | None = None
) -> dict[str, str]:
    """For each of age and income outside what the model learned from, the sentence that asks to check it
    (incomes in the store's ``money``)."""
    money = money or StoreMoney()
    sentences = {}
    for name in FIELDS:
        value = values.get(name)
        if value is None or name not in ranges:
            continue
        low, high = ranges[name]
        if not low <= value <= high:
            if name == "age":
                sentences[name] = t(
                    "plausibility.age",
                    value=format_number(value, decimals=2),
                    low=format_number(low),
                    high=format_number(high),
                )
            else:
                sentences[name] = t(
                    "plausibility.annual_income",
                    value=money.income_text(value),
                    low=money.income_text(low, decimals=0),
                    high=money.income_text(high, decimals=0),
                )
    return sentences
