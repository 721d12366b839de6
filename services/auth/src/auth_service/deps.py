"""FastAPI dependencies: the per-request database session, the process-wide parts, the current user."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import user_repository
from auth_service.errors import AccountUnavailableError, ForbiddenError, NotFoundError
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import User
from auth_service.owner_deletions import OwnerDeletionWorker
from auth_service.passwords import PasswordHasher
from auth_service.service_clients import ServiceClients
from auth_service.tokens import TokenIssuer
from spendscore_common.security import CurrentPrincipal, oauth2_scheme

# Declared so that /docs offers the password flow against this service's own /auth/token.
_oauth2 = oauth2_scheme("/auth/token")


async def _db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as db_session:
        yield db_session


def _hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


def _issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


def _throttle_policy(request: Request) -> ThrottlePolicy:
    policy: ThrottlePolicy = request.app.state.throttle_policy
    return policy


def _service_clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.service_clients
    return clients


def _deletion_worker(request: Request) -> OwnerDeletionWorker:
    worker: OwnerDeletionWorker = request.app.state.deletion_worker
    return worker


SessionDep = Annotated[AsyncSession, Depends(_db_session)]
HasherDep = Annotated[PasswordHasher, Depends(_hasher)]
IssuerDep = Annotated[TokenIssuer, Depends(_issuer)]
ThrottlePolicyDep = Annotated[ThrottlePolicy, Depends(_throttle_policy)]
ServiceClientsDep = Annotated[ServiceClients, Depends(_service_clients)]
DeletionWorkerDep = Annotated[OwnerDeletionWorker, Depends(_deletion_worker)]


async def _current_user(
    principal: CurrentPrincipal,
    db_session: SessionDep,
    _docs_scheme: Annotated[str | None, Depends(_oauth2)],
) -> User:
    """The account behind a verified token; a token outliving its account (deleted, deactivated) is 401."""
    try:
        user_id = uuid.UUID(principal.user_id)
    except ValueError as exc:
        raise AccountUnavailableError() from exc
    user = await user_repository.get(db_session=db_session, user_id=user_id)
    if user is None or not user.is_active:
        raise AccountUnavailableError()
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


async def _current_admin(user: CurrentUser) -> User:
    # The database's roles, not the token's: a demoted admin loses access at once.
    if not user.is_admin:
        raise ForbiddenError()
    return user


CurrentAdmin = Annotated[User, Depends(_current_admin)]


async def user_by_id(user_id: uuid.UUID, db_session: SessionDep, _admin: CurrentAdmin) -> User:
    """The user named in the path, for an admin; 404 when there is none."""
    user = await user_repository.get(db_session=db_session, user_id=user_id)
    if user is None:
        raise NotFoundError()
    return user


UserById = Annotated[User, Depends(user_by_id)]
