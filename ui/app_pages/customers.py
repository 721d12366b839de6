"""Customers: search, filter, sort and page through the list; create, edit and delete customers."""

import math

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError, JsonObject
from spendscore_ui.charts import band_cell_style

session.require_login("customers")
api = session.client()

PAGE_SIZE = 25
SORTS = {
    "Recently added": "-created_at",
    "First added": "created_at",
    "Name (A-Z)": "name",
    "Name (Z-A)": "-name",
    "Highest score": "-spending_score",
    "Lowest score": "spending_score",
    "Youngest": "age",
    "Oldest": "-age",
}
GENDERS = {"Female": "female", "Male": "male"}


def score_text(customer: JsonObject) -> tuple[str, str]:
    prediction = customer["latest_prediction"]
    if prediction is None or prediction["status"] == "pending":
        return "pending", "pending"
    return f"{prediction['spending_score']:.0f}", prediction["band"]


def customer_form(form_key: str, customer: JsonObject | None, submit_label: str) -> JsonObject | None:
    """The create/edit form; returns the entered values when submitted."""
    current = customer or {}
    with st.form(form_key, clear_on_submit=customer is None):
        name = st.text_input("Name", value=current.get("name", ""), max_chars=200)
        gender_labels = list(GENDERS)
        gender_index = gender_labels.index("Male") if current.get("gender") == "male" else 0
        gender = st.radio("Gender", gender_labels, index=gender_index, horizontal=True)
        left, right = st.columns(2)
        age = left.number_input("Age", min_value=0, max_value=120, step=1, value=int(current.get("age", 30)))
        income = right.number_input(
            "Annual income (k$)",
            min_value=0.0,
            max_value=100_000.0,
            step=1.0,
            value=float(current.get("annual_income", 50.0)),
        )
        if not st.form_submit_button(submit_label, type="primary"):
            return None
    return {"name": name.strip(), "gender": GENDERS[gender], "age": int(age), "annual_income": float(income)}


st.title("Customers")

flash = st.session_state.pop("customers_flash", None)
if flash:
    st.success(flash)
created = st.session_state.pop("customers_created", None)
if created:
    score, band = score_text(created)
    if score == "pending":
        st.success(
            f"Created {created['name']}. The score is pending: the prediction service is unavailable, "
            "it will be filled in automatically."
        )
    else:
        st.success(f"Created {created['name']}: spending score {score} ({band})")
    st.page_link(
        session.PAGE_FILES["customer"],
        label=f"Open {created['name']}",
        query_params={"id": created["id"]},
        icon=":material/open_in_new:",
    )

search, gender_col, band_col, sort_col = st.columns([3, 1, 1, 2])
query = search.text_input("Search by name", key="customers_q")
gender_filter = gender_col.selectbox("Gender", ["All", "Female", "Male"], key="customers_gender")
band_filter = band_col.selectbox("Band", ["All", "low", "medium", "high"], key="customers_band")
sort_label = sort_col.selectbox("Sort", list(SORTS), key="customers_sort")
page_number = int(st.session_state.get("customers_page", 1))

try:
    listing = api.list_customers(
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
        q=query.strip() or None,
        gender=GENDERS.get(gender_filter),
        band=None if band_filter == "All" else band_filter,
        sort=SORTS[sort_label],
    )
except ApiError as error:
    session.fail(error, context="Could not load the customers")

customers: list[JsonObject] = listing.get("items", [])
total = int(listing.get("total", 0))
page_count = max(1, math.ceil(total / PAGE_SIZE))
if page_number > page_count:  # the filters shrank the list below the page we were on
    st.session_state["customers_page"] = page_count
    st.rerun()

if customers:
    rows = []
    for customer in customers:
        score, band = score_text(customer)
        rows.append(
            {
                "Name": customer["name"],
                "Gender": customer["gender"],
                "Age": customer["age"],
                "Income (k$)": customer["annual_income"],
                "Score": score,
                "Band": band,
                "Updated": session.format_timestamp(customer.get("updated_at")),
            }
        )
    table = pd.DataFrame(rows).style.map(band_cell_style, subset=["Band"]).format(precision=1)
    st.dataframe(table, hide_index=True, width="stretch")
    first = (page_number - 1) * PAGE_SIZE + 1
    st.caption(f"Showing {first}-{first + len(customers) - 1} of {total} customers")
else:
    st.info("No customers match. Create one below or import a CSV file.", icon=":material/info:")

if page_count > 1:
    st.number_input("Page", min_value=1, max_value=page_count, step=1, key="customers_page")

if customers:
    st.subheader("Selected customer")
    by_id = {customer["id"]: customer for customer in customers}
    selected_id = st.selectbox(
        "Customer",
        list(by_id),
        format_func=lambda customer_id: f"{by_id[customer_id]['name']} ({by_id[customer_id]['age']})",
        key="customers_selected",
    )
    selected = by_id[selected_id]
    open_col, delete_col = st.columns([1, 1])
    if open_col.button("Open details", icon=":material/open_in_new:"):
        st.switch_page(session.PAGE_FILES["customer"], query_params={"id": selected_id})
    if delete_col.button("Delete", icon=":material/delete:", key="delete_customer"):
        st.session_state["customers_confirm_delete"] = selected_id

    pending_delete = st.session_state.get("customers_confirm_delete")
    if pending_delete == selected_id:
        st.warning(f"Delete **{selected['name']}** and the whole prediction history? This cannot be undone.")
        confirm_col, cancel_col = st.columns([1, 1])
        if confirm_col.button("Yes, delete", type="primary", key="confirm_delete_customer"):
            try:
                api.delete_customer(selected_id)
            except ApiError as error:
                session.show_error(error, context="Could not delete")
            else:
                st.session_state.pop("customers_confirm_delete", None)
                st.toast(f"Deleted {selected['name']}")
                st.rerun()
        if cancel_col.button("Cancel", key="cancel_delete_customer"):
            st.session_state.pop("customers_confirm_delete", None)
            st.rerun()

    with st.expander(f"Edit {selected['name']}"):
        changes = customer_form(f"edit_customer_{selected_id}", selected, "Save changes")
        if changes is not None:
            try:
                updated = api.update_customer(selected_id, changes)
            except ApiError as error:
                session.show_error(error, context="Could not save")
            else:
                score, band = score_text(updated)
                st.session_state["customers_flash"] = f"Saved {updated['name']}: score {score} ({band})"
                st.rerun()

st.subheader("New customer")
values = customer_form("create_customer", None, "Create customer")
if values is not None:
    if not values["name"]:
        st.error("Name: enter the customer's name.")
    else:
        try:
            created = api.create_customer(**values)
        except ApiError as error:
            session.show_error(error, context="Could not create the customer")
        else:
            # Rerun so that the list above includes the new customer; the message survives in state.
            st.session_state["customers_created"] = created
            st.rerun()
