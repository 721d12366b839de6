"""For the services that own a PostgreSQL database: a lost database answers 503, not 500.

Needs the ``database`` extra (SQLAlchemy + asyncpg); the inference service never imports it.
"""

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 5
# Raised unwrapped by a connect attempt (socket refused or missing, server starting or shutting down).
_CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the server cannot be reached, rather than a bad statement."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, _CONNECT_ERRORS)


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    if not is_database_unavailable(exc):
        raise exc  # a real bug: the request middleware logs it and answers a generic 500
    return JSONResponse(
        {"detail": "The database is unavailable; try again shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def answer_503_when_database_is_down(app: FastAPI) -> None:
    """Register the handler for every exception type that can mean a lost database."""
    for exception_type in (DBAPIError, *_CONNECT_ERRORS):
        app.add_exception_handler(exception_type, _database_unavailable)
