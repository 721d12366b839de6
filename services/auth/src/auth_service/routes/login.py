"""Login: a JSON endpoint for the UI and services, and the OAuth2 password form for /docs."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import accounts, login_throttle
from auth_service.deps import (
    ClientAddressDep,
    HasherDep,
    IssuerDep,
    ServiceClientsDep,
    SessionDep,
    ThrottlePolicyDep,
)
from auth_service.errors import TooManyAttemptsError
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import User, utc_now
from auth_service.passwords import PasswordHasher
from auth_service.schemas import LoginRequest, LoginResponse, ServiceTokenRequest, TokenResponse
from auth_service.service_clients import CLIENT_TOKEN_TTL_SECONDS
from auth_service.tokens import TokenIssuer

router = APIRouter(prefix="/auth", tags=["login"])

_LOGIN_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Incorrect email or password (the same answer for an unknown email)"},
    403: {"description": "The right password of a deactivated account (code account_deactivated)"},
    429: {"description": "Too many failed attempts; see the Retry-After header"},
}


def token_for(user: User, issuer: TokenIssuer) -> TokenResponse:
    """A user's 2-hour token, marked while they must choose a new password."""
    token = issuer.issue(
        subject=str(user.id),
        roles=user.roles,
        email=user.email,
        name=user.name,
        must_change_password=user.must_change_password,
    )
    return TokenResponse(access_token=token, expires_in=issuer.ttl_seconds)


@dataclass(frozen=True)
class PasswordLogin:
    """What both login endpoints need: check the password (throttled), then issue the token."""

    db_session: AsyncSession
    hasher: PasswordHasher
    policy: ThrottlePolicy
    issuer: TokenIssuer
    address: str | None

    async def token_for(self, email: str, password: str, device_token: str | None = None) -> LoginResponse:
        outcome = await accounts.authenticate(
            db_session=self.db_session,
            hasher=self.hasher,
            policy=self.policy,
            email=email,
            password=password,
            address=self.address,
            device_token=device_token,
        )
        return LoginResponse(
            **token_for(outcome.user, self.issuer).model_dump(),
            device_token=outcome.device_token,
            must_change_password=outcome.user.must_change_password,
        )


def _password_login(
    db_session: SessionDep,
    hasher: HasherDep,
    issuer: IssuerDep,
    policy: ThrottlePolicyDep,
    address: ClientAddressDep,
) -> PasswordLogin:
    return PasswordLogin(db_session, hasher, policy, issuer, address)


PasswordLoginDep = Annotated[PasswordLogin, Depends(_password_login)]


@router.post(
    "/login",
    response_model=LoginResponse,
    status_code=status.HTTP_200_OK,
    responses=_LOGIN_RESPONSES,
    summary="Log in with email and password; returns a 2-hour bearer token and a device token",
)
async def login(credentials: LoginRequest, logins: PasswordLoginDep) -> LoginResponse:
    return await logins.token_for(credentials.email, credentials.password, credentials.device_token)


@router.post(
    "/token",
    response_model=LoginResponse,
    status_code=status.HTTP_200_OK,
    responses=_LOGIN_RESPONSES,
    summary="OAuth2 password flow (username = email): what the /docs Authorize button calls",
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], logins: PasswordLoginDep
) -> LoginResponse:
    return await logins.token_for(form.username, form.password)


@router.post(
    "/service-token",
    response_model=TokenResponse,
    status_code=status.HTTP_200_OK,
    responses={
        401: {"description": "Unknown client, wrong secret or no secret configured (one answer)"},
        429: {"description": "Too many requests from this address; see the Retry-After header"},
    },
    summary=(
        'Service token for another service (client_id "customers" + CUSTOMERS_SERVICE_SECRET); '
        "returns a 10-minute bearer token with role service"
    ),
)
async def service_token(
    credentials: ServiceTokenRequest,
    issuer: IssuerDep,
    clients: ServiceClientsDep,
    db_session: SessionDep,
    policy: ThrottlePolicyDep,
    address: ClientAddressDep,
) -> TokenResponse:
    # Counted before the secret is checked, like a login; a success takes its count back.
    limits = policy.service_token_limits(address=address)
    wait = await login_throttle.count_attempt(
        db_session=db_session, policy=policy, limits=limits, now=utc_now()
    )
    await db_session.commit()
    if wait is not None:
        raise TooManyAttemptsError(wait, detail="Too many service-token requests; try again later")
    token = clients.issue_token(
        issuer, client_id=credentials.client_id, client_secret=credentials.client_secret
    )
    for key in limits:
        await login_throttle.give_back(db_session=db_session, key=key)
    await db_session.commit()
    return TokenResponse(access_token=token, expires_in=CLIENT_TOKEN_TTL_SECONDS)
