"""A user's own account: profile, edits, password change, self-deletion."""

USER_SHAPE = {"id", "email", "name", "roles", "is_active", "created_at", "updated_at", "last_login_at"}


async def test_read_my_profile(api):
    account = await api.create_user(name="Grace")

    response = await api.client.get("/users/me", headers=account.headers)

    assert response.status_code == 200
    assert set(response.json()) == USER_SHAPE
    assert response.json()["name"] == "Grace"
    assert response.json()["roles"] == ["user"]


async def test_change_my_name_and_email_normalised(api):
    account = await api.create_user()

    response = await api.client.patch(
        "/users/me",
        json={"name": "New Name", "email": "  New.Address@SpendScore.TEST "},
        headers=account.headers,
    )

    assert response.status_code == 200
    assert response.json()["name"] == "New Name"
    assert response.json()["email"] == "new.address@spendscore.test"
    assert response.json()["updated_at"] > response.json()["created_at"]
    assert (await api.login("new.address@spendscore.test", account.password)).status_code == 200


async def test_taking_someone_elses_email_is_409(api):
    first = await api.create_user()
    second = await api.create_user()

    response = await api.client.patch(
        "/users/me", json={"email": first.email.upper()}, headers=second.headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "A user with this email already exists"}


async def test_invalid_email_is_422(api):
    account = await api.create_user()

    response = await api.client.patch("/users/me", json={"email": "not-an-email"}, headers=account.headers)

    assert response.status_code == 422


async def test_change_my_password(api):
    account = await api.create_user()

    response = await api.client.put(
        "/users/me/password",
        json={"current_password": account.password, "new_password": "a-new-password-2"},
        headers=account.headers,
    )

    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    assert (await api.login(account.email, account.password)).status_code == 401
    assert (await api.login(account.email, "a-new-password-2")).status_code == 200


async def test_password_change_needs_the_current_password(api):
    account = await api.create_user()

    response = await api.client.put(
        "/users/me/password",
        json={"current_password": "not-my-password", "new_password": "a-new-password-2"},
        headers=account.headers,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The current password is incorrect"}


async def test_new_password_rules_give_clear_422s(api):
    account = await api.create_user()

    async def change_to(new_password: str) -> str:
        response = await api.client.put(
            "/users/me/password",
            json={"current_password": account.password, "new_password": new_password},
            headers=account.headers,
        )
        assert response.status_code == 422
        return str(response.json()["detail"][0]["msg"])

    assert "at least 8 characters" in await change_to("short")
    assert "at most 72 bytes" in await change_to("é" * 37)  # 37 characters, 74 bytes


async def test_delete_my_account(api, fake_customers):
    account = await api.create_user()

    response = await api.client.delete("/users/me", headers=account.headers)

    assert response.status_code == 204
    assert (await api.client.get("/users/me", headers=account.headers)).status_code == 401
    assert (await api.login(account.email, account.password)).status_code == 401


async def test_the_last_admin_cannot_delete_themself(api):
    response = await api.client.delete("/users/me", headers=await api.admin_headers())

    assert response.status_code == 409
    assert "last active admin" in response.json()["detail"]


async def test_null_for_a_field_that_cannot_be_null_is_422_naming_it(api):
    account = await api.create_user()

    response = await api.client.patch("/users/me", json={"email": None}, headers=account.headers)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    assert "email cannot be null" in error["msg"]
    me = await api.client.get("/users/me", headers=account.headers)
    assert me.json()["email"] == account.email
