"""Issue 12 #2: tokens issued before a password change, deactivation, deletion, demotion or reset are
void, on auth at once and, through GET /revocations, on every other service."""

import jwt

from spendscore_common.tokens import revocation_key


async def feed(api, etag: str | None = None):
    return await api.client.get("/revocations", headers={"If-None-Match": etag} if etag else {})


def listed(response) -> "_KnownUsers":
    """user id -> cutoff, for the accounts of this test (the feed names users by a hash only)."""
    hashes = {entry["subject_hash"]: entry["issued_before"] for entry in response.json()["revocations"]}
    return _KnownUsers(hashes)


class _KnownUsers(dict):
    """The feed's entries looked up by user id: ``id in listed(...)``, ``listed(...)[id]``."""

    def __contains__(self, user_id: object) -> bool:
        return super().__contains__(revocation_key(str(user_id)))

    def __getitem__(self, user_id: str) -> float:
        return super().__getitem__(revocation_key(str(user_id)))


async def test_a_password_change_ends_every_other_session_and_keeps_this_one(api):
    account = await api.create_user()
    other_session = {"Authorization": f"Bearer {await api.token(account.email, account.password)}"}

    changed = await api.client.put(
        "/users/me/password",
        json={"current_password": account.password, "new_password": "a-new-password-2"},
        headers=account.headers,
    )

    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await api.client.get("/users/me", headers=fresh)).status_code == 200
    for old in (account.headers, other_session):
        refused = await api.client.get("/users/me", headers=old)
        assert refused.status_code == 401
        assert refused.json() == {
            "detail": "This token was revoked: sign in again",
            "code": "session_revoked",
        }
    # The feed voids exactly the tokens issued before the change: the fresh one stays valid elsewhere.
    cutoff = listed(await feed(api))[account.id]
    fresh_iat = jwt.decode(changed.json()["access_token"], options={"verify_signature": False})["iat"]
    old_iat = jwt.decode(account.token, options={"verify_signature": False})["iat"]
    assert old_iat < cutoff <= fresh_iat


async def test_deactivation_deletion_demotion_and_reset_are_published(api, fake_customers):
    admin = await api.admin_headers()
    deactivated, deleted, demoted, reset, untouched, promoted = [
        await api.create_user(roles=("admin", "user")) for _ in range(6)
    ]
    await api.client.patch(f"/admin/users/{deactivated.id}", json={"is_active": False}, headers=admin)
    await api.client.delete(f"/admin/users/{deleted.id}", headers=admin)
    await api.client.patch(f"/admin/users/{demoted.id}", json={"roles": ["user"]}, headers=admin)
    await api.client.post(f"/admin/users/{reset.id}/password-reset", headers=admin)
    await api.client.patch(f"/admin/users/{promoted.id}", json={"name": "Renamed"}, headers=admin)

    response = await feed(api)
    revoked = listed(response)

    assert all(user.id in revoked for user in (deactivated, deleted, demoted, reset))
    # Issue 30, item 5: the public feed names nobody (only hashes of the ids).
    assert not any(user.id in response.text for user in (deactivated, deleted, demoted, reset))
    assert untouched.id not in revoked and promoted.id not in revoked
    assert (await api.client.get("/users/me", headers=demoted.headers)).status_code == 401


async def test_the_feed_is_conditional_and_uncached(api):
    first = await feed(api)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"

    unchanged = await feed(api, first.headers["etag"])
    assert unchanged.status_code == 304 and unchanged.content == b""

    account = await api.create_user()
    await api.client.patch(
        f"/admin/users/{account.id}", json={"is_active": False}, headers=await api.admin_headers()
    )
    changed = await feed(api, first.headers["etag"])
    assert changed.status_code == 200 and account.id in listed(changed)
