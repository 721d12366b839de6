"""Refresh survival without exposing the token to JavaScript: an encrypted HttpOnly cookie set by a route.

Streamlit scripts talk to the browser over a websocket and cannot set HTTP cookies, so after a sign-in
the script seals the cookie value into a single-use code (valid 60 s), bound to the browser that signed
in, and the page posts that code in the background (``fetch``, no navigation: the signed-in page is
usable at once) to ``POST /session/start``. That route (an ``st.App`` server route of any UI replica:
auth records the code as used, for all of them) trades the code for a
``Set-Cookie: HttpOnly; SameSite=Strict`` (``Secure`` when ``UI_COOKIE_SECURE``). The value is
AES-256-GCM ciphertext under a key derived from ``UI_COOKIE_SECRET``: the token cannot be read from it,
and any change to it fails authentication. On a refresh the new script run reads the cookie from
``st.context.cookies`` and trusts it only when it decrypts, has not expired and was not signed out (on
any replica: auth keeps the signed-out cookies' ids too).

Login CSRF: the code is bound to the browser's own random ``spendscore_browser`` cookie (set on its first
page load by ``BrowserGuardMiddleware``), so a code replayed into another browser is refused. Both routes
take only a same-origin ``POST`` with the ``X-SpendScore-Session`` header (a cross-site page can neither
navigate to them nor send that header without a CORS preflight, which they never approve), so a
cross-site request cannot sign anybody in or out. The middleware also forbids framing every page.
"""

import asyncio
import base64
import binascii
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spendscore_ui import ui_nonces
from spendscore_ui.config import get_settings

COOKIE_NAME = "spendscore_session"
BROWSER_COOKIE = "spendscore_browser"
DEVICE_COOKIE = "spendscore_device"
START_PATH = "/session/start"
END_PATH = "/session/end"
SESSION_HEADER = "X-SpendScore-Session"
CODE_LIFETIME_SECONDS = 60.0
MAX_COOKIE_LIFETIME_SECONDS = 2 * 60 * 60
BROWSER_COOKIE_MAX_AGE = 365 * 24 * 60 * 60
DEVICE_COOKIE_MAX_AGE = 90 * 24 * 60 * 60
_MAX_ROUTE_BODY = 8192
FRAME_HEADERS = ((b"content-security-policy", b"frame-ancestors 'none'"), (b"x-frame-options", b"DENY"))
_NONCE_BYTES = 12
# Bound into the key and, as associated data, into every value: a value made for another purpose
# (or another cookie) with the same secret does not open here.
_KEY_INFO = b"spendscore-ui session cookie v1"
_ASSOCIATED_DATA = COOKIE_NAME.encode()
_CODE_ASSOCIATED_DATA = b"spendscore sign-in code"
_MAX_SEALED_CHARS = 6000


@dataclass(frozen=True)
class SessionCookie:
    """What a verified cookie carries: the bearer token, when it stops being trusted, and its own id."""

    token: str
    expires_at: int
    session_id: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_expiry(token: str, now: float) -> int:
    """The token's ``exp`` (not verified here: the services verify the token itself), capped at 2 h."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        exp = int(claims["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        exp = int(now) + MAX_COOKIE_LIFETIME_SECONDS
    return min(exp, int(now) + MAX_COOKIE_LIFETIME_SECONDS)


class SessionCookieSealer:
    """Seals and opens cookie values: ``base64url(nonce || AES-256-GCM(json payload))``."""

    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(secret.encode())
        self._aead = AESGCM(key)

    def seal_payload(self, payload: dict[str, Any], *, purpose: bytes) -> str:
        """``payload`` as JSON, encrypted and authenticated for ``purpose`` (opens for no other)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _b64encode(nonce + self._aead.encrypt(nonce, json.dumps(payload).encode(), purpose))

    def open_payload(self, value: str, *, purpose: bytes) -> dict[str, Any] | None:
        if not value or len(value) > _MAX_SEALED_CHARS:
            return None
        try:
            sealed = _b64decode(value)
            content = json.loads(self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], purpose))
        except (InvalidTag, binascii.Error, ValueError, TypeError):
            return None
        return content if isinstance(content, dict) else None

    def seal(self, token: str, *, now: float | None = None) -> tuple[str, SessionCookie]:
        current = time.time() if now is None else now
        cookie = SessionCookie(
            token=token, expires_at=token_expiry(token, current), session_id=secrets.token_urlsafe(16)
        )
        payload = json.dumps({"t": cookie.token, "exp": cookie.expires_at, "sid": cookie.session_id}).encode()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _b64encode(nonce + self._aead.encrypt(nonce, payload, _ASSOCIATED_DATA)), cookie

    def open(self, value: str | None, *, now: float | None = None) -> SessionCookie | None:
        """The cookie's content when it decrypts with this secret, has not expired and was not signed
        out; otherwise None."""
        if not value:
            return None
        try:
            sealed = _b64decode(value)
            payload = self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _ASSOCIATED_DATA)
            content = json.loads(payload)
            cookie = SessionCookie(
                token=str(content["t"]), expires_at=int(content["exp"]), session_id=str(content["sid"])
            )
        except (InvalidTag, binascii.Error, ValueError, KeyError, TypeError):
            return None
        current = time.time() if now is None else now
        if cookie.expires_at <= current or revoked_sessions.contains(cookie.session_id):
            return None
        return cookie


@dataclass(frozen=True)
class Handoff:
    """What a code stands for: the sealed session cookie and, when auth gave one, the device token."""

    cookie_value: str
    device_token: str | None = None


@dataclass(frozen=True)
class _OpenedCode:
    handoff: Handoff
    browser: str | None
    expires_at: float
    nonce: str


class HandoffCodes:
    """Single-use codes, each standing for one hand-off for a minute, bound to one browser, and
    redeemable by any UI replica (with the same ``UI_COOKIE_SECRET``): the code is the hand-off itself,
    sealed with the browser it is bound to, its expiry and a random nonce. Auth records the nonce as
    spent when the code is redeemed (``ui_nonces``), so the code works once across every replica."""

    def __init__(self, lifetime: float = CODE_LIFETIME_SECONDS) -> None:
        self._lifetime = lifetime

    def issue(
        self, handoff: Handoff, *, browser: str | None, sealer: "SessionCookieSealer | None" = None
    ) -> str:
        """A code for ``handoff`` that only the browser holding the ``browser`` cookie can redeem (with
        no browser cookie known, nobody can: the session then just does not survive a refresh)."""
        payload = {
            "c": handoff.cookie_value,
            "d": handoff.device_token,
            "b": browser,
            "exp": time.time() + self._lifetime,
            "n": secrets.token_urlsafe(32),
        }
        return (sealer or process_sealer()).seal_payload(payload, purpose=_CODE_ASSOCIATED_DATA)

    def redeem(
        self, code: str, *, browser: str | None, sealer: "SessionCookieSealer | None" = None
    ) -> Handoff | None:
        """The hand-off for this code, once on all replicas, to the browser it was issued to; None when
        not ours, used, expired or presented by another browser (the code is spent either way), or when
        auth cannot say whether it was used."""
        sealer = sealer or process_sealer()
        opened = _open_code(sealer, code)
        if opened is None or opened.expires_at <= time.time():
            return None
        cookie = sealer.open(opened.handoff.cookie_value)
        if cookie is None:
            return None
        if ui_nonces.spend(cookie.token, opened.nonce, opened.expires_at) is not True:
            return None
        bound_to = opened.browser
        if not bound_to or not browser or not hmac.compare_digest(bound_to, browser):
            return None
        return opened.handoff


def _open_code(sealer: "SessionCookieSealer", code: str) -> _OpenedCode | None:
    content = sealer.open_payload(code, purpose=_CODE_ASSOCIATED_DATA)
    if content is None:
        return None
    try:
        device = content["d"]
        browser = content["b"]
        return _OpenedCode(
            handoff=Handoff(str(content["c"]), None if device is None else str(device)),
            browser=None if browser is None else str(browser),
            expires_at=float(content["exp"]),
            nonce=str(content["n"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


class RevokedSessions:
    """Cookie ids signed out before they expired, as this process knows them (kept until their expiry).
    A sign-out is also recorded at auth (``ui_nonces``) for the other replicas: see ``session``."""

    def __init__(self) -> None:
        self._until: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, session_id: str, expires_at: int) -> None:
        now = time.time()
        with self._lock:
            self._until = {key: until for key, until in self._until.items() if until > now}
            self._until[session_id] = expires_at

    def contains(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._until


@lru_cache(maxsize=1)
def process_sealer() -> "SessionCookieSealer":
    """The sealer under this process's UI_COOKIE_SECRET (the same on every replica)."""
    return SessionCookieSealer(get_settings().cookie_secret.get_secret_value())


handoff_codes = HandoffCodes()
revoked_sessions = RevokedSessions()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def is_same_origin_script(request: Request) -> bool:
    """A POST from this site's own page script: our custom header (impossible cross-site without a CORS
    preflight) and, when the browser says where it comes from, this very origin."""
    if request.headers.get(SESSION_HEADER) != "1":
        return False
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


async def _small_json(request: Request) -> dict[str, Any]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_ROUTE_BODY:
            return {}
    try:
        content = json.loads(body or b"{}")
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


async def start_session(request: Request, *, secure: bool) -> Response:
    """Trade a single-use code (from this browser's own page) for the HttpOnly session cookie."""
    if not is_same_origin_script(request):
        return _no_store(Response(status_code=403))
    code = (await _small_json(request)).get("code")
    # Redeeming asks auth (the code is spent for every replica): off the event loop.
    handoff = await asyncio.to_thread(
        handoff_codes.redeem, str(code or ""), browser=request.cookies.get(BROWSER_COOKIE)
    )
    if handoff is None:
        return _no_store(Response(status_code=403))
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE_NAME,
        handoff.cookie_value,
        max_age=MAX_COOKIE_LIFETIME_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    if handoff.device_token:
        response.set_cookie(
            DEVICE_COOKIE,
            handoff.device_token,
            max_age=DEVICE_COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure,
        )
    return _no_store(response)


async def end_session(request: Request, *, secure: bool) -> Response:
    """Remove the session cookie (a same-origin POST from the page; the device cookie stays)."""
    if not is_same_origin_script(request):
        return _no_store(Response(status_code=403))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=secure)
    return _no_store(response)


def session_routes(*, secure: bool) -> list[Route]:
    """The server routes ``st.App`` mounts next to Streamlit's own; ``secure`` (``UI_COOKIE_SECURE``)
    marks the cookie ``Secure``. It is a setting, not read from the request: behind a TLS-terminating
    load balancer the request arrives over HTTP, and ``X-Forwarded-Proto`` is whatever the client says
    unless a proxy overwrites it."""
    return [
        Route(START_PATH, partial(start_session, secure=secure), methods=["POST"]),
        Route(END_PATH, partial(end_session, secure=secure), methods=["POST"]),
    ]


class BrowserGuardMiddleware:
    """On every HTTP response of the UI (Streamlit's pages included): forbid framing (clickjacking) and
    give a browser that has none its random ``spendscore_browser`` cookie, to which sign-in codes are
    bound. Websockets pass through untouched."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self._app = app
        self._secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        has_browser_cookie = BROWSER_COOKIE in Request(scope).cookies

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FRAME_HEADERS:
                    headers[name.decode()] = value.decode()
                headers.setdefault("x-content-type-options", "nosniff")
                if not has_browser_cookie:
                    attributes = f"Path=/; Max-Age={BROWSER_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax"
                    cookie = f"{BROWSER_COOKIE}={secrets.token_urlsafe(32)}; {attributes}"
                    headers.append("set-cookie", cookie + ("; Secure" if self._secure else ""))
            await send(message)

        await self._app(scope, receive, send_with_headers)


def ui_middleware(*, secure: bool) -> list[Middleware]:
    """The middleware ``st.App`` runs before Streamlit's own."""
    return [Middleware(BrowserGuardMiddleware, secure=secure)]
