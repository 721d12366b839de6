"""Refresh survival without exposing the token to JavaScript: an encrypted HttpOnly cookie set by a route.

Streamlit scripts talk to the browser over a websocket and cannot set HTTP cookies, so after a sign-in
the script stores the sealed cookie value under a random single-use code (valid 60 s) and sends the
browser to ``/session/start?code=...``. That route (an ``st.App`` server route in this process) trades
the code for a ``Set-Cookie: HttpOnly; SameSite=Strict`` (``Secure`` when ``UI_COOKIE_SECURE``) and
redirects back. The value is AES-256-GCM ciphertext under a key derived from ``UI_COOKIE_SECRET``: the
token cannot be read from it, and any change to it fails authentication. On a refresh the new script run
reads the cookie from ``st.context.cookies`` and trusts it only when it decrypts, has not expired and was
not signed out.
"""

import base64
import binascii
import json
import secrets
import threading
import time
from dataclasses import dataclass
from functools import partial

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

COOKIE_NAME = "spendscore_session"
START_PATH = "/session/start"
END_PATH = "/session/end"
CODE_LIFETIME_SECONDS = 60.0
MAX_COOKIE_LIFETIME_SECONDS = 2 * 60 * 60
_NONCE_BYTES = 12
# Bound into the key and, as associated data, into every value: a value made for another purpose
# (or another cookie) with the same secret does not open here.
_KEY_INFO = b"spendscore-ui session cookie v1"
_ASSOCIATED_DATA = COOKIE_NAME.encode()


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


class HandoffCodes:
    """Single-use codes, each standing for one sealed cookie value for a minute (process memory)."""

    def __init__(self, lifetime: float = CODE_LIFETIME_SECONDS) -> None:
        self._lifetime = lifetime
        self._codes: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, cookie_value: str) -> str:
        code = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._codes = {key: entry for key, entry in self._codes.items() if entry[1] > now}
            self._codes[code] = (cookie_value, now + self._lifetime)
        return code

    def redeem(self, code: str) -> str | None:
        """The cookie value for this code, once; None when unknown, used or expired."""
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]


class RevokedSessions:
    """Cookie ids signed out before they expired (kept until their expiry, in process memory)."""

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


handoff_codes = HandoffCodes()
revoked_sessions = RevokedSessions()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: no scheme, no ``//host``, no backslash tricks (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def start_session(request: Request, *, secure: bool) -> Response:
    """Trade a single-use code for the HttpOnly session cookie, then go back into the app."""
    cookie_value = handoff_codes.redeem(request.query_params.get("code", ""))
    if cookie_value is None:
        return _no_store(RedirectResponse("/login", status_code=303))
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        cookie_value,
        max_age=MAX_COOKIE_LIFETIME_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return _no_store(response)


async def end_session(request: Request, *, secure: bool) -> Response:
    """Remove the session cookie and show the login page (saying why, for an expired session)."""
    target = "/login?reason=expired" if request.query_params.get("reason") == "expired" else "/login"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=secure)
    return _no_store(response)


def session_routes(*, secure: bool) -> list[Route]:
    """The server routes ``st.App`` mounts next to Streamlit's own; ``secure`` (``UI_COOKIE_SECURE``)
    marks the cookie ``Secure``. It is a setting, not read from the request: behind a TLS-terminating
    load balancer the request arrives over HTTP, and ``X-Forwarded-Proto`` is whatever the client says
    unless a proxy overwrites it."""
    return [
        Route(START_PATH, partial(start_session, secure=secure), methods=["GET"]),
        Route(END_PATH, partial(end_session, secure=secure), methods=["GET"]),
    ]
