"""The recycle bin: deleted customers kept for RECYCLE_BIN_DAYS with their history, observed scores
and external id (still reserved), restorable, then purged for good. A binned customer has
``deleted_at`` set; every read but the bin's own skips it and the aggregates' triggers count it
nowhere (migration 20261206_0213). Nothing here commits."""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from customers_service.customer_reads import CustomerWithLatest
from customers_service.models import Customer, Prediction

RECYCLE_BIN_DAYS = 30
PURGE_BATCH = 1000
logger = logging.getLogger(__name__)


async def move_to_bin(*, session: AsyncSession, owner_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Bin those of ``ids`` that are the owner's and not binned yet; how many were."""
    result = await session.execute(
        update(Customer)
        .where(
            col(Customer.owner_id) == owner_id,
            col(Customer.id).in_(list(ids)),
            col(Customer.deleted_at).is_(None),
        )
        .values(deleted_at=func.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def still_live(*, session: AsyncSession, customer_id: uuid.UUID) -> bool:
    """In a write's transaction, before its commit: the customer is neither binned nor purged (its row
    locked until the commit, so a delete cannot land in between)."""
    deleted_at = await session.execute(
        select(col(Customer.deleted_at)).where(col(Customer.id) == customer_id).with_for_update()
    )
    row = deleted_at.first()
    return row is not None and row[0] is None


async def restore(*, session: AsyncSession, owner_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Take those of ``ids`` that are in the owner's bin out of it; how many were."""
    result = await session.execute(
        update(Customer)
        .where(
            col(Customer.owner_id) == owner_id,
            col(Customer.id).in_(list(ids)),
            col(Customer.deleted_at).is_not(None),
        )
        .values(deleted_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def page(
    *, session: AsyncSession, owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[CustomerWithLatest], int]:
    """The owner's binned customers, the most recently deleted first, and how many there are."""
    binned = (col(Customer.owner_id) == owner_id, col(Customer.deleted_at).is_not(None))
    rows = await session.execute(
        select(Customer, Prediction)
        .outerjoin(Prediction, col(Prediction.id) == col(Customer.latest_prediction_id))
        .where(*binned)
        .order_by(col(Customer.deleted_at).desc(), col(Customer.id).desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(Customer).where(*binned))
    return [CustomerWithLatest(row[0], row[1]) for row in rows], int(total or 0)


async def purge_expired(*, session: AsyncSession, now: datetime, days: int = RECYCLE_BIN_DAYS) -> int:
    """Delete for good (predictions and observed scores cascade) up to PURGE_BATCH customers binned
    more than ``days`` ago, of every owner; how many. Call again until it returns less than a batch."""
    expired = (
        select(col(Customer.id))
        .where(col(Customer.deleted_at) < now - timedelta(days=days))
        .limit(PURGE_BATCH)
        .scalar_subquery()
    )
    result = await session.execute(delete(Customer).where(col(Customer.id).in_(expired)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def purge_all_expired(*, sessionmaker: async_sessionmaker[AsyncSession], days: int) -> int:
    """Every customer binned more than ``days`` ago purged, a batch per transaction; how many."""
    purged = 0
    while True:
        async with sessionmaker() as session:
            count = await purge_expired(session=session, now=datetime.now(UTC), days=days)
            await session.commit()
        purged += count
        if count < PURGE_BATCH:
            return purged


async def purge_forever(
    *, sessionmaker: async_sessionmaker[AsyncSession], days: int, interval_seconds: float
) -> None:
    """The periodic job: purge, sleep, again (any replica may run it: a purge is idempotent)."""
    while True:
        try:
            purged = await purge_all_expired(sessionmaker=sessionmaker, days=days)
            if purged:
                logger.info("recycle bin purged", extra={"customers": purged})
        except Exception:
            logger.exception("recycle bin purge failed; trying again later")
        await asyncio.sleep(interval_seconds)
