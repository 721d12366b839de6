"""Account: who is signed in, change name, email and password, delete the account."""

import streamlit as st

from spendscore_ui import session, store_money
from spendscore_ui.api_client import ApiError
from spendscore_ui.i18n import t, t_md

session.require_login("account")
api = session.client()
user = session.current_user()

st.title(t("account.title"))
# Name and email were typed by a user: plain text, never Markdown.
st.text(f"{user.get('name', '')} · {user.get('email', '')}")
st.caption(t("account.roles") + ": " + ", ".join(t(f"role.{role}") for role in user.get("roles", [])))

st.subheader(t("account.profile"))
with st.form("profile"):
    new_name = st.text_input(t("account.name"), value=user.get("name", ""), max_chars=200)
    new_email = st.text_input(t("account.email"), value=user.get("email", ""), max_chars=320)
    email_password = st.text_input(t("account.email_password"), type="password", max_chars=1024)
    save_profile = st.form_submit_button(t("account.save_profile"), type="primary")
if save_profile:
    changes = {
        key: value.strip()
        for key, value in (("name", new_name), ("email", new_email))
        if value.strip() != user.get(key, "")
    }
    if not changes:
        st.info(t("account.no_changes"))
    else:
        try:
            saved = api.update_me(changes, current_password=email_password if "email" in changes else None)
        except ApiError as error:
            session.show_error(error, context=t("account.could_not_save"))
        else:
            session.update_profile(name=saved["name"], email=saved["email"])
            session.toast_next(t_md("account.profile_saved", name=saved["name"], email=saved["email"]))
            st.rerun()

if "user" in user.get("roles", []):  # a store owner: the store's own money (issue 23)
    store_money.settings_form(api)

st.subheader(t("account.change_password"))
with st.form("change_password", clear_on_submit=True):
    current = st.text_input(t("account.current_password"), type="password")
    new = st.text_input(t("account.new_password"), type="password", help=t("account.password_help"))
    repeated = st.text_input(t("account.repeat_password"), type="password")
    change = st.form_submit_button(t("account.change_password"), type="primary")
if change:
    if new != repeated:
        st.error(t("account.passwords_differ"))
    elif len(new) < 8:
        st.error(t("account.password_too_short"))
    else:
        try:
            fresh_token = api.change_password(current, new)
        except ApiError as error:
            session.show_error(error, context=t("account.could_not_change_password"))
        else:
            session.password_changed(fresh_token)  # this session goes on with the fresh token
            st.success(t("account.password_changed"))

st.subheader(t("account.delete_title"))
st.caption(t("account.delete_explain"))
word = t("account.delete_word")
confirmation = st.text_input(t("account.delete_confirm_label", word=word), key="delete_me_confirmation")
delete_password = st.text_input(
    t("account.delete_password"), type="password", max_chars=1024, key="delete_me_password"
)
if st.button(
    t("account.delete_button"), type="primary", disabled=confirmation != word or not delete_password
):
    try:
        api.delete_me(delete_password)
    except ApiError as error:
        session.show_error(error, context=t("account.could_not_delete"))
    else:
        session.sign_out(t("session.account_deleted"))
        st.switch_page(session.LOGIN_PAGE)
