"""``python -m customers_service``: check the database, then serve."""

import asyncio

import asyncpg

from customers_service.config import CustomersSettings
from customers_service.main import create_app
from spendscore_common.server import StartupError, run_service


async def _check_database(database_url: str) -> None:
    try:
        connection = await asyncpg.connect(
            database_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5
        )
    except (asyncpg.ClientConfigurationError, ValueError) as exc:
        raise StartupError(f"CUSTOMERS_DATABASE_URL is not a usable postgresql:// URL: {exc}") from exc
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise StartupError(f"cannot reach the database in CUSTOMERS_DATABASE_URL: {exc}") from exc
    try:
        migrated = await connection.fetchval("SELECT to_regclass('public.customer') IS NOT NULL")
    finally:
        await connection.close()
    if not migrated:
        raise StartupError("the customers database has no tables: run `python -m customers_service.migrate`")


def _preflight(settings: CustomersSettings) -> None:
    asyncio.run(_check_database(settings.database_url))


def main() -> None:
    run_service("customers", CustomersSettings, create_app, _preflight)


if __name__ == "__main__":
    main()
