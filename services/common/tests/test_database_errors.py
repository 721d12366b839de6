"""Which database errors mean "unavailable, try again" (503) rather than a bug (500)."""

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from spendscore_common.database import is_database_unavailable, is_statement_timeout


def wrapped(driver_error: Exception) -> DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises it: its own error ``from`` the driver's, then wrapped."""
    try:
        try:
            raise driver_error
        except Exception as error:
            raise RuntimeError(str(error)) from error
    except RuntimeError as translated:
        return DBAPIError(None, None, translated)


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.CannotConnectNowError("the database system is not yet accepting connections"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_a_server_starting_up_or_gone_is_unavailable(driver_error):
    assert is_database_unavailable(wrapped(driver_error))


def test_a_bad_statement_is_not_unavailable():
    assert not is_database_unavailable(wrapped(asyncpg.UndefinedColumnError("column x does not exist")))


def test_a_cancelled_statement_is_a_statement_timeout():
    assert is_statement_timeout(wrapped(asyncpg.QueryCanceledError("canceling statement due to timeout")))
    assert not is_statement_timeout(wrapped(asyncpg.UndefinedColumnError("nope")))
