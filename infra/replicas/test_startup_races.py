"""Replicas starting at the same moment: N migration runs at once on one database all succeed, the
first migrates and the others find nothing to do; a failing run says why in one line. Run by
`make test-replicas` (with the other replica checks), not by `make test`."""

import asyncio
import os
import subprocess
import sys

import asyncpg
from alembic import command

from customers_service.migrate import alembic_config
from testkit.postgres import with_database
from testkit.processes import REPO_ROOT

RUNS = 2
MODULES = {
    "auth": ("auth_service.migrate", "AUTH_DATABASE_URL"),
    "customers": ("customers_service.migrate", "CUSTOMERS_DATABASE_URL"),
}


def start_migration(service: str, database_url: str) -> subprocess.Popen[str]:
    module, variable = MODULES[service]
    return subprocess.Popen(
        [sys.executable, "-m", module],
        env={**os.environ, variable: database_url, "APP_ENV": "test"},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(runs: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    return [(run.wait(timeout=300), run.communicate()[1]) for run in runs]


async def version_of(database_url: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        return [
            row["version_num"] for row in await connection.fetch("SELECT version_num FROM alembic_version")
        ]
    finally:
        await connection.close()


def head_of(service: str) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(REPO_ROOT / "services" / service / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "services" / service / "alembic"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


async def test_concurrent_migrations_on_a_fresh_database_all_succeed(test_postgres):
    urls = {
        service: await asyncio.to_thread(test_postgres.create_database, f"race_{service}")
        for service in MODULES
    }
    runs = {service: [start_migration(service, url) for _ in range(RUNS)] for service, url in urls.items()}
    for service, url in urls.items():
        outcomes = await asyncio.to_thread(finish, runs[service])
        assert [code for code, _ in outcomes] == [0] * RUNS, outcomes
        assert await version_of(url) == [head_of(service)]


async def test_concurrent_upgrades_from_an_older_schema_all_succeed(test_postgres):
    url = await asyncio.to_thread(test_postgres.create_database, "race_customers_upgrade")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "20261201_0003")
    outcomes = await asyncio.to_thread(finish, [start_migration("customers", url) for _ in range(RUNS)])
    assert [code for code, _ in outcomes] == [0] * RUNS, outcomes
    assert await version_of(url) == [head_of("customers")]


async def test_a_failed_migration_says_why_in_one_line(test_postgres):
    missing = with_database(test_postgres.server_url, "no_such_database_for_migrations")
    outcomes = await asyncio.to_thread(finish, [start_migration(service, missing) for service in MODULES])
    for service, (code, stderr) in zip(MODULES, outcomes, strict=True):
        assert code == 1
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert lines[0].startswith(f"{service} migrate: ") and "no_such_database_for_migrations" in lines[0]
