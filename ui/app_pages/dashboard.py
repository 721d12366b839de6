"""Dashboard: how many customers, by gender, band and segment; scores by age; income × score scatter and
how well the model did on the scores the owner entered. A click on a band (or its link) opens the list
filtered by it."""

from typing import Any

import streamlit as st

from spendscore_ui import session, store_panels
from spendscore_ui.api_client import ApiClient, ApiError, JsonObject
from spendscore_ui.charts import (
    BAND_ORDER,
    age_group_chart,
    band_counts_chart,
    band_picked,
    gender_chart,
    score_histogram,
    segment_counts_chart,
    segment_picked,
    segment_scatter,
)
from spendscore_ui.config import get_settings
from spendscore_ui.customer_view import segment_name
from spendscore_ui.i18n import band_label, format_integer, format_number, format_percent, t, tn
from spendscore_ui.store_money import current as store_money

session.require_login("dashboard")


@st.cache_data(ttl=600, show_spinner=False)
def model_segment_names(token: str | None) -> dict[str, JsonObject]:
    """The model's segments by id (for their names), {} while the model has none."""
    try:
        card = ApiClient(get_settings(), token).model_card()
    except ApiError:
        return {}
    return {
        str(item["id"]): item
        for item in card.get("segments") or []
        if isinstance(item, dict) and "id" in item
    }


def segment_counts(by_segment: Any, segments: dict[str, JsonObject]) -> list[tuple[str, str, int]]:
    """(id, name, count) per segment from ``by_segment`` (a list of {id, name, count}); the name from the
    item, else from the model's segments."""
    counts = []
    for item in by_segment if isinstance(by_segment, list) else []:
        if isinstance(item, dict) and item.get("id") is not None:
            key = str(item["id"])
            name = segment_name(item) if item.get("name") else segment_name(segments.get(key))
            counts.append((key, name or key, int(item.get("count") or 0)))
    return counts


def open_picked(query: str, value: str | None) -> None:
    """A click on a bar (band or segment): open the customers list filtered by it."""
    if value:
        st.switch_page(session.PAGE_FILES["customers"], query_params={query: value})


st.title(t("dashboard.title"))
if session.is_admin():
    st.caption(t("customers.admin_note"))
try:
    with st.spinner(t("dashboard.loading")):
        summary = session.client().dashboard()
except ApiError as error:
    session.fail(error, context=t("dashboard.load_failed"))

total = int(summary.get("total_customers", 0))
average = summary.get("average_score")
by_band = summary.get("by_band", {})
columns = st.columns(5)
columns[0].metric(t("dashboard.customers"), format_integer(total))
columns[1].metric(t("dashboard.average"), "–" if average is None else format_number(average))
columns[2].metric(t("dashboard.low"), format_integer(int(by_band.get("low", 0))))
columns[3].metric(t("dashboard.medium"), format_integer(int(by_band.get("medium", 0))))
columns[4].metric(t("dashboard.high"), format_integer(int(by_band.get("high", 0))))

if total == 0:
    with st.container(border=True):
        st.markdown(t("dashboard.empty"))
        first, second, _ = st.columns([1, 1, 2])
        first.page_link(
            session.PAGE_FILES["customers"], label=t("dashboard.empty.add"), icon=":material/person_add:"
        )
        second.page_link(
            session.PAGE_FILES["import"], label=t("dashboard.empty.import"), icon=":material/upload_file:"
        )
    st.stop()

segments = model_segment_names(session.token())
counts = segment_counts(summary.get("by_segment"), segments)
scatter = [point for point in summary.get("scatter") or [] if isinstance(point, dict)]
# Every segment's name by id (the model's, then the summary's): the charts colour each segment by its id.
names = {key: segment_name(item) for key, item in segments.items()}
names.update({key: name for key, name, _ in counts})
for point in scatter:
    if isinstance(point.get("segment"), dict):
        names.setdefault(str(point["segment"].get("id")), segment_name(point["segment"]))
        point["segment"] = point["segment"].get("id")
money = store_money(session.client())  # issue 23: incomes in the store's own unit
if scatter:
    for point in scatter:
        point["annual_income"] = money.from_model(float(point["annual_income"]))
    st.header(t("dashboard.scatter"))
    st.altair_chart(segment_scatter(scatter, names, income_title=money.income_label()), width="stretch")
    st.caption(t("dashboard.scatter_caption"))

accuracy = summary.get("accuracy")
if counts or isinstance(accuracy, dict):
    left, right = st.columns(2)
    if counts:
        with left:
            st.header(t("dashboard.segments"))
            picked_segment = st.altair_chart(
                segment_counts_chart(counts, names),
                width="stretch",
                on_select="rerun",
                key="dashboard_segment_pick",
            )
            st.caption(t("dashboard.band_hint"))
            open_picked(
                "segment", segment_picked(picked_segment.selection, counts) if picked_segment else None
            )
            # Each segment opens the list filtered by it (real links: keyboard, new tab, copy link).
            for segment_id, name, count in counts:
                st.page_link(
                    session.PAGE_FILES["customers"],
                    label=t("dashboard.segment_link", name=name, count=format_integer(count)),
                    query_params={"segment": segment_id},
                )
    with right:
        st.header(t("dashboard.accuracy"))
        observed = int((accuracy or {}).get("observed_count") or 0)
        if observed == 0:
            st.markdown(t("dashboard.accuracy.none"))
        else:
            sentence = tn(
                "dashboard.accuracy.mae", observed, mae=format_number(accuracy.get("mae"), decimals=0)
            )
            coverage = accuracy.get("interval_coverage")
            if coverage is not None:
                sentence += " " + t("dashboard.accuracy.coverage", share=format_percent(coverage))
            else:
                sentence += " " + t("dashboard.accuracy.more_needed")
            st.markdown(sentence)

left, right = st.columns(2)
with left:
    st.header(t("dashboard.by_band"))
    picked = st.altair_chart(
        band_counts_chart(by_band), width="stretch", on_select="rerun", key="dashboard_band_pick"
    )
    st.caption(t("dashboard.band_hint"))
    open_picked("band", band_picked(picked.selection) if picked else None)
    # A bar is for the mouse only: each band also opens the list as a real link (keyboard, new tab).
    for band in BAND_ORDER:
        if int(by_band.get(band) or 0):
            st.page_link(
                session.PAGE_FILES["customers"],
                label=t("dashboard.band_link", band=band_label(band), count=format_integer(by_band[band])),
                query_params={"band": band},
            )
with right:
    st.header(t("dashboard.by_gender"))
    st.altair_chart(gender_chart(summary.get("by_gender", {})), width="stretch")

left, right = st.columns(2)
with left:
    st.header(t("dashboard.histogram"))
    st.altair_chart(score_histogram(summary.get("score_histogram", [])), width="stretch")
with right:
    st.header(t("dashboard.by_age"))
    st.altair_chart(age_group_chart(summary.get("by_age_group", [])), width="stretch")

# Issue 25: how the global model and the store's own do on the store's held-out scores, and drift.
store_panels.store_model_panel(session.client())
store_panels.drift_panel(session.client(), money)
