"""`make backup` / `make restore`: the archive brings both databases back to exactly their state at backup
time, in place (after later changes) and into fresh databases. Real services write the data; the real
command line (``python -m scripts.database_backup``) dumps and restores it."""

import asyncio
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest

from testkit.postgres import TestPostgres

REPO_ROOT = Path(__file__).resolve().parent.parent
TABLES_THAT_MUST_HAVE_ROWS = {
    "auth": {"users", "alembic_version"},
    "customers": {"customer", "prediction", "observed_score", "alembic_version"},
}


def backup_command(*args: str, auth_url: str, customers_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTH_DATABASE_URL": auth_url, "CUSTOMERS_DATABASE_URL": customers_url}
    return subprocess.run(
        [sys.executable, "-m", "scripts.database_backup", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


async def table_rows(url: str) -> dict[str, list[str]]:
    """Every row of every table of the public schema, as sorted JSON text, and each sequence's position."""
    connection = await asyncpg.connect(url)
    try:
        tables = [
            row["tablename"]
            for row in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        rows = {
            table: sorted(
                record[0]
                for record in await connection.fetch(f'SELECT row_to_json(t)::text FROM "{table}" t')
            )
            for table in tables
        }
        for sequence in await connection.fetch("SELECT sequencename, last_value FROM pg_sequences"):
            rows[f"sequence {sequence['sequencename']}"] = [str(sequence["last_value"])]
        return rows
    finally:
        await connection.close()


def snapshot(urls: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    return {service: asyncio.run(table_rows(url)) for service, url in urls.items()}


@contextmanager
def services_stopped(running_stack) -> Iterator[None]:
    running_stack.stop("customers")
    running_stack.stop("auth")
    try:
        yield
    finally:
        running_stack.start("auth")
        running_stack.start("customers")


@pytest.fixture
def written_state(running_stack, owner, http):
    """Customers with predictions, a second prediction and an observed score, made through the APIs."""
    customers = running_stack.urls["customers"]
    ids = []
    for number in range(3):
        body = {
            "name": f"Backup customer {number}",
            "gender": "female",
            "age": 30 + number,
            "annual_income": 55,
        }
        created = http.post(customers + "/customers", json=body, headers=owner.headers)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    patched = http.patch(
        customers + f"/customers/{ids[0]}", json={"age": 45, "observed_score": 77}, headers=owner.headers
    )
    assert patched.status_code == 200, patched.text
    return ids


def test_restore_brings_back_exactly_the_backed_up_state(
    running_stack, owner, http, written_state, test_postgres: TestPostgres, tmp_path
):
    urls = {service: running_stack.database_url(service) for service in ("auth", "customers")}
    # Quiet databases while the reference is read and dumped: auth's background work purges expired
    # login throttles, customers' completes predictions.
    with services_stopped(running_stack):
        before = snapshot(urls)
        made = backup_command(
            "backup", "--dir", str(tmp_path), auth_url=urls["auth"], customers_url=urls["customers"]
        )
    assert made.returncode == 0, made.stderr
    for service, tables in TABLES_THAT_MUST_HAVE_ROWS.items():
        assert all(before[service][table] for table in tables), f"{service}: a table the test needs is empty"
    (archive,) = tmp_path.glob("spendscore-backup-*.tar")
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["auth.sql.gz", "customers.sql.gz", "manifest.json"]

    # Later changes, which the restore must undo: a new customer, a deleted one, a new account.
    customers = running_stack.urls["customers"]
    late = {"name": "After the backup", "gender": "male", "age": 50, "annual_income": 80}
    assert http.post(customers + "/customers", json=late, headers=owner.headers).status_code == 201
    assert http.delete(customers + f"/customers/{written_state[1]}", headers=owner.headers).status_code == 204
    running_stack.create_user()
    assert snapshot(urls) != before

    # Into fresh, empty databases (a new server, a lost volume).
    fresh = {service: test_postgres.create_database(f"restored_{service}") for service in urls}
    restored = backup_command(
        "restore", str(archive), auth_url=fresh["auth"], customers_url=fresh["customers"]
    )
    assert restored.returncode == 0, restored.stderr
    assert snapshot(fresh) == before

    # In place, over the changed databases, with the services stopped as the README says.
    with services_stopped(running_stack):
        in_place = backup_command(
            "restore", str(archive), auth_url=urls["auth"], customers_url=urls["customers"]
        )
        assert in_place.returncode == 0, in_place.stderr
        assert snapshot(urls) == before
    listing = http.get(customers + "/customers", params={"limit": 50}, headers=owner.headers)
    assert sorted(item["id"] for item in listing.json()["items"]) == sorted(written_state)


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(running_stack, tmp_path):
    urls = {service: running_stack.database_url(service) for service in ("auth", "customers")}
    before = snapshot(urls)
    not_a_backup = tmp_path / "notes.tar"
    with tarfile.open(not_a_backup, "w") as tar:
        tar.add(__file__, arcname="notes.py")
    refused = backup_command(
        "restore", str(not_a_backup), auth_url=urls["auth"], customers_url=urls["customers"]
    )
    assert refused.returncode != 0
    assert "not a SpendScore backup" in refused.stderr
    missing = backup_command(
        "restore", str(tmp_path / "absent.tar"), auth_url=urls["auth"], customers_url=urls["customers"]
    )
    assert missing.returncode != 0
    assert "FILE" in missing.stderr
    assert snapshot(urls) == before
