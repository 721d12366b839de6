"""The account rules: login with throttling, create/update/delete with the last-admin guard, bootstrap."""

import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import login_throttle, owner_deletions, user_repository
from auth_service.errors import (
    InvalidCredentialsError,
    LastAdminError,
    TooManyAttemptsError,
    WrongCurrentPasswordError,
)
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import User, utc_now
from auth_service.passwords import PasswordHasher
from auth_service.schemas import ProfileUpdate, UserCreate, UserUpdate

logger = logging.getLogger(__name__)

ADMIN_ROLES = ("admin", "user")


async def authenticate(
    *,
    db_session: AsyncSession,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    email: str,
    password: str,
    address: str | None,
) -> User:
    """The active user with this email and password. Unknown email, wrong password and deactivated
    account all raise the same InvalidCredentialsError after the same bcrypt work."""
    email = email.strip().lower()
    now = utc_now()
    wait = await login_throttle.count_attempt(
        db_session=db_session,
        policy=policy,
        limits=policy.login_limits(email=email, address=address),
        now=now,
    )
    user = (
        None if wait is not None else await user_repository.get_by_email(db_session=db_session, email=email)
    )
    # The attempt is recorded and the connection goes back to the pool before bcrypt's ~250 ms.
    await db_session.commit()
    if wait is not None:
        raise TooManyAttemptsError(wait)
    if user is None:
        await hasher.verify_dummy(password)
        raise InvalidCredentialsError()
    if not (await hasher.verify(password, user.password_hash) and user.is_active):
        raise InvalidCredentialsError()
    await login_throttle.forget_successful_login(db_session=db_session, email=email, address=address)
    user.last_login_at = now
    await user_repository.save(db_session=db_session, user=user)
    await db_session.commit()
    return user


async def create_user(*, db_session: AsyncSession, hasher: PasswordHasher, request: UserCreate) -> User:
    user = await user_repository.create(
        db_session=db_session,
        email=request.email,
        name=request.name,
        password_hash=await hasher.hash(request.password),
        roles=request.roles,
    )
    await db_session.commit()
    logger.info("user created", extra={"user_id": str(user.id), "roles": user.roles})
    return user


async def update_user(*, db_session: AsyncSession, user: User, changes: UserUpdate | ProfileUpdate) -> User:
    fields = changes.model_dump(exclude_unset=True)
    if "roles" in fields:
        fields["roles"] = sorted(set(fields["roles"]))
    stays_active_admin = "admin" in fields.get("roles", user.roles) and fields.get(
        "is_active", user.is_active
    )
    if not stays_active_admin:
        await _refuse_if_last_admin(db_session=db_session, user=user)
    for name, value in fields.items():
        setattr(user, name, value)
    user.updated_at = utc_now()
    await user_repository.save(db_session=db_session, user=user)
    await db_session.commit()
    await db_session.refresh(user)
    return user


async def change_password(
    *,
    db_session: AsyncSession,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    user: User,
    current_password: str,
    new_password: str,
) -> None:
    """Set a new password once the current one is given; a wrong one counts as a guess, throttled
    like logins."""
    limits = policy.password_change_limits(user_id=user.id)
    wait = await login_throttle.count_attempt(
        db_session=db_session, policy=policy, limits=limits, now=utc_now()
    )
    await db_session.commit()
    if wait is not None:
        raise TooManyAttemptsError(wait, detail="Too many wrong current passwords; try again later")
    if not await hasher.verify(current_password, user.password_hash):
        raise WrongCurrentPasswordError()
    user.password_hash = await hasher.hash(new_password)
    user.updated_at = utc_now()
    await login_throttle.forget(db_session=db_session, key=login_throttle.password_change_key(user.id))
    await user_repository.save(db_session=db_session, user=user)
    await db_session.commit()


async def delete_user(*, db_session: AsyncSession, user: User) -> None:
    """Delete the account and, in the same transaction, queue the deletion of its customers."""
    await _refuse_if_last_admin(db_session=db_session, user=user)
    await owner_deletions.record(db_session=db_session, owner_id=user.id)
    await user_repository.delete(db_session=db_session, user=user)
    await db_session.commit()
    logger.info("user deleted", extra={"user_id": str(user.id)})


async def _refuse_if_last_admin(*, db_session: AsyncSession, user: User) -> None:
    if not (user.is_admin and user.is_active):
        return
    if await user_repository.lock_active_admin_ids(db_session=db_session) <= {user.id}:
        raise LastAdminError()


@dataclass(frozen=True)
class AdminOutcome:
    user: User
    created: bool


async def ensure_admin(
    *,
    db_session: AsyncSession,
    hasher: PasswordHasher,
    email: str,
    password: str,
    name: str,
    reset_existing: bool,
) -> AdminOutcome:
    """Create an admin; an existing account is left alone, or (``reset_existing``) made an active
    admin with this password."""
    existing = await user_repository.get_by_email(db_session=db_session, email=email)
    if existing is None:
        user = await user_repository.create(
            db_session=db_session,
            email=email,
            name=name,
            password_hash=await hasher.hash(password),
            roles=ADMIN_ROLES,
        )
        await db_session.commit()
        return AdminOutcome(user, created=True)
    if reset_existing:
        existing.password_hash = await hasher.hash(password)
        existing.roles = sorted({*existing.roles, *ADMIN_ROLES})
        existing.is_active = True
        existing.updated_at = utc_now()
        await user_repository.save(db_session=db_session, user=existing)
        await db_session.commit()
    return AdminOutcome(existing, created=False)
