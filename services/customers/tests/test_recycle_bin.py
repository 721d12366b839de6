"""The recycle bin: a deleted customer is hidden everywhere and counted nowhere, restorable with its
history, observed scores and external id, and purged for good after the bin's days."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from customers_service import recycle_bin


async def _delete(api, owner, customer):
    response = await api.client.delete(f"/customers/{customer['id']}", headers=owner.headers)
    assert response.status_code == 204


async def _binned(api, owner):
    response = await api.client.get("/customers/deleted", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_deleted_customer_is_hidden_counted_nowhere_and_restored_whole(api, owner, other_owner):
    kept = await api.create_customer(owner, name="Kept Person", gender="male")
    gone = await api.create_customer(owner, name="Gone Person", external_id="EXT-1", observed_score=70)
    await api.client.patch(f"/customers/{gone['id']}", json={"age": 50}, headers=owner.headers)
    history = (await api.client.get(f"/customers/{gone['id']}/predictions", headers=owner.headers)).json()

    await _delete(api, owner, gone)

    listed = (await api.client.get("/customers", headers=owner.headers)).json()
    assert [item["id"] for item in listed["items"]] == [kept["id"]]
    assert listed["total"] == 1
    searched = await api.client.get("/customers?q=gone", headers=owner.headers)
    assert searched.json() == {"items": [], "total": 0}
    assert (await api.client.get("/customers?q=EXT-1", headers=owner.headers)).json()["total"] == 0
    assert (await api.client.get(f"/customers/{gone['id']}", headers=owner.headers)).status_code == 404
    dashboard = (await api.client.get("/dashboard", headers=owner.headers)).json()
    assert dashboard["total_customers"] == 1
    exported = (await api.client.get("/customers/export", headers=owner.headers)).content.decode("utf-8-sig")
    assert "Gone Person" not in exported
    # The external id stays reserved while the customer is in the bin.
    taken = await api.client.post("/customers", json=api.payload(external_id="EXT-1"), headers=owner.headers)
    assert taken.status_code == 409
    bin_page = await _binned(api, owner)
    assert [item["id"] for item in bin_page["items"]] == [gone["id"]]
    assert bin_page["total"] == 1
    item = bin_page["items"][0]
    assert datetime.fromisoformat(item["purge_after"]) - datetime.fromisoformat(
        item["deleted_at"]
    ) == timedelta(days=30)
    assert (await _binned(api, other_owner))["total"] == 0

    restored = await api.client.post(
        "/customers/deleted/restore", json={"ids": [gone["id"]]}, headers=owner.headers
    )
    assert restored.status_code == 200, restored.text
    assert restored.json() == {"action": "restored", "count": 1, "ids": [gone["id"]]}
    back = (await api.client.get(f"/customers/{gone['id']}", headers=owner.headers)).json()
    assert (back["external_id"], back["observed_score"], back["age"]) == ("EXT-1", 70, 50)
    assert (
        await api.client.get(f"/customers/{gone['id']}/predictions", headers=owner.headers)
    ).json() == history
    observed = (
        await api.client.get(f"/customers/{gone['id']}/observed-scores", headers=owner.headers)
    ).json()
    assert [entry["score"] for entry in observed] == [70]
    assert (await api.client.get("/dashboard", headers=owner.headers)).json()["total_customers"] == 2
    assert (await _binned(api, owner))["total"] == 0


async def test_restore_is_all_or_nothing_and_per_owner(api, owner, other_owner):
    first = await api.create_customer(owner)
    second = await api.create_customer(owner)
    theirs = await api.create_customer(other_owner)
    for customer in (first, second):
        await _delete(api, owner, customer)
    await _delete(api, other_owner, theirs)

    for ids in ([first["id"], theirs["id"]], [first["id"], str(uuid.uuid4())]):
        response = await api.client.post(
            "/customers/deleted/restore", json={"ids": ids}, headers=owner.headers
        )
        assert response.status_code == 404
    assert (await _binned(api, owner))["total"] == 2
    assert (await _binned(api, other_owner))["total"] == 1


async def test_restoring_past_the_owner_cap_is_409(api_with, settings_for, token_issuer, owner):
    async with api_with(settings_for(max_customers_per_owner=2), token_issuer) as api:
        first = await api.create_customer(owner)
        await _delete(api, owner, first)
        await api.create_customer(owner)
        await api.create_customer(owner)  # the binned one does not count against the cap
        response = await api.client.post(
            "/customers/deleted/restore", json={"ids": [first["id"]]}, headers=owner.headers
        )
        assert response.status_code == 409


@pytest.mark.parametrize("body", [{"ids": []}, {"ids": ["nope"]}, {"ids": [str(uuid.uuid4())] * 1001}, {}])
async def test_bad_restore_requests_are_422(api, owner, body):
    response = await api.client.post("/customers/deleted/restore", json=body, headers=owner.headers)
    assert response.status_code == 422
    assert "ids" in {str(part) for problem in response.json()["detail"] for part in problem["loc"]}


async def test_the_purge_removes_only_what_has_been_in_the_bin_long_enough(
    api, owner, customers_database_url
):
    old = await api.create_customer(owner, external_id="OLD")
    recent = await api.create_customer(owner)
    live = await api.create_customer(owner)
    for customer in (old, recent):
        await _delete(api, owner, customer)
    connection = await asyncpg.connect(customers_database_url)
    try:
        await connection.execute(
            "UPDATE customer SET deleted_at = now() - interval '31 days' WHERE id = $1", uuid.UUID(old["id"])
        )
        purged = await recycle_bin.purge_all_expired(sessionmaker=api.app.state.sessionmaker, days=30)
        assert purged == 1
        remaining = {str(row["id"]) for row in await connection.fetch("SELECT id FROM customer")}
        assert remaining == {recent["id"], live["id"]}
        orphans = await connection.fetchval(
            "SELECT count(*) FROM prediction WHERE customer_id = $1", uuid.UUID(old["id"])
        )
        assert orphans == 0
    finally:
        await connection.close()
    # The external id is free again once purged.
    await api.create_customer(owner, external_id="OLD")
    assert (await api.client.get("/dashboard", headers=owner.headers)).json()["total_customers"] == 2


async def test_the_purge_job_runs_in_batches_until_done(api, owner, customers_database_url, monkeypatch):
    monkeypatch.setattr(recycle_bin, "PURGE_BATCH", 2)
    customers = [await api.create_customer(owner) for _ in range(5)]
    for customer in customers:
        await _delete(api, owner, customer)
    async with api.app.state.sessionmaker() as session:
        now = datetime.now(UTC) + timedelta(days=31)
        assert await recycle_bin.purge_expired(session=session, now=now) == 2
        await session.rollback()
    connection = await asyncpg.connect(customers_database_url)
    try:
        await connection.execute("UPDATE customer SET deleted_at = now() - interval '40 days'")
        assert await recycle_bin.purge_all_expired(sessionmaker=api.app.state.sessionmaker, days=30) == 5
        assert await connection.fetchval("SELECT count(*) FROM customer") == 0
    finally:
        await connection.close()
