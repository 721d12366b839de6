"""Account: who is signed in, change the password, delete the account."""

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError

session.require_login("account")
api = session.client()
user = session.current_user()

st.title("Account")
st.write(f"**{user.get('name', '')}** · {user.get('email', '')} · roles: {', '.join(user.get('roles', []))}")

st.subheader("Change password")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password", help="At least 8 characters.")
    repeated = st.text_input("Repeat the new password", type="password")
    change = st.form_submit_button("Change password", type="primary")
if change:
    if new != repeated:
        st.error("New password: the two entries differ.")
    elif len(new) < 8:
        st.error("New password: use at least 8 characters.")
    else:
        try:
            api.change_password(current, new)
        except ApiError as error:
            session.show_error(error, context="Could not change the password")
        else:
            st.success("Password changed.")

st.subheader("Delete my account")
st.caption("This deletes your account and all your customers and their prediction history.")
confirmation = st.text_input('Type "DELETE" to confirm', key="delete_me_confirmation")
if st.button("Delete my account", type="primary", disabled=confirmation != "DELETE"):
    try:
        api.delete_me()
    except ApiError as error:
        session.show_error(error, context="Could not delete the account")
    else:
        session.sign_out("Your account was deleted.")
        st.switch_page(session.LOGIN_PAGE)
