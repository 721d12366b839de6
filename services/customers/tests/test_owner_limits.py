"""One owner cannot starve the others: bounded pool waits, statement timeouts, expensive calls per owner."""

import uuid

from sqlalchemy import text

from customers_service.db import SessionDep

CSV = b"name,gender,age,annual_income\nAna,f,30,40\n"


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
        with limit.slot(owner_id), limit.slot(owner_id):  # two imports, exports or searches running
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
