"""The signed-in user's session in Streamlit: token in st.session_state, guards, sign-in/out, error display.

The token lives only in ``st.session_state`` (server memory) and in the HttpOnly cookie that
``session_cookie`` seals; it is never rendered, logged or handed to page scripts.
"""

import logging
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import urlencode

import jwt
import streamlit as st

from spendscore_ui import i18n
from spendscore_ui.api_client import ApiClient, ApiError, ServiceUnavailable, SessionExpired
from spendscore_ui.config import get_settings
from spendscore_ui.session_cookie import (
    COOKIE_NAME,
    END_PATH,
    START_PATH,
    SessionCookieSealer,
    handoff_codes,
    revoked_sessions,
)

logger = logging.getLogger(__name__)

LOGIN_PAGE = "app_pages/login.py"
PAGE_FILES = {
    "customers": "app_pages/customers.py",
    "customer": "app_pages/customer.py",
    "dashboard": "app_pages/dashboard.py",
    "import": "app_pages/import_export.py",
    "model": "app_pages/model.py",
    "admin": "app_pages/admin.py",
    "account": "app_pages/account.py",
}

_TOKEN = "auth_token"
_USER = "auth_user"
_COOKIE = "auth_cookie"  # (session id, expiry) of the cookie made at sign-in, to revoke it at sign-out
_SIGNED_OUT = "auth_signed_out"
_NEXT_PAGE = "auth_next_page"
_FLASH = "auth_flash"
_BROWSER_REDIRECT = "auth_browser_redirect"


@lru_cache(maxsize=1)
def _sealer() -> SessionCookieSealer:
    return SessionCookieSealer(get_settings().cookie_secret.get_secret_value())


def _claims(token: str) -> dict[str, Any]:
    """Display data from the token (the services verify it; the UI only needs name, email, roles)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims


def _set_user(token: str) -> None:
    claims = _claims(token)
    st.session_state[_TOKEN] = token
    st.session_state[_USER] = {
        "id": claims.get("sub"),
        "email": claims.get("email", ""),
        "name": claims.get("name") or claims.get("email", ""),
        "roles": list(claims.get("roles") or []),
    }


def client() -> ApiClient:
    """An API client for this session (with its token when signed in)."""
    return ApiClient(get_settings(), st.session_state.get(_TOKEN))


def token() -> str | None:
    value = st.session_state.get(_TOKEN)
    return value if isinstance(value, str) else None


def is_signed_in() -> bool:
    return token() is not None


def current_user() -> dict[str, Any]:
    user: dict[str, Any] = st.session_state.get(_USER) or {}
    return user


def is_admin() -> bool:
    return "admin" in current_user().get("roles", [])


def restore_from_cookie() -> None:
    """After a browser refresh: trust the HttpOnly cookie only if it decrypts, has not expired and was not
    signed out."""
    if is_signed_in() or st.session_state.get(_SIGNED_OUT):
        return
    cookie = _sealer().open(st.context.cookies.get(COOKIE_NAME))
    if cookie is None:
        return
    _set_user(cookie.token)
    st.session_state[_COOKIE] = (cookie.session_id, cookie.expires_at)


def sign_in(email: str, password: str) -> None:
    """Log in against auth (raises ApiError); keep the token and arrange the cookie hand-off to the
    page the user asked for (the customers list by default)."""
    address = st.context.ip_address  # None when unknown (and not a str under AppTest)
    new_token = ApiClient(get_settings()).login(
        email.strip(), password, browser_address=address if isinstance(address, str) else None
    )
    next_page = st.session_state.get(_NEXT_PAGE) or "customers"
    _set_user(new_token)
    st.session_state.pop(_SIGNED_OUT, None)
    cookie_value, cookie = _sealer().seal(new_token)
    st.session_state[_COOKIE] = (cookie.session_id, cookie.expires_at)
    code = handoff_codes.issue(cookie_value)
    target = "/" + next_page
    st.session_state[_BROWSER_REDIRECT] = f"{START_PATH}?{urlencode({'code': code, 'next': target})}"
    logger.info("user signed in")


def sign_out(message: str | None = None, *, reason: str | None = None) -> None:
    """Forget the token, revoke the cookie and have the browser drop it; the next run shows login."""
    cookie = st.session_state.get(_COOKIE)
    if cookie:
        revoked_sessions.add(cookie[0], cookie[1])
    for key in (_TOKEN, _USER, _COOKIE, _NEXT_PAGE):
        st.session_state.pop(key, None)
    st.session_state[_SIGNED_OUT] = True
    if message:
        st.session_state[_FLASH] = message
    query = f"?{urlencode({'reason': reason})}" if reason else ""
    st.session_state[_BROWSER_REDIRECT] = END_PATH + query


def expire_session() -> NoReturn:
    """A 401 from a service: back to the login page with a clear message."""
    sign_out(i18n.t("session.expired"), reason="expired")
    st.switch_page(LOGIN_PAGE)


def send_to_login(next_page: str | None) -> NoReturn:
    if next_page:
        st.session_state[_NEXT_PAGE] = next_page
    st.switch_page(LOGIN_PAGE)


def pop_next_page() -> str | None:
    value = st.session_state.pop(_NEXT_PAGE, None)
    return value if isinstance(value, str) and value in PAGE_FILES else None


def pop_flash() -> str | None:
    value = st.session_state.pop(_FLASH, None)
    return value if isinstance(value, str) else None


def emit_browser_redirect() -> None:
    """Send the browser to a pending cookie route (sign-in hand-off or sign-out). Only the single-use
    code or nothing travels in the URL; the token never reaches the page."""
    target = st.session_state.pop(_BROWSER_REDIRECT, None)
    if target:
        st.html(
            f"<script>window.location.replace({target!r});</script>",
            unsafe_allow_javascript=True,
        )


def require_login(url_path: str) -> None:
    """Every protected page calls this first (st.navigation is not the only way in)."""
    if not is_signed_in():
        send_to_login(url_path)


def require_admin() -> None:
    require_login("admin")
    if not is_admin():
        st.error(i18n.t("session.admin_only"), icon=":material/block:")
        st.stop()


def error_sentence(error: ApiError, *, context: str | None = None) -> str:
    """The error as one sentence in the user's language, after ``context`` (already translated)."""
    message = i18n.error_text(error)
    return i18n.t("error.context", context=context, message=message) if context else message


def show_error(error: ApiError, *, context: str | None = None) -> None:
    """Show a service error as a plain sentence in the user's language; a 401 ends the session instead.

    ``context`` is a translated phrase such as ``t("admin.could_not_create")``."""
    if isinstance(error, SessionExpired):
        expire_session()
    if isinstance(error, ServiceUnavailable):
        st.warning(error_sentence(error, context=context), icon=":material/cloud_off:")
        return
    st.error(error_sentence(error, context=context), icon=":material/error:")


def fail(error: ApiError, *, context: str | None = None) -> NoReturn:
    """Show the error and stop the page (for loads without which the page has nothing to show)."""
    show_error(error, context=context)
    st.stop()


def format_timestamp(value: object) -> str:
    """A service timestamp for display (kept for the pages; see ``i18n.format_datetime``)."""
    return i18n.format_datetime(value)
