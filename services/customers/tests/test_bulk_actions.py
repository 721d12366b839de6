"""Bulk actions: one request each, bounded, all or nothing, per owner, answering what was done."""

import csv
import io
import uuid

import pytest

from customers_service import bulk_actions


async def _ids(api, owner, query=""):
    response = await api.client.get(f"/customers?limit=200&{query}", headers=owner.headers)
    return {item["id"] for item in response.json()["items"]}


async def test_three_deleted_at_once_come_back_at_once(api, owner):
    chosen = [(await api.create_customer(owner))["id"] for _ in range(3)]
    kept = (await api.create_customer(owner))["id"]

    deleted = await api.client.post("/customers/bulk/delete", json={"ids": chosen}, headers=owner.headers)

    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"action": "deleted", "count": 3, "ids": chosen}
    assert await _ids(api, owner) == {kept}
    restored = await api.client.post(
        "/customers/deleted/restore", json={"ids": chosen}, headers=owner.headers
    )
    assert restored.json()["count"] == 3
    assert await _ids(api, owner) == {kept, *chosen}


async def test_an_id_not_the_owners_deletes_nothing(api, owner, other_owner):
    mine = (await api.create_customer(owner))["id"]
    theirs = (await api.create_customer(other_owner))["id"]
    for ids in ([mine, theirs], [mine, str(uuid.uuid4())]):
        response = await api.client.post("/customers/bulk/delete", json={"ids": ids}, headers=owner.headers)
        assert response.status_code == 404
    assert await _ids(api, owner) == {mine}
    assert await _ids(api, other_owner) == {theirs}


async def test_all_matching_the_filters(api, owner, other_owner):
    women = {(await api.create_customer(owner, name=f"Maria {n}", gender="female"))["id"] for n in range(3)}
    man = (await api.create_customer(owner, name="Maria Homem", gender="male"))["id"]
    theirs = (await api.create_customer(other_owner, name="Maria Outra", gender="female"))["id"]

    response = await api.client.post(
        "/customers/bulk/delete", json={"filters": {"q": "maria", "gender": "f"}}, headers=owner.headers
    )

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert set(response.json()["ids"]) == women
    assert await _ids(api, owner) == {man}
    assert await _ids(api, other_owner) == {theirs}


async def test_filters_matching_too_many_are_refused_and_nothing_done(api, owner, monkeypatch):
    monkeypatch.setattr(bulk_actions, "MAX_BULK_MATCHING", 2)
    created = {(await api.create_customer(owner))["id"] for _ in range(3)}
    response = await api.client.post("/customers/bulk/delete", json={"filters": {}}, headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "filters"]
    assert await _ids(api, owner) == created


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"ids": [str(uuid.uuid4())], "filters": {}}, "body"),
        ({"ids": []}, "ids"),
        ({"ids": [str(uuid.uuid4()) for _ in range(1001)]}, "ids"),
        ({"ids": ["00000000-0000-4000-8000-000000000000"] * 2}, "body"),
        ({"ids": ["nope"]}, "ids"),
        ({"filters": {"gender": "x"}}, "gender"),
        ({"filters": {"q": "a " * 9}}, "q"),
    ],
)
async def test_bad_selections_are_422(api, owner, body, field):
    for action in ("delete", "predict", "export"):
        response = await api.client.post(f"/customers/bulk/{action}", json=body, headers=owner.headers)
        assert response.status_code == 422, (action, response.text)
        assert field in {str(part) for problem in response.json()["detail"] for part in problem["loc"]}


async def test_the_export_of_the_ticked_rows(api, owner, other_owner):
    rows = [await api.create_customer(owner, name=name) for name in ("Ana", "Bia", "Caio", "Duda")]
    await api.create_customer(other_owner, name="Eva")
    chosen = [rows[3]["id"], rows[1]["id"]]

    response = await api.client.post(
        "/customers/bulk/export", json={"ids": chosen, "sort": "-name"}, headers=owner.headers
    )

    assert response.status_code == 200
    exported = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["name"] for row in exported] == ["Duda", "Bia"]
    theirs = await api.client.post(
        "/customers/bulk/export", json={"ids": [rows[0]["id"], str(uuid.uuid4())]}, headers=owner.headers
    )
    assert theirs.status_code == 404


async def test_predict_again_with_inference_down_stores_nothing(api, owner):
    chosen = [(await api.create_customer(owner))["id"] for _ in range(2)]
    response = await api.client.post("/customers/bulk/predict", json={"ids": chosen}, headers=owner.headers)
    assert response.status_code == 503
    for customer_id in chosen:
        history = await api.client.get(f"/customers/{customer_id}/predictions", headers=owner.headers)
        assert len(history.json()) == 1


async def test_predict_again_adds_one_prediction_to_each(live_api, live_owner):
    chosen = [(await live_api.create_customer(live_owner, age=20 + n))["id"] for n in range(3)]
    other = (await live_api.create_customer(live_owner))["id"]

    response = await live_api.client.post(
        "/customers/bulk/predict", json={"ids": chosen}, headers=live_owner.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["count"] == 3
    for customer_id, expected in [*((customer_id, 2) for customer_id in chosen), (other, 1)]:
        history = (
            await live_api.client.get(f"/customers/{customer_id}/predictions", headers=live_owner.headers)
        ).json()
        assert len(history) == expected
        assert all(prediction["status"] == "done" for prediction in history)
