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
        json={
            "name": "New Name",
            "email": "  New.Address@SpendScore.TEST ",
            "current_password": account.password,
        },
        headers=account.headers,
    )

    assert response.status_code == 200
    assert response.json()["name"] == "New Name"
    assert response.json()["email"] == "new.address@spendscore.test"
    assert response.json()["updated_at"] > response.json()["created_at"]
    assert (await api.login("new.address@spendscore.test", account.password)).status_code == 200


async def test_someone_elses_email_and_a_wrong_password_get_one_answer(api):
    # Issue 30, item 5: an owner cannot learn which addresses have accounts.
    first = await api.create_user()
    second = await api.create_user()

    taken = await api.client.patch(
        "/users/me",
        json={"email": first.email.upper(), "current_password": second.password},
        headers=second.headers,
    )
    wrong_password = await api.client.patch(
        "/users/me",
        json={"email": "free@spendscore.test", "current_password": "not-mine"},
        headers=second.headers,
    )

    assert taken.status_code == wrong_password.status_code == 400
    assert taken.json() == wrong_password.json()
    assert (await api.client.get("/users/me", headers=second.headers)).json()["email"] == second.email


async def test_an_email_change_needs_the_current_password_and_is_throttled(api):
    account = await api.create_user()

    missing = await api.client.patch(
        "/users/me", json={"email": "new@spendscore.test"}, headers=account.headers
    )
    guesses = [
        await api.client.patch(
            "/users/me",
            json={"email": "new@spendscore.test", "current_password": f"guess-{n}"},
            headers=account.headers,
        )
        for n in range(6)
    ]
    name_only = await api.client.patch("/users/me", json={"name": "Just A Name"}, headers=account.headers)

    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "current_password"]
    assert [response.status_code for response in guesses] == [400] * 5 + [429]
    assert name_only.status_code == 200


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

    missing = await api.client.delete("/users/me", headers=account.headers)
    wrong = await api.client.request(
        "DELETE", "/users/me", json={"current_password": "not-mine"}, headers=account.headers
    )
    response = await api.client.request(
        "DELETE", "/users/me", json={"current_password": account.password}, headers=account.headers
    )

    assert missing.status_code == 422 and wrong.status_code == 400
    assert response.status_code == 204
    assert (await api.client.get("/users/me", headers=account.headers)).status_code == 401
    assert (await api.login(account.email, account.password)).status_code == 401


async def test_the_last_admin_cannot_delete_themself(api):
    response = await api.client.request(
        "DELETE",
        "/users/me",
        json={"current_password": api.admin_password},
        headers=await api.admin_headers(),
    )

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
