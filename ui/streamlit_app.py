"""Entry point (`python -m spendscore_ui.serve ui/streamlit_app.py`, i.e. `streamlit run` with bounds on slow
clients): the router script plus the session-cookie routes.

`streamlit run` sees the `st.App` below and serves it with uvicorn: Streamlit's own routes, the two
server routes that set and clear the HttpOnly session cookie, and the middleware that forbids framing and
gives each browser the cookie sign-in codes are bound to (see spendscore_ui.session_cookie).
"""

import streamlit as st

from spendscore_ui.config import settings_or_exit
from spendscore_ui.json_logs import configure_ui_logging
from spendscore_ui.session_cookie import session_routes, ui_middleware
from spendscore_ui.tracing import configure_tracing

settings = settings_or_exit()
configure_ui_logging(settings.log_level)
configure_tracing()

app = st.App(
    "router.py",
    routes=session_routes(secure=settings.cookie_secure),
    middleware=ui_middleware(secure=settings.cookie_secure),
)
