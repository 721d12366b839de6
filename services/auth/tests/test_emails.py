"""Issue 12 #8: look-alike addresses (fullwidth, case, dotted İ, dotless ı) are one account; a local part
mixing scripts is refused."""

import pytest


async def create(api, email: str):
    return await api.client.post(
        "/admin/users",
        json={"email": email, "name": "Alice", "password": "alices-password-1"},
        headers=await api.admin_headers(),
    )


@pytest.mark.parametrize(
    "look_alike",
    [
        "ａｌｉｃｅ@example.com",
        "ALICE@EXAMPLE.COM",
        "alİce@example.com",
        "alıce@example.com",
        "ＡＬＩＣＥ@example.com",
    ],
)
async def test_a_look_alike_of_an_existing_address_is_the_same_account(api, look_alike):
    created = await create(api, "alice@example.com")
    assert created.status_code == 201

    assert (await create(api, look_alike)).status_code == 409
    login = await api.login(look_alike, "alices-password-1")
    assert login.status_code == 200


async def test_addresses_are_stored_folded(api):
    created = await create(api, "Straße.ＢＯＢ@Example.com")
    assert created.status_code == 201
    assert created.json()["email"] == "strasse.bob@example.com"


@pytest.mark.parametrize(
    "mixed",
    [
        "аlice@example.com",
        "alicе@example.com",
        "pαypal@example.com",
        # Issue 30, item 5: the domain too, label by label.
        "sec-admin@exаmple.com",
        "owner@mail.exаmple.com",
    ],
)
async def test_a_local_part_that_mixes_scripts_is_refused(api, mixed):
    response = await create(api, mixed)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    assert "mixes scripts" in error["msg"]


async def test_one_script_other_than_latin_is_fine(api):
    assert (await create(api, "алиса@example.com")).status_code == 201
    assert (await create(api, "山田たろう@example.com")).status_code == 201
    assert (await create(api, "ivan@пример.рф")).status_code == 201
