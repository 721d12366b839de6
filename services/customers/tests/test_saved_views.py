"""Saved views: kept per owner, listed by name, renamable and deletable, bounded, never shared."""

import pytest

from customers_service.saved_views import MAX_SAVED_VIEWS_PER_OWNER

CAMPAIGN = {
    "name": "Campanha alta renda",
    "q": "maria",
    "gender": "mulher",
    "segment": "high-income",
    "sort": "-annual_income",
}


async def _create(api, owner, **values):
    response = await api.client.post("/saved-views", json=values, headers=owner.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _names(api, owner):
    response = await api.client.get("/saved-views", headers=owner.headers)
    assert response.status_code == 200
    return [view["name"] for view in response.json()]


async def test_create_list_rename_change_and_delete(api, owner):
    created = await _create(api, owner, **CAMPAIGN)
    assert created["gender"] == "female"
    assert {key: created[key] for key in ("q", "segment", "sort", "band")} == {
        "q": "maria",
        "segment": "high-income",
        "sort": "-annual_income",
        "band": None,
    }
    await _create(api, owner, name="Baixa pontuação", band="low")
    assert await _names(api, owner) == ["Baixa pontuação", "Campanha alta renda"]

    renamed = await api.client.patch(
        f"/saved-views/{created['id']}", json={"name": "Alta renda", "q": None}, headers=owner.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Alta renda"
    assert renamed.json()["q"] is None
    assert renamed.json()["sort"] == "-annual_income", "fields not sent stay"

    deleted = await api.client.delete(f"/saved-views/{created['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert await _names(api, owner) == ["Baixa pontuação"]


async def test_another_owner_neither_sees_nor_changes_them(api, owner, other_owner):
    view = await _create(api, owner, **CAMPAIGN)
    assert await _names(api, other_owner) == []
    for method, body in (("PATCH", {"name": "mine"}), ("DELETE", None)):
        response = await api.client.request(
            method, f"/saved-views/{view['id']}", json=body, headers=other_owner.headers
        )
        assert response.status_code == 404
    # Each owner has its own names.
    await _create(api, other_owner, **CAMPAIGN)
    assert await _names(api, owner) == ["Campanha alta renda"]


async def test_a_name_taken_is_409(api, owner):
    await _create(api, owner, name="A")
    other = await _create(api, owner, name="B")
    assert (
        await api.client.post("/saved-views", json={"name": "A"}, headers=owner.headers)
    ).status_code == 409
    renamed = await api.client.patch(f"/saved-views/{other['id']}", json={"name": "A"}, headers=owner.headers)
    assert renamed.status_code == 409
    assert await _names(api, owner) == ["A", "B"]


async def test_at_most_the_limit_per_owner(api, owner, other_owner):
    for index in range(MAX_SAVED_VIEWS_PER_OWNER):
        await _create(api, owner, name=f"View {index:02d}")
    refused = await api.client.post("/saved-views", json={"name": "One more"}, headers=owner.headers)
    assert refused.status_code == 409
    assert len(await _names(api, owner)) == MAX_SAVED_VIEWS_PER_OWNER
    await _create(api, other_owner, name="One more")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "a", "sort": "email"}, "sort"),
        ({"name": "a", "gender": "x"}, "gender"),
        ({"name": "a", "band": "huge"}, "band"),
        ({"name": "a", "q": "a " * 9}, "q"),
        ({"name": "a", "q": "x" * 201}, "q"),
        ({"name": "a\x00"}, "name"),
        ({"name": "a", "owner_id": "someone"}, "owner_id"),
    ],
)
async def test_bad_input_is_422_naming_the_field(api, owner, body, field):
    response = await api.client.post("/saved-views", json=body, headers=owner.headers)
    assert response.status_code == 422
    assert field in {str(part) for problem in response.json()["detail"] for part in problem["loc"]}


async def test_an_unknown_id_is_404_and_a_malformed_one_422(api, owner):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await api.client.delete(f"/saved-views/{unknown}", headers=owner.headers)).status_code == 404
    assert (await api.client.delete("/saved-views/nope", headers=owner.headers)).status_code == 422


async def test_deleting_the_account_deletes_them(api, owner, new_owner):
    await _create(api, owner, **CAMPAIGN)
    auth = new_owner(roles=("service",), subject="auth-service")
    response = await api.client.delete(f"/owners/{owner.id}/customers", headers=auth.headers)
    assert response.status_code == 204
    assert await _names(api, owner) == []


async def test_without_a_token_is_401(api):
    assert (await api.client.get("/saved-views")).status_code == 401
