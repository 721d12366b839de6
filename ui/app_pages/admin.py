"""Admin: list and search accounts, create them, change roles, activate/deactivate, delete."""

import math

import pandas as pd
import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError, JsonObject

session.require_admin()
api = session.client()

PAGE_SIZE = 25
ROLES = ["user", "admin"]


def back_to_the_first_page() -> None:
    """A new search starts on its first page (the page we were on may not exist in its results)."""
    st.session_state["admin_page"] = 1


st.title("Admin: accounts")

query = st.text_input("Search by email or name", key="admin_q", on_change=back_to_the_first_page)
page_number = int(st.session_state.get("admin_page", 1))
try:
    listing = api.list_users(q=query.strip() or None, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
except ApiError as error:
    session.fail(error, context="Could not load the accounts")

users: list[JsonObject] = listing["items"]
total = int(listing["total"])
page_count = max(1, math.ceil(total / PAGE_SIZE))
if page_number > page_count:  # accounts were deleted, or changed, below the page we were on
    st.session_state["admin_page"] = page_count
    st.rerun()

if users:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Email": user["email"],
                    "Name": user.get("name", ""),
                    "Roles": ", ".join(user.get("roles", [])),
                    "Active": "yes" if user.get("is_active") else "no",
                    "Last login": session.format_timestamp(user.get("last_login_at")) or "never",
                    "Created": session.format_timestamp(user.get("created_at")),
                }
                for user in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(f"{total} accounts")
else:
    st.info("No account matches.")
if page_count > 1:
    st.number_input("Page", min_value=1, max_value=page_count, step=1, key="admin_page")

if users:
    st.subheader("Change an account")
    by_id = {user["id"]: user for user in users}
    selected_id = st.selectbox(
        "Account", list(by_id), format_func=lambda user_id: by_id[user_id]["email"], key="admin_selected"
    )
    selected = by_id[selected_id]
    with st.form(f"admin_edit_{selected_id}"):
        roles = st.multiselect("Roles", ROLES, default=[r for r in selected.get("roles", []) if r in ROLES])
        active = st.checkbox("Active (can sign in)", value=bool(selected.get("is_active")))
        save = st.form_submit_button("Save account", type="primary")
    if save:
        try:
            api.update_user(selected_id, {"roles": roles or ["user"], "is_active": active})
        except ApiError as error:
            session.show_error(error, context="Could not change the account")
        else:
            st.toast(f"Saved {selected['email']}")
            st.rerun()

    if st.button("Delete account", icon=":material/delete:", key="admin_delete"):
        st.session_state["admin_confirm_delete"] = selected_id
    if st.session_state.get("admin_confirm_delete") == selected_id:
        st.warning(
            f"Delete **{selected['email']}** and all of its customers and predictions? This cannot be undone."
        )
        confirm_col, cancel_col = st.columns(2)
        if confirm_col.button("Yes, delete the account", type="primary", key="admin_confirm"):
            try:
                api.delete_user(selected_id)
            except ApiError as error:
                session.show_error(error, context="Could not delete the account")
            else:
                st.session_state.pop("admin_confirm_delete", None)
                st.toast(f"Deleted {selected['email']}")
                st.rerun()
        if cancel_col.button("Cancel", key="admin_cancel"):
            st.session_state.pop("admin_confirm_delete", None)
            st.rerun()

st.subheader("Create an account")
with st.form("admin_create", clear_on_submit=False):
    email = st.text_input("Email")
    name = st.text_input("Name")
    password = st.text_input("Password", type="password", help="At least 8 characters.")
    new_roles = st.multiselect("Roles", ROLES, default=["user"], key="admin_new_roles")
    create = st.form_submit_button("Create account", type="primary")
if create:
    try:
        created = api.create_user(
            email=email.strip(), name=name.strip(), password=password, roles=new_roles or ["user"]
        )
    except ApiError as error:
        session.show_error(error, context="Could not create the account")
    else:
        st.success(f"Created {created['email']}.")
