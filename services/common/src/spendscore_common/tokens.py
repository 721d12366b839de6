"""Bearer-token verification against the auth service's published keys (JWKS) and revocation feed,
with no I/O per request."""

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import jwt

logger = logging.getLogger(__name__)

# Only asymmetric algorithms: a token's header can never pick HMAC or "none".
ALLOWED_ALGORITHMS = frozenset({"EdDSA", "RS256"})
REQUIRED_CLAIMS = ("sub", "roles", "iat", "exp", "iss", "aud", "jti")
# Our tokens are a few hundred bytes; anything longer is refused before a single byte is decoded.
MAX_TOKEN_LENGTH = 4096
# The subject of the tokens the auth service signs for its own calls (the only caller allowed to wipe
# an account's data on customers).
AUTH_SERVICE_SUBJECT = "auth-service"
# The claim that marks a token of a user who must choose a new password before doing anything else.
MUST_CHANGE_PASSWORD_CLAIM = "must_change_password"
REVOCATIONS_PATH = "/revocations"


class InvalidTokenError(Exception):
    """The token cannot be trusted; the message says why (safe to show to the caller)."""


class KeysUnavailableError(Exception):
    """The signing keys could not be fetched from the auth service."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for."""

    user_id: str
    email: str | None
    name: str | None
    roles: frozenset[str]
    token_id: str
    issued_at: float = 0.0  # the token's iat claim, Unix time (milliseconds kept)
    must_change_password: bool = False

    @property
    def is_auth_service(self) -> bool:
        return self.user_id == AUTH_SERVICE_SUBJECT and "service" in self.roles


class JwksKeyStore:
    """Caches the auth service's public keys by ``kid``.

    ``keep_fresh`` (a background task of the service) fetches them at start-up, retrying until auth
    answers, then every few minutes so that a key removed from the JWKS stops being trusted. A token
    naming an unknown ``kid`` (a rotation) makes it fetch again, at most once per
    ``min_refresh_seconds`` so that forged ``kid`` values cannot hammer the auth service.
    """

    def __init__(
        self, jwks_url: str, http_client: httpx.AsyncClient | None, min_refresh_seconds: float = 10.0
    ):
        self.jwks_url = jwks_url
        self._http = http_client
        self._min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._next_fetch_allowed = float("-inf")
        self._lock = asyncio.Lock()
        # Bumped whenever the keys are replaced: what was verified under older keys is re-verified.
        self.generation = 0

    @classmethod
    def fixed(cls, jwks: dict[str, Any]) -> "JwksKeyStore":
        """A store holding these keys and never fetching (the auth service verifying its own tokens)."""
        store = cls(jwks_url="", http_client=None)
        store.set_keys(jwks)
        return store

    def set_keys(self, jwks: dict[str, Any]) -> None:
        """Replace the cached keys with those of a JWKS document (unusable keys are skipped)."""
        keys: dict[str, jwt.PyJWK] = {}
        for jwk in jwks.get("keys", []):
            kid, alg = jwk.get("kid"), jwk.get("alg")
            if not kid or alg not in ALLOWED_ALGORITHMS:
                continue
            try:
                keys[kid] = jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError:
                logger.warning("skipping unusable key in JWKS", extra={"kid": kid})
        self._keys = keys
        self.generation += 1

    async def refresh(self, force: bool = False) -> None:
        """Fetch the JWKS unless it was fetched very recently; raises KeysUnavailableError."""
        async with self._lock:
            if not force and time.monotonic() < self._next_fetch_allowed:
                return
            if self._http is None:
                raise KeysUnavailableError("this key store has fixed keys and fetches none")
            try:
                response = await self._http.get(self.jwks_url)
                response.raise_for_status()
                self.set_keys(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                # Retry soon after a failure (auth may be starting), rarely after a success.
                self._next_fetch_allowed = time.monotonic() + 1.0
                raise KeysUnavailableError(f"cannot fetch signing keys from {self.jwks_url}: {exc}") from exc
            self._next_fetch_allowed = time.monotonic() + self._min_refresh_seconds

    async def keep_fresh(self, every_seconds: float = 300.0, retry_seconds: float = 2.0) -> None:
        """Refresh forever: every ``every_seconds``, or every ``retry_seconds`` while auth is unreachable
        (cached keys stay in use meanwhile)."""
        while True:
            try:
                await self.refresh(force=True)
                delay = every_seconds
            except KeysUnavailableError as exc:
                logger.warning(
                    "signing keys not refreshed; keeping the cached ones", extra={"error": str(exc)}
                )
                delay = retry_seconds
            await asyncio.sleep(delay)

    async def get_key(self, kid: str) -> jwt.PyJWK | None:
        """The key for ``kid``, refetching the JWKS for an unknown one.

        Raises KeysUnavailableError only when no key at all is known (auth never reached);
        with keys cached, an unknown ``kid`` that cannot be refetched is simply unknown.
        """
        key = self._keys.get(kid)
        if key is None:
            try:
                await self.refresh()
            except KeysUnavailableError:
                if not self._keys:
                    raise
            if not self._keys:  # the last fetch failed moments ago: still nothing to verify with
                raise KeysUnavailableError(f"no signing keys fetched yet from {self.jwks_url}")
            key = self._keys.get(kid)
        return key


def revocations_url_for(jwks_url: str) -> str:
    """Where the auth service that publishes ``jwks_url`` publishes its revocation feed."""
    parts = urlsplit(jwks_url)
    return urlunsplit((parts.scheme, parts.netloc, REVOCATIONS_PATH, "", ""))


class RevocationList:
    """Per user, the time before which that user's tokens are void, as the auth service publishes it.

    ``keep_fresh`` (a background task of the service) polls the feed every couple of seconds with
    ``If-None-Match``, so an unchanged feed costs a 304; while auth is down the last list stays in use.
    Until a first list has arrived, ``check`` tries to fetch one (at most once per
    ``min_refresh_seconds``) and otherwise raises KeysUnavailableError: tokens are not trusted blindly.
    """

    def __init__(self, url: str, http_client: httpx.AsyncClient | None, min_refresh_seconds: float = 1.0):
        self.url = url
        self._http = http_client
        self._min_refresh_seconds = min_refresh_seconds
        self._issued_before: dict[str, float] = {}
        self._etag: str | None = None
        self._loaded = False
        self._next_fetch_allowed = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded

    def set_entries(self, issued_before: Mapping[str, float]) -> None:
        """Replace the list: user id -> Unix time before which that user's tokens are void."""
        self._set_hashed({revocation_key(user_id): cutoff for user_id, cutoff in issued_before.items()})

    def _set_hashed(self, issued_before: Mapping[str, float]) -> None:
        self._issued_before = dict(issued_before)
        self._loaded = True

    def is_revoked(self, principal: Principal) -> bool:
        cutoff = self._issued_before.get(revocation_key(principal.user_id))
        return cutoff is not None and principal.issued_at < cutoff

    async def check(self, principal: Principal) -> None:
        """Raise InvalidTokenError for a revoked token, KeysUnavailableError when no list is known."""
        if not self._loaded:
            try:
                await self.refresh()
            except KeysUnavailableError:
                if not self._loaded:
                    raise
            if not self._loaded:
                raise KeysUnavailableError(f"no revocation list fetched yet from {self.url}")
        if self.is_revoked(principal):
            raise InvalidTokenError("token revoked: sign in again")

    async def refresh(self, force: bool = False) -> None:
        """Fetch the feed (conditionally) unless it was fetched very recently; raises
        KeysUnavailableError."""
        async with self._lock:
            if not force and time.monotonic() < self._next_fetch_allowed:
                return
            if self._http is None:
                raise KeysUnavailableError("this revocation list is fixed and fetches nothing")
            headers = {"If-None-Match": self._etag} if self._etag and self._loaded else {}
            try:
                response = await self._http.get(self.url, headers=headers)
                if response.status_code != 304:
                    response.raise_for_status()
                    self._set_hashed(_parse_revocations(response.json()))
                    self._etag = response.headers.get("etag")
            except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
                self._next_fetch_allowed = time.monotonic() + min(1.0, self._min_refresh_seconds)
                raise KeysUnavailableError(
                    f"cannot fetch the revocation list from {self.url}: {exc}"
                ) from exc
            self._next_fetch_allowed = time.monotonic() + self._min_refresh_seconds

    async def keep_fresh(self, every_seconds: float = 2.0) -> None:
        """Refresh forever, every ``every_seconds``; a failed fetch keeps the last list in use (logged
        once per outage, not at every poll)."""
        failing = False
        while True:
            try:
                await self.refresh(force=True)
                if failing:
                    logger.info("revocation list refreshed again")
                failing = False
            except KeysUnavailableError as exc:
                if not failing:
                    logger.warning(
                        "revocation list not refreshed; keeping the cached one", extra={"error": str(exc)}
                    )
                failing = True
            await asyncio.sleep(every_seconds)


def revocation_key(user_id: str) -> str:
    """How the revocation feed names a user: a hash of the id, so that the public feed tells nobody
    which accounts changed their password or were deleted, while a verifier holding a token (and so
    its ``sub``) finds its entry."""
    return hashlib.sha256(b"spendscore-revocation\x00" + user_id.encode()).hexdigest()


def _parse_revocations(document: Any) -> dict[str, float]:
    """subject_hash -> cutoff, from the feed's JSON."""
    entries: dict[str, float] = {}
    for entry in document["revocations"]:
        cutoff = entry["issued_before"]
        if not _is_number(cutoff):
            raise ValueError("issued_before must be a number")
        entries[str(entry["subject_hash"])] = float(cutoff)
    return entries


@dataclass(frozen=True, slots=True)
class _VerifiedToken:
    principal: Principal
    expires_at: float  # the token's exp claim, Unix time
    key_generation: int


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience, expiry, required claims and revocation of a JWT.

    The token is parsed once: its header picks the key, the signature is checked over the bytes as
    sent, and the claims are read from the same split. A token longer than ``MAX_TOKEN_LENGTH`` is
    refused before anything is decoded.

    A client sends the same token on every request until it expires, and checking the signature is
    most of the cost of a cheap request, so up to ``cache_size`` verified tokens are remembered (the
    oldest forgotten first). A remembered token is accepted only before its ``exp`` (the leeway is
    applied only by a full verification), only while the keys it was verified with are unchanged, and
    only while the revocation list does not void it (checked on every call); refused tokens are never
    remembered. ``revocations`` None checks no revocation (the auth service checks its own database).
    """

    def __init__(
        self,
        key_store: JwksKeyStore,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        cache_size: int = 10_000,
        revocations: RevocationList | None = None,
    ):
        self.key_store = key_store
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.cache_size = cache_size
        self.revocations = revocations
        self._verified: dict[str, _VerifiedToken] = {}

    async def verify(self, token: str) -> Principal:
        """The token's Principal; raises InvalidTokenError or KeysUnavailableError."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token too long")
        principal = await self._verified_principal(token)
        if self.revocations is not None:
            await self.revocations.check(principal)
        return principal

    async def _verified_principal(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            if time.time() < remembered.expires_at and remembered.key_generation == self.key_store.generation:
                return remembered.principal
            del self._verified[token]
        generation = self.key_store.generation
        principal, expires_at = await self._verify_fully(token)
        if self.cache_size > 0 and generation == self.key_store.generation:
            if len(self._verified) >= self.cache_size:
                del self._verified[next(iter(self._verified))]  # dicts keep insertion order
            self._verified[token] = _VerifiedToken(principal, expires_at, generation)
        return principal

    async def _verify_fully(self, token: str) -> tuple[Principal, float]:
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidTokenError("malformed token")
        header_part, payload_part, signature_part = parts
        header = _decode_json_part(header_part)
        if "crit" in header:
            raise InvalidTokenError("token has critical header parameters this service does not know")
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidTokenError("token algorithm not accepted")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("token has no key id")
        key = await self.key_store.get_key(kid)
        if key is None:
            raise InvalidTokenError("token signed with an unknown key")
        if key.algorithm_name != alg:
            raise InvalidTokenError("token algorithm does not match its key")
        signature = _b64url_decode(signature_part)
        signing_input = f"{header_part}.{payload_part}".encode("ascii")
        if not key.Algorithm.verify(signing_input, key.key, signature):
            raise InvalidTokenError("invalid token: signature verification failed")
        claims = _decode_json_part(payload_part)
        self._check_claims(claims)
        principal = Principal(
            user_id=claims["sub"],
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            name=claims.get("name") if isinstance(claims.get("name"), str) else None,
            roles=frozenset(claims["roles"]),
            token_id=claims["jti"],
            issued_at=float(claims["iat"]),
            must_change_password=claims.get(MUST_CHANGE_PASSWORD_CLAIM) is True,
        )
        return principal, float(claims["exp"])

    def _check_claims(self, claims: dict[str, Any]) -> None:
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise InvalidTokenError(f'invalid token: token is missing the "{missing[0]}" claim')
        now = time.time()
        for name in ("iat", "exp", "nbf"):
            if name in claims and not _is_number(claims[name]):
                raise InvalidTokenError(f"invalid token: {name} must be a number")
        if claims["exp"] <= now - self.leeway_seconds:
            raise InvalidTokenError("token expired")
        if (
            claims.get("nbf", claims["iat"]) > now + self.leeway_seconds
            or claims["iat"] > now + self.leeway_seconds
        ):
            raise InvalidTokenError("invalid token: the token is not yet valid")
        if claims["iss"] != self.issuer:
            raise InvalidTokenError("invalid token: invalid issuer")
        audience = claims["aud"]
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise InvalidTokenError("invalid token: audience does not match")
        for name in ("sub", "jti"):
            if not isinstance(claims[name], str) or not claims[name]:
                raise InvalidTokenError(f"invalid token: {name} must be a non-empty string")
        roles = claims["roles"]
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise InvalidTokenError("invalid token: roles must be a list of strings")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_UNPADDED_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64url_decode(part: str) -> bytes:
    """Strict: unpadded base64url (RFC 7515) written the one canonical way, so that no two spellings
    of a signature or a header (``==`` added, ``+`` for ``-``, other unused trailing bits) verify."""
    if not _UNPADDED_BASE64URL.fullmatch(part) or len(part) % 4 == 1:
        raise InvalidTokenError("malformed token")
    try:
        decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidTokenError("malformed token") from exc
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode("ascii") != part:
        raise InvalidTokenError("malformed token")
    return decoded


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _decode_json_part(part: str) -> dict[str, Any]:
    try:
        decoded = json.loads(_b64url_decode(part), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidTokenError("malformed token") from exc
    if not isinstance(decoded, dict):
        raise InvalidTokenError("malformed token")
    return decoded
