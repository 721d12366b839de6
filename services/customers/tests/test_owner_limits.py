"""One owner cannot starve the others: bounded pool waits, statement timeouts, expensive calls per owner."""

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from customers_service.db import SessionDep
from customers_service.owner_limits import ExpensiveCallLimit, TooManyExpensiveCalls

CSV = b"name,gender,age,annual_income\nAna,f,30,40\n"


async def advisory_locks_released(database_url: str) -> None:
    """The server ends a closed connection's backend a moment after the client goes: wait (bounded) until
    its advisory locks are gone, as a replica's would be once its process has died."""
    connection = await asyncpg.connect(database_url)
    try:
        for _ in range(100):
            held = await connection.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            if held == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the closed connection's advisory locks were never released")
    finally:
        await connection.close()


async def test_an_exhausted_pool_answers_503_with_retry_after_at_once(
    settings_for, api_with, token_issuer, owner
):
    settings = settings_for(database_pool_size=1, database_pool_timeout_seconds=0.2)
    async with api_with(settings, token_issuer) as api:
        engine = api.app.state.sessionmaker.kw["bind"]
        # pool_size 1 + overflow 1: both connections held elsewhere.
        async with engine.connect(), engine.connect():
            busy = await api.client.get("/customers", headers=owner.headers)
        assert busy.status_code == 503
        assert int(busy.headers["retry-after"]) > 0
        assert "busy" in busy.json()["detail"]
        assert (await api.client.get("/customers", headers=owner.headers)).status_code == 200


async def test_a_statement_past_its_timeout_is_stopped_with_503(settings_for, api_with, token_issuer, owner):
    settings = settings_for(database_statement_timeout_seconds=0.2)
    async with api_with(settings, token_issuer) as api:

        async def slow_query(session: SessionDep) -> None:
            await session.execute(text("SELECT pg_sleep(5)"))

        api.app.add_api_route("/slow-query", slow_query)
        stopped = await api.client.get("/slow-query")
        assert stopped.status_code == 503
        assert int(stopped.headers["retry-after"]) > 0
        assert stopped.json() == {"detail": "The request took too long and was stopped; try again shortly"}
        # The pool is fine afterwards.
        assert (await api.client.get("/customers", headers=owner.headers)).status_code == 200


async def test_expensive_calls_beyond_the_owners_limit_are_429(
    settings_for, api_with, token_issuer, owner, other_owner
):
    async with api_with(settings_for(max_expensive_calls_per_owner=2), token_issuer) as api:
        limit = api.app.state.expensive_calls
        owner_id = uuid.UUID(owner.id)
        async with limit.slot(owner_id), limit.slot(owner_id):  # two imports, exports or searches running
            search = await api.client.get("/customers", params={"q": "ana"}, headers=owner.headers)
            export = await api.client.get("/customers/export", headers=owner.headers)
            imported = await api.client.post(
                "/customers/import", files={"file": ("c.csv", CSV, "text/csv")}, headers=owner.headers
            )
            for refused in (search, export, imported):
                assert refused.status_code == 429
                assert int(refused.headers["retry-after"]) > 0
            # A plain list is not limited, and another owner is not affected.
            assert (await api.client.get("/customers", headers=owner.headers)).status_code == 200
            other = await api.client.get("/customers", params={"q": "ana"}, headers=other_owner.headers)
            assert other.status_code == 200
        assert (await api.client.get("/customers/export", headers=owner.headers)).status_code == 200
        imported = await api.client.post(
            "/customers/import", files={"file": ("c.csv", CSV, "text/csv")}, headers=owner.headers
        )
        assert imported.status_code == 201
        # Every slot is given back, after a streamed export too.
        assert limit.running(owner_id) == 0


async def test_the_owners_limit_holds_across_replicas(
    settings_for, api_with, token_issuer, owner, other_owner
):
    settings = settings_for(max_expensive_calls_per_owner=2)
    async with api_with(settings, token_issuer) as first, api_with(settings, token_issuer) as second:
        owner_id = uuid.UUID(owner.id)
        first_limit, second_limit = first.app.state.expensive_calls, second.app.state.expensive_calls
        async with first_limit.slot(owner_id), second_limit.slot(owner_id):  # one call on each replica
            for api in (first, second):
                refused = await api.client.get("/customers/export", headers=owner.headers)
                assert refused.status_code == 429
            other = await second.client.get("/customers", params={"q": "ana"}, headers=other_owner.headers)
            assert other.status_code == 200
        async with first_limit.slot(owner_id):
            # The second replica's slot was given back: one call may run there again, not two.
            async with second_limit.slot(owner_id):
                with pytest.raises(TooManyExpensiveCalls):
                    async with second_limit.slot(owner_id):
                        pass
        assert (await second.client.get("/customers/export", headers=owner.headers)).status_code == 200


async def test_slots_held_by_a_replica_that_died_are_free_again(settings_for, api_with, token_issuer, owner):
    settings = settings_for(max_expensive_calls_per_owner=1)
    async with api_with(settings, token_issuer) as survivor:
        owner_id = uuid.UUID(owner.id)
        dying = ExpensiveCallLimit(1, database_url=settings.database_url)
        async with dying.slot(owner_id):
            refused = await survivor.client.get("/customers/export", headers=owner.headers)
            assert refused.status_code == 429
            await dying.aclose()  # its connection closes, as when the process is killed
            await advisory_locks_released(settings.database_url)
            exported = await survivor.client.get("/customers/export", headers=owner.headers)
            assert exported.status_code == 200


async def test_a_lost_lock_connection_is_replaced(settings_for, api_with, token_issuer, owner):
    settings = settings_for(max_expensive_calls_per_owner=1)
    async with api_with(settings, token_issuer) as api:
        owner_id = uuid.UUID(owner.id)
        limit = api.app.state.expensive_calls
        async with limit.slot(owner_id):
            connection = await asyncpg.connect(settings.database_url)
            try:
                await connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            finally:
                await connection.close()
            await advisory_locks_released(settings.database_url)
            # The server freed the slot with the connection; the next call gets a new connection.
            assert (await api.client.get("/customers/export", headers=owner.headers)).status_code == 200
        assert limit.running(owner_id) == 0
