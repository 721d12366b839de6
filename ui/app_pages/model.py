"""The model card: which model scores customers, how good it is next to the original, and what it means."""

from typing import Any

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError, JsonObject
from spendscore_ui.config import get_settings

session.require_login("model")


@st.cache_data(ttl=300, show_spinner=False)
def load_model_card(token: str) -> JsonObject:
    # The token is part of the cache key, so one user's fetch is never served to another.
    from spendscore_ui.api_client import ApiClient

    return ApiClient(get_settings(), token).model_card()


def figure(value: Any) -> str:
    if isinstance(value, dict) and "mean" in value:
        return f"{value['mean']:.3f} ± {value.get('std', 0):.3f}"
    if isinstance(value, int | float):
        return f"{value:.3f}"
    return "-"


def number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "?"


st.title("Model")
try:
    card = load_model_card(session.token() or "")
except ApiError as error:
    session.fail(error, context="Could not load the model card")

cv = (card.get("metrics") or {}).get("cv", {})
baseline = card.get("baseline") or {}
interval = card.get("interval") or {}

st.markdown(
    f"**{card.get('name', '-')}** · version `{card.get('version', '-')}` · "
    f"trained {session.format_timestamp(card.get('created_at')) or '-'}"
)

st.subheader("Accuracy")
st.table(
    pd.DataFrame(
        [
            {
                "Metric (5x5 cross-validation)": label,
                "Selected model": figure(cv.get(key)),
                "Original linear model": figure((baseline.get("cv") or {}).get(key)),
            }
            for key, label in (("r2", "R² (higher is better)"), ("mae", "MAE"), ("rmse", "RMSE"))
        ]
    ).set_index("Metric (5x5 cross-validation)"),
)
holdout = baseline.get("holdout") or {}
if holdout:
    st.caption(
        f"The original model on its own 20% holdout: MSE {figure(holdout.get('mse'))}, "
        f"R² {figure(holdout.get('r2'))}."
    )

st.subheader("Inputs and training ranges")
ranges = card.get("training_ranges") or {}
features = card.get("features") or list(ranges)
feature_rows = []
for feature in features:
    name = feature.get("name") if isinstance(feature, dict) else str(feature)
    bounds = ranges.get(name) if isinstance(ranges, dict) else None
    if name == "gender":
        span = "female (0), male (1)"
    elif isinstance(bounds, dict):
        span = f"{number(bounds.get('min'))} to {number(bounds.get('max'))}"
    else:
        span = "-"
    feature_rows.append({"Feature": name, "Training range": span})
st.table(pd.DataFrame(feature_rows).set_index("Feature"))

level = interval.get("level", 0.8)
coverage = interval.get("cv_coverage")
r2_mean = (cv.get("r2") or {}).get("mean") if isinstance(cv.get("r2"), dict) else cv.get("r2")
st.subheader("What the score means")
st.markdown(
    f"""
The spending score (1-100) estimates how much a customer spends compared with the other customers
of the mall in the original data: **low** below 25, **medium** from 25 to 75, **high** above 75.

It is an estimate from only three facts (gender, age and annual income). These explain only part of
how people spend: in cross-validation the model explains about
**{(r2_mean or 0) * 100:.0f}%** of the variation in scores (R²), the rest depends on things the model
does not know. Each prediction comes with a range (its {level * 100:.0f}% interval): for customers like this
one, the real score falls inside it about {level * 100:.0f}% of the time
{f"(measured: {coverage * 100:.0f}%)" if isinstance(coverage, int | float) else ""}.
Treat the score as a rough guide for a group of customers, not a fact about one person, and be careful
with customers outside the training ranges above: their scores are extrapolations.
"""
)
