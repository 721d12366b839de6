"""Issue 23 #7: a token refused because its account changed says why, so that the UI can tell its user
(deactivated, deleted, password reset by an admin, or another session's password or role change)."""


async def test_each_refused_token_names_its_reason(api, fake_customers):
    admin = await api.admin_headers()
    deactivated, deleted, reset, demoted = [await api.create_user(roles=("admin", "user")) for _ in range(4)]
    await api.client.patch(f"/admin/users/{deactivated.id}", json={"is_active": False}, headers=admin)
    await api.client.delete(f"/admin/users/{deleted.id}", headers=admin)
    await api.client.post(f"/admin/users/{reset.id}/password-reset", headers=admin)
    await api.client.patch(f"/admin/users/{demoted.id}", json={"roles": ["user"]}, headers=admin)

    codes = {}
    for name, account in {
        "deactivated": deactivated,
        "deleted": deleted,
        "reset": reset,
        "demoted": demoted,
    }.items():
        refused = await api.client.get("/users/me", headers=account.headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        codes[name] = refused.json()["code"]

    assert codes == {
        "deactivated": "account_deactivated",
        "deleted": "account_deleted",
        "reset": "password_reset",
        "demoted": "session_revoked",
    }
