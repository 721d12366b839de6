"""A 10,000-row import killed (kill -9 of the real customers process) while it writes: nothing of it
stays, no customer without a prediction, and the retried upload then stores it exactly once."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from customers_service import customer_import_writes
from customers_service.schemas import CustomerCreate

ROWS = 10_000
CONTENT = (
    "id,name,gender,age,annual_income\n"
    + "".join(
        f"K{index},Crash {index},{'fm'[index % 2]},{18 + index % 60},{15 + index % 120}\n"
        for index in range(ROWS)
    )
).encode()


async def _state(connection: asyncpg.Connection, owner_id: str) -> tuple[int, int]:
    """(customers, customers whose latest prediction is missing) of the owner."""
    row = await connection.fetchrow(
        "SELECT count(*) AS customers, count(*) FILTER (WHERE p.id IS NULL) AS orphans "
        "FROM customer c LEFT JOIN prediction p ON p.id = c.latest_prediction_id WHERE c.owner_id = $1",
        uuid.UUID(owner_id),
    )
    assert row is not None
    return int(row["customers"]), int(row["orphans"])


async def _wait_for_backend_blocked_on_lock(connection: asyncpg.Connection) -> None:
    for _ in range(600):
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import never reached the locked table")


async def _wait_until_no_open_transaction(connection: asyncpg.Connection) -> None:
    """The killed process's backend has ended its transaction (rolled back or committed)."""
    for _ in range(600):
        open_transactions = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'"
        )
        if not open_transactions:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("a transaction stayed open after the kill")


async def test_kill_9_mid_import_leaves_nothing_then_the_retry_stores_it_once(live_stack):
    customers = live_stack.start("customers")
    owner = live_stack.create_user()
    watcher = await asyncpg.connect(live_stack.database_url("customers"))
    # Its own connection: pg_stat_activity read inside a transaction keeps showing its first snapshot.
    holder = await asyncpg.connect(live_stack.database_url("customers"))
    try:
        async with httpx.AsyncClient(base_url=customers.url, headers=owner.headers, timeout=60) as client:
            # A lock held on the prediction table stops the import between its two COPYs (the
            # customers written, their predictions waiting), so the kill lands there every time:
            # where, before, the customers were already committed without predictions.
            lock = holder.transaction()
            await lock.start()
            await holder.execute("LOCK TABLE prediction IN SHARE MODE")
            upload = asyncio.create_task(
                client.post("/customers/import", files={"file": ("crash.csv", CONTENT, "text/csv")})
            )
            await _wait_for_backend_blocked_on_lock(watcher)
            customers.kill()
            await lock.rollback()
            with pytest.raises(httpx.TransportError):
                await upload
            await _wait_until_no_open_transaction(watcher)
            assert await _state(watcher, owner.id) == (0, 0)

            live_stack.start("customers")
            retried = await client.post(
                "/customers/import", files={"file": ("crash.csv", CONTENT, "text/csv")}
            )
            assert retried.status_code == 201, retried.text
            assert retried.json()["imported"] == ROWS
            assert await _state(watcher, owner.id) == (ROWS, 0)
            # The client does not know whether its retry landed: once more answers the same result.
            again = await client.post("/customers/import", files={"file": ("crash.csv", CONTENT, "text/csv")})
            assert again.json() == retried.json()
            assert await _state(watcher, owner.id) == (ROWS, 0)
    finally:
        await holder.close()
        await watcher.close()


async def test_an_import_rolled_back_leaves_no_customer(api, customers_database_url):
    # The COPYs run on the driver's connection, which SQLAlchemy has not begun a transaction on
    # until a statement runs: they must not commit on their own.
    owner_id = uuid.uuid4()
    records = customer_import_writes.import_records(
        owner_id=owner_id,
        created=[(CustomerCreate(name="Rolled Back", gender="f", age=30, annual_income=40), None)],
        updated=[],
    )
    async with api.app.state.sessionmaker() as session:
        await customer_import_writes.store_import(session=session, records=records)
        await session.rollback()

    connection = await asyncpg.connect(customers_database_url)
    try:
        assert await _state(connection, str(owner_id)) == (0, 0)
    finally:
        await connection.close()
