"""Alembic environment for the customers database: async (asyncpg), URL from the caller or the settings."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from customers_service.config import CustomersSettings
from customers_service.models import CustomersTable
from spendscore_common.database import asyncpg_url
from spendscore_common.migration_lock import wait_for_migration_lock

target_metadata = CustomersTable.metadata


def _database_url() -> str:
    url = context.config.attributes.get("sqlalchemy_url")
    if url:
        return str(url)
    return asyncpg_url(CustomersSettings().database_url)  # type: ignore[call-arg]


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        # Replicas starting together migrate one after the other (PostgreSQL runs DDL in a transaction).
        wait_for_migration_lock(connection, "customers-migrations")
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run python -m customers_service.migrate")
asyncio.run(_run_online())
