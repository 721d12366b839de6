"""The app's router: which pages exist for whom (st.navigation), the sidebar, and the session guard."""

from collections.abc import Callable

import streamlit as st

from spendscore_ui import i18n, session
from spendscore_ui.config import get_settings
from spendscore_ui.customer_form import HIDE_FIXED_ERRORS_SCRIPT
from spendscore_ui.i18n import t
from spendscore_ui.page_language import emit_page_language
from spendscore_ui.page_style import ROLE_REPAIRS_SCRIPT, emit_page_style
from spendscore_ui.session_watch import watch_account

# An emoji icon is drawn by the browser; a ":material/...:" page icon would be fetched from a font host.
st.set_page_config(page_title=t("app.name"), page_icon="📈", layout="wide")
session.restore_from_cookie()
emit_page_style()

PROTECTED_PAGES = {
    # url path (file: session.PAGE_FILES): (title, icon, shown in the menu)
    "customers": (t("nav.customers"), ":material/group:", True),
    "customer": (t("nav.customer"), ":material/person:", False),
    "deleted": (t("nav.deleted"), ":material/restore_from_trash:", True),
    "dashboard": (t("nav.dashboard"), ":material/monitoring:", True),
    "import": (t("nav.import"), ":material/swap_vert:", True),
    "model": (t("nav.model"), ":material/model_training:", True),
    "admin": (t("nav.admin"), ":material/admin_panel_settings:", True),
    "account": (t("nav.account"), ":material/account_circle:", True),
}


# On a narrow screen the sidebar covers the page: close it once a page is chosen. Streamlit does so
# itself only for a phone's user agent, not for a narrow desktop window (and the menu then hides the page).
_CLOSE_MENU_ON_NARROW_SCREENS = """<script>
(() => {
  if (window.spendscoreMenuCloser) return;
  window.spendscoreMenuCloser = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest('[data-testid="stSidebarNav"] a');
    const narrow = window.matchMedia("(max-width: 767.98px)").matches;
    if (!link || !narrow || /Mobi|Android|iPhone|iPad/i.test(navigator.userAgent)) return;
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    }, 0);
  }, true);
})();
</script>"""


def _language_switch() -> None:
    """The sidebar's language choice; remembered in a cookie across sign-ins."""

    def switch() -> None:
        i18n.set_locale(st.session_state["ui_language"])

    locale = i18n.current_locale()
    st.session_state["ui_language"] = locale
    st.selectbox(
        t("sidebar.language"),
        i18n.LOCALES,
        format_func=i18n.LANGUAGE_NAMES.__getitem__,
        key="ui_language",
        on_change=switch,
    )


# A page marked default is served at "/" only (its own url path is "not found"), so "/" is a small
# hidden page that forwards, and every real page keeps its stable URL.


def _guard(url_path: str | None) -> Callable[[], None]:
    """What a logged-out browser gets at a protected URL: the login page (then back there)."""

    def send_to_login() -> None:
        session.send_to_login(url_path)

    send_to_login.__name__ = f"guard_{url_path or 'home'}"
    return send_to_login


def _open(url_path: str) -> Callable[[], None]:
    def open_page() -> None:
        st.switch_page(session.PAGE_FILES[url_path])

    open_page.__name__ = f"open_{url_path}"
    return open_page


if session.is_signed_in():
    pages = {
        url_path: st.Page(
            session.PAGE_FILES[url_path],
            title=title,
            icon=icon,
            url_path=url_path,
            # Admin stays registered for everyone so that a non-admin reaching /admin by URL gets a
            # clear refusal from the page instead of "page not found"; only admins see it in the menu.
            visibility="visible" if shown and (url_path != "admin" or session.is_admin()) else "hidden",
        )
        for url_path, (title, icon, shown) in PROTECTED_PAGES.items()
    }
    login_page = st.Page(session.LOGIN_PAGE, title=t("nav.sign_in"), url_path="login", visibility="hidden")
    password_page = st.Page(
        session.NEW_PASSWORD_PAGE, title=t("new_password.title"), url_path="password", visibility="hidden"
    )
    home = st.Page(
        _open("customers"), title=t("nav.home"), url_path="home", default=True, visibility="hidden"
    )
    # One flat menu: Streamlit draws section titles as <p> inside the menu's <ul>, which screen readers
    # (and axe's "list" rule) take for broken list markup.
    current = st.navigation(
        [
            home,
            pages["customers"],
            pages["customer"],
            pages["deleted"],
            pages["dashboard"],
            pages["import"],
            pages["model"],
            pages["account"],
            pages["admin"],
            login_page,
            password_page,
        ],
        # Nor in the run right after sign-in, which only moves on from /login to the page asked for: its
        # menu would flash beside the login form.
        position="hidden" if session.pop_arriving() or session.must_change_password() else "sidebar",
    )
    if session.must_change_password():
        # An admin reset the password: nothing else until the user has chosen a new one.
        if current.url_path != "password":
            st.switch_page(password_page)
    elif current.url_path in ("login", "password"):
        # Just signed in (or an old /login link): go on to the page (and query) the user asked for.
        next_page = pages[session.pop_next_page() or "customers"]
        st.switch_page(next_page, query_params=session.pop_next_query())
    with st.sidebar:
        user = session.current_user()
        st.caption(t("sidebar.signed_in_as"))
        st.text(user.get("name") or user.get("email"))  # typed by a user: plain text, never Markdown
        if st.button(t("sidebar.sign_out"), icon=":material/logout:", key="sign_out"):
            session.sign_out(t("session.signed_out"))
            st.switch_page(session.LOGIN_PAGE)
        _language_switch()
        st.html(_CLOSE_MENU_ON_NARROW_SCREENS, unsafe_allow_javascript=True)
        st.html(HIDE_FIXED_ERRORS_SCRIPT, unsafe_allow_javascript=True)
        st.html(ROLE_REPAIRS_SCRIPT, unsafe_allow_javascript=True)
        emit_page_language()
        watch_account()
else:
    login_page = st.Page(session.LOGIN_PAGE, title=t("nav.sign_in"), url_path="login")
    home = st.Page(_guard(None), title=t("nav.home"), url_path="home", default=True)
    guards = [
        st.Page(_guard(url_path), title=title, url_path=url_path)
        for url_path, (title, _icon, _shown) in PROTECTED_PAGES.items()
    ]
    current = st.navigation([home, login_page, *guards], position="hidden")

    with st.sidebar:
        _language_switch()
        emit_page_language()

session.emit_browser_call()
session.emit_pending_toast()
i18n.emit_language_cookie(secure=get_settings().cookie_secure)
current.run()
