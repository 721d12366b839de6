"""FastAPI dependencies that turn the request's bearer token into a Principal, or refuse it."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer, OAuth2PasswordBearer

from spendscore_common.tokens import InvalidTokenError, KeysUnavailableError, Principal, TokenVerifier

PASSWORD_CHANGE_REQUIRED_DETAIL = "You must choose a new password before continuing"


class CodedHTTPException(HTTPException):
    """An HTTP error whose body carries a machine-readable ``code`` beside ``detail``."""

    def __init__(self, status_code: int, detail: str, code: str, headers: dict[str, str] | None = None):
        super().__init__(status_code, detail, headers=headers)
        self.code = code


async def _coded_error_response(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CodedHTTPException)
    return JSONResponse(
        {"detail": exc.detail, "code": exc.code}, status_code=exc.status_code, headers=exc.headers
    )


def install_security_error_handler(app: FastAPI) -> None:
    """Answer the errors of these dependencies as ``{"detail": ..., "code": ...}``."""
    app.add_exception_handler(CodedHTTPException, _coded_error_response)


def oauth2_scheme(token_url: str) -> OAuth2PasswordBearer:
    """The password-flow scheme pointing at the auth service's ``/auth/token``."""
    return OAuth2PasswordBearer(tokenUrl=token_url, auto_error=False)


def declare_password_login(app: FastAPI, token_url: str) -> None:
    """Offer the OAuth2 password flow against ``token_url`` on /docs (the Authorize button) for every
    operation that takes a bearer token, in the OpenAPI document only: as a dependency of every route
    it would cost each request one more dependency to solve, for nothing but the docs."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        if "OAuth2PasswordBearer" not in schemes:  # build() caches the schema: change it once
            schemes["OAuth2PasswordBearer"] = {
                "type": "oauth2",
                "flows": {"password": {"scopes": {}, "tokenUrl": token_url}},
            }
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if isinstance(operation, dict) and operation.get("security"):
                        operation["security"].insert(0, {"OAuth2PasswordBearer": []})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


class _BearerPrincipal(HTTPBearer):
    """The bearer scheme (shown on /docs) that is itself the dependency turning the token into a
    Principal: one dependency for FastAPI to solve per request, where a dependency on ``HTTPBearer``
    would be two (FastAPI solves each level of dependencies apart, at a cost to every request)."""

    def __init__(self, *, password_change_allowed: bool) -> None:
        description = "Paste an access token from POST /auth/login"
        super().__init__(auto_error=False, scheme_name="HTTPBearer", description=description)
        self.password_change_allowed = password_change_allowed

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Not authenticated")
        verifier: TokenVerifier = request.app.state.token_verifier
        try:
            principal = await verifier.verify(token)
        except InvalidTokenError as exc:
            raise _unauthorized(str(exc)) from exc
        except KeysUnavailableError as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "Cannot verify tokens yet: the auth service's keys are unavailable",
                headers={"Retry-After": "5"},
            ) from exc
        if principal.must_change_password and not self.password_change_allowed:
            raise CodedHTTPException(
                status.HTTP_403_FORBIDDEN, PASSWORD_CHANGE_REQUIRED_DETAIL, code="password_change_required"
            )
        return principal


# The verified caller, even one who must choose a new password first (for the few routes that let
# them: reading who they are, changing the password); 401 for a missing or bad token.
principal_even_if_password_change_is_due = _BearerPrincipal(password_change_allowed=True)
PrincipalEvenIfPasswordChangeIsDue = Annotated[Principal, Depends(principal_even_if_password_change_is_due)]
# The verified caller; 401 with ``WWW-Authenticate: Bearer`` for a missing or bad token, 403
# ``password_change_required`` while the caller must choose a new password.
current_principal = _BearerPrincipal(password_change_allowed=False)
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
# The dependencies above: a route that has one of them checks a bearer token.
PRINCIPAL_DEPENDENCIES = (current_principal, principal_even_if_password_change_is_due)


async def require_auth_service(principal: CurrentPrincipal) -> Principal:
    """Lets through only the auth service's own service token (403 for anyone else, admins included):
    for what auth decides after checking the caller's current rights in its database."""
    if not principal.is_auth_service:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only the auth service may do this")
    return principal


def require_any_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through a caller holding at least one of ``roles`` (else 403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles.intersection(roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Requires role: {' or '.join(roles)}")
        return principal

    return check
