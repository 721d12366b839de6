"""The signed-in user's session in Streamlit: token in st.session_state, guards, sign-in/out, error display.

The token lives only in ``st.session_state`` (server memory) and in the HttpOnly cookie that
``session_cookie`` seals; it is never rendered, logged or handed to page scripts.
"""

import json
import logging
from typing import Any, NoReturn

import jwt
import streamlit as st

from spendscore_ui import i18n, ui_nonces
from spendscore_ui.api_client import ApiClient, ApiError, ServiceUnavailable, SessionExpired
from spendscore_ui.config import get_settings
from spendscore_ui.session_cookie import (
    BROWSER_COOKIE,
    COOKIE_NAME,
    DEVICE_COOKIE,
    END_PATH,
    SESSION_HEADER,
    START_PATH,
    Handoff,
    handoff_codes,
    process_sealer,
    revoked_sessions,
)

logger = logging.getLogger(__name__)

LOGIN_PAGE = "app_pages/login.py"
NEW_PASSWORD_PAGE = "app_pages/new_password.py"
PAGE_FILES = {
    "customers": "app_pages/customers.py",
    "customer": "app_pages/customer.py",
    "deleted": "app_pages/deleted.py",
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
_NEXT_QUERY = "auth_next_query"
_MUST_CHANGE_PASSWORD = "auth_must_change_password"
_BROWSER_CALL = "auth_browser_call"
_TOAST = "auth_toast"
_CURRENT_PAGE = "auth_current_page"
_ARRIVING = "auth_arriving"  # the run right after sign-in, still on /login, that moves on to the page


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


def update_profile(*, name: str, email: str) -> None:
    """After the user changed their own name or email: show the new ones (the token's claims are older)."""
    user = current_user()
    st.session_state[_USER] = {**user, "name": name or email, "email": email}


def client() -> ApiClient:
    """An API client for this session (with its token when signed in)."""
    return ApiClient(get_settings(), st.session_state.get(_TOKEN), language=i18n.current_locale())


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
    cookie = process_sealer().open(st.context.cookies.get(COOKIE_NAME))
    if cookie is None:
        return
    # Signed out on another replica? Auth knows. When auth cannot say, the cookie is trusted as before:
    # the services still refuse a token that auth revoked.
    if ui_nonces.is_spent(cookie.token, cookie.session_id):
        return
    _set_user(cookie.token)
    st.session_state[_COOKIE] = (cookie.session_id, cookie.expires_at)


def _context_cookie(name: str) -> str | None:
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def _hand_off(new_token: str, *, device_token: str | None = None) -> None:
    """Seal the token into a cookie value and have this browser fetch it from the cookie route in the
    background (no page load); the code only works for this browser."""
    cookie_value, cookie = process_sealer().seal(new_token)
    st.session_state[_COOKIE] = (cookie.session_id, cookie.expires_at)
    code = handoff_codes.issue(Handoff(cookie_value, device_token), browser=_context_cookie(BROWSER_COOKIE))
    st.session_state[_BROWSER_CALL] = (START_PATH, {"code": code})


def sign_in(email: str, password: str) -> None:
    """Log in against auth (raises ApiError) with this browser's device token; keep the token and hand
    the cookie over in the background. The page asked for before sign-in comes next (``pop_next_page``)."""
    # Streamlit gives None for a browser on this machine (and no str under AppTest): that browser's
    # address is the loopback's. Always forwarded, so auth never counts a browser against the UI itself.
    address = st.context.ip_address
    login = ApiClient(get_settings(), language=i18n.current_locale()).login(
        email.strip(),
        password,
        browser_address=address if isinstance(address, str) else "127.0.0.1",
        device_token=_context_cookie(DEVICE_COOKIE),
    )
    _set_user(login.access_token)
    st.session_state.pop(_SIGNED_OUT, None)
    st.session_state[_ARRIVING] = True
    if login.must_change_password:
        st.session_state[_MUST_CHANGE_PASSWORD] = True
    _hand_off(login.access_token, device_token=login.device_token)
    logger.info("user signed in")


def pop_arriving() -> bool:
    """True once, in the run right after sign-in: the router draws no menu in that passing frame."""
    return bool(st.session_state.pop(_ARRIVING, False))


def replace_token(new_token: str) -> None:
    """After a password change: continue with the fresh token (the old one is revoked), in the cookie too."""
    _revoke_cookie()
    _set_user(new_token)
    _hand_off(new_token)


def _revoke_cookie() -> None:
    """The session's cookie is signed out here at once, and at auth for every other UI replica."""
    cookie = st.session_state.get(_COOKIE)
    if not cookie:
        return
    revoked_sessions.add(cookie[0], cookie[1])
    session_token = token()
    if session_token:
        ui_nonces.spend(session_token, cookie[0], cookie[1])


def must_change_password() -> bool:
    return bool(st.session_state.get(_MUST_CHANGE_PASSWORD))


def require_new_password() -> NoReturn:
    """Auth says this user must choose a new password first (an admin reset it): show that form."""
    st.session_state[_MUST_CHANGE_PASSWORD] = True
    st.rerun()


def password_changed(new_token: str | None) -> None:
    st.session_state.pop(_MUST_CHANGE_PASSWORD, None)
    if new_token:
        replace_token(new_token)


def sign_out(message: str | None = None) -> None:
    """Forget the token, revoke the cookie and have the browser drop it; the next run shows login."""
    _revoke_cookie()
    for key in (_TOKEN, _USER, _COOKIE, _NEXT_PAGE, _NEXT_QUERY, _MUST_CHANGE_PASSWORD):
        st.session_state.pop(key, None)
    st.session_state[_SIGNED_OUT] = True
    if message:
        st.session_state[_FLASH] = message
    st.session_state[_BROWSER_CALL] = (END_PATH, {})


# Auth's reason for refusing a token (its ``code``) and what the user is told (issue 23).
_END_REASONS = {
    "account_deactivated": "session.ended.deactivated",
    "account_deleted": "session.ended.deleted",
    "password_reset": "session.ended.password_reset",
    "session_revoked": "session.ended.revoked",
}


def _ending_message(error: ApiError | None) -> str:
    """Why the session ended: auth's reason when it gave one; customers and inference only know that the
    token is void, so then auth is asked once; "expired" when nobody says more."""
    code = error.code if error is not None else None
    if code not in _END_REASONS and token():
        try:
            client().me()
        except SessionExpired as from_auth:
            code = from_auth.code
        except ApiError:
            pass
    return i18n.t(_END_REASONS.get(str(code), "session.expired"))


def expire_session(error: ApiError | None = None) -> NoReturn:
    """A 401 from a service: back to the login page with the reason, then to this same page (and
    query, e.g. the customer's id) after signing in again."""
    page = st.session_state.get(_CURRENT_PAGE)
    sign_out(_ending_message(error))
    send_to_login(page if isinstance(page, str) and page in PAGE_FILES else None)


def send_to_login(next_page: str | None) -> NoReturn:
    """To the login page, remembering the page and its query (``/customer?id=...``) to open after it."""
    if next_page:
        st.session_state[_NEXT_PAGE] = next_page
        st.session_state[_NEXT_QUERY] = {key: st.query_params[key] for key in st.query_params}
    st.switch_page(LOGIN_PAGE)


def pop_next_page() -> str | None:
    value = st.session_state.pop(_NEXT_PAGE, None)
    return value if isinstance(value, str) and value in PAGE_FILES else None


def pop_next_query() -> dict[str, str]:
    """The query the page asked for before sign-in had (e.g. ``{"id": ...}``), once."""
    value = st.session_state.pop(_NEXT_QUERY, None)
    if not isinstance(value, dict):
        return {}
    return {str(key): str(item) for key, item in value.items()}


def toast_next(message: str) -> None:
    """A short confirmation to show (as a toast) on whichever page the next run draws."""
    st.session_state[_TOAST] = message


def emit_pending_toast() -> None:
    message = st.session_state.pop(_TOAST, None)
    if isinstance(message, str):
        st.toast(message, icon=":material/check_circle:")


def pop_flash() -> str | None:
    value = st.session_state.pop(_FLASH, None)
    return value if isinstance(value, str) else None


def emit_browser_call() -> None:
    """Have the browser post to a pending cookie route (sign-in hand-off or sign-out) in the background:
    same origin, with the header the routes require, no navigation. Only the single-use code travels;
    the token never reaches the page."""
    pending = st.session_state.pop(_BROWSER_CALL, None)
    if not pending:
        return
    path, body = pending
    options = {
        "method": "POST",
        "credentials": "same-origin",
        "headers": {"Content-Type": "application/json", SESSION_HEADER: "1"},
        "body": json.dumps(body),
    }
    st.html(
        f"<script>fetch({json.dumps(path)}, {json.dumps(options)});</script>",
        unsafe_allow_javascript=True,
    )


def require_login(url_path: str) -> None:
    """Every protected page calls this first (st.navigation is not the only way in)."""
    if not is_signed_in():
        send_to_login(url_path)
    st.session_state[_CURRENT_PAGE] = url_path


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
        expire_session(error)
    if error.status_code == 403 and error.code == "password_change_required":
        require_new_password()
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
