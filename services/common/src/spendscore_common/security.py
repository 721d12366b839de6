"""FastAPI dependencies that turn the request's bearer token into a Principal, or refuse it."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from spendscore_common.tokens import InvalidTokenError, KeysUnavailableError, Principal, TokenVerifier

# Both schemes read the same Authorization header; declaring both gives /docs a working
# "Authorize" button (password flow against the auth service) and a paste-a-token field.
_bearer = HTTPBearer(auto_error=False, description="Paste an access token from POST /auth/login")
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def oauth2_scheme(token_url: str) -> OAuth2PasswordBearer:
    """The password-flow scheme pointing at the auth service's ``/auth/token``."""
    return OAuth2PasswordBearer(tokenUrl=token_url, auto_error=False)


def _token_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller; 401 with ``WWW-Authenticate: Bearer`` for a missing or bad token."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not authenticated", headers=_UNAUTHORIZED_HEADERS)
    try:
        return await _token_verifier(request).verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), headers=_UNAUTHORIZED_HEADERS) from exc
    except KeysUnavailableError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Cannot verify tokens yet: the auth service's keys are unavailable",
            headers={"Retry-After": "5"},
        ) from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_any_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through a caller holding at least one of ``roles`` (else 403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles.intersection(roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Requires role: {' or '.join(roles)}")
        return principal

    return check
