"""Entry point (`streamlit run ui/streamlit_app.py`): the router script plus the session-cookie routes.

`streamlit run` sees the `st.App` below and serves it with uvicorn: Streamlit's own routes, the two
server routes that set and clear the HttpOnly session cookie, and the middleware that forbids framing and
gives each browser the cookie sign-in codes are bound to (see spendscore_ui.session_cookie).
"""

import streamlit as st
from pydantic import ValidationError

from spendscore_ui.config import get_settings
from spendscore_ui.json_logs import configure_ui_logging
from spendscore_ui.session_cookie import session_routes, ui_middleware
from spendscore_ui.tracing import configure_tracing

try:
    settings = get_settings()
except ValueError as error:  # one clear line instead of a traceback (e.g. production without a secret)
    # A validation error names its first problem; an unreadable UI_COOKIE_SECRET_FILE is its own message.
    text = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
    message = text.removeprefix("Value error, ")
    raise SystemExit(f"spendscore-ui: bad configuration: {message}") from None
configure_ui_logging(settings.log_level)
configure_tracing()

app = st.App(
    "router.py",
    routes=session_routes(secure=settings.cookie_secure),
    middleware=ui_middleware(secure=settings.cookie_secure),
)
