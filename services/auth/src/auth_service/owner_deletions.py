"""The outbox of deleted users whose customers must still be deleted, and the worker that drains it.

A user's deletion writes the outbox row in the same transaction, so it never fails because the
customers service is down; the worker retries with backoff until the customers service acknowledges.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.customers_client import CustomersClient, CustomersUnavailableError
from auth_service.models import PendingOwnerDeletion, utc_now

logger = logging.getLogger(__name__)


async def record(*, db_session: AsyncSession, owner_id: uuid.UUID) -> None:
    now = utc_now()
    await db_session.exec(
        insert(PendingOwnerDeletion)
        .values(owner_id=owner_id, created_at=now, attempts=0, next_attempt_at=now)
        .on_conflict_do_nothing()
    )


async def lock_due(*, db_session: AsyncSession, now: datetime, limit: int) -> Sequence[PendingOwnerDeletion]:
    """Due deletions, locked; rows another replica is working on are skipped."""
    statement = (
        select(PendingOwnerDeletion)
        .where(col(PendingOwnerDeletion.next_attempt_at) <= now)
        .order_by(col(PendingOwnerDeletion.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await db_session.exec(statement)).all()


class OwnerDeletionWorker:
    """A background task of the app: delivers due deletions, sleeping between rounds or until woken."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        customers: CustomersClient,
        *,
        poll_seconds: float,
        retry_base_seconds: float,
        retry_max_seconds: float,
        batch_size: int = 20,
    ):
        self._session_factory = session_factory
        self._customers = customers
        self._poll_seconds = poll_seconds
        self._retry_base_seconds = retry_base_seconds
        self._retry_max_seconds = retry_max_seconds
        self._batch_size = batch_size
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
            except Exception:
                # The database may be briefly unreachable: keep the worker alive and try again later.
                logger.exception("owner deletion round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def deliver_due(self) -> int:
        """One round: try every due deletion once; returns how many were acknowledged."""
        delivered = 0
        async with self._session_factory() as db_session, db_session.begin():
            for pending in await lock_due(db_session=db_session, now=utc_now(), limit=self._batch_size):
                try:
                    await self._customers.delete_owner_customers(pending.owner_id)
                except CustomersUnavailableError as exc:
                    pending.attempts += 1
                    pending.last_error = str(exc)[:500]
                    pending.next_attempt_at = utc_now() + self.backoff(pending.attempts)
                    db_session.add(pending)
                    logger.warning(
                        "customers of a deleted owner not deleted yet; will retry",
                        extra={
                            "owner_id": str(pending.owner_id),
                            "attempts": pending.attempts,
                            "error": pending.last_error,
                        },
                    )
                else:
                    await db_session.delete(pending)
                    delivered += 1
                    logger.info(
                        "customers of a deleted owner deleted", extra={"owner_id": str(pending.owner_id)}
                    )
        return delivered
