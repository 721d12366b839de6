"""Throttling of password guesses, kept in PostgreSQL (so it holds across replicas): logins per email (or,
from a browser holding a device token of the account, per device token) and per address, password changes
per user, service-token requests per address.

An attempt is counted *before* the password is checked, in one atomic upsert per key, so parallel
requests cannot all pass a check made before any of them is recorded.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.models import LoginThrottle


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_email: int  # per account and address, for a login without a device token
    max_failures_per_address: int
    window: timedelta
    max_failures_per_device: int = 5
    max_failures_per_account: int = 50  # per account from every address together, without a device token

    def login_limits(
        self, *, email: str, address: str | None, device_hash: str | None = None
    ) -> dict[str, int]:
        """With a valid device token of the account: per device token only (the browser proved an
        earlier sign-in; no stranger's guesses touch its budget). Without one: per account *and
        address*, so that a few strangers' guesses lock only themselves out and not the owner on a
        new device; per account from every address together at a higher ceiling, which bounds a
        distributed guesser and which a sign-in from a known device or an admin's unlock clears;
        and per address."""
        if device_hash:
            return {device_key(device_hash): self.max_failures_per_device}
        limits = {
            email_address_key(email, address): self.max_failures_per_email,
            email_key(email): self.max_failures_per_account,
        }
        if address:
            limits[address_key(address)] = self.max_failures_per_address
        return limits

    def service_token_limits(self, *, address: str | None) -> dict[str, int]:
        # Per address only: a per-client lock would let anyone lock the customers service out.
        return {service_token_key(address or "unknown"): self.max_failures_per_address}

    def password_change_limits(self, *, user_id: uuid.UUID) -> dict[str, int]:
        # A wrong current password is a guess at the account's password: the per-account login limit.
        return {password_change_key(user_id): self.max_failures_per_email}


def email_key(email: str) -> str:
    return f"email:{email}"


def email_address_key(email: str, address: str | None) -> str:
    return f"email-address:{email}|{address or 'unknown'}"


def address_key(address: str) -> str:
    return f"address:{address}"


def device_key(device_hash: str) -> str:
    return f"device:{device_hash}"


def service_token_key(address: str) -> str:
    return f"service-token:{address}"


def password_change_key(user_id: uuid.UUID) -> str:
    return f"password:{user_id}"


async def count_attempt(
    *, db_session: AsyncSession, policy: ThrottlePolicy, limits: dict[str, int], now: datetime
) -> int | None:
    """Count one attempt for every key (an expired window starts again at 1); None when the attempt
    may go on, else how many seconds the caller has to wait. Commit soon: the rows stay locked."""
    expired = col(LoginThrottle.window_started_at) <= now - policy.window
    # One statement, keys in a fixed order: concurrent attempts lock the rows in the same order.
    statement = (
        insert(LoginThrottle)
        .values([{"key": key, "failures": 1, "window_started_at": now} for key in sorted(limits)])
        .on_conflict_do_update(
            index_elements=[col(LoginThrottle.key)],
            set_={
                "failures": case((expired, 1), else_=col(LoginThrottle.failures) + 1),
                "window_started_at": case((expired, now), else_=col(LoginThrottle.window_started_at)),
            },
        )
        .returning(col(LoginThrottle.key), col(LoginThrottle.failures), col(LoginThrottle.window_started_at))
    )
    counted = (await db_session.exec(statement)).all()
    waits = [
        (window_started_at + policy.window - now).total_seconds()
        for key, failures, window_started_at in counted
        if failures > limits[key]
    ]
    return max(1, math.ceil(max(waits))) if waits else None


async def forget_successful_login(
    *, db_session: AsyncSession, email: str, address: str | None, device_hash: str | None = None
) -> None:
    """A successful login (the right password) clears the account's failures: from every address
    together, and from this address or this device token; it takes back its own count from the
    address, whose earlier failures are kept: nobody's good logins may reset the budget someone
    spends guessing from that address."""
    await forget(db_session=db_session, key=email_key(email))
    if device_hash:
        await forget(db_session=db_session, key=device_key(device_hash))
    else:
        await forget(db_session=db_session, key=email_address_key(email, address))
        if address:
            await give_back(db_session=db_session, key=address_key(address))


async def unlock_account(*, db_session: AsyncSession, email: str) -> None:
    """An admin's unlock: the account's failures from every address are forgotten."""
    await db_session.exec(
        delete(LoginThrottle).where(
            (col(LoginThrottle.key) == email_key(email))
            | col(LoginThrottle.key).startswith(f"email-address:{email}|", autoescape=True)
        )
    )


async def give_back(*, db_session: AsyncSession, key: str) -> None:
    """Take one attempt back from ``key``'s count (it was a success)."""
    await db_session.exec(
        update(LoginThrottle)
        .where(col(LoginThrottle.key) == key)
        .values(failures=func.greatest(col(LoginThrottle.failures) - 1, 0))
    )


async def forget(*, db_session: AsyncSession, key: str) -> None:
    await db_session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == key))


async def delete_expired(*, db_session: AsyncSession, policy: ThrottlePolicy, now: datetime) -> int:
    """Drop the rows whose window has passed (they count for nothing); returns how many."""
    result = await db_session.exec(
        delete(LoginThrottle).where(col(LoginThrottle.window_started_at) <= now - policy.window)
    )
    return result.rowcount
