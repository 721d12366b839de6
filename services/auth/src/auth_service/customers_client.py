"""Calls to the customers service, authorised with a short-lived token that auth signs for itself,
behind a circuit breaker: while customers keeps failing, calls fail at once instead of each waiting."""

import uuid

import httpx

from auth_service.tokens import TokenIssuer
from spendscore_common.circuit_breaker import CircuitBreaker, CircuitOpenError
from spendscore_common.tokens import AUTH_SERVICE_SUBJECT

SERVICE_SUBJECT = AUTH_SERVICE_SUBJECT
SERVICE_TOKEN_TTL_SECONDS = 60


class CustomersUnavailableError(Exception):
    """The customers service did not acknowledge the call; the message says what happened."""


class CustomersClient:
    def __init__(
        self,
        http_client: httpx.AsyncClient,
        *,
        base_url: str,
        issuer: TokenIssuer,
        breaker: CircuitBreaker | None = None,
    ):
        self._http = http_client
        self._base_url = base_url.rstrip("/")
        self._issuer = issuer
        self.breaker = breaker or CircuitBreaker("customers")

    async def is_reachable(self) -> bool:
        """For /readyz: False at once while the breaker is open, else a quick look at /healthz."""
        if self.breaker.is_open:
            return False
        response = await self._http.get(f"{self._base_url}/healthz", timeout=1.0)
        return response.status_code == 200

    def _service_token(self) -> str:
        return self._issuer.issue(
            subject=SERVICE_SUBJECT,
            roles=["service"],
            name=SERVICE_SUBJECT,
            ttl_seconds=SERVICE_TOKEN_TTL_SECONDS,
        )

    async def delete_owner_customers(self, owner_id: uuid.UUID) -> None:
        """Delete every customer of a deleted owner. The endpoint answers 204 even when there is nothing
        to delete, so anything but a 2xx (a 404 included: a wrong URL) is a failure to retry."""
        try:
            with self.breaker.guard(failure_types=(CustomersUnavailableError,)):
                await self._delete(f"{self._base_url}/owners/{owner_id}/customers")
        except CircuitOpenError as exc:
            raise CustomersUnavailableError(str(exc)) from exc

    async def _delete(self, url: str) -> None:
        try:
            response = await self._http.delete(
                url, headers={"Authorization": f"Bearer {self._service_token()}"}
            )
        except httpx.HTTPError as exc:
            raise CustomersUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise CustomersUnavailableError(f"customers service answered {response.status_code}")
