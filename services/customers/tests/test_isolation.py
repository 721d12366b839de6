"""Tenant isolation: another owner's customer is never found, listed, counted, exported or changed."""

import io
import uuid


async def _snapshot(api, owner, customer_id):
    customer = (await api.client.get(f"/customers/{customer_id}", headers=owner.headers)).json()
    history = (await api.client.get(f"/customers/{customer_id}/predictions", headers=owner.headers)).json()
    return customer, history


async def test_every_endpoint_keeps_owners_apart(api, owner, other_owner):
    mine = await api.create_customer(owner, name="Mine Only", age=44)
    theirs = await api.create_customer(other_owner, name="Theirs Only", age=22)
    before = await _snapshot(api, owner, mine["id"])
    path = f"/customers/{mine['id']}"
    intruder = other_owner.headers

    for method, url, kwargs in [
        ("GET", path, {}),
        ("PATCH", path, {"json": {"name": "Hijacked", "age": 99}}),
        ("DELETE", path, {}),
        ("GET", path + "/predictions", {}),
        ("POST", path + "/predictions", {}),
    ]:
        response = await api.client.request(method, url, headers=intruder, **kwargs)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json() == {"detail": "Customer not found"}
        assert "Mine Only" not in response.text

    listed = (await api.client.get("/customers?q=mine", headers=intruder)).json()
    assert listed == {"items": [], "total": 0}
    all_theirs = (await api.client.get("/customers?limit=200", headers=intruder)).json()
    assert [item["id"] for item in all_theirs["items"]] == [theirs["id"]]
    dashboard = (await api.client.get("/dashboard", headers=intruder)).json()
    assert dashboard["total_customers"] == 1
    assert dashboard["by_age_group"][1] == {"group": "18-24", "count": 1, "average_score": None}
    export = await api.client.get("/customers/export", headers=intruder)
    assert "Mine Only" not in export.text and "Theirs Only" in export.text
    imported = await api.client.post(
        "/customers/import",
        files={
            "file": ("c.csv", io.BytesIO(b"name,gender,age,annual_income\nNew One,f,30,40\n"), "text/csv")
        },
        headers=intruder,
    )
    assert imported.status_code == 201
    assert (await api.client.delete(f"/owners/{owner.id}/customers", headers=intruder)).status_code == 403

    assert await _snapshot(api, owner, mine["id"]) == before
    assert (await api.client.get("/customers", headers=owner.headers)).json()["total"] == 1
    assert (await api.client.get("/dashboard", headers=owner.headers)).json()["total_customers"] == 1


async def test_an_admin_sees_only_their_own_customers(api, owner, new_owner):
    admin = new_owner(roles=("admin", "user"))
    mine = await api.create_customer(owner)

    assert (await api.client.get(f"/customers/{mine['id']}", headers=admin.headers)).status_code == 404
    assert (await api.client.get("/customers", headers=admin.headers)).json()["total"] == 0


async def test_ids_are_not_guessable_across_owners(api, owner, other_owner):
    await api.create_customer(owner)
    response = await api.client.get(f"/customers/{uuid.uuid4()}", headers=other_owner.headers)
    assert response.status_code == 404
