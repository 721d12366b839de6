"""The model card: which model scores customers, how good it is next to the original, and what it means."""

import pandas as pd
import streamlit as st

from spendscore_ui import i18n, session
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.config import get_settings
from spendscore_ui.i18n import t

session.require_login("model")


@st.cache_data(ttl=300, show_spinner=False)
def load_model_card(token: str) -> JsonObject:
    # The token is part of the cache key, so one user's fetch is never served to another.
    return ApiClient(get_settings(), token).model_card()


def figure(cv_figure: JsonObject) -> str:
    mean = i18n.format_number(cv_figure["mean"], decimals=3, fixed=True)
    return f"{mean} ± {i18n.format_number(cv_figure['std'], decimals=3, fixed=True)}"


st.title(t("model.title"))
try:
    card = load_model_card(session.token() or "")
except ApiError as error:
    session.fail(error, context=t("model.could_not_load"))

cv = card["metrics"]["cv"]
baseline = card["baseline"]
interval = card["interval"]

st.text(
    t(
        "model.summary",
        name=card["name"],
        version=card["version"],
        trained=i18n.format_datetime(card["created_at"]),
    )
)

st.subheader(t("model.accuracy"))
metric_column = t("model.metric")
st.table(
    pd.DataFrame(
        [
            {
                metric_column: label,
                t("model.selected"): figure(cv[key]),
                t("model.baseline"): figure(baseline["cv"][key]),
            }
            for key, label in (
                ("r2", t("model.metric_r2")),
                ("mae", t("model.metric_mae")),
                ("rmse", t("model.metric_rmse")),
            )
        ]
    ).set_index(metric_column),
)
holdout = baseline["holdout"]
st.caption(
    t(
        "model.holdout",
        mse=i18n.format_number(holdout["mse"], decimals=3, fixed=True),
        r2=i18n.format_number(holdout["r2"], decimals=3, fixed=True),
    )
)

st.subheader(t("model.inputs"))
ranges = card["training_ranges"]
feature_column = t("model.feature")
feature_rows = []
for feature in card["features"]:
    if feature == "gender":  # a category: no numeric range
        span = t("model.range_gender", female=i18n.gender_label("female"), male=i18n.gender_label("male"))
    else:
        span = t(
            "model.range_numbers",
            low=i18n.format_number(ranges[feature]["min"], decimals=2),
            high=i18n.format_number(ranges[feature]["max"], decimals=2),
        )
    feature_rows.append({feature_column: i18n.field_label(feature), t("model.range"): span})
st.table(pd.DataFrame(feature_rows).set_index(feature_column))

st.subheader(t("model.meaning_title"))
st.text(
    t(
        "model.meaning",
        r2=i18n.format_percent(cv["r2"]["mean"]),
        level=i18n.format_percent(interval["level"]),
        coverage=i18n.format_percent(interval["cv_coverage"]),
    )
)

st.subheader(t("model.store_title"))
st.markdown(t("model.store"))
