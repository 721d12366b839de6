"""Login: a JSON endpoint for the UI and services, and the OAuth2 password form for /docs."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import accounts
from auth_service.deps import HasherDep, IssuerDep, ServiceClientsDep, SessionDep, ThrottlePolicyDep
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import User
from auth_service.passwords import PasswordHasher
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


@dataclass(frozen=True)
class PasswordLogin:
    """What both login endpoints need: check the password (throttled), then issue the token."""

    db_session: AsyncSession
    hasher: PasswordHasher
    policy: ThrottlePolicy
    issuer: TokenIssuer
    address: str | None

    async def token_for(self, email: str, password: str) -> TokenResponse:
        user = await accounts.authenticate(
            db_session=self.db_session,
            hasher=self.hasher,
            policy=self.policy,
            email=email,
            password=password,
            address=self.address,
        )
        return _token_for(user, self.issuer)


def _password_login(
    request: Request, db_session: SessionDep, hasher: HasherDep, issuer: IssuerDep, policy: ThrottlePolicyDep
) -> PasswordLogin:
    address = request.client.host if request.client else None
    return PasswordLogin(db_session, hasher, policy, issuer, address)


PasswordLoginDep = Annotated[PasswordLogin, Depends(_password_login)]


@router.post(
    "/login",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses=_LOGIN_RESPONSES,
    summary="Log in with email and password; returns a 2-hour bearer token",
)
async def login(credentials: LoginRequest, logins: PasswordLoginDep) -> TokenResponse:
    return await logins.token_for(credentials.email, credentials.password)


@router.post(
    "/token",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses=_LOGIN_RESPONSES,
    summary="OAuth2 password flow (username = email): what the /docs Authorize button calls",
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], logins: PasswordLoginDep
) -> TokenResponse:
    return await logins.token_for(form.username, form.password)


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
