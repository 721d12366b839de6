"""Throttling kept in PostgreSQL: logins per email and per client address, password changes per user;
429 with Retry-After; expired rows cleaned up."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import time_machine


async def test_repeated_failures_for_an_email_give_429_with_retry_after(api):
    account = await api.create_user()
    for _ in range(5):
        assert (await api.login(account.email, "wrong-password")).status_code == 401

    blocked = await api.login(account.email, account.password)

    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 900
    assert blocked.json() == {"detail": "Too many failed login attempts; try again later"}


async def test_unknown_emails_are_throttled_the_same_way(api):
    for _ in range(5):
        assert (await api.login("nobody@spendscore.test", "wrong-password")).status_code == 401

    assert (await api.login("nobody@spendscore.test", "wrong-password")).status_code == 429


async def test_a_success_resets_the_count(api):
    account = await api.create_user()
    for _ in range(4):
        await api.login(account.email, "wrong-password")
    assert (await api.login(account.email, account.password)).status_code == 200

    for _ in range(4):
        assert (await api.login(account.email, "wrong-password")).status_code == 401
    assert (await api.login(account.email, account.password)).status_code == 200


async def test_the_block_lifts_when_the_window_has_passed(api):
    account = await api.create_user()
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            await api.login(account.email, "wrong-password")
        traveller.move_to(start + timedelta(minutes=10))
        still_blocked = await api.login(account.email, account.password)
        traveller.move_to(start + timedelta(minutes=15, seconds=1))
        allowed = await api.login(account.email, account.password)

    assert still_blocked.status_code == 429
    assert int(still_blocked.headers["retry-after"]) == 300
    assert allowed.status_code == 200


async def test_failures_from_one_address_across_emails_are_throttled(open_api, make_settings):
    async with open_api(make_settings(login_max_failures_per_address=3)) as api:
        for attempt in range(3):
            response = await api.login(f"guess-{attempt}@spendscore.test", "wrong-password")
            assert response.status_code == 401

        blocked = await api.login(api.admin_email, api.admin_password)

    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers


async def test_the_count_is_shared_by_replicas(open_api, make_settings):
    settings = make_settings()
    async with open_api(settings) as replica_a, open_api(settings) as replica_b:
        for replica in (replica_a, replica_b, replica_a, replica_b, replica_a):
            await replica.login(replica.admin_email, "wrong-password")

        response = await replica_b.login(replica_b.admin_email, replica_b.admin_password)

    assert response.status_code == 429


async def test_parallel_guesses_cannot_overrun_the_limit(api):
    account = await api.create_user()

    responses = await asyncio.gather(*(api.login(account.email, f"guess-{n}-wrong") for n in range(20)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 15
    assert (await api.login(account.email, account.password)).status_code == 429


async def test_good_logins_do_not_use_up_the_address_budget(open_api, make_settings):
    async with open_api(make_settings(login_max_failures_per_address=3)) as api:
        for _ in range(5):
            assert (await api.login(api.admin_email, api.admin_password)).status_code == 200
        for attempt in range(3):
            assert (await api.login(f"guess-{attempt}@spendscore.test", "wrong-password")).status_code == 401

        assert (await api.login(api.admin_email, api.admin_password)).status_code == 429


async def change_password(api, account, current_password: str, new_password: str = "a-new-password-2"):
    return await api.client.put(
        "/users/me/password",
        json={"current_password": current_password, "new_password": new_password},
        headers=account.headers,
    )


async def test_wrong_current_passwords_are_throttled(api):
    account = await api.create_user()
    for _ in range(5):
        assert (await change_password(api, account, "a-wrong-guess")).status_code == 400

    blocked = await change_password(api, account, account.password)

    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 900
    assert blocked.json() == {"detail": "Too many wrong current passwords; try again later"}
    # Logging in is a separate budget: the account's owner can still sign in.
    assert (await api.login(account.email, account.password)).status_code == 200


async def test_parallel_wrong_current_passwords_cannot_overrun_the_limit(api):
    account = await api.create_user()

    responses = await asyncio.gather(*(change_password(api, account, f"guess-{n}") for n in range(20)))

    assert sorted(response.status_code for response in responses) == [400] * 5 + [429] * 15


async def test_a_password_change_resets_its_count(api):
    account = await api.create_user()
    for _ in range(4):
        await change_password(api, account, "a-wrong-guess")
    changed = await change_password(api, account, account.password)
    assert changed.status_code == 200
    account.password, account.token = "a-new-password-2", changed.json()["access_token"]

    for _ in range(4):
        assert (await change_password(api, account, "a-wrong-guess")).status_code == 400
    assert (
        await change_password(api, account, account.password, new_password="a-new-password-3")
    ).status_code == 200


async def throttle_keys(database_url: str) -> set[str]:
    connection = await asyncpg.connect(database_url)
    try:
        return {row["key"] for row in await connection.fetch("SELECT key FROM login_throttles")}
    finally:
        await connection.close()


async def test_expired_throttle_rows_are_deleted_in_the_background(
    open_api, make_settings, auth_database_url
):
    now = datetime.now(UTC)
    connection = await asyncpg.connect(auth_database_url)
    try:
        await connection.executemany(
            "INSERT INTO login_throttles (key, failures, window_started_at) VALUES ($1, $2, $3)",
            [
                ("email:old@spendscore.test", 5, now - timedelta(seconds=901)),
                ("address:203.0.113.9", 40, now - timedelta(days=3)),
                ("email:recent@spendscore.test", 2, now - timedelta(seconds=60)),
            ],
        )
    finally:
        await connection.close()

    async with open_api(make_settings()):
        deadline = asyncio.get_running_loop().time() + 10
        while "address:203.0.113.9" in await throttle_keys(auth_database_url):
            assert asyncio.get_running_loop().time() < deadline, "expired rows were not deleted"
            await asyncio.sleep(0.05)

    assert await throttle_keys(auth_database_url) == {"email:recent@spendscore.test"}


async def test_expired_rows_are_purged_at_most_once_a_minute(api, auth_database_url):
    worker = api.app.state.deletion_worker
    await worker.stop()  # its loop must not purge in between: this test calls the step itself
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        await api.login("nobody@spendscore.test", "wrong-password")
        traveller.move_to(start + timedelta(minutes=14, seconds=30))
        await worker.purge_expired_throttles()  # nothing expired yet
        traveller.move_to(start + timedelta(minutes=15, seconds=10))
        await worker.purge_expired_throttles()  # expired now, but purged less than a minute ago
        kept = await throttle_keys(auth_database_url)
        traveller.move_to(start + timedelta(minutes=15, seconds=31))
        await worker.purge_expired_throttles()
        purged = await throttle_keys(auth_database_url)

    assert "email:nobody@spendscore.test" in kept
    assert "email:nobody@spendscore.test" not in purged
