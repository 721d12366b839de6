"""Login throttling kept in PostgreSQL (so it holds across replicas): failures per email and per address."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.models import LoginThrottle


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_email: int
    max_failures_per_address: int
    window: timedelta

    def keys_and_limits(self, *, email: str, address: str | None) -> dict[str, int]:
        limits = {f"email:{email}": self.max_failures_per_email}
        if address:
            limits[f"address:{address}"] = self.max_failures_per_address
        return limits


async def seconds_until_allowed(
    *, db_session: AsyncSession, policy: ThrottlePolicy, email: str, address: str | None, now: datetime
) -> int | None:
    """None when a login may be tried; else how long the caller has to wait."""
    limits = policy.keys_and_limits(email=email, address=address)
    rows = await db_session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(list(limits))))
    waits = [
        (row.window_started_at + policy.window - now).total_seconds()
        for row in rows
        if row.failures >= limits[row.key] and row.window_started_at + policy.window > now
    ]
    return max(1, math.ceil(max(waits))) if waits else None


async def record_failure(
    *, db_session: AsyncSession, policy: ThrottlePolicy, email: str, address: str | None, now: datetime
) -> None:
    """Count one failed login for the email and the address; an expired window starts again at 1."""
    window_start = now - policy.window
    for key in policy.keys_and_limits(email=email, address=address):
        statement = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
        expired = col(LoginThrottle.window_started_at) <= window_start
        await db_session.exec(
            statement.on_conflict_do_update(
                index_elements=[col(LoginThrottle.key)],
                set_={
                    "failures": case((expired, 1), else_=col(LoginThrottle.failures) + 1),
                    "window_started_at": case((expired, now), else_=col(LoginThrottle.window_started_at)),
                },
            )
        )


async def reset(*, db_session: AsyncSession, email: str) -> None:
    """A successful login clears the email's failures. The address's count is kept on purpose: an
    attacker's own good logins must not reset the budget they spend guessing other accounts."""
    await db_session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == f"email:{email}"))
