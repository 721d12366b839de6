"""Deleting a user deletes their customers in the customers service, even when it is down for a while."""

import asyncio

import asyncpg
import jwt

from spendscore_common.tokens import JwksKeyStore, TokenVerifier


async def pending_deletions(database_url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetch("SELECT owner_id, attempts, last_error FROM pending_owner_deletions")
    finally:
        await connection.close()


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_deletion_reaches_the_customers_service_with_a_service_token(
    api, fake_customers, auth_database_url
):
    account = await api.create_user()

    response = await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

    assert response.status_code == 204

    async def delivered() -> bool:
        return not await pending_deletions(auth_database_url) and bool(fake_customers.calls)

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
    assert claims["exp"] - claims["iat"] == 60


async def test_customers_service_down_then_back(api, fake_customers, auth_database_url):
    fake_customers.statuses.extend([503, 503])
    account = await api.create_user()

    response = await api.client.delete("/users/me", headers=account.headers)

    assert response.status_code == 204  # the user's deletion never waits for the other side

    async def retried_once() -> bool:
        rows = await pending_deletions(auth_database_url)
        return bool(rows) and rows[0]["attempts"] >= 1

    await wait_until(retried_once)
    (row,) = await pending_deletions(auth_database_url)
    assert str(row["owner_id"]) == account.id
    assert row["last_error"] == "customers service answered 503"

    async def acknowledged() -> bool:
        return not await pending_deletions(auth_database_url)

    await wait_until(acknowledged)
    assert [owner for owner, _ in fake_customers.calls] == [account.id] * 3


async def test_customers_service_unreachable_keeps_the_deletion_pending(
    open_api, make_settings, auth_database_url
):
    from testkit.processes import free_port

    nobody_listens = f"http://127.0.0.1:{free_port()}"
    async with open_api(make_settings(customers_url=nobody_listens)) as api:
        account = await api.create_user()
        response = await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

        async def attempted() -> bool:
            rows = await pending_deletions(auth_database_url)
            return bool(rows) and rows[0]["attempts"] >= 2

        await wait_until(attempted)

    assert response.status_code == 204
    (row,) = await pending_deletions(auth_database_url)
    assert row["last_error"].startswith("ConnectError")


async def test_a_404_from_customers_counts_as_done(api, fake_customers, auth_database_url):
    fake_customers.statuses.append(404)
    account = await api.create_user()

    await api.client.delete(f"/admin/users/{account.id}", headers=await api.admin_headers())

    async def acknowledged() -> bool:
        return bool(fake_customers.calls) and not await pending_deletions(auth_database_url)

    await wait_until(acknowledged)
    assert len(fake_customers.calls) == 1
