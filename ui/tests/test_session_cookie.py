"""The refresh cookie: encryption, expiry, revocation, single-use codes, the two server routes, settings."""

import base64
import time

import httpx
import jwt
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette

from customers_service.schemas import ImportProblem
from spendscore_ui.api_client import describe_error
from spendscore_ui.config import UISettings, get_settings
from spendscore_ui.session_cookie import (
    BROWSER_COOKIE,
    COOKIE_NAME,
    DEVICE_COOKIE,
    END_PATH,
    SESSION_HEADER,
    START_PATH,
    Handoff,
    HandoffCodes,
    SessionCookieSealer,
    handoff_codes,
    process_sealer,
    revoked_sessions,
    session_routes,
    ui_middleware,
)
from testkit.stack import LocalStack


@pytest.fixture(scope="module")
def live_auth(stack) -> LocalStack:
    """The session's real auth service (the rest of its stack is not needed here)."""
    stack.start("auth")
    return stack


@pytest.fixture(scope="module")
def live_account(live_auth):
    """A real account on the real auth service, which records the sign-in codes used."""
    return live_auth.create_user()


@pytest.fixture
def live_cookie(live_account, live_auth, monkeypatch) -> str:
    """A session cookie value sealed by this process for the real account's real token; the UI's
    settings point at the real auth."""
    monkeypatch.setenv("AUTH_URL", live_auth.urls["auth"])
    get_settings.cache_clear()
    process_sealer.cache_clear()
    value, _cookie = process_sealer().seal(live_account.token)
    return value


def make_token(lifetime: int = 7200) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "u1", "exp": now + lifetime, "iat": now}, "k" * 32, algorithm="HS256")


def test_sealed_cookie_hides_the_token(cookie_decodings):
    token = make_token()
    sealer = SessionCookieSealer("secret-one")
    value, _cookie = sealer.seal(token)
    claims_segment = token.split(".")[1]  # the token's claims, as they would appear base64-encoded
    for form in cookie_decodings(value):
        assert token.encode() not in form and claims_segment.encode() not in form
    # A fresh nonce each time: sealing the same token twice gives unrelated values.
    assert sealer.seal(token)[0] != value


def test_sealed_cookie_opens_with_the_same_secret_only():
    token = make_token()
    value, cookie = SessionCookieSealer("secret-one").seal(token)
    opened = SessionCookieSealer("secret-one").open(value)
    assert opened is not None and opened == cookie and opened.token == token
    assert SessionCookieSealer("secret-two").open(value) is None


def test_tampered_or_garbage_cookie_is_refused():
    sealer = SessionCookieSealer("secret")
    value, _cookie = sealer.seal(make_token())
    assert sealer.open(value) is not None
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    flipped = [  # one bit changed in the nonce, the ciphertext and the tag
        base64.urlsafe_b64encode(raw[:index] + bytes([raw[index] ^ 1]) + raw[index + 1 :]).decode()
        for index in (0, 20, len(raw) - 1)
    ]
    for bad in (*flipped, value[:-2], value + "AA", "", "no-dot", "a.b.c", "é", None):
        assert sealer.open(bad) is None


def test_cookie_expires_with_the_token():
    sealer = SessionCookieSealer("secret")
    value, cookie = sealer.seal(make_token(lifetime=60))
    assert cookie.expires_at <= time.time() + 60
    assert sealer.open(value, now=time.time() + 30) is not None
    assert sealer.open(value, now=time.time() + 61) is None


def test_cookie_lifetime_is_capped_at_two_hours():
    value, cookie = SessionCookieSealer("secret").seal(make_token(lifetime=30 * 24 * 3600))
    assert cookie.expires_at <= time.time() + 2 * 3600 + 1
    assert SessionCookieSealer("secret").open(value, now=time.time() + 2 * 3600 + 2) is None


def test_signed_out_cookie_is_refused():
    sealer = SessionCookieSealer("secret")
    value, cookie = sealer.seal(make_token())
    revoked_sessions.add(cookie.session_id, cookie.expires_at)
    assert sealer.open(value) is None


def test_handoff_codes_are_single_use_short_lived_and_bound_to_one_browser(live_cookie):
    codes = HandoffCodes(lifetime=0.5)
    code = codes.issue(Handoff(live_cookie), browser="browser-a")
    assert codes.redeem(code, browser="browser-a") == Handoff(live_cookie)
    assert codes.redeem(code, browser="browser-a") is None
    late = codes.issue(Handoff(live_cookie), browser="browser-a")
    time.sleep(0.6)
    assert codes.redeem(late, browser="browser-a") is None
    assert codes.redeem("never-issued", browser="browser-a") is None
    # Login CSRF: another browser (or one without its browser cookie) cannot use the code, which is
    # then spent for the right browser too.
    stolen = codes.issue(Handoff(live_cookie), browser="browser-a")
    assert codes.redeem(stolen, browser="browser-b") is None
    assert codes.redeem(stolen, browser="browser-a") is None
    unbound = codes.issue(Handoff(live_cookie), browser=None)
    assert codes.redeem(unbound, browser=None) is None


def test_a_code_is_redeemed_once_whichever_replica_sees_it(live_cookie):
    """Two UI replicas (two HandoffCodes, the same secret): the code issued by one works on the
    other, once; auth remembers it was used."""
    issuing, redeeming = HandoffCodes(), HandoffCodes()
    code = issuing.issue(Handoff(live_cookie), browser="browser-a")
    assert redeeming.redeem(code, browser="browser-a") == Handoff(live_cookie)
    assert issuing.redeem(code, browser="browser-a") is None
    assert redeeming.redeem(code, browser="browser-a") is None
    # A code sealed under another secret (another deployment) opens nowhere here.
    foreign = issuing.issue(Handoff(live_cookie), browser="browser-a", sealer=SessionCookieSealer("x" * 32))
    assert redeeming.redeem(foreign, browser="browser-a") is None


def client(*, secure: bool = False, browser: str | None = "browser-1") -> httpx.AsyncClient:
    app = Starlette(routes=session_routes(secure=secure), middleware=ui_middleware(secure=secure))
    cookies = {BROWSER_COOKIE: browser} if browser else None
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://ui.test", follow_redirects=False, cookies=cookies
    )


PAGE_SCRIPT = {SESSION_HEADER: "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://ui.test"}


async def test_start_route_sets_an_httponly_strict_cookie_for_the_browser_that_signed_in(live_cookie):
    code = handoff_codes.issue(Handoff(live_cookie), browser="browser-1")
    response = await client().post(START_PATH, json={"code": code}, headers=PAGE_SCRIPT)
    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}={live_cookie};")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie
    assert "Secure" not in set_cookie
    assert response.headers["cache-control"] == "no-store"
    # The code is spent: a replay gets no cookie.
    replay = await client().post(START_PATH, json={"code": code}, headers=PAGE_SCRIPT)
    assert replay.status_code == 403 and "set-cookie" not in replay.headers


async def test_start_route_refuses_a_code_replayed_into_another_browser(live_cookie):
    """Login CSRF: the attacker's own code, sent on to a victim's browser, signs nobody in."""
    code = handoff_codes.issue(Handoff(live_cookie), browser="attacker-browser")
    response = await client(browser="victim-browser").post(
        START_PATH, json={"code": code}, headers=PAGE_SCRIPT
    )
    assert response.status_code == 403 and "set-cookie" not in response.headers
    no_cookie = handoff_codes.issue(Handoff(live_cookie), browser="attacker-browser")
    response = await client(browser=None).post(START_PATH, json={"code": no_cookie}, headers=PAGE_SCRIPT)
    assert response.status_code == 403
    assert not any(value.startswith(COOKIE_NAME) for value in response.headers.get_list("set-cookie"))


async def test_start_route_hands_over_the_device_cookie_for_90_days(live_cookie):
    code = handoff_codes.issue(Handoff(live_cookie, device_token="device-secret"), browser="browser-1")
    response = await client().post(START_PATH, json={"code": code}, headers=PAGE_SCRIPT)
    device = next(
        value for value in response.headers.get_list("set-cookie") if value.startswith(DEVICE_COOKIE)
    )
    assert "device-secret" in device and "HttpOnly" in device and "Max-Age=7776000" in device


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a link or a form: no custom header
        {"Sec-Fetch-Site": "cross-site", SESSION_HEADER: "1"},
        {"Sec-Fetch-Site": "same-site", SESSION_HEADER: "1"},
        {"Origin": "https://evil.example", SESSION_HEADER: "1"},
    ],
)
async def test_session_routes_refuse_what_is_not_this_sites_page_script(headers, live_cookie):
    code = handoff_codes.issue(Handoff(live_cookie), browser="browser-1")
    started = await client().post(START_PATH, json={"code": code}, headers=headers)
    assert started.status_code == 403
    assert not any(value.startswith(COOKIE_NAME) for value in started.headers.get_list("set-cookie"))
    ended = await client().post(END_PATH, headers=headers)
    assert ended.status_code == 403
    assert not any(value.startswith(COOKIE_NAME) for value in ended.headers.get_list("set-cookie"))


async def test_a_cross_site_get_signs_nobody_in_or_out(live_cookie):
    code = handoff_codes.issue(Handoff(live_cookie), browser="browser-1")
    assert (await client().get(START_PATH, params={"code": code})).status_code == 405
    ended = await client().get(END_PATH)
    assert ended.status_code == 405
    assert not any(value.startswith(COOKIE_NAME) for value in ended.headers.get_list("set-cookie"))


async def test_secure_flag_follows_the_setting_not_the_request(live_cookie):
    # Behind a TLS-terminating load balancer the request arrives over plain HTTP with no header.
    code = handoff_codes.issue(Handoff(live_cookie), browser="browser-1")
    response = await client(secure=True).post(START_PATH, json={"code": code}, headers=PAGE_SCRIPT)
    assert "Secure" in response.headers["set-cookie"]
    ended = await client(secure=True).post(END_PATH, headers=PAGE_SCRIPT)
    assert "Secure" in ended.headers["set-cookie"]
    # A client-supplied X-Forwarded-Proto changes nothing.
    code = handoff_codes.issue(Handoff(live_cookie), browser="browser-1")
    response = await client(secure=False).post(
        START_PATH, json={"code": code}, headers={**PAGE_SCRIPT, "X-Forwarded-Proto": "https"}
    )
    assert "Secure" not in response.headers["set-cookie"]


async def test_end_route_clears_the_session_cookie_only():
    response = await client().post(END_PATH, headers=PAGE_SCRIPT)
    assert response.status_code == 204
    [cleared] = response.headers.get_list("set-cookie")
    assert cleared.startswith(f"{COOKIE_NAME}=") and ('=""' in cleared or "Max-Age=0" in cleared)


async def test_every_response_forbids_framing_and_gives_a_new_browser_its_cookie():
    response = await client(browser=None).post(END_PATH)
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"
    browser_cookie = next(
        value for value in response.headers.get_list("set-cookie") if value.startswith(BROWSER_COOKIE)
    )
    assert "HttpOnly" in browser_cookie and len(browser_cookie.split(";")[0]) > 40
    known = await client(browser="browser-1").post(END_PATH)
    assert known.headers["x-frame-options"] == "DENY"
    assert not any(value.startswith(BROWSER_COOKIE) for value in known.headers.get_list("set-cookie"))


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


def test_import_errors_keep_their_line_numbers():
    # The customers service's CSV import refusal: {"detail": [ImportProblem, ...]}.
    body = {
        "detail": [
            ImportProblem(
                line=3,
                field="age",
                reason="Input should be less than or equal to 120",
                message="Input should be less than or equal to 120",
            ).model_dump(),
            ImportProblem(
                line=None,
                field="file",
                reason="the file has no customer rows",
                message="the file has no customer rows",
            ).model_dump(),
        ]
    }
    message, problems = describe_error(FakeResponse(422, body))
    assert [(problem.line, problem.field) for problem in problems] == [(3, "age"), (None, "file")]
    assert message == (
        "Please correct: line 3, Age: Input should be less than or equal to 120; "
        "CSV file: the file has no customer rows"
    )


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


@pytest.mark.parametrize(
    ("app_env", "setting", "secure"),
    [
        ("production", None, True),
        ("development", None, False),
        ("test", None, False),
        ("production", "false", False),
        ("development", "true", True),
    ],
)
def test_cookie_secure_defaults_to_production_only(monkeypatch, app_env, setting, secure):
    monkeypatch.setenv("APP_ENV", app_env)
    monkeypatch.setenv("UI_COOKIE_SECRET", "s" * 40)
    if setting is None:
        monkeypatch.delenv("UI_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("UI_COOKIE_SECURE", setting)
    assert UISettings().cookie_secure is secure
