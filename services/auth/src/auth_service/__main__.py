"""Serve the auth service: ``python -m auth_service`` (port AUTH_PORT, default 8001)."""

import asyncio

import asyncpg

from auth_service.config import AuthSettings
from auth_service.keys import SigningKeyError, load_retired_public_jwks, load_signing_key
from auth_service.main import create_app
from spendscore_common.server import StartupError, run_service


async def _schema_version(database_url: str) -> str | None:
    connection = await asyncpg.connect(database_url, timeout=5)
    try:
        table = await connection.fetchval("SELECT to_regclass('alembic_version')")
        return await connection.fetchval("SELECT version_num FROM alembic_version") if table else None
    finally:
        await connection.close()


def _database_label(url: str) -> str:
    """Where the database is, without the password."""
    return url.split("@", 1)[-1]


def preflight(settings: AuthSettings) -> None:
    """Refuse to start, with one clear line, when the keys or the database are not usable."""
    try:
        load_signing_key(settings)
        load_retired_public_jwks(settings)
    except SigningKeyError as exc:
        raise StartupError(str(exc)) from exc
    try:
        version = asyncio.run(_schema_version(settings.database_url))
    except (OSError, asyncpg.PostgresError, TimeoutError, ValueError) as exc:
        raise StartupError(
            f"cannot reach the database at {_database_label(settings.database_url)} (AUTH_DATABASE_URL): "
            f"{exc or type(exc).__name__}"
        ) from exc
    if version is None:
        raise StartupError("the auth database has no schema yet: run `python -m auth_service.migrate` first")


def main() -> None:
    # X-Forwarded-For is believed only from AUTH_TRUSTED_PROXIES, by the app: not by uvicorn.
    run_service("auth", AuthSettings, create_app, preflight, proxy_headers=False)


if __name__ == "__main__":
    main()
