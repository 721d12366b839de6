"""The cap on an owner's customers (CUSTOMERS_MAX_PER_OWNER), held exactly however many requests and
replicas add customers at once: the check and the insert share one transaction, and the owner's
writers that add customers take turns through a transaction-scoped PostgreSQL advisory lock."""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from customers_service import customer_reads
from customers_service.errors import CustomerLimitReached

# hashtextextended gives a 64-bit key: two owners sharing one would only take turns, never miscount.
_TAKE_OWNERS_ADD_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def refuse_when_full(*, session: AsyncSession, owner_id: uuid.UUID, max_customers: int) -> None:
    """A quick early refusal before costly work (a prediction): CustomerLimitReached when the owner is at
    the cap already. Not a guarantee; ``make_room`` is, inside the transaction that inserts."""
    count = await customer_reads.count_without_search(session=session, owner_id=owner_id)
    await session.commit()
    if count >= max_customers:
        raise CustomerLimitReached(max_customers)


async def make_room(*, session: AsyncSession, owner_id: uuid.UUID, adding: int, max_customers: int) -> None:
    """In the transaction that will insert ``adding`` customers, before inserting: wait until no other
    transaction adding customers for this owner is open, then count what is committed;
    CustomerLimitReached (the caller rolls back) when the new ones would pass ``max_customers``.
    The lock is released by the commit or rollback, so the next writer counts these ones too."""
    await session.execute(_TAKE_OWNERS_ADD_LOCK, {"key": f"customers-of:{owner_id}"})
    count = await customer_reads.count_without_search(session=session, owner_id=owner_id)
    if count + adding > max_customers:
        raise CustomerLimitReached(max_customers)
