"""Calls to the customers service, authorised with a short-lived token that auth signs for itself."""

import uuid

import httpx

from auth_service.tokens import TokenIssuer
from spendscore_common.tokens import AUTH_SERVICE_SUBJECT

SERVICE_SUBJECT = AUTH_SERVICE_SUBJECT
SERVICE_TOKEN_TTL_SECONDS = 60


class CustomersUnavailableError(Exception):
    """The customers service did not acknowledge the call; the message says what happened."""


class CustomersClient:
    def __init__(self, http_client: httpx.AsyncClient, *, base_url: str, issuer: TokenIssuer):
        self._http = http_client
        self._base_url = base_url.rstrip("/")
        self._issuer = issuer

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
            response = await self._http.delete(
                f"{self._base_url}/owners/{owner_id}/customers",
                headers={"Authorization": f"Bearer {self._service_token()}"},
            )
        except httpx.HTTPError as exc:
            raise CustomersUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise CustomersUnavailableError(f"customers service answered {response.status_code}")
