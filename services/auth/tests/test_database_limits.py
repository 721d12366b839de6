"""A slow or saturated database costs auth a bounded wait: 503 with Retry-After, never a hang."""

from sqlalchemy import text

from auth_service.deps import SessionDep


async def test_a_statement_past_its_timeout_is_stopped_with_503(open_api, make_settings):
    async with open_api(make_settings(database_statement_timeout_seconds=0.2)) as api:

        async def slow_query(session: SessionDep) -> None:
            await session.exec(text("SELECT pg_sleep(5)"))

        api.app.add_api_route("/slow-query", slow_query)
        stopped = await api.client.get("/slow-query")
        assert stopped.status_code == 503
        assert int(stopped.headers["retry-after"]) > 0
        assert stopped.json() == {"detail": "The request took too long and was stopped; try again shortly"}
        # The pool is fine afterwards.
        assert (await api.login(api.admin_email, api.admin_password)).status_code == 200


async def test_an_exhausted_pool_answers_503_at_once(open_api, make_settings):
    settings = make_settings(database_pool_size=1, database_pool_timeout_seconds=0.2)
    async with open_api(settings) as api:
        engine = api.app.state.session_factory.kw["bind"]
        async with engine.connect(), engine.connect():  # pool_size 1 + overflow 1, both held
            busy = await api.login(api.admin_email, api.admin_password)
        assert busy.status_code == 503
        assert int(busy.headers["retry-after"]) > 0
        assert (await api.login(api.admin_email, api.admin_password)).status_code == 200
