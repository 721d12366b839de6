"""Login throttling kept in PostgreSQL: per email and per client address, 429 with Retry-After."""

from datetime import UTC, datetime, timedelta

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
