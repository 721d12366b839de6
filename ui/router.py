"""The app's router: which pages exist for whom (st.navigation), the sidebar, and the session guard."""

from collections.abc import Callable

import streamlit as st

from spendscore_ui import session

st.set_page_config(page_title="SpendScore", page_icon=":material/insights:", layout="wide")
session.restore_from_cookie()

PROTECTED_PAGES = {
    # url path (file: session.PAGE_FILES): (title, icon, shown in the menu)
    "customers": ("Customers", ":material/group:", True),
    "customer": ("Customer", ":material/person:", False),
    "dashboard": ("Dashboard", ":material/monitoring:", True),
    "import": ("Import / export", ":material/swap_vert:", True),
    "model": ("Model", ":material/model_training:", True),
    "admin": ("Admin", ":material/admin_panel_settings:", True),
    "account": ("Account", ":material/account_circle:", True),
}


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
    login_page = st.Page(session.LOGIN_PAGE, title="Sign in", url_path="login", visibility="hidden")
    home = st.Page(_open("customers"), title="Home", url_path="home", default=True, visibility="hidden")
    current = st.navigation(
        {
            "Store": [home, pages["customers"], pages["customer"], pages["dashboard"], pages["import"]],
            "Model": [pages["model"]],
            "Settings": [pages["account"], pages["admin"], login_page],
        }
    )
    if current.url_path == "login":
        # Just signed in (or an old /login link): go on to the page the user asked for.
        st.switch_page(pages[session.pop_next_page() or "customers"])
    with st.sidebar:
        user = session.current_user()
        st.caption(f"Signed in as **{user.get('name') or user.get('email')}**")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            session.sign_out("You have signed out.")
            st.switch_page(session.LOGIN_PAGE)
else:
    login_page = st.Page(session.LOGIN_PAGE, title="Sign in", url_path="login")
    home = st.Page(_guard(None), title="Home", url_path="home", default=True)
    guards = [
        st.Page(_guard(url_path), title=title, url_path=url_path)
        for url_path, (title, _icon, _shown) in PROTECTED_PAGES.items()
    ]
    current = st.navigation([home, login_page, *guards], position="hidden")

session.emit_browser_redirect()
current.run()
