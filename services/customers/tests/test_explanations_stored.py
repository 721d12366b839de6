"""Every prediction is stored with its explanation (issue 23), from the real inference service: one
customer, the history, an import (the batch path) and a pending prediction completed later."""

from typing import Any


def assert_adds_up(prediction: dict[str, Any]) -> None:
    explanation = prediction["explanation"]
    assert explanation is not None, prediction
    total = sum(explanation["contributions"].values())
    # The stored score is rounded to 2 decimals; the contributions add up to the unrounded one.
    assert abs(explanation["base"] + total - prediction["spending_score"]) <= 0.005 + 1e-9


async def test_a_created_customer_and_its_history_carry_explanations(live_api, live_owner):
    created = await live_api.create_customer(live_owner, gender="male", age=52, annual_income=70)
    assert_adds_up(created["latest_prediction"])
    path = f"/customers/{created['id']}"
    await live_api.client.patch(path, json={"annual_income": 20}, headers=live_owner.headers)
    history = (await live_api.client.get(path + "/predictions", headers=live_owner.headers)).json()
    assert len(history) == 2
    for entry in history:
        assert_adds_up(entry)
    # Only income changed: the history shows its contribution moving.
    first, second = (entry["explanation"]["contributions"] for entry in history)
    assert first["annual_income"] != second["annual_income"]
    assert history[0]["explanation"]["base"] == history[1]["explanation"]["base"]


async def test_imported_rows_get_the_same_explanation_as_one_row(live_api, live_owner):
    source = "name,gender,age,annual_income\nImported A,female,23,40\nImported B,male,64,19\n"
    imported = await live_api.client.post(
        "/customers/import",
        files={"file": ("two.csv", source.encode(), "text/csv")},
        headers=live_owner.headers,
    )
    assert imported.status_code == 201, imported.text
    listed = (await live_api.client.get("/customers?q=Imported", headers=live_owner.headers)).json()["items"]
    assert len(listed) == 2
    for item in listed:
        one = await live_api.create_customer(
            live_owner, gender=item["gender"], age=item["age"], annual_income=item["annual_income"]
        )
        batch_made = (
            await live_api.client.get(f"/customers/{item['id']}", headers=live_owner.headers)
        ).json()
        assert_adds_up(batch_made["latest_prediction"])
        assert batch_made["latest_prediction"]["explanation"] == one["latest_prediction"]["explanation"]
