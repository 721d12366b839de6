"""The refresh cookie: signature, expiry, revocation, single-use codes and the two server routes."""

import time

import httpx
import jwt
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette

from spendscore_ui.api_client import describe_error
from spendscore_ui.config import UISettings
from spendscore_ui.session_cookie import (
    COOKIE_NAME,
    HandoffCodes,
    SessionCookieSigner,
    handoff_codes,
    revoked_sessions,
    session_routes,
)


def make_token(lifetime: int = 7200) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "u1", "exp": now + lifetime, "iat": now}, "k" * 32, algorithm="HS256")


def test_sealed_cookie_opens_with_the_same_secret_only():
    token = make_token()
    value, cookie = SessionCookieSigner("secret-one").seal(token)
    assert token not in value.split(".")[1]
    opened = SessionCookieSigner("secret-one").open(value)
    assert opened is not None and opened.token == token and opened.session_id == cookie.session_id
    assert SessionCookieSigner("secret-two").open(value) is None


def test_tampered_or_garbage_cookie_is_refused():
    signer = SessionCookieSigner("secret")
    value, _cookie = signer.seal(make_token())
    payload, mac = value.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (f"{flipped}.{mac}", f"{payload}.{mac[:-1]}", "", "no-dot", "a.b.c", None):
        assert signer.open(bad) is None


def test_cookie_expires_with_the_token():
    signer = SessionCookieSigner("secret")
    value, cookie = signer.seal(make_token(lifetime=60))
    assert cookie.expires_at <= time.time() + 60
    assert signer.open(value, now=time.time() + 30) is not None
    assert signer.open(value, now=time.time() + 61) is None


def test_cookie_lifetime_is_capped_at_two_hours():
    _value, cookie = SessionCookieSigner("secret").seal(make_token(lifetime=30 * 24 * 3600))
    assert cookie.expires_at <= time.time() + 2 * 3600 + 1


def test_signed_out_cookie_is_refused():
    signer = SessionCookieSigner("secret")
    value, cookie = signer.seal(make_token())
    revoked_sessions.add(cookie.session_id, cookie.expires_at)
    assert signer.open(value) is None


def test_handoff_codes_are_single_use_and_short_lived():
    codes = HandoffCodes(lifetime=0.2)
    code = codes.issue("cookie-value")
    assert codes.redeem(code) == "cookie-value"
    assert codes.redeem(code) is None
    late = codes.issue("other")
    time.sleep(0.3)
    assert codes.redeem(late) is None
    assert codes.redeem("never-issued") is None


def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(Starlette(routes=session_routes()))
    return httpx.AsyncClient(transport=transport, base_url="http://ui.test", follow_redirects=False)


async def test_start_route_sets_an_httponly_strict_cookie_and_redirects():
    code = handoff_codes.issue("sealed-value")
    response = await client().get("/session/start", params={"code": code, "next": "/customers"})
    assert response.status_code == 303
    assert response.headers["location"] == "/customers"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=sealed-value;")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    assert "Secure" not in set_cookie
    assert response.headers["cache-control"] == "no-store"
    # The code is spent: a replay gets no cookie.
    replay = await client().get("/session/start", params={"code": code, "next": "/customers"})
    assert replay.headers["location"] == "/login" and "set-cookie" not in replay.headers


async def test_start_route_marks_the_cookie_secure_behind_https():
    code = handoff_codes.issue("sealed-value")
    response = await client().get(
        "/session/start", params={"code": code, "next": "/"}, headers={"X-Forwarded-Proto": "https"}
    )
    assert "Secure" in response.headers["set-cookie"]


async def test_start_route_never_redirects_off_site():
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "customers"):
        code = handoff_codes.issue("sealed-value")
        response = await client().get("/session/start", params={"code": code, "next": target})
        assert response.headers["location"] == "/"


async def test_end_route_clears_the_cookie():
    response = await client().get("/session/end", params={"reason": "expired"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=expired"
    assert (
        f'{COOKIE_NAME}="";' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )


class FakeResponse:
    def __init__(self, status_code: int, body: object, headers: dict[str, str] | None = None):
        self.status_code = status_code
        self._body = body
        self.headers = headers or {}

    def json(self) -> object:
        return self._body


def test_a_422_names_the_field_with_a_readable_label():
    message, problems = describe_error(
        FakeResponse(422, {"detail": [{"loc": ["body", "annual_income"], "msg": "must not be negative"}]})
    )
    assert message == "Please correct: Annual income (k$): must not be negative"
    assert problems[0].field == "annual_income"


def test_row_errors_keep_their_row_numbers():
    body = {
        "detail": {
            "message": "2 rows are not valid",
            "errors": [{"row": 3, "field": "age", "message": "too old"}],
        }
    }
    message, problems = describe_error(FakeResponse(422, body))
    assert message == "2 rows are not valid"
    assert str(problems[0]) == "row 3, Age: too old"


def test_throttled_login_says_when_to_retry():
    message, _problems = describe_error(
        FakeResponse(429, {"detail": "Too many failed attempts"}, {"Retry-After": "30"})
    )
    assert message == "Too many failed attempts. Please try again in 30 seconds."


def test_production_refuses_to_start_without_a_cookie_secret(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("UI_COOKIE_SECRET", raising=False)
    with pytest.raises(ValidationError, match="UI_COOKIE_SECRET must be set"):
        UISettings()
    monkeypatch.setenv("UI_COOKIE_SECRET", "s" * 40)
    assert UISettings().cookie_secret.get_secret_value() == "s" * 40
