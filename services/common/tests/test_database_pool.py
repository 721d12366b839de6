"""The pool pings nothing before use: a connection the server dropped is replaced at checkout when the
driver has noticed it, and a read that finds it dead first is run once more on a fresh one."""

import asyncio
import functools
import threading

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from spendscore_common.database import make_engine, read_without_transaction


@pytest.fixture(scope="module")
def database_url(test_postgres) -> str:
    return test_postgres.create_database("pool")


@pytest.fixture
async def sessions(database_url):
    engine = make_engine(database_url, pool_size=1)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def _backend_pid(session: AsyncSession) -> int:
    pid: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def _terminate(url: str, pid: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SELECT pg_terminate_backend($1, 10000)", pid)  # waits for its end
    finally:
        await connection.close()


def _terminate_without_yielding(url: str, pid: int) -> None:
    """Ends the backend while this event loop stays blocked: the pooled connection cannot notice."""
    thread = threading.Thread(target=asyncio.run, args=(_terminate(url, pid),))
    thread.start()
    thread.join()


async def test_a_connection_the_server_closed_is_replaced_before_use(sessions, database_url):
    async with sessions() as session:
        dropped = await _backend_pid(session)
        driver_connection = (await (await session.connection()).get_raw_connection()).driver_connection
        await session.commit()
    await _terminate(database_url, dropped)
    while not driver_connection.is_closed():
        await asyncio.sleep(0.01)

    async with sessions() as session:  # a write's session: no retry, so the checkout replaced it
        assert await _backend_pid(session) != dropped


async def test_a_read_on_a_connection_found_dead_runs_once_more_on_a_fresh_one(sessions, database_url):
    async with sessions() as session:
        dropped = await read_without_transaction(session, functools.partial(_backend_pid, session))
    _terminate_without_yielding(database_url, dropped)

    async with sessions() as session:
        assert await read_without_transaction(session, functools.partial(_backend_pid, session)) != dropped
