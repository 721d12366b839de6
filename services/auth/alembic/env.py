"""Alembic environment of the auth service: async (asyncpg), URL from the settings, our naming convention."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from auth_service.models import AuthTable
from spendscore_common.database import asyncpg_url
from spendscore_common.migration_lock import wait_for_migration_lock

config = context.config
target_metadata = AuthTable.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url is None:
        from auth_service.config import AuthSettings

        url = AuthSettings().database_url
    return asyncpg_url(str(url))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        # Replicas starting together migrate one after the other (PostgreSQL runs DDL in a transaction).
        wait_for_migration_lock(connection, "auth-migrations")
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
