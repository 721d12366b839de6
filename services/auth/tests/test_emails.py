"""Issue 12 #8: look-alike addresses (fullwidth, case, dotted İ, dotless ı) are one account; a local part
mixing scripts is refused; issue 30: so is an address with another account's confusables skeleton."""

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


async def test_an_address_that_looks_like_an_existing_one_is_refused(api):
    # Issue 30, item 5: one script each, so the mixed-script rule lets them through; their skeletons do not.
    pairs = [
        ("lookalike@example.com", "ʟookalike@example.com"),  # a Latin small capital L
        ("ape@example.com", "аре@example.com"),  # all Cyrillic
        ("bob@example.com", "b0b@example.com"),
        ("sec-admin@pope.com", "sec-admin@роре.com"),  # a domain label all Cyrillic
    ]
    for existing, _ in pairs:
        assert (await create(api, existing)).status_code == 201

    refusals = [await create(api, look_alike) for _, look_alike in pairs]

    assert [response.status_code for response in refusals] == [409] * len(pairs)
    assert {response.json()["code"] for response in refusals} == {"email_look_alike"}
    assert "email looks like another account's" in refusals[0].json()["detail"]


async def test_changing_to_a_look_alike_gets_the_one_refusal_of_a_taken_address(api):
    victim = await api.create_user(email="victim@spendscore.test")
    owner = await api.create_user()

    changed = await api.client.patch(
        "/users/me",
        json={"email": "vɪctim@spendscore.test", "current_password": owner.password},  # a small capital I
        headers=owner.headers,
    )
    renamed = await api.client.patch(
        "/users/me", json={"name": "Still Me", "current_password": victim.password}, headers=victim.headers
    )

    # The same 400 as a wrong password: an owner learns nothing about other accounts.
    assert changed.status_code == 400
    assert changed.json()["detail"] == "The current password is incorrect, or this email cannot be used"
    # An account keeps its own address (its skeleton matches only itself) through other changes.
    assert renamed.status_code == 200
