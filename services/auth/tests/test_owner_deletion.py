"""Deleting a user deletes their customers in the customers service, even when it is down for a while,
and once more after every token issued before the deletion has expired."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt
import time_machine

from auth_service.owner_deletions import CLAIM_LEASE, TOKEN_EXPIRY_LEEWAY
from auth_service.tokens import ACCESS_TOKEN_TTL_SECONDS
from spendscore_common.tokens import JwksKeyStore, TokenVerifier

LAST_CALL_DELAY = timedelta(seconds=ACCESS_TOKEN_TTL_SECONDS) + TOKEN_EXPIRY_LEEWAY


async def pending_deletions(database_url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetch(
            "SELECT owner_id, created_at, attempts, next_attempt_at, last_error FROM pending_owner_deletions"
        )
    finally:
        await connection.close()


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def waiting_for_the_last_call(row: asyncpg.Record) -> bool:
    return row["attempts"] == 0 and row["next_attempt_at"] == row["created_at"] + LAST_CALL_DELAY


async def test_deletion_reaches_the_customers_service_with_a_service_token(
    api, fake_customers, auth_database_url
):
    account = await api.create_user()

    response = await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

    assert response.status_code == 204

    async def delivered() -> bool:
        rows = await pending_deletions(auth_database_url)
        return bool(fake_customers.calls) and waiting_for_the_last_call(rows[0])

    await wait_until(delivered)
    ((owner_id, authorization),) = fake_customers.calls
    assert owner_id == account.id
    token = authorization.removeprefix("Bearer ")
    verifier = TokenVerifier(
        JwksKeyStore("http://auth.test/.well-known/jwks.json", api.client),
        issuer="spendscore-auth",
        audience="spendscore",
    )
    principal = await verifier.verify(token)
    assert principal.user_id == "auth-service" and principal.roles == frozenset({"service"})
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - int(claims["iat"]) == 60


async def test_the_call_is_repeated_once_the_owners_tokens_have_expired(
    api, fake_customers, auth_database_url
):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    worker = api.app.state.deletion_worker
    with time_machine.travel(start, tick=False) as traveller:
        account = await api.create_user()
        await api.client.request(
            "DELETE", "/users/me", json={"current_password": account.password}, headers=account.headers
        )

        async def first_call_acknowledged() -> bool:
            rows = await pending_deletions(auth_database_url)
            return len(fake_customers.calls) == 1 and waiting_for_the_last_call(rows[0])

        await wait_until(first_call_acknowledged)
        (row,) = await pending_deletions(auth_database_url)
        assert row["next_attempt_at"] == start + timedelta(hours=2, minutes=5)

        # The owner's token is still good here, so the row must stay and nothing is called yet.
        traveller.move_to(start + LAST_CALL_DELAY - timedelta(seconds=1))
        worker.wake()
        await asyncio.sleep(0.3)
        assert len(fake_customers.calls) == 1
        assert len(await pending_deletions(auth_database_url)) == 1

        traveller.move_to(start + LAST_CALL_DELAY)
        worker.wake()

        async def finished() -> bool:
            return not await pending_deletions(auth_database_url)

        await wait_until(finished)

    assert [owner for owner, _ in fake_customers.calls] == [account.id] * 2


async def test_a_failed_last_call_keeps_the_row_until_a_later_acknowledgement(
    api, fake_customers, auth_database_url
):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    worker = api.app.state.deletion_worker
    with time_machine.travel(start, tick=False) as traveller:
        account = await api.create_user()
        await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

        async def first_call_acknowledged() -> bool:
            rows = await pending_deletions(auth_database_url)
            return bool(rows) and waiting_for_the_last_call(rows[0])

        await wait_until(first_call_acknowledged)
        fake_customers.statuses.append(503)
        traveller.move_to(start + LAST_CALL_DELAY + timedelta(minutes=1))
        worker.wake()

        async def last_call_failed() -> bool:
            rows = await pending_deletions(auth_database_url)
            return bool(rows) and rows[0]["attempts"] == 1

        await wait_until(last_call_failed)
        (row,) = await pending_deletions(auth_database_url)
        assert row["last_error"] == "customers service answered 503"

        traveller.shift(timedelta(seconds=1))  # past the test settings' backoff
        worker.wake()

        async def finished() -> bool:
            return not await pending_deletions(auth_database_url)

        await wait_until(finished)

    assert [owner for owner, _ in fake_customers.calls] == [account.id] * 3


async def test_customers_service_down_then_back(api, fake_customers, auth_database_url):
    fake_customers.statuses.extend([503, 503])
    account = await api.create_user()

    response = await api.client.request(
        "DELETE", "/users/me", json={"current_password": account.password}, headers=account.headers
    )

    assert response.status_code == 204  # the user's deletion never waits for the other side

    failed_rows = []

    async def retried_once() -> bool:
        # The row as the failed call left it: read again, it may already show the next, successful call.
        rows = await pending_deletions(auth_database_url)
        if rows and rows[0]["attempts"] >= 1:
            failed_rows.append(rows[0])
        return bool(failed_rows)

    await wait_until(retried_once)
    row = failed_rows[0]
    assert str(row["owner_id"]) == account.id
    assert row["last_error"] == "customers service answered 503"

    async def acknowledged() -> bool:
        rows = await pending_deletions(auth_database_url)
        return len(fake_customers.calls) == 3 and waiting_for_the_last_call(rows[0])

    await wait_until(acknowledged)
    assert [owner for owner, _ in fake_customers.calls] == [account.id] * 3
    (row,) = await pending_deletions(auth_database_url)
    assert row["last_error"] is None


async def test_customers_service_unreachable_keeps_the_deletion_pending(
    open_api, make_settings, auth_database_url
):
    from testkit.processes import free_port

    nobody_listens = f"http://127.0.0.1:{free_port()}"
    # A breaker that never opens here: the error stored is the connection's, not "calls paused".
    settings = make_settings(customers_url=nobody_listens, customers_breaker_failures=1000)
    async with open_api(settings) as api:
        account = await api.create_user()
        response = await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

        async def attempted() -> bool:
            rows = await pending_deletions(auth_database_url)
            return bool(rows) and rows[0]["attempts"] >= 2

        await wait_until(attempted)

    assert response.status_code == 204
    (row,) = await pending_deletions(auth_database_url)
    assert row["last_error"].startswith("ConnectError")


async def test_a_failing_customers_service_opens_the_breaker_and_is_not_called_meanwhile(
    open_api, make_settings, fake_customers, auth_database_url
):
    fake_customers.statuses.extend([503] * 10)
    settings = make_settings(customers_breaker_failures=2, customers_breaker_cooldown_seconds=600)
    async with open_api(settings) as api:
        account = await api.create_user()
        await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

        async def retried_while_open() -> bool:
            rows = await pending_deletions(auth_database_url)
            return bool(rows) and rows[0]["attempts"] >= 4

        await wait_until(retried_while_open)
        assert len(fake_customers.calls) == 2
        (row,) = await pending_deletions(auth_database_url)
        assert "calls paused" in row["last_error"]
        ready = await api.client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["customers"] == "unavailable"
        metrics = (await api.client.get("/metrics")).text
        assert 'circuit_breaker_state{dependency="customers"} 1.0' in metrics


async def test_a_404_from_customers_is_a_failure_to_retry(api, fake_customers, auth_database_url):
    # The real endpoint answers 204 even with nothing to delete: a 404 means a wrong URL.
    fake_customers.statuses.append(404)
    account = await api.create_user()

    await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

    async def retried() -> bool:
        rows = await pending_deletions(auth_database_url)
        return len(fake_customers.calls) == 2 and waiting_for_the_last_call(rows[0])

    await wait_until(retried)


async def test_no_row_stays_locked_while_the_customers_service_is_called(
    api, fake_customers, auth_database_url
):
    fake_customers.delay_seconds = 1.0
    account = await api.create_user()
    await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

    async def calling() -> bool:
        return bool(fake_customers.calls)

    await wait_until(calling)
    connection = await asyncpg.connect(auth_database_url)
    try:
        # NOWAIT fails at once if the worker still held a row lock during its HTTP call.
        row = await connection.fetchrow(
            "SELECT next_attempt_at, now() AS now FROM pending_owner_deletions FOR UPDATE NOWAIT"
        )
    finally:
        await connection.close()
    lease = row["next_attempt_at"] - row["now"]
    assert CLAIM_LEASE - timedelta(seconds=5) < lease <= CLAIM_LEASE  # claimed: hidden from other replicas
