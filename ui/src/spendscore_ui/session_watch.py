"""An idle page still learns that its account was deactivated, deleted or had its password reset: a
fragment asks auth every few seconds and ends the session with auth's reason (issue 23)."""

import streamlit as st

from spendscore_ui import session
from spendscore_ui.api_client import ApiError, SessionExpired

# Auth says why within this many seconds of the change, even when nobody clicks (the issue asks 10 s).
WATCH_SECONDS = 4


@st.fragment(run_every=WATCH_SECONDS)
def watch_account() -> None:
    """Call once per run while signed in (it draws nothing)."""
    if not session.is_signed_in():
        return
    try:
        session.client().me()
    except SessionExpired as error:
        session.expire_session(error)
    except ApiError:
        pass  # auth unreachable for a moment: the next look (or the next click) tells
