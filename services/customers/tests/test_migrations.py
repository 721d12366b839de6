"""The migration is reversible and matches the tables declared in models.py."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from customers_service.migrate import alembic_config, downgrade_base, upgrade_head
from customers_service.models import CustomersTable
from spendscore_common.database import asyncpg_url


async def _tables(url):
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


async def _differences(url):
    engine = create_async_engine(asyncpg_url(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), CustomersTable.metadata)
            )
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_no_drift(test_postgres):
    url = await asyncio.to_thread(test_postgres.create_database, "customers_migrations")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade_head, url).result()
        assert {"customer", "prediction", "alembic_version"} <= await _tables(url)
        pool.submit(downgrade_base, url).result()
        assert await _tables(url) == {"alembic_version"}
        pool.submit(upgrade_head, url).result()

    assert await _differences(url) == []


async def test_the_search_column_is_backfilled_for_existing_customers(test_postgres):
    url = await asyncio.to_thread(test_postgres.create_database, "customers_backfill")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, alembic_config(url), "20261127_0002").result()
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(
                "INSERT INTO customer (id, owner_id, name, gender, age, annual_income) "
                "VALUES (gen_random_uuid(), gen_random_uuid(), 'Conceição Sá-Øster', 'female', 30, 40)"
            )
            pool.submit(upgrade_head, url).result()
            assert await connection.fetchval("SELECT search_name FROM customer") == "conceicao sa oster"
        finally:
            await connection.close()
