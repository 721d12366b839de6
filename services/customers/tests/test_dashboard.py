"""Dashboard numbers against a fixture whose answers are worked out by hand below."""

import uuid

from customers_service import customer_import_writes
from customers_service.inference_client import ModelOutput
from customers_service.schemas import CustomerCreate

# name, gender, age, income, score of the latest prediction (None: still pending)
FIXTURE = [
    ("A", "male", 17, 10, 5.0),  # 0-17, low, bucket 0-10
    ("B", "female", 19, 20, 24.9),  # 18-24, low, bucket 20-30
    ("C", "female", 24, 30, 25.0),  # 18-24, medium, bucket 20-30
    ("D", "male", 30, 40, 50.0),  # 25-34, medium, bucket 50-60
    ("E", "female", 45, 50, 75.0),  # 45-54, medium, bucket 70-80
    ("F", "female", 64, 60, 75.5),  # 55-64, high, bucket 70-80
    ("G", "male", 70, 70, 100.0),  # 65+, high, bucket 90-100 (100 is in the last bucket)
    ("H", "male", 33, 80, None),  # 25-34, pending: counted, but no band, no score
]


def _band(score):
    return "low" if score < 25 else ("high" if score > 75 else "medium")


async def _seed(api, owner_id):
    async with api.app.state.sessionmaker() as session:
        for name, gender, age, income, score in FIXTURE:
            outcome = (
                None if score is None else ModelOutput(score, _band(score), score - 5, score + 5, "test")
            )
            records = customer_import_writes.import_records(
                owner_id=uuid.UUID(owner_id),
                created=[
                    (
                        CustomerCreate(name=name, gender=gender, age=age, annual_income=income),
                        outcome,
                    )
                ],
                updated=[],
            )
            await customer_import_writes.store_import(session=session, records=records)
        await session.commit()


async def test_dashboard_numbers(api, owner, other_owner):
    await _seed(api, owner.id)
    await _seed(api, other_owner.id)  # another owner's customers change nothing

    response = await api.client.get("/dashboard", headers=owner.headers)

    assert response.status_code == 200
    body = response.json()
    # The 7 scored customers (H is pending), in the sample's order: by id.
    assert sorted(point["spending_score"] for point in body.pop("scatter")) == [
        5,
        24.9,
        25,
        50,
        75,
        75.5,
        100,
    ]
    assert body == {
        "total_customers": 8,
        "by_gender": {"male": 4, "female": 4},
        "by_band": {"low": 2, "medium": 3, "high": 2},
        "pending_predictions": 1,
        # (5 + 24.9 + 25 + 50 + 75 + 75.5 + 100) / 7 = 355.4 / 7
        "average_score": 50.77,
        "score_histogram": [
            {"from": 0, "to": 10, "count": 1},
            {"from": 10, "to": 20, "count": 0},
            {"from": 20, "to": 30, "count": 2},
            {"from": 30, "to": 40, "count": 0},
            {"from": 40, "to": 50, "count": 0},
            {"from": 50, "to": 60, "count": 1},
            {"from": 60, "to": 70, "count": 0},
            {"from": 70, "to": 80, "count": 2},
            {"from": 80, "to": 90, "count": 0},
            {"from": 90, "to": 100, "count": 1},
        ],
        "by_age_group": [
            {"group": "0-17", "count": 1, "average_score": 5.0},
            {"group": "18-24", "count": 2, "average_score": 24.95},
            {"group": "25-34", "count": 2, "average_score": 50.0},
            {"group": "35-44", "count": 0, "average_score": None},
            {"group": "45-54", "count": 1, "average_score": 75.0},
            {"group": "55-64", "count": 1, "average_score": 75.5},
            {"group": "65+", "count": 1, "average_score": 100.0},
        ],
        "by_segment": [],  # this fixture's model gives no segments
        "accuracy": {"observed_count": 0, "mae": None, "r2": None, "interval_coverage": None},
    }


async def test_dashboard_of_an_owner_without_customers(api, owner):
    body = (await api.client.get("/dashboard", headers=owner.headers)).json()

    assert body["total_customers"] == 0
    assert body["average_score"] is None
    assert sum(bucket["count"] for bucket in body["score_histogram"]) == 0


async def test_list_filters_and_sorts_by_the_latest_band_and_score(api, owner):
    await _seed(api, owner.id)

    high = (await api.client.get("/customers?band=high&sort=-spending_score", headers=owner.headers)).json()
    by_score = (await api.client.get("/customers?sort=spending_score", headers=owner.headers)).json()

    assert [item["name"] for item in high["items"]] == ["G", "F"]
    assert high["items"][0]["latest_prediction"]["interval"] == {"low": 95.0, "high": 105.0}
    assert [item["name"] for item in by_score["items"]] == ["A", "B", "C", "D", "E", "F", "G", "H"]
