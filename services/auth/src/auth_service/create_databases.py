"""One-shot deploy step of the ECS migration task (`python -m auth_service.create_databases`): as the
database master, create or update the login role of each service with the password of its own secret, and
its database, owned by that role and closed to PUBLIC. Idempotent.

It runs from the auth image, not a public postgres image with psql, because this image carries the RDS
certificate authorities: the connection checks the server like the services' (PGSSLMODE=verify-full,
PGSSLROOTCERT). Connection settings are libpq's variables (PGHOST, PGUSER, PGPASSWORD, PGDATABASE...).
"""

import asyncio
import os
import sys

import asyncpg

# Each service's role and database, and the variable holding its role's password.
OWNED_DATABASES = {"auth": "AUTH_DB_PASSWORD", "customers": "CUSTOMERS_DB_PASSWORD"}


async def _run_formatted(connection: asyncpg.Connection, template: str, *values: str) -> None:
    """A statement that takes no parameters (CREATE ROLE, ALTER DATABASE...), its names and literals
    quoted by the server's format() (%I, %L)."""
    placeholders = ", ".join(f"${number}::text" for number in range(1, len(values) + 1))
    statement = await connection.fetchval(f"SELECT format('{template}', {placeholders})", *values)
    await connection.execute(statement)


async def ensure_owned_database(connection: asyncpg.Connection, *, name: str, password: str) -> None:
    if not await connection.fetchval("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", name):
        await _run_formatted(connection, "CREATE ROLE %I LOGIN", name)
    await _run_formatted(connection, "ALTER ROLE %I WITH LOGIN PASSWORD %L", name, password)
    # The master (not a superuser on RDS) must be a member of a role to give it a database.
    await _run_formatted(connection, "GRANT %I TO CURRENT_USER", name)
    if not await connection.fetchval("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name):
        await _run_formatted(connection, "CREATE DATABASE %I OWNER %I", name, name)
    await _run_formatted(connection, "ALTER DATABASE %I OWNER TO %I", name, name)
    await _run_formatted(connection, "REVOKE ALL ON DATABASE %I FROM PUBLIC", name)


async def create_databases(passwords: dict[str, str]) -> None:
    connection = await asyncpg.connect()
    try:
        for name, password in passwords.items():
            await ensure_owned_database(connection, name=name, password=password)
    finally:
        await connection.close()


def main() -> None:
    missing = [variable for variable in OWNED_DATABASES.values() if not os.environ.get(variable)]
    if missing:
        sys.exit("create-databases: set " + ", ".join(missing))
    passwords = {name: os.environ[variable] for name, variable in OWNED_DATABASES.items()}
    asyncio.run(create_databases(passwords))


if __name__ == "__main__":
    main()
