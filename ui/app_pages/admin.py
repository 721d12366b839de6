"""Admin: list and search accounts, create them, change roles, activate/deactivate, delete."""

import math

import pandas as pd
import streamlit as st

from spendscore_ui import i18n, session
from spendscore_ui.api_client import ApiError, JsonObject
from spendscore_ui.i18n import t, t_md

session.require_admin()
api = session.client()

PAGE_SIZE = 25
ROLES = ["user", "admin"]


def back_to_the_first_page() -> None:
    """A new search starts on its first page (the page we were on may not exist in its results)."""
    st.session_state["admin_page"] = 1


st.title(t("admin.title"))

query = st.text_input(t("admin.search"), key="admin_q", on_change=back_to_the_first_page)
page_number = int(st.session_state.get("admin_page", 1))
try:
    listing = api.list_users(q=query.strip() or None, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
except ApiError as error:
    session.fail(error, context=t("admin.could_not_load"))

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
                    t("admin.col_email"): user["email"],
                    t("admin.col_name"): user.get("name", ""),
                    t("admin.col_roles"): ", ".join(t(f"role.{role}") for role in user.get("roles", [])),
                    t("admin.col_active"): t("admin.yes") if user.get("is_active") else t("admin.no"),
                    t("admin.col_last_login"): i18n.format_datetime(user.get("last_login_at"))
                    or t("admin.never"),
                    t("admin.col_created"): i18n.format_datetime(user.get("created_at")),
                }
                for user in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(i18n.tn("admin.count", total))
else:
    st.info(t("admin.none_match"))
if page_count > 1:
    st.number_input(t("admin.page"), min_value=1, max_value=page_count, step=1, key="admin_page")

if users:
    st.header(t("admin.change_title"))
    by_id = {user["id"]: user for user in users}
    # No account is chosen at first: the first one (often the admin's own) would sit right above "Delete".
    selected_id = st.selectbox(
        t("admin.account"),
        list(by_id),
        index=None,
        placeholder=t("admin.account_placeholder"),
        format_func=lambda user_id: by_id[user_id]["email"],
        key="admin_selected",
    )
    if selected_id is not None and selected_id in by_id:
        selected = by_id[selected_id]
        with st.form(f"admin_edit_{selected_id}"):
            roles = st.multiselect(
                t("admin.roles"),
                ROLES,
                default=[r for r in selected.get("roles", []) if r in ROLES],
                format_func=lambda role: t(f"role.{role}"),
            )
            active = st.checkbox(t("admin.active"), value=bool(selected.get("is_active")))
            save = st.form_submit_button(t("admin.save"), type="primary")
        if save:
            try:
                api.update_user(selected_id, {"roles": roles or ["user"], "is_active": active})
            except ApiError as error:
                session.show_error(error, context=t("admin.could_not_change"))
            else:
                session.toast_next(t_md("admin.saved", email=selected["email"]))
                st.rerun()

        if st.button(t("admin.delete"), icon=":material/delete:", key="admin_delete"):
            st.session_state["admin_confirm_delete"] = selected_id
        if st.session_state.get("admin_confirm_delete") == selected_id:
            st.warning(t_md("admin.delete_warning", email=selected["email"]))
            confirm_col, cancel_col = st.columns(2)
            if confirm_col.button(t("admin.delete_confirm"), type="primary", key="admin_confirm"):
                try:
                    api.delete_user(selected_id)
                except ApiError as error:
                    session.show_error(error, context=t("admin.could_not_delete"))
                else:
                    st.session_state.pop("admin_confirm_delete", None)
                    session.toast_next(t_md("admin.deleted", email=selected["email"]))
                    st.rerun()
            if cancel_col.button(t("admin.cancel"), key="admin_cancel"):
                st.session_state.pop("admin_confirm_delete", None)
                st.rerun()

        # Account recovery: a temporary password, shown once, that the user must replace at next sign-in.
        if st.button(t("admin.reset"), icon=":material/lock_reset:", key="admin_reset"):
            st.session_state["admin_confirm_reset"] = selected_id
        if st.session_state.get("admin_confirm_reset") == selected_id:
            st.warning(t_md("admin.reset_explain", email=selected["email"]))
            confirm_col, cancel_col = st.columns(2)
            if confirm_col.button(t("admin.reset_confirm"), type="primary", key="admin_reset_confirm"):
                try:
                    temporary = api.reset_password(selected_id)
                except ApiError as error:
                    session.show_error(error, context=t("admin.could_not_reset"))
                else:
                    st.session_state.pop("admin_confirm_reset", None)
                    st.session_state["admin_temporary_password"] = (selected["email"], temporary)
                    st.rerun()
            if cancel_col.button(t("admin.cancel"), key="admin_reset_cancel"):
                st.session_state.pop("admin_confirm_reset", None)
                st.rerun()

shown_once = st.session_state.get("admin_temporary_password")
if shown_once:
    reset_email, temporary_password = shown_once
    st.success(t_md("admin.reset_done", email=reset_email), icon=":material/key:")
    st.code(temporary_password, language=None)  # the block's own copy button
    st.caption(t("admin.reset_copy_hint"))
    if st.button(t("admin.reset_dismiss"), key="admin_reset_dismiss"):
        st.session_state.pop("admin_temporary_password", None)
        st.rerun()

CREATE_FIELDS = ("admin_new_email", "admin_new_name", "admin_new_password", "admin_new_roles")
if st.session_state.pop("admin_create_done", False):
    for key in CREATE_FIELDS:  # a created account clears the form (before its widgets exist)
        st.session_state.pop(key, None)

st.header(t("admin.create_title"))
with st.form("admin_create", clear_on_submit=False):
    email = st.text_input(t("admin.email"), key="admin_new_email")
    name = st.text_input(t("admin.name"), key="admin_new_name")
    password = st.text_input(
        t("admin.password"), type="password", help=t("admin.password_help"), key="admin_new_password"
    )
    new_roles = st.multiselect(
        t("admin.new_roles"),
        ROLES,
        default=["user"],
        key="admin_new_roles",
        format_func=lambda role: t(f"role.{role}"),
    )
    create = st.form_submit_button(t("admin.create"), type="primary")
if create:
    try:
        created = api.create_user(
            email=email.strip(), name=name.strip(), password=password, roles=new_roles or ["user"]
        )
    except ApiError as error:
        session.show_error(error, context=t("admin.could_not_create"))
    else:
        # Reload the page: the list above now shows the account, and the form is empty again.
        st.session_state["admin_create_done"] = True
        session.toast_next(t_md("admin.created", email=created["email"]))
        st.rerun()
