"""Admin user management and its rules: roles, last active admin, email conflicts, listing."""

import uuid

import jwt

USER_SHAPE = {"id", "email", "name", "roles", "is_active", "created_at", "updated_at", "last_login_at"}


async def admin_id(api) -> str:
    me = await api.client.get("/users/me", headers=await api.admin_headers())
    return str(me.json()["id"])


async def test_admin_creates_a_user_and_never_sees_the_hash(api):
    response = await api.client.post(
        "/admin/users",
        json={"email": "New@SpendScore.test", "name": "New", "password": "password-123", "roles": ["user"]},
        headers=await api.admin_headers(),
    )

    assert response.status_code == 201
    assert set(response.json()) == USER_SHAPE
    assert response.json()["email"] == "new@spendscore.test"
    assert response.json()["is_active"] is True
    assert response.json()["last_login_at"] is None
    assert "hash" not in response.text


async def test_duplicate_email_is_409_whatever_the_case(api):
    account = await api.create_user()

    response = await api.client.post(
        "/admin/users",
        json={"email": account.email.upper(), "name": "Twin", "password": "password-123"},
        headers=await api.admin_headers(),
    )

    assert response.status_code == 409


async def test_bad_input_is_422(api):
    headers = await api.admin_headers()
    for body in (
        {"email": "x@spendscore.test", "name": "X", "password": "password-123", "roles": ["superuser"]},
        {"email": "x@spendscore.test", "name": "X", "password": "short"},
        {"email": "x@spendscore.test", "name": "", "password": "password-123"},
        {"email": "x@spendscore.test", "name": "X", "password": "p" * 73},
    ):
        assert (await api.client.post("/admin/users", json=body, headers=headers)).status_code == 422


async def test_only_admins_manage_users(api):
    account = await api.create_user()

    as_user = await api.client.get("/admin/users", headers=account.headers)
    anonymous = await api.client.get("/admin/users")

    assert as_user.status_code == 403
    assert as_user.json() == {"detail": "Requires role: admin"}
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"


async def test_list_pages_and_searches(api):
    for name in ("Alice", "Bob", "Carol"):
        await api.create_user(name=name, email=f"{name.lower()}@shop.test")
    headers = await api.admin_headers()

    everything = (await api.client.get("/admin/users", headers=headers)).json()
    page = (await api.client.get("/admin/users?limit=2&offset=1", headers=headers)).json()
    found = (await api.client.get("/admin/users?q=CAR", headers=headers)).json()
    by_domain = (await api.client.get("/admin/users?q=shop.test", headers=headers)).json()
    wildcard = (await api.client.get("/admin/users?q=%25", headers=headers)).json()

    assert everything["total"] == 4
    assert [user["email"] for user in everything["items"]] == sorted(
        user["email"] for user in everything["items"]
    )
    assert page["total"] == 4 and len(page["items"]) == 2
    assert page["items"][0]["email"] == everything["items"][1]["email"]
    assert found["total"] == 1 and found["items"][0]["name"] == "Carol"
    assert by_domain["total"] == 3
    assert wildcard["total"] == 0


async def test_read_a_user_and_404_for_an_unknown_one(api):
    account = await api.create_user()
    headers = await api.admin_headers()

    found = await api.client.get(f"/admin/users/{account.id}", headers=headers)
    missing = await api.client.get(f"/admin/users/{uuid.uuid4()}", headers=headers)

    assert found.status_code == 200 and found.json()["email"] == account.email
    assert missing.status_code == 404


async def test_promote_a_user_to_admin(api):
    account = await api.create_user()

    response = await api.client.patch(
        f"/admin/users/{account.id}", json={"roles": ["admin", "user"]}, headers=await api.admin_headers()
    )

    assert response.status_code == 200
    assert response.json()["roles"] == ["admin", "user"]
    # Auth checks the stored roles, so the change counts at once; a new token carries it to other services.
    assert (await api.client.get("/admin/users", headers=account.headers)).status_code == 200
    new_token = await api.token(account.email, account.password)
    assert jwt.decode(new_token, options={"verify_signature": False})["roles"] == ["admin", "user"]


async def test_a_demoted_admin_loses_admin_access_at_once(api):
    account = await api.create_user(roles=("admin", "user"))

    await api.client.patch(
        f"/admin/users/{account.id}", json={"roles": ["user"]}, headers=await api.admin_headers()
    )

    # The token issued before the demotion is revoked; a new one carries the lesser roles.
    assert (await api.client.get("/admin/users", headers=account.headers)).status_code == 401
    new_headers = {"Authorization": f"Bearer {await api.token(account.email, account.password)}"}
    assert (await api.client.get("/admin/users", headers=new_headers)).status_code == 403


async def test_admin_edits_name_email_and_activation(api):
    account = await api.create_user()

    response = await api.client.patch(
        f"/admin/users/{account.id}",
        json={"name": "Renamed", "email": "renamed@spendscore.test", "is_active": False},
        headers=await api.admin_headers(),
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["email"], response.json()["is_active"]) == (
        "Renamed",
        "renamed@spendscore.test",
        False,
    )
    assert (await api.client.get("/users/me", headers=account.headers)).status_code == 401


async def test_the_last_active_admin_cannot_be_demoted_deactivated_or_deleted(api):
    headers = await api.admin_headers()
    only_admin = await admin_id(api)

    demote = await api.client.patch(f"/admin/users/{only_admin}", json={"roles": ["user"]}, headers=headers)
    deactivate = await api.client.patch(
        f"/admin/users/{only_admin}", json={"is_active": False}, headers=headers
    )
    delete = await api.client.delete(f"/admin/users/{only_admin}", headers=headers)

    for response in (demote, deactivate, delete):
        assert response.status_code == 409
        assert (
            response.json()["detail"]
            == "This is the last active admin: make another user an active admin first"
        )
    assert (await api.client.get(f"/admin/users/{only_admin}", headers=headers)).json()["roles"] == [
        "admin",
        "user",
    ]


async def test_an_inactive_admin_does_not_count_as_the_other_admin(api):
    headers = await api.admin_headers()
    other = await api.create_user(roles=("admin",))
    await api.client.patch(f"/admin/users/{other.id}", json={"is_active": False}, headers=headers)

    response = await api.client.patch(
        f"/admin/users/{await admin_id(api)}", json={"roles": ["user"]}, headers=headers
    )

    assert response.status_code == 409


async def test_with_a_second_admin_the_first_can_be_demoted_and_deleted(api, fake_customers):
    headers = await api.admin_headers()
    first = await admin_id(api)
    second = await api.create_user(roles=("admin", "user"))

    demote = await api.client.patch(f"/admin/users/{first}", json={"roles": ["user"]}, headers=second.headers)
    delete = await api.client.delete(f"/admin/users/{first}", headers=second.headers)

    assert demote.status_code == 200 and demote.json()["roles"] == ["user"]
    assert delete.status_code == 204
    assert (await api.client.get(f"/admin/users/{first}", headers=second.headers)).status_code == 404
    assert (await api.client.get("/users/me", headers=headers)).status_code == 401


async def test_admin_deletes_a_user(api, fake_customers):
    account = await api.create_user()
    headers = await api.admin_headers()

    response = await api.client.delete(f"/admin/users/{account.id}", headers=headers)

    assert response.status_code == 204
    assert (await api.client.get(f"/admin/users/{account.id}", headers=headers)).status_code == 404
    assert (await api.client.delete(f"/admin/users/{account.id}", headers=headers)).status_code == 404


async def test_admin_edits_refuse_null_for_each_field(api):
    account = await api.create_user()
    headers = await api.admin_headers()

    for field in ("email", "name", "roles", "is_active"):
        response = await api.client.patch(f"/admin/users/{account.id}", json={field: None}, headers=headers)
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
