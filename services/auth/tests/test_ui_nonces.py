"""The UI's one-time values: spent once for every replica, per user, bounded and validated."""

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

NONCE = "a" * 43


def in_a_minute() -> str:
    return (datetime.now(UTC) + timedelta(minutes=1)).isoformat()


async def test_a_nonce_is_spent_once_even_when_two_replicas_race(open_api, make_settings):
    settings = make_settings()
    async with open_api(settings) as first, open_api(settings) as second:
        account = await first.create_user()
        nonce = secrets.token_urlsafe(32)
        body = {"nonce": nonce, "expires_at": in_a_minute()}
        replies = await asyncio.gather(
            *(
                api.client.post("/users/me/spent-ui-nonces", json=body, headers=account.headers)
                for api in (first, second, first, second)
            )
        )
        assert sorted(reply.status_code for reply in replies) == [201, 409, 409, 409]
        for api in (first, second):
            state = await api.client.get(f"/users/me/spent-ui-nonces/{nonce}", headers=account.headers)
            assert state.json() == {"spent": True}


async def test_nonces_are_per_user_and_need_a_token(api):
    first, second = await api.create_user(), await api.create_user()
    body = {"nonce": NONCE, "expires_at": in_a_minute()}
    assert (
        await api.client.post("/users/me/spent-ui-nonces", json=body, headers=first.headers)
    ).status_code == 201
    # Another user's value of the same text is another value.
    state = await api.client.get(f"/users/me/spent-ui-nonces/{NONCE}", headers=second.headers)
    assert state.json() == {"spent": False}
    assert (
        await api.client.post("/users/me/spent-ui-nonces", json=body, headers=second.headers)
    ).status_code == 201
    assert (await api.client.post("/users/me/spent-ui-nonces", json=body)).status_code == 401


async def test_bad_nonces_are_422_naming_the_field(api):
    account = await api.create_user()
    for nonce in ("short", "x" * 129, "a" * 20 + "/.."):
        reply = await api.client.post(
            "/users/me/spent-ui-nonces",
            json={"nonce": nonce, "expires_at": in_a_minute()},
            headers=account.headers,
        )
        assert reply.status_code == 422
        assert reply.json()["detail"][0]["loc"][-1] == "nonce"
    reply = await api.client.post(
        "/users/me/spent-ui-nonces", json={"nonce": NONCE, "expires_at": "soon"}, headers=account.headers
    )
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"][-1] == "expires_at"


async def test_an_expired_nonce_is_dropped_and_a_far_expiry_is_capped(api, auth_database_url):
    import asyncpg

    account = await api.create_user()
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    headers = account.headers
    await api.client.post(
        "/users/me/spent-ui-nonces", json={"nonce": NONCE, "expires_at": past}, headers=headers
    )
    reply = await api.client.post(
        "/users/me/spent-ui-nonces", json={"nonce": "b" * 43, "expires_at": far}, headers=headers
    )
    assert reply.status_code == 201
    connection = await asyncpg.connect(auth_database_url)
    try:
        rows = await connection.fetch("SELECT expires_at FROM spent_ui_nonces")
    finally:
        await connection.close()
    assert len(rows) == 1  # the expired one went
    assert rows[0]["expires_at"] < datetime.now(UTC) + timedelta(hours=3)
