"""Issue 12 #3: strangers locking an account cannot lock its owner out of a browser that signed in before
(device tokens, OWASP); X-Forwarded-For is believed only from AUTH_TRUSTED_PROXIES; /auth/service-token
is throttled."""

import uuid

import asyncpg

from auth_service.device_tokens import token_hash


async def login(api, email: str, password: str, device_token: str | None = None, **headers: str):
    body = {"email": email, "password": password}
    if device_token is not None:
        body["device_token"] = device_token
    return await api.client.post("/auth/login", json=body, headers=headers)


async def test_every_login_returns_a_long_random_device_token_stored_hashed(api, auth_database_url):
    account = await api.create_user()

    first = await login(api, account.email, account.password)
    second = await login(api, account.email, account.password)

    body = first.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "device_token", "must_change_password"}
    assert body["must_change_password"] is False
    assert len(body["device_token"]) >= 40 and body["device_token"] != second.json()["device_token"]
    connection = await asyncpg.connect(auth_database_url)
    try:
        stored = {row["token_hash"] for row in await connection.fetch("SELECT token_hash FROM device_tokens")}
    finally:
        await connection.close()
    assert token_hash(body["device_token"]) in stored and body["device_token"] not in stored


async def test_the_owner_gets_in_from_a_known_browser_while_strangers_lock_the_account(api):
    account = await api.create_user()
    device = (await login(api, account.email, account.password)).json()["device_token"]
    for _ in range(6):
        await login(api, account.email, "a-strangers-guess")

    without_device = await login(api, account.email, account.password)
    with_device = await login(api, account.email, account.password, device)

    assert without_device.status_code == 429
    assert with_device.status_code == 200
    # The token presented is replaced by a new one: a copy of the old one no longer bypasses the lock.
    assert (await login(api, account.email, account.password, device)).status_code == 429
    assert (
        await login(api, account.email, account.password, with_device.json()["device_token"])
    ).status_code == 200


async def test_a_device_token_counts_only_for_its_own_account_and_its_own_guesses(api):
    account, other = await api.create_user(), await api.create_user()
    others_device = (await login(api, other.email, other.password)).json()["device_token"]
    for _ in range(6):
        await login(api, account.email, "a-strangers-guess")

    # Another account's device token does not lift this account's lock.
    assert (await login(api, account.email, account.password, others_device)).status_code == 429
    # Guesses made with a device token are limited on that token: online guessing stays bounded.
    for _ in range(5):
        assert (await login(api, other.email, "a-wrong-guess", others_device)).status_code == 401
    assert (await login(api, other.email, other.password, others_device)).status_code == 429


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(open_api, make_settings):
    async with open_api(make_settings(login_max_failures_per_address=3)) as api:
        statuses = [
            (
                await login(api, f"guess-{n}@spendscore.test", "wrong", **{"X-Forwarded-For": f"10.0.0.{n}"})
            ).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 401, 429]  # every attempt counted on the real peer

    async with open_api(
        make_settings(login_max_failures_per_address=3, trusted_proxies="127.0.0.0/8, ::1")
    ) as api:
        statuses = [
            (
                await login(api, f"guess-{n}@spendscore.test", "wrong", **{"X-Forwarded-For": f"10.0.0.{n}"})
            ).status_code
            for n in range(4)
        ]
        spoofed_chain = [
            (
                await login(
                    api, f"again-{n}@spendscore.test", "wrong", **{"X-Forwarded-For": f"10.9.9.{n}, 10.0.0.7"}
                )
            ).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 401, 401]  # the UI's forwarded browser addresses count apart
    # The client-written part of the chain is not believed: the hop the proxy saw (10.0.0.7) is counted.
    assert spoofed_chain == [401, 401, 401, 429]


async def test_service_token_requests_are_throttled_per_address(open_api, make_settings):
    settings = make_settings(login_max_failures_per_address=3, customers_service_secret="s" * 40)
    async with open_api(settings) as api:
        statuses = [
            (
                await api.client.post(
                    "/auth/service-token", json={"client_id": "customers", "client_secret": f"guess-{n}"}
                )
            ).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 401, 429]


async def test_an_account_keeps_at_most_twenty_device_tokens(api, auth_database_url):
    account = await api.create_user()
    tokens = [(await login(api, account.email, account.password)).json()["device_token"] for _ in range(22)]

    connection = await asyncpg.connect(auth_database_url)
    try:
        stored = await connection.fetchval(
            "SELECT count(*) FROM device_tokens WHERE user_id = $1", uuid.UUID(account.id)
        )
    finally:
        await connection.close()
    assert stored == 20
    for _ in range(6):
        await login(api, account.email, "a-strangers-guess")
    assert (await login(api, account.email, account.password, tokens[-1])).status_code == 200
