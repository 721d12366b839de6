"""Choose a new password: the only page a user sees after an admin reset their password."""

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError
from spendscore_ui.i18n import t

session.require_login("customers")

st.title(t("new_password.title"))
st.info(t("new_password.explain"), icon=":material/lock_reset:")
with st.form("new_password", clear_on_submit=True):
    current = st.text_input(t("new_password.current"), type="password", autocomplete="current-password")
    new = st.text_input(
        t("new_password.new"), type="password", help=t("new_password.help"), autocomplete="new-password"
    )
    repeated = st.text_input(t("new_password.repeat"), type="password", autocomplete="new-password")
    submitted = st.form_submit_button(t("new_password.submit"), type="primary")
if submitted:
    if new != repeated:
        st.error(t("new_password.differ"))
    elif len(new) < 8:
        st.error(t("new_password.too_short"))
    elif new == current:
        st.error(t("new_password.same"))
    else:
        try:
            fresh_token = session.client().change_password(current, new)
        except ApiError as error:
            session.show_error(error)
        else:
            session.password_changed(fresh_token)
            session.toast_next(t("new_password.saved"))
            st.rerun()  # the router now opens the page asked for before sign-in
