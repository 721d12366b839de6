"""Login flow, the guard on protected pages, and session expiry (AppTest against the fake services)."""

import socket

from streamlit.testing.v1 import AppTest


def texts(at: AppTest) -> str:
    parts = [
        element.value
        for kind in ("markdown", "info", "error", "warning", "success", "caption", "title")
        for element in at.get(kind)
        if isinstance(getattr(element, "value", None), str)
    ]
    return "\n".join(parts)


def test_logged_out_visitor_sees_the_login_form(app_test):
    app_test.run()
    assert not app_test.exception
    assert [field.label for field in app_test.text_input] == ["Email", "Password"]
    assert app_test.button[0].label == "Sign in"


def test_sign_in_opens_customers_and_hands_the_token_only_to_a_cookie_route(app_test, submit_login, fake):
    app_test.run()
    submit_login(app_test, "owner@example.com", "owner-password")
    assert not app_test.exception
    assert app_test.title[0].value == "Customers"
    # The page posts a single-use code to the cookie route in the background, never the token.
    scripts = [element.proto.body for element in app_test.get("html")]
    assert any('fetch("/session/start"' in body and '\\"code\\": ' in body for body in scripts), scripts
    token = next(iter(fake.valid_tokens))
    assert all(token not in body for body in scripts)
    assert token not in texts(app_test)
    # Every call carried the bearer token and a request id.
    customer_calls = [call for call in fake.requests if call["path"] == "/customers"]
    assert customer_calls and all(call["authorization"] == f"Bearer {token}" for call in customer_calls)
    assert all(call["request_id"] for call in fake.requests)


def test_wrong_password_is_a_readable_error(app_test, submit_login):
    app_test.run()
    submit_login(app_test, "owner@example.com", "wrong-password")
    assert not app_test.exception
    assert [error.value for error in app_test.error] == ["Wrong email or password."]
    assert [field.label for field in app_test.text_input] == ["Email", "Password"]


def test_protected_page_without_session_goes_to_login_then_back(signed_in, submit_login):
    signed_in.switch_page("app_pages/dashboard.py").run()
    assert signed_in.title[0].value == "Dashboard", (signed_in.error, signed_in.info, signed_in.exception)
    # The session is gone (e.g. a new browser tab at /dashboard): the page sends to the login page.
    del signed_in.session_state["auth_token"]
    signed_in.run()
    assert [field.label for field in signed_in.text_input] == ["Email", "Password"]
    # (A browser's URL is now /login; AppTest keeps the requested page, so say where we are.)
    signed_in.switch_page("app_pages/login.py").run()
    submit_login(signed_in, "owner@example.com", "owner-password")
    assert signed_in.title[0].value == "Dashboard", (signed_in.error, signed_in.info, signed_in.exception)


def test_expired_token_sends_back_to_login_with_a_message(signed_in, fake):
    fake.expire_all_tokens()
    signed_in.run()
    assert not signed_in.exception
    assert [field.label for field in signed_in.text_input] == ["Email", "Password"]
    assert "Your session expired, please sign in again." in [info.value for info in signed_in.info]
    scripts = [element.proto.body for element in signed_in.get("html")]
    assert any('fetch("/session/end"' in body for body in scripts)


def test_sign_out_clears_the_session_and_the_cookie(signed_in):
    signed_in.sidebar.button[0].click().run()
    assert [field.label for field in signed_in.text_input] == ["Email", "Password"]
    assert "auth_token" not in signed_in.session_state
    scripts = [element.proto.body for element in signed_in.get("html")]
    assert any('fetch("/session/end"' in body for body in scripts)
    signed_in.run()
    assert [field.label for field in signed_in.text_input] == ["Email", "Password"]


def test_service_down_shows_a_banner_not_a_traceback(signed_in, monkeypatch):
    from spendscore_ui.config import get_settings

    with socket.socket() as probe:  # a port nothing listens on: the customers service is down
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("CUSTOMERS_URL", f"http://127.0.0.1:{probe.getsockname()[1]}")
    get_settings.cache_clear()
    signed_in.run()
    assert not signed_in.exception
    # The page's first read (the store's income unit, then the customers) says why, once.
    [warning] = signed_in.warning
    assert warning.value.endswith(
        ": The customers service is not reachable right now. Please try again shortly."
    )
