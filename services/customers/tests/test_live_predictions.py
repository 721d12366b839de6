"""With the real inference and auth services as processes: predictions, history, CSV, outage and recovery."""

import csv
import io
import uuid
from pathlib import Path

import asyncpg
import httpx

DATASET = Path(__file__).resolve().parents[3] / "services" / "inference" / "data" / "Mall_Customers.csv"


async def test_create_predicts_at_once(live_api, live_owner):
    created = await live_api.create_customer(live_owner, gender="Male", age=19, annual_income=15)

    latest = created["latest_prediction"]
    assert latest["status"] == "done"
    assert 1 <= latest["spending_score"] <= 100
    assert latest["band"] == (
        "low" if latest["spending_score"] < 25 else "high" if latest["spending_score"] > 75 else "medium"
    )
    assert latest["interval"]["low"] <= latest["spending_score"] <= latest["interval"]["high"]
    assert latest["model_version"]


async def test_update_re_predicts_and_the_history_grows(live_api, live_owner):
    created = await live_api.create_customer(live_owner, gender="f", age=20, annual_income=15)
    path = f"/customers/{created['id']}"

    renamed = await live_api.client.patch(path, json={"name": "Renamed"}, headers=live_owner.headers)
    older = await live_api.client.patch(
        path, json={"age": 60, "annual_income": 120}, headers=live_owner.headers
    )
    again = await live_api.client.post(path + "/predictions", headers=live_owner.headers)

    assert renamed.json()["latest_prediction"] == created["latest_prediction"]
    assert older.json()["latest_prediction"]["status"] == "done"
    assert again.status_code == 201
    history = (await live_api.client.get(path + "/predictions", headers=live_owner.headers)).json()
    assert [(entry["age"], entry["annual_income"], entry["status"]) for entry in history] == [
        (20, 15.0, "done"),
        (60, 120.0, "done"),
        (60, 120.0, "done"),
    ]
    assert history[1]["spending_score"] == history[2]["spending_score"], "same inputs, same model"
    current = (await live_api.client.get(path, headers=live_owner.headers)).json()
    assert current["latest_prediction"]["created_at"] == history[-1]["created_at"]


async def test_csv_round_trip_with_scores_from_the_batch_endpoint(live_api, live_owner):
    lines = DATASET.read_text().splitlines()[1:51]
    source = "name,gender,age,annual_income\n" + "".join(
        f"Customer {row.split(',')[0]},{row.split(',')[1]},{row.split(',')[2]},{row.split(',')[3]}\n"
        for row in lines
    )
    imported = await live_api.client.post(
        "/customers/import",
        files={"file": ("mall.csv", source.encode(), "text/csv")},
        headers=live_owner.headers,
    )
    assert imported.status_code == 201
    assert imported.json() == {"imported": 50, "updated": 0, "pending_predictions": 0, "rejected": []}

    exported = await live_api.client.get("/customers/export", headers=live_owner.headers)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 50
    assert all(row["spending_score"] and row["band"] in {"low", "medium", "high"} for row in rows)
    by_name = {row["name"]: row for row in rows}
    for line in lines:
        number, gender, age, income, _ = line.split(",")
        row = by_name[f"Customer {number}"]
        assert (row["gender"], int(row["age"]), float(row["annual_income"])) == (
            gender.lower(),
            int(age),
            float(income),
        )

    # The export is itself importable: the same customers again, with the same scores.
    reimported = await live_api.client.post(
        "/customers/import",
        files={"file": ("export.csv", exported.content, "text/csv")},
        headers=live_owner.headers,
    )
    assert reimported.json() == {"imported": 50, "updated": 0, "pending_predictions": 0, "rejected": []}
    second = list(
        csv.DictReader(
            io.StringIO(
                (await live_api.client.get("/customers/export", headers=live_owner.headers)).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    scores = sorted((row["name"], float(row["spending_score"])) for row in second)
    assert scores == sorted([(row["name"], float(row["spending_score"])) for row in rows] * 2)


async def _pending_rows_of(database_url: str, owner_id: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM prediction WHERE owner_id = $1 AND status = 'pending'", uuid.UUID(owner_id)
        )
        return count
    finally:
        await connection.close()


async def test_inference_going_down_and_coming_back(live_api, live_owner, live_stack, customers_database_url):
    absent = live_stack.create_user()  # makes one customer during the outage, then never comes back
    before = await live_api.create_customer(live_owner, age=25, annual_income=30)
    live_stack.stop("inference")
    try:
        during = await live_api.create_customer(live_owner, age=52, annual_income=70)
        updated = await live_api.client.patch(
            f"/customers/{before['id']}", json={"annual_income": 90}, headers=live_owner.headers
        )
        refused = await live_api.client.post(
            f"/customers/{before['id']}/predictions", headers=live_owner.headers
        )
        ready = await live_api.client.get("/readyz")
        dashboard = (await live_api.client.get("/dashboard", headers=live_owner.headers)).json()
        absent_customer = (
            await live_api.client.post("/customers", json=live_api.payload(), headers=absent.headers)
        ).json()
    finally:
        live_stack.start("inference")

    assert during["latest_prediction"]["status"] == "pending"
    assert updated.status_code == 200 and updated.json()["latest_prediction"]["status"] == "pending"
    assert refused.status_code == 503 and "retry-after" in refused.headers
    assert ready.status_code == 200 and ready.json()["checks"]["inference"] == "unavailable"
    assert dashboard["pending_predictions"] == 2
    assert absent_customer["latest_prediction"]["status"] == "pending"

    async def all_done() -> bool:
        board = (await live_api.client.get("/dashboard", headers=live_owner.headers)).json()
        return board["pending_predictions"] == 0

    async def absent_owners_done() -> bool:
        return await _pending_rows_of(customers_database_url, absent.id) == 0

    # The completer finishes them in the background with the service's own token from auth.
    await live_api.wait_until(all_done)
    await live_api.wait_until(absent_owners_done)
    completed = (await live_api.client.get(f"/customers/{during['id']}", headers=live_owner.headers)).json()
    assert completed["latest_prediction"]["status"] == "done"
    assert completed["latest_prediction"]["spending_score"] is not None
    history = (
        await live_api.client.get(f"/customers/{before['id']}/predictions", headers=live_owner.headers)
    ).json()
    assert [(entry["annual_income"], entry["status"]) for entry in history] == [
        (30.0, "done"),
        (90.0, "done"),
    ]
    assert (await live_api.client.get("/readyz")).json()["checks"]["inference"] == "ok"


def test_the_service_process_serves_real_tokens(live_stack):
    """``python -m customers_service`` over a database migrated by ``python -m customers_service.migrate``."""
    live_stack.start("customers")
    account = live_stack.create_user()
    base = live_stack.urls["customers"]

    created = httpx.post(
        base + "/customers",
        json={"name": "Process", "gender": "homem", "age": 40, "annual_income": 55},
        headers=account.headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.json()["latest_prediction"]["status"] == "done"
    assert "x-request-id" in created.headers
    assert httpx.get(base + "/readyz").json()["checks"] == {"database": "ok", "inference": "ok"}
    assert httpx.get(base + "/customers", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert httpx.get(base + "/docs").status_code == 200


async def test_a_restarted_service_completes_pending_rows_without_the_owner(
    live_settings_for, api_with, live_stack, live_owner, customers_database_url
):
    """Nothing is kept in process memory: a fresh process completes every owner's pending rows."""
    live_stack.stop("inference")
    try:
        async with api_with(live_settings_for()) as api:
            pending = await api.create_customer(live_owner)
    finally:
        live_stack.start("inference")
    assert pending["latest_prediction"]["status"] == "pending"

    # A long interval keeps the background round out of the way: this round is the one measured.
    async with api_with(live_settings_for(pending_retry_interval_seconds=3600)) as api:
        assert await api.app.state.completer.run_once() == 1
    assert await _pending_rows_of(customers_database_url, live_owner.id) == 0
