"""For the services that own a PostgreSQL database: their own table metadata, and 503 for a lost database,
an exhausted pool or a statement that ran past its timeout.

Needs the ``database`` extra (SQLAlchemy + asyncpg); the inference service never imports it.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import registry

# Every constraint and index gets a predictable name, so migrations can refer to it.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RETRY_AFTER_SECONDS = 5

T = TypeVar("T")


def asyncpg_url(database_url: str) -> str:
    """A ``postgresql://...`` URL as configured, in SQLAlchemy's asyncpg form (ValueError otherwise)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+asyncpg://" + database_url[len(prefix) :]
    raise ValueError("the database URL must start with postgresql://")


def make_engine(
    database_url: str,
    *,
    pool_size: int,
    pool_timeout_seconds: float = 2.0,
    statement_timeout_seconds: float | None = None,
) -> AsyncEngine:
    """The process's one connection pool; stale connections are replaced (the server may restart):
    one the server has closed is never handed out (``_replace_closed_connection``), and one that dies
    in use invalidates the whole pool, so every connection older than it is replaced. A request
    waits at most ``pool_timeout_seconds`` for a connection (then 503, see
    ``answer_503_when_database_is_down``), and each statement runs at most
    ``statement_timeout_seconds``."""
    server_settings = {}
    if statement_timeout_seconds is not None:
        server_settings["statement_timeout"] = str(max(1, round(statement_timeout_seconds * 1000)))
    engine = create_async_engine(
        asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout_seconds,
        # No pre-ping: on asyncpg it is BEGIN, a query and ROLLBACK, three round trips per checkout.
        pool_recycle=1800,
        connect_args={"server_settings": server_settings} if server_settings else {},
    )
    event.listen(engine.sync_engine.pool, "checkout", _replace_closed_connection)
    return engine


def _replace_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection whose socket the server closed (a restart, a terminated backend) is
    replaced before use; the check is local, no round trip. The pool reconnects on this error."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


async def read_without_transaction(session: AsyncSession, read: Callable[[], Awaitable[T]]) -> T:
    """``read()``, a single SELECT on ``session``, in autocommit: no BEGIN and COMMIT round trips
    (one statement sees one snapshot either way). Run again, once, when the pooled connection turns
    out to be dead (the server restarted since its last use; the pool has then been invalidated, so
    the second try connects afresh). The session ends this transaction before returning: whatever it
    does next runs in a transaction of its own, as usual. A session already in a transaction just
    runs ``read()`` in it."""
    if session.in_transaction():
        return await read()
    try:
        result = await _read_in_autocommit(session, read)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        result = await _read_in_autocommit(session, read)
    return result


async def _read_in_autocommit(session: AsyncSession, read: Callable[[], Awaitable[T]]) -> T:
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        result = await read()
    except BaseException:
        await session.rollback()
        raise
    await session.commit()  # nothing to commit: gives the connection back to the pool
    return result


async def database_is_reachable(engine: AsyncEngine) -> bool:
    """A readiness check: one round trip through the pool."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True


def table_registry() -> registry:
    """A registry with a MetaData of its own and the naming convention, for a service's table base class
    (``class AuthTable(SQLModel, registry=table_registry())``): two services' tables never share one
    MetaData, even when one process imports both (the test suite)."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


# Raised unwrapped by a connect attempt (socket refused or missing, server starting or shutting down).
_CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the server cannot be reached, rather than a bad statement."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            return True
        # A new connection refused while the server starts up or recovers ("the database system is
        # starting up") comes wrapped in a plain DBAPIError, the driver's error as the cause.
        return exc.orig is not None and isinstance(exc.orig.__cause__, _CONNECT_ERRORS)
    return isinstance(exc, _CONNECT_ERRORS)


def is_statement_timeout(exc: BaseException) -> bool:
    """True when the server cancelled a statement that ran past ``statement_timeout``."""
    cause = exc.orig.__cause__ if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return isinstance(cause, asyncpg.QueryCanceledError)


def _busy(detail: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, PoolTimeoutError):
        return _busy("The service is busy (no database connection free); try again shortly")
    if is_statement_timeout(exc):
        return _busy("The request took too long and was stopped; try again shortly")
    if not is_database_unavailable(exc):
        raise exc  # a real bug: the request middleware logs it and answers a generic 500
    return _busy("The database is unavailable; try again shortly")


def answer_503_when_database_is_down(app: FastAPI) -> None:
    """Register the handler for every exception type that can mean a lost or overloaded database:
    503 with Retry-After, never a 500 or a long wait."""
    for exception_type in (DBAPIError, PoolTimeoutError, *_CONNECT_ERRORS):
        app.add_exception_handler(exception_type, _database_unavailable)
