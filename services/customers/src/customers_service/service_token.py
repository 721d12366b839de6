"""This service's own bearer token from auth (client id + secret), cached until shortly before it expires."""

import asyncio
import time
from collections.abc import Callable

import httpx
from pydantic import SecretStr

CLIENT_ID = "customers"
# A cached token is replaced this long before it expires, so that it never expires on the way.
REFRESH_MARGIN_SECONDS = 60.0


class ServiceTokenUnavailable(Exception):
    """Auth did not hand out a token (down, or it refused the secret); the message says which."""


class ServiceTokens:
    """``await token()``: a valid service token (roles ["service"]), fetched once per lifetime."""

    def __init__(
        self,
        http_client: httpx.AsyncClient,
        *,
        auth_url: str,
        client_secret: SecretStr,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._http = http_client
        self._url = auth_url.rstrip("/") + "/auth/service-token"
        self._secret = client_secret
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, lifetime = await self._fetch()
                self._renew_at = self._clock() + lifetime - min(REFRESH_MARGIN_SECONDS, lifetime / 2)
            return self._token

    def discard(self, token: str) -> None:
        """Forget ``token`` (a service refused it with 401): the next ``token()`` fetches a new one."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> tuple[str, float]:
        try:
            response = await self._http.post(
                self._url, json={"client_id": CLIENT_ID, "client_secret": self._secret.get_secret_value()}
            )
        except httpx.HTTPError as exc:
            raise ServiceTokenUnavailable(f"auth unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise ServiceTokenUnavailable(f"auth answered {response.status_code} for the service token")
        try:
            body = response.json()
            return str(body["access_token"]), float(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceTokenUnavailable("auth answered a service token in an unknown shape") from exc
