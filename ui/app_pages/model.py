"""The model card: which model scores customers, how good it is next to the original, and what it means."""

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.config import get_settings

session.require_login("model")


@st.cache_data(ttl=300, show_spinner=False)
def load_model_card(token: str) -> JsonObject:
    # The token is part of the cache key, so one user's fetch is never served to another.
    return ApiClient(get_settings(), token).model_card()


def figure(cv_figure: JsonObject) -> str:
    return f"{cv_figure['mean']:.3f} ± {cv_figure['std']:.3f}"


st.title("Model")
try:
    card = load_model_card(session.token() or "")
except ApiError as error:
    session.fail(error, context="Could not load the model card")

cv = card["metrics"]["cv"]
baseline = card["baseline"]
interval = card["interval"]

trained = session.format_timestamp(card["created_at"])
st.markdown(f"**{card['name']}** · version `{card['version']}` · trained {trained}")

st.subheader("Accuracy")
st.table(
    pd.DataFrame(
        [
            {
                "Metric (5x5 cross-validation)": label,
                "Selected model": figure(cv[key]),
                "Original linear model": figure(baseline["cv"][key]),
            }
            for key, label in (("r2", "R² (higher is better)"), ("mae", "MAE"), ("rmse", "RMSE"))
        ]
    ).set_index("Metric (5x5 cross-validation)"),
)
holdout = baseline["holdout"]
st.caption(f"The original model on its own 20% holdout: MSE {holdout['mse']:.3f}, R² {holdout['r2']:.3f}.")

st.subheader("Inputs and training ranges")
ranges = card["training_ranges"]
feature_rows = []
for feature in card["features"]:
    if feature == "gender":  # a category: no numeric range
        span = "female (0), male (1)"
    else:
        span = f"{ranges[feature]['min']:g} to {ranges[feature]['max']:g}"
    feature_rows.append({"Feature": feature, "Training range": span})
st.table(pd.DataFrame(feature_rows).set_index("Feature"))

level = interval["level"]
coverage = interval["cv_coverage"]
r2_mean = cv["r2"]["mean"]
st.subheader("What the score means")
st.markdown(
    f"""
The spending score (1-100) estimates how much a customer spends compared with the other customers
of the mall in the original data: **low** below 25, **medium** from 25 to 75, **high** above 75.

It is an estimate from only three facts (gender, age and annual income). These explain only part of
how people spend: in cross-validation the model explains about
**{r2_mean * 100:.0f}%** of the variation in scores (R²), the rest depends on things the model
does not know. Each prediction comes with a range (its {level * 100:.0f}% interval): for customers like this
one, the real score falls inside it about {level * 100:.0f}% of the time (measured: {coverage * 100:.0f}%).
Treat the score as a rough guide for a group of customers, not a fact about one person, and be careful
with customers outside the training ranges above: their scores are extrapolations.
"""
)
