"""One customer: attributes, inline edit, "Predict again", and the prediction history (chart and table)."""

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError, JsonObject
from spendscore_ui.charts import band_cell_style, history_chart

session.require_login("customer")
api = session.client()

GENDERS = {"Female": "female", "Male": "male"}

customer_id = st.query_params.get("id")
if not customer_id:
    st.title("Customer")
    st.info("Choose a customer on the Customers page.", icon=":material/info:")
    st.page_link(session.PAGE_FILES["customers"], label="Go to Customers", icon=":material/group:")
    st.stop()

try:
    customer = api.get_customer(customer_id)
    history = api.prediction_history(customer_id)
except ApiError as error:
    if error.status_code in (404, 422):
        st.title("Customer")
        st.warning("This customer does not exist (it may have been deleted).", icon=":material/search_off:")
        st.page_link(session.PAGE_FILES["customers"], label="Back to Customers", icon=":material/group:")
        st.stop()
    session.fail(error, context="Could not load the customer")


st.title(customer["name"])
st.page_link(session.PAGE_FILES["customers"], label="All customers", icon=":material/arrow_back:")

latest: JsonObject | None = customer["latest_prediction"]
columns = st.columns(5)
columns[0].metric("Gender", str(customer["gender"]).capitalize())
columns[1].metric("Age", customer["age"])
columns[2].metric("Annual income (k$)", f"{customer['annual_income']:g}")
if latest is None or latest["status"] == "pending":
    columns[3].metric("Spending score", "pending")
    st.info(
        "The latest prediction is pending: the prediction service was unavailable. "
        "It is completed automatically once the service answers again.",
        icon=":material/hourglass_top:",
    )
else:
    interval = latest["interval"]
    columns[3].metric("Spending score", f"{latest['spending_score']:.0f}")
    columns[4].metric("Band", latest["band"])
    st.caption(
        f"80% of customers like this one score between {interval['low']:.0f} and "
        f"{interval['high']:.0f} (model {latest['model_version']})."
    )

if st.button("Predict again", icon=":material/refresh:"):
    try:
        api.predict_again(customer_id)
    except ApiError as error:
        session.show_error(error, context="Could not predict")
    else:
        st.rerun()

with st.expander("Edit", icon=":material/edit:"):
    with st.form(f"edit_{customer_id}"):
        name = st.text_input("Name", value=customer["name"], max_chars=200)
        gender = st.radio(
            "Gender",
            list(GENDERS),
            index=1 if customer["gender"] == "male" else 0,
            horizontal=True,
        )
        left, right = st.columns(2)
        age = left.number_input("Age", min_value=0, max_value=120, step=1, value=int(customer["age"]))
        income = right.number_input(
            "Annual income (k$)",
            min_value=0.0,
            max_value=100_000.0,
            step=1.0,
            value=float(customer["annual_income"]),
        )
        saved = st.form_submit_button("Save changes", type="primary")
    if saved:
        changes = {"name": name.strip(), "gender": GENDERS[gender], "age": int(age), "annual_income": income}
        changed = {key: value for key, value in changes.items() if value != customer.get(key)}
        if not changed:
            st.info("Nothing changed.")
        else:
            try:
                api.update_customer(customer_id, changed)
            except ApiError as error:
                session.show_error(error, context="Could not save")
            else:
                st.rerun()

st.subheader("Prediction history")
rows = []
for prediction in history:
    pending = prediction["status"] == "pending"
    interval = prediction["interval"]
    rows.append(
        {
            "created_at": pd.to_datetime(prediction["created_at"], utc=True),
            "spending_score": None if pending else float(prediction["spending_score"]),
            "band": "pending" if pending else prediction["band"],
            "interval": "" if pending else f"{interval['low']:.0f}-{interval['high']:.0f}",
            "gender": prediction["gender"],
            "age": prediction["age"],
            "annual_income": prediction["annual_income"],
            "model_version": prediction["model_version"] or "",
        }
    )
frame = pd.DataFrame(rows)
scored = frame[frame["band"] != "pending"] if not frame.empty else frame
if scored.empty:
    st.info("No scored prediction yet.", icon=":material/hourglass_top:")
else:
    st.altair_chart(history_chart(scored), width="stretch")
    st.caption(
        f"{len(scored)} scored predictions. Dashed lines: the 25 and 75 thresholds between the low, "
        "medium and high bands."
    )
if not frame.empty:
    table = frame.rename(
        columns={
            "created_at": "Predicted at",
            "spending_score": "Score",
            "band": "Band",
            "interval": "80% interval",
            "gender": "Gender",
            "age": "Age",
            "annual_income": "Income (k$)",
            "model_version": "Model version",
        }
    )
    table["Predicted at"] = table["Predicted at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    styled = table.style.map(band_cell_style, subset=["Band"]).format(precision=1, na_rep="pending")
    st.dataframe(styled, hide_index=True, width="stretch")
