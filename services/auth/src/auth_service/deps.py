"""FastAPI dependencies: the per-request database session, the process-wide parts, the current user."""

import functools
import ipaddress
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import revocations, user_repository
from auth_service.config import AuthSettings, ProxyNetwork
from auth_service.errors import (
    AccountDeactivatedTokenError,
    AccountDeletedError,
    ForbiddenError,
    NotFoundError,
    PasswordResetTokenError,
    RevokedTokenError,
)
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import User
from auth_service.owner_deletions import OwnerDeletionWorker
from auth_service.passwords import PasswordHasher
from auth_service.service_clients import ServiceClients
from auth_service.tokens import TokenIssuer
from spendscore_common.database import read_without_transaction
from spendscore_common.security import CurrentPrincipal, PrincipalEvenIfPasswordChangeIsDue
from spendscore_common.tokens import Principal


async def _db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as db_session:
        yield db_session


async def _hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


async def _issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


async def _throttle_policy(request: Request) -> ThrottlePolicy:
    policy: ThrottlePolicy = request.app.state.throttle_policy
    return policy


async def _service_clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.service_clients
    return clients


async def _deletion_worker(request: Request) -> OwnerDeletionWorker:
    worker: OwnerDeletionWorker = request.app.state.deletion_worker
    return worker


MAX_FORWARDED_HOPS = 16


async def client_address(request: Request) -> str | None:
    """The caller's address: the peer's, or, when the peer is one of AUTH_TRUSTED_PROXIES (the UI),
    the last address its X-Forwarded-For names that is not a trusted proxy. Anyone else's
    X-Forwarded-For is ignored."""
    settings: AuthSettings = request.app.state.settings
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    if peer is None or not forwarded or not _is_trusted(peer, settings.trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    if len(hops) <= MAX_FORWARDED_HOPS:
        for hop in reversed(hops):
            if not _is_trusted(hop, settings.trusted_proxies):
                if _is_address(hop):
                    return hop
                break
        else:
            return hops[0]
    # Counting a malformed header against the proxy (the UI) would let anyone lock its users out.
    raise RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("header", "x-forwarded-for"),
                "msg": f"Value error, the client's address must be an IP address (at most "
                f"{MAX_FORWARDED_HOPS} hops)",
            }
        ]
    )


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, proxies: Sequence[ProxyNetwork]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


SessionDep = Annotated[AsyncSession, Depends(_db_session)]
ClientAddressDep = Annotated[str | None, Depends(client_address)]
HasherDep = Annotated[PasswordHasher, Depends(_hasher)]
IssuerDep = Annotated[TokenIssuer, Depends(_issuer)]
ThrottlePolicyDep = Annotated[ThrottlePolicy, Depends(_throttle_policy)]
ServiceClientsDep = Annotated[ServiceClients, Depends(_service_clients)]
DeletionWorkerDep = Annotated[OwnerDeletionWorker, Depends(_deletion_worker)]


async def _user_of(principal: Principal, db_session: AsyncSession) -> User:
    """The account behind a verified token; a token outliving its account (deleted, deactivated) or
    revoked (password change, role change, reset) is 401, read from this service's own database on
    every request (one statement: the account and its revocation cut-off)."""
    try:
        user_id = uuid.UUID(principal.user_id)
    except ValueError as exc:
        raise AccountDeletedError() from exc
    user, cutoff = await read_without_transaction(
        db_session, functools.partial(revocations.user_and_cutoff, db_session=db_session, user_id=user_id)
    )
    # Each answer names its reason (``code``), so that a signed-out user is told why (issue 23).
    if user is None:
        raise AccountDeletedError()
    if not user.is_active:
        raise AccountDeactivatedTokenError()
    if cutoff is not None and principal.issued_at < cutoff:
        # A pending reset is the reason; otherwise a password or role change, told alike.
        raise PasswordResetTokenError() if user.must_change_password else RevokedTokenError()
    return user


async def _current_user(
    principal: CurrentPrincipal,
    db_session: SessionDep,
) -> User:
    return await _user_of(principal, db_session)


CurrentUser = Annotated[User, Depends(_current_user)]


async def _user_even_if_password_change_is_due(
    principal: PrincipalEvenIfPasswordChangeIsDue,
    db_session: SessionDep,
) -> User:
    return await _user_of(principal, db_session)


# Only for reading who is signed in and for choosing the new password after an admin's reset.
UserEvenIfPasswordChangeIsDue = Annotated[User, Depends(_user_even_if_password_change_is_due)]


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
