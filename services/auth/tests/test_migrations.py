"""The migrations are reversible and match the tables declared in models.py."""

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from auth_service.email_skeleton import email_skeleton
from auth_service.migrate import downgrade, upgrade
from auth_service.models import AuthTable
from spendscore_common.database import asyncpg_url


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


async def _differences(url: str) -> list[object]:
    engine = create_async_engine(asyncpg_url(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), AuthTable.metadata)
            )
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_no_drift(test_postgres):
    url = await asyncio.to_thread(test_postgres.create_database, "auth_migrations")
    # Alembic's env runs its own event loop (asyncio.run), so it runs in a thread here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()
        assert {"users", "login_throttles", "pending_owner_deletions", "alembic_version"} <= await _tables(
            url
        )
        pool.submit(downgrade, url, "base").result()
        assert await _tables(url) == {"alembic_version"}
        pool.submit(upgrade, url).result()

    assert await _differences(url) == []


def test_migration_needs_only_its_database_url_even_in_production(test_postgres):
    """The Compose and ECS migration jobs carry no signing key or service secret: those belong to serving."""
    url = test_postgres.create_database("auth_migrate_production")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AUTH_", "BOOTSTRAP_"))}
    env |= {"APP_ENV": "production", "AUTH_DATABASE_URL": url}
    finished = subprocess.run(
        [sys.executable, "-m", "auth_service.migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr


async def test_upgrading_folds_the_emails_already_stored(test_postgres):
    """Issue 12 #8: accounts made before NFKC + case folding are stored in the folded form."""
    url = await asyncio.to_thread(test_postgres.create_database, "auth_email_folding")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url, "0001").result()
        connection = await asyncpg.connect(url)
        try:
            for email in ("ｂｏｂ@example.com", "strasse@example.com", "straße@example.com"):
                await connection.execute(
                    "INSERT INTO users (id, email, name, password_hash, roles, is_active, created_at,"
                    " updated_at) VALUES (gen_random_uuid(), $1, 'n', 'h', '{user}', true, now(), now())",
                    email,
                )
            pool.submit(upgrade, url).result()
            rows = await connection.fetch("SELECT email, email_skeleton FROM users")
            stored = {row["email"] for row in rows}
        finally:
            await connection.close()

    # Two accounts that fold to one address: the later keeps its form (an admin merges them by hand).
    assert stored == {"bob@example.com", "strasse@example.com", "straße@example.com"}
    # Issue 30: every stored address gets its confusables skeleton (0005).
    assert all(row["email_skeleton"] == email_skeleton(row["email"]) for row in rows)
