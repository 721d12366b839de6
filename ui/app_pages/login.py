"""Sign in: email and password against the auth service."""

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError
from spendscore_ui.i18n import t

if session.is_signed_in():
    st.switch_page(
        session.PAGE_FILES[session.pop_next_page() or "customers"], query_params=session.pop_next_query()
    )

reasons = {"expired": t("session.expired")}
flash = session.pop_flash() or reasons.get(st.query_params.get("reason", ""))

st.title(t("app.name"))
st.caption(t("app.tagline"))
if flash:
    st.info(flash, icon=":material/info:")

login_box = st.empty()
with login_box.container(), st.form("login"):
    email = st.text_input(t("login.email"), autocomplete="email")
    password = st.text_input(t("login.password"), type="password", autocomplete="current-password")
    submitted = st.form_submit_button(t("login.submit"), type="primary")

if submitted:
    if not email.strip() or not password:
        st.error(t("login.missing"))
    else:
        try:
            with st.spinner(t("login.signing_in")):
                session.sign_in(email, password)
        except ApiError as error:
            session.show_error(error)
        else:
            login_box.empty()  # not left filled in while the signed-in page draws
            st.rerun()  # the router now registers the signed-in pages; this page then moves on
