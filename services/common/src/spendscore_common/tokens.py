"""Bearer-token verification against the auth service's published keys (JWKS), with no I/O per request."""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

logger = logging.getLogger(__name__)

# Only asymmetric algorithms: a token's header can never pick HMAC or "none".
ALLOWED_ALGORITHMS = frozenset({"EdDSA", "RS256"})
REQUIRED_CLAIMS = ("sub", "roles", "iat", "exp", "iss", "aud", "jti")


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


@dataclass(frozen=True, slots=True)
class _VerifiedToken:
    principal: Principal
    expires_at: float  # the token's exp claim, Unix time
    key_generation: int


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience, expiry and required claims of a JWT.

    A client sends the same token on every request until it expires, and checking the signature is
    most of the cost of a cheap request, so up to ``cache_size`` verified tokens are remembered (the
    oldest forgotten first). A remembered token is accepted only before its ``exp`` (the leeway is
    applied only by a full verification) and only while the keys it was verified with are unchanged;
    refused tokens are never remembered.
    """

    def __init__(
        self,
        key_store: JwksKeyStore,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        cache_size: int = 10_000,
    ):
        self.key_store = key_store
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.cache_size = cache_size
        self._verified: dict[str, _VerifiedToken] = {}

    async def verify(self, token: str) -> Principal:
        """The token's Principal; raises InvalidTokenError or KeysUnavailableError."""
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
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("malformed token") from exc
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
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"invalid token: {exc}") from exc
        roles = claims["roles"]
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise InvalidTokenError("invalid token: roles must be a list of strings")
        principal = Principal(
            user_id=str(claims["sub"]),
            email=claims.get("email"),
            name=claims.get("name"),
            roles=frozenset(roles),
            token_id=str(claims["jti"]),
        )
        return principal, float(claims["exp"])
