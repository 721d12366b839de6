"""Other services that trade a shared secret for a short-lived service token (client credentials)."""

import hmac

from pydantic import SecretStr

from auth_service.errors import InvalidClientError
from auth_service.tokens import TokenIssuer

CLIENT_TOKEN_TTL_SECONDS = 600


class ServiceClients:
    """The known clients and their secrets; a client without a configured secret cannot get a token."""

    def __init__(self, secrets: dict[str, SecretStr | None]):
        self._secrets = {client_id: secret for client_id, secret in secrets.items() if secret is not None}

    def issue_token(self, issuer: TokenIssuer, *, client_id: str, client_secret: str) -> str:
        """A service token for the client; an unknown client and a wrong secret raise the same
        InvalidClientError."""
        expected = self._secrets.get(client_id)
        if expected is None or not hmac.compare_digest(
            expected.get_secret_value().encode(), client_secret.encode()
        ):
            raise InvalidClientError()
        return issuer.issue(
            subject=f"service:{client_id}",
            roles=["service"],
            email=None,
            name=f"{client_id} service",
            ttl_seconds=CLIENT_TOKEN_TTL_SECONDS,
        )
