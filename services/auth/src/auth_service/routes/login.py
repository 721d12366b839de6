"""Login: a JSON endpoint for the UI and services, and the OAuth2 password form for /docs."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from auth_service import accounts
from auth_service.deps import HasherDep, IssuerDep, ServiceClientsDep, SessionDep, ThrottlePolicyDep
from auth_service.models import User
from auth_service.schemas import LoginRequest, ServiceTokenRequest, TokenResponse
from auth_service.service_clients import CLIENT_TOKEN_TTL_SECONDS
from auth_service.tokens import TokenIssuer

router = APIRouter(prefix="/auth", tags=["login"])

_LOGIN_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Incorrect email or password (the same answer for an unknown email)"},
    429: {"description": "Too many failed attempts; see the Retry-After header"},
}


def _token_for(user: User, issuer: TokenIssuer) -> TokenResponse:
    token = issuer.issue(subject=str(user.id), roles=user.roles, email=user.email, name=user.name)
    return TokenResponse(access_token=token, expires_in=issuer.ttl_seconds)


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/login",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses=_LOGIN_RESPONSES,
    summary="Log in with email and password; returns a 2-hour bearer token",
)
async def login(
    credentials: LoginRequest,
    request: Request,
    db_session: SessionDep,
    hasher: HasherDep,
    issuer: IssuerDep,
    policy: ThrottlePolicyDep,
) -> TokenResponse:
    user = await accounts.authenticate(
        db_session=db_session,
        hasher=hasher,
        policy=policy,
        email=credentials.email,
        password=credentials.password,
        address=_client_address(request),
    )
    return _token_for(user, issuer)


@router.post(
    "/token",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses=_LOGIN_RESPONSES,
    summary="OAuth2 password flow (username = email): what the /docs Authorize button calls",
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    db_session: SessionDep,
    hasher: HasherDep,
    issuer: IssuerDep,
    policy: ThrottlePolicyDep,
) -> TokenResponse:
    user = await accounts.authenticate(
        db_session=db_session,
        hasher=hasher,
        policy=policy,
        email=form.username,
        password=form.password,
        address=_client_address(request),
    )
    return _token_for(user, issuer)


@router.post(
    "/service-token",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses={401: {"description": "Unknown client, wrong secret or no secret configured (one answer)"}},
    summary=(
        'Service token for another service (client_id "customers" + CUSTOMERS_SERVICE_SECRET); '
        "returns a 10-minute bearer token with role service"
    ),
)
async def service_token(
    credentials: ServiceTokenRequest, issuer: IssuerDep, clients: ServiceClientsDep
) -> TokenResponse:
    token = clients.issue_token(
        issuer, client_id=credentials.client_id, client_secret=credentials.client_secret
    )
    return TokenResponse(access_token=token, expires_in=CLIENT_TOKEN_TTL_SECONDS)
