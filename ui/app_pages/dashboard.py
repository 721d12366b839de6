"""Dashboard: how many customers, by gender and band, the score distribution and scores by age group."""

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError
from spendscore_ui.charts import age_group_chart, band_counts_chart, gender_donut, score_histogram

session.require_login("dashboard")

st.title("Dashboard")
try:
    summary = session.client().dashboard()
except ApiError as error:
    session.fail(error, context="Could not load the dashboard")

total = int(summary.get("total_customers", 0))
average = summary.get("average_score")
by_band = summary.get("by_band", {})
columns = st.columns(5)
columns[0].metric("Customers", total)
columns[1].metric("Average score", "-" if average is None else f"{average:.1f}")
columns[2].metric("Low (< 25)", int(by_band.get("low", 0)))
columns[3].metric("Medium (25-75)", int(by_band.get("medium", 0)))
columns[4].metric("High (> 75)", int(by_band.get("high", 0)))

if total == 0:
    st.info("No customers yet: the charts appear once you add some.", icon=":material/info:")
    st.stop()

left, right = st.columns(2)
with left:
    st.subheader("Customers by gender")
    st.altair_chart(gender_donut(summary.get("by_gender", {})), width="stretch")
with right:
    st.subheader("Customers by band")
    st.altair_chart(band_counts_chart(by_band), width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Score distribution")
    st.altair_chart(score_histogram(summary.get("score_histogram", [])), width="stretch")
with right:
    st.subheader("Average score by age group")
    st.altair_chart(age_group_chart(summary.get("by_age_group", [])), width="stretch")
