"""The account rules: login with throttling, create/update/delete with the last-admin guard, bootstrap."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.exceptions import RequestValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import device_tokens, login_throttle, owner_deletions, revocations, user_repository
from auth_service.errors import (
    AccountDeactivatedError,
    EmailAlreadyUsedError,
    EmailChangeRefusedError,
    InvalidCredentialsError,
    LastAdminError,
    PreviousPasswordError,
    SamePasswordError,
    TooManyAttemptsError,
    WrongCurrentPasswordError,
)
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import User, utc_now
from auth_service.passwords import PasswordHasher, temporary_password
from auth_service.schemas import ProfileUpdate, UserCreate, UserUpdate, fold_email

logger = logging.getLogger(__name__)

ADMIN_ROLES = ("admin", "user")
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=24)


def _temporary_password_usable(user: User, now: datetime) -> bool:
    expires_at = user.temporary_password_expires_at
    return expires_at is not None and now < expires_at


@dataclass(frozen=True)
class LoginOutcome:
    user: User
    device_token: str  # a new one at every login: the browser sends it back next time


async def authenticate(
    *,
    db_session: AsyncSession,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    email: str,
    password: str,
    address: str | None,
    device_token: str | None = None,
) -> LoginOutcome:
    """The active user with this email and password, and a fresh device token for the browser.

    Unknown email and wrong password raise the same InvalidCredentialsError after the same bcrypt work;
    the right password of a deactivated account raises AccountDeactivatedError. With a valid device
    token of this account the attempt is counted on that token instead of the account.
    """
    email = fold_email(email)
    now = utc_now()
    device_hash = (
        await device_tokens.valid_for(db_session=db_session, token=device_token, email=email, now=now)
        if device_token
        else None
    )
    wait = await login_throttle.count_attempt(
        db_session=db_session,
        policy=policy,
        limits=policy.login_limits(email=email, address=address, device_hash=device_hash),
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
    if not await hasher.verify(password, user.password_hash):
        raise InvalidCredentialsError()
    if user.must_change_password and not _temporary_password_usable(user, now):
        raise InvalidCredentialsError()  # expired or used: the admin resets it again
    if not user.is_active:
        raise AccountDeactivatedError()
    if user.must_change_password:
        user.temporary_password_expires_at = now  # used: this sign-in is the one it allows
    await login_throttle.forget_successful_login(
        db_session=db_session, email=email, address=address, device_hash=device_hash
    )
    if device_hash:
        await device_tokens.forget(db_session=db_session, hashed=device_hash)
    new_device_token = await device_tokens.issue(db_session=db_session, user_id=user.id, now=now)
    user.last_login_at = now
    await user_repository.save(db_session=db_session, user=user)
    await db_session.commit()
    return LoginOutcome(user, new_device_token)


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
    # Tokens carry the roles: those issued before a role is taken away or the account is deactivated
    # are void (a promotion voids nothing: an old token only lacks the new role until re-login).
    authority_lost = bool(set(user.roles) - set(fields.get("roles", user.roles))) or (
        user.is_active and not fields.get("is_active", True)
    )
    for name, value in fields.items():
        setattr(user, name, value)
    user.updated_at = utc_now()
    if authority_lost:
        await revocations.revoke_tokens(db_session=db_session, user_id=user.id)
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
    like logins. Every token issued until now is void (the caller issues the session a fresh one)."""
    limits = policy.password_change_limits(user_id=user.id)
    wait = await login_throttle.count_attempt(
        db_session=db_session, policy=policy, limits=limits, now=utc_now()
    )
    await db_session.commit()
    if wait is not None:
        raise TooManyAttemptsError(wait, detail="Too many wrong current passwords; try again later")
    if not await hasher.verify(current_password, user.password_hash):
        raise WrongCurrentPasswordError()
    if new_password == current_password:
        raise SamePasswordError()
    if user.previous_password_hash and await hasher.verify(new_password, user.previous_password_hash):
        raise PreviousPasswordError()
    user.password_hash = await hasher.hash(new_password)
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.previous_password_hash = None
    user.updated_at = utc_now()
    await login_throttle.forget(db_session=db_session, key=login_throttle.password_change_key(user.id))
    await revocations.revoke_tokens(db_session=db_session, user_id=user.id)
    await user_repository.save(db_session=db_session, user=user)
    await db_session.commit()


async def _check_current_password(
    *, db_session: AsyncSession, hasher: PasswordHasher, policy: ThrottlePolicy, user: User, password: str
) -> bool:
    """The current password, checked as a guess: throttled like a password change (429)."""
    limits = policy.password_change_limits(user_id=user.id)
    wait = await login_throttle.count_attempt(
        db_session=db_session, policy=policy, limits=limits, now=utc_now()
    )
    await db_session.commit()
    if wait is not None:
        raise TooManyAttemptsError(wait, detail="Too many wrong current passwords; try again later")
    return await hasher.verify(password, user.password_hash)


async def update_own_profile(
    *,
    db_session: AsyncSession,
    hasher: PasswordHasher,
    policy: ThrottlePolicy,
    user: User,
    changes: ProfileUpdate,
) -> User:
    """A user's own name and email; a new email needs the current password, and a wrong password and
    an address another account has get the same answer (EmailChangeRefusedError)."""
    profile = ProfileUpdate.model_validate(
        changes.model_dump(exclude_unset=True, exclude={"current_password"})
    )
    if changes.email is None or changes.email == user.email:
        return await update_user(db_session=db_session, user=user, changes=profile)
    if changes.current_password is None:
        raise RequestValidationError(
            [
                {
                    "type": "missing",
                    "loc": ("body", "current_password"),
                    "msg": "Field required to change the email",
                }
            ]
        )
    if not await _check_current_password(
        db_session=db_session, hasher=hasher, policy=policy, user=user, password=changes.current_password
    ):
        raise EmailChangeRefusedError()
    try:
        updated = await update_user(db_session=db_session, user=user, changes=profile)
    except EmailAlreadyUsedError as exc:
        await db_session.rollback()
        raise EmailChangeRefusedError() from exc
    await login_throttle.forget(db_session=db_session, key=login_throttle.password_change_key(user.id))
    await db_session.commit()
    return updated


async def delete_own_account(
    *, db_session: AsyncSession, hasher: PasswordHasher, policy: ThrottlePolicy, user: User, password: str
) -> None:
    """Self-deletion needs the current password (a stolen session alone cannot delete the store)."""
    if not await _check_current_password(
        db_session=db_session, hasher=hasher, policy=policy, user=user, password=password
    ):
        raise WrongCurrentPasswordError()
    await delete_user(db_session=db_session, user=user)


async def reset_password(*, db_session: AsyncSession, hasher: PasswordHasher, user: User) -> str:
    """An admin's reset: a generated temporary password (returned once, stored hashed) that the user
    must replace at the next sign-in; every token the user holds is void."""
    password = temporary_password()
    if not user.must_change_password:  # a second reset keeps the password from before the first
        user.previous_password_hash = user.password_hash
    user.password_hash = await hasher.hash(password)
    user.must_change_password = True
    user.temporary_password_expires_at = utc_now() + TEMPORARY_PASSWORD_LIFETIME
    user.updated_at = utc_now()
    await revocations.revoke_tokens(db_session=db_session, user_id=user.id)
    await user_repository.save(db_session=db_session, user=user)
    await db_session.commit()
    logger.info("password reset by an admin", extra={"user_id": str(user.id)})
    return password


async def delete_user(*, db_session: AsyncSession, user: User) -> None:
    """Delete the account and, in the same transaction, queue the deletion of its customers."""
    await _refuse_if_last_admin(db_session=db_session, user=user)
    await owner_deletions.record(db_session=db_session, owner_id=user.id)
    await revocations.revoke_tokens(db_session=db_session, user_id=user.id)
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
        password_hash = await hasher.hash(password)
        try:
            user = await user_repository.create(
                db_session=db_session, email=email, name=name, password_hash=password_hash, roles=ADMIN_ROLES
            )
            await db_session.commit()
            return AdminOutcome(user, created=True)
        except EmailAlreadyUsedError:
            # Another replica, started at the same moment, created it first: it exists now.
            await db_session.rollback()
            existing = await user_repository.get_by_email(db_session=db_session, email=email)
            if existing is None:
                raise
    if reset_existing:
        existing.password_hash = await hasher.hash(password)
        existing.roles = sorted({*existing.roles, *ADMIN_ROLES})
        existing.is_active = True
        existing.must_change_password = False
        existing.updated_at = utc_now()
        await revocations.revoke_tokens(db_session=db_session, user_id=existing.id)
        await user_repository.save(db_session=db_session, user=existing)
        await db_session.commit()
    return AdminOutcome(existing, created=False)
