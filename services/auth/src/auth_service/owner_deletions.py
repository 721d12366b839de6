"""The outbox of deleted users whose customers must still be deleted, and the worker that drains it.

A user's deletion writes the outbox row in the same transaction, so it never fails because the
customers service is down; the worker retries with backoff until the customers service acknowledges.
A token issued before the deletion stays valid for its lifetime, so its owner could still create
customers after the first acknowledgement: the row is kept and the call made once more after every
such token has expired; only an acknowledgement of that last call removes the row.

The worker is also the app's housekeeper: once a minute it drops expired login throttle rows, device
tokens and revocations.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import device_tokens, login_throttle, revocations
from auth_service.customers_client import CustomersClient, CustomersUnavailableError
from auth_service.login_throttle import ThrottlePolicy
from auth_service.models import PendingOwnerDeletion, utc_now
from auth_service.tokens import ACCESS_TOKEN_TTL_SECONDS

logger = logging.getLogger(__name__)

# Past the verifiers' 30 s leeway, clock skew between hosts and a request still in flight.
TOKEN_EXPIRY_LEEWAY = timedelta(minutes=5)
# How long a claimed row is left to the worker that claimed it; a crashed worker's rows come back then.
CLAIM_LEASE = timedelta(minutes=2)
THROTTLE_PURGE_INTERVAL = timedelta(minutes=1)


def last_call_at(created_at: datetime) -> datetime:
    """When every token issued before the deletion has expired: the call from then on is the last one."""
    return created_at + timedelta(seconds=ACCESS_TOKEN_TTL_SECONDS) + TOKEN_EXPIRY_LEEWAY


@dataclass(frozen=True)
class ClaimedDeletion:
    owner_id: uuid.UUID
    created_at: datetime
    attempts: int


async def record(*, db_session: AsyncSession, owner_id: uuid.UUID) -> None:
    now = utc_now()
    await db_session.exec(
        insert(PendingOwnerDeletion)
        .values(owner_id=owner_id, created_at=now, attempts=0, next_attempt_at=now)
        .on_conflict_do_nothing()
    )


async def claim_due(
    *, db_session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> Sequence[ClaimedDeletion]:
    """Due deletions, hidden from other workers until ``lease_until``; rows another replica is
    claiming at this moment are skipped."""
    due = (
        select(PendingOwnerDeletion.owner_id)
        .where(col(PendingOwnerDeletion.next_attempt_at) <= now)
        .order_by(col(PendingOwnerDeletion.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(PendingOwnerDeletion)
        .where(col(PendingOwnerDeletion.owner_id).in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(
            col(PendingOwnerDeletion.owner_id),
            col(PendingOwnerDeletion.created_at),
            col(PendingOwnerDeletion.attempts),
        )
    )
    rows = (await db_session.exec(statement)).all()
    return [ClaimedDeletion(owner_id, created_at, attempts) for owner_id, created_at, attempts in rows]


async def remove(*, db_session: AsyncSession, owner_id: uuid.UUID) -> None:
    await db_session.exec(delete(PendingOwnerDeletion).where(col(PendingOwnerDeletion.owner_id) == owner_id))


async def reschedule(
    *,
    db_session: AsyncSession,
    owner_id: uuid.UUID,
    next_attempt_at: datetime,
    attempts: int,
    last_error: str | None,
) -> None:
    await db_session.exec(
        update(PendingOwnerDeletion)
        .where(col(PendingOwnerDeletion.owner_id) == owner_id)
        .values(next_attempt_at=next_attempt_at, attempts=attempts, last_error=last_error)
    )


class OwnerDeletionWorker:
    """A background task of the app: delivers due deletions, sleeping between rounds or until woken;
    between rounds, at most once a minute, it drops expired login throttle rows."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        customers: CustomersClient,
        *,
        throttle_policy: ThrottlePolicy,
        poll_seconds: float,
        retry_base_seconds: float,
        retry_max_seconds: float,
        batch_size: int = 20,
    ):
        self._session_factory = session_factory
        self._customers = customers
        self._throttle_policy = throttle_policy
        self._poll_seconds = poll_seconds
        self._retry_base_seconds = retry_base_seconds
        self._retry_max_seconds = retry_max_seconds
        self._batch_size = batch_size
        self._next_throttle_purge: datetime | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="owner-deletion-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Deliver now rather than at the next poll (called right after a deletion is recorded)."""
        self._wake.set()

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self._retry_max_seconds, self._retry_base_seconds * 2 ** (attempts - 1)))

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
                await self.purge_expired_throttles()
            except Exception:
                # The database may be briefly unreachable: keep the worker alive and try again later.
                logger.exception("owner deletion round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def purge_expired_throttles(self) -> None:
        """Drop expired login throttle rows, device tokens and revocations, unless that was done less
        than a minute ago."""
        now = utc_now()
        if self._next_throttle_purge is not None and now < self._next_throttle_purge:
            return
        self._next_throttle_purge = now + THROTTLE_PURGE_INTERVAL
        async with self._session_factory() as db_session, db_session.begin():
            await login_throttle.delete_expired(db_session=db_session, policy=self._throttle_policy, now=now)
            await device_tokens.delete_expired(db_session=db_session, now=now)
            await revocations.delete_expired(db_session=db_session, now=now)

    async def deliver_due(self) -> int:
        """One round: call the customers service once for every due deletion; returns how many rows
        were finished (acknowledged after the last token expired). No transaction is open during a call."""
        now = utc_now()
        async with self._session_factory() as db_session, db_session.begin():
            claimed = await claim_due(
                db_session=db_session, now=now, lease_until=now + CLAIM_LEASE, limit=self._batch_size
            )
        finished = 0
        for deletion in claimed:
            finished += await self._deliver(deletion)
        return finished

    async def _deliver(self, deletion: ClaimedDeletion) -> int:
        sent_at = utc_now()
        owner = {"owner_id": str(deletion.owner_id)}
        try:
            await self._customers.delete_owner_customers(deletion.owner_id)
        except CustomersUnavailableError as exc:
            attempts, error = deletion.attempts + 1, str(exc)[:500]
            async with self._session_factory() as db_session, db_session.begin():
                await reschedule(
                    db_session=db_session,
                    owner_id=deletion.owner_id,
                    next_attempt_at=utc_now() + self.backoff(attempts),
                    attempts=attempts,
                    last_error=error,
                )
            logger.warning(
                "customers of a deleted owner not deleted yet; will retry",
                extra={**owner, "attempts": attempts, "error": error},
            )
            return 0
        final_call_at = last_call_at(deletion.created_at)
        was_last_call = sent_at >= final_call_at
        async with self._session_factory() as db_session, db_session.begin():
            if was_last_call:
                await remove(db_session=db_session, owner_id=deletion.owner_id)
            else:
                await reschedule(
                    db_session=db_session,
                    owner_id=deletion.owner_id,
                    next_attempt_at=final_call_at,
                    attempts=0,
                    last_error=None,
                )
        if was_last_call:
            logger.info("customers of a deleted owner deleted for good", extra=owner)
            return 1
        logger.info(
            "customers of a deleted owner deleted; calling again once the owner's tokens have expired",
            extra={**owner, "next_attempt_at": final_call_at.isoformat()},
        )
        return 0
