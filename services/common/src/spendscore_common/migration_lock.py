"""One migration at a time per database: N replicas (or migration jobs) started together all run
``alembic upgrade head``; the first applies the migrations, the others wait for it, then find the
database at head and have nothing to do."""

from sqlalchemy import text
from sqlalchemy.engine import Connection

_TAKE_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


def wait_for_migration_lock(connection: Connection, name: str) -> None:
    """Take the database's migration lock named ``name`` for the rest of the connection's transaction.
    Call it inside Alembic's ``begin_transaction()`` before ``run_migrations()``: Alembic reads the
    current revision only then, so a migration that waited sees what the one before it committed."""
    connection.execute(_TAKE_LOCK, {"name": name})


def first_line(error: BaseException) -> str:
    """An error as the one line a failed migration command prints (SQLAlchemy adds SQL and a link)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
