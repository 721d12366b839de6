"""Segments and observed scores: filter and sort, the dashboard's scatter sample and accuracy figures
(against a fixture worked out by hand), and the observed-score flow through the API with real inference."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from customers_service import customer_import_writes, customer_writes
from customers_service.dashboard_repository import SCATTER_POINTS
from customers_service.inference_client import ModelOutput
from customers_service.models import Customer, Prediction
from customers_service.schemas import CustomerCreate
from customers_service.segment_catalogue import Segments


def _outcome(score: float, segment: str | None = None, low: float = 40.0, high: float = 60.0) -> ModelOutput:
    band = "low" if score < 25 else ("high" if score > 75 else "medium")
    return ModelOutput(score, band, low, high, "test", segment, None if segment is None else 0.7)


async def _seed(api: Any, owner_id: str, rows: list[tuple[str, float, float, str | None]]) -> None:
    """rows: name, income, predicted score, segment id."""
    async with api.app.state.sessionmaker() as session:
        records = customer_import_writes.import_records(
            owner_id=uuid.UUID(owner_id),
            created=[
                (
                    CustomerCreate(name=name, gender="female", age=30, annual_income=income),
                    _outcome(score, segment),
                )
                for name, income, score, segment in rows
            ],
            updated=[],
        )
        await customer_import_writes.store_import(session=session, records=records)
        await session.commit()


async def test_segment_filter_sort_and_counts(api, owner, other_owner):
    rows = [
        ("A", 90, 85, "high-income-high-spending"),
        ("B", 95, 15, "high-income-low-spending"),
        ("C", 55, 50, "average-income-average-spending"),
        ("D", 88, 80, "high-income-high-spending"),
    ]
    await _seed(api, owner.id, rows)
    await _seed(api, other_owner.id, rows)

    best = (
        await api.client.get("/customers?segment=high-income-high-spending&sort=name", headers=owner.headers)
    ).json()
    by_segment = (await api.client.get("/customers?sort=segment", headers=owner.headers)).json()
    board = (await api.client.get("/dashboard", headers=owner.headers)).json()

    assert [item["name"] for item in best["items"]] == ["A", "D"] and best["total"] == 2
    item = best["items"][0]
    assert item["segment"]["id"] == "high-income-high-spending" and item["segment"]["probability"] == 0.7
    assert item["segment_source"] == "predicted"
    assert set(item["segment"]["name"]) == {"en", "pt-BR"}  # the id stands in while inference is down
    assert item["latest_prediction"]["segment"] == {"id": "high-income-high-spending", "probability": 0.7}
    assert item["latest_prediction"]["warnings"] == [] and item["latest_prediction"]["modes"] is None
    assert [item["segment"]["id"] for item in by_segment["items"]] == sorted(
        segment for _, _, _, segment in rows if segment
    )
    assert [(entry["id"], entry["count"]) for entry in board["by_segment"]] == [
        ("high-income-high-spending", 2),
        ("average-income-average-spending", 1),
        ("high-income-low-spending", 1),
    ]


async def test_bad_segment_and_sort_are_422(api, owner):
    too_long = await api.client.get("/customers?segment=" + "x" * 65, headers=owner.headers)
    bad_sort = await api.client.get("/customers?sort=segmentx", headers=owner.headers)
    bad_score = await api.client.post(
        "/customers", json=api.payload(observed_score=101), headers=owner.headers
    )
    assert too_long.status_code == bad_sort.status_code == bad_score.status_code == 422
    assert bad_score.json()["detail"][0]["loc"] == ["body", "observed_score"]


async def test_scatter_is_a_bounded_deterministic_sample(api, owner):
    await _seed(
        api,
        owner.id,
        [(f"C{index}", 20 + index % 100, 1 + index % 100, None) for index in range(SCATTER_POINTS + 150)],
    )

    first = (await api.client.get("/dashboard", headers=owner.headers)).json()
    second = (await api.client.get("/dashboard", headers=owner.headers)).json()

    assert first["total_customers"] == SCATTER_POINTS + 150
    assert len(first["scatter"]) == SCATTER_POINTS
    assert first["scatter"] == second["scatter"]
    assert set(first["scatter"][0]) == {"annual_income", "spending_score", "segment", "observed"}


async def _observe_all(api: Any, owner_id: str, observed: list[int | None]) -> None:
    """Give the owner's customers (by name order) these observed scores through the repository."""
    async with api.app.state.sessionmaker() as session:
        customers = list(
            await session.scalars(
                select(Customer)
                .where(col(Customer.owner_id) == uuid.UUID(owner_id))
                .order_by(col(Customer.name))
            )
        )
        for customer, score in zip(customers, observed, strict=True):
            prior = await session.get(Prediction, customer.latest_prediction_id)
            entry = customer_writes.observe(
                customer=customer,
                score=score,
                prior=prior,
                latest=prior,
                segments=None,
                now=customer_writes.utc_now(),
            )
            session.add_all([customer, entry])
        await session.commit()


async def test_accuracy_against_a_hand_worked_fixture(api, owner, new_owner):
    # 21 customers predicted 50 with interval 40-60; the owner enters 45 for ten, 65 for ten, and
    # nothing for the last. Errors: -5 x 10 and +15 x 10.
    await _seed(api, owner.id, [(f"C{index:02d}", 50, 50, None) for index in range(21)])
    await _observe_all(api, owner.id, [45] * 10 + [65] * 10 + [None])

    accuracy = (await api.client.get("/dashboard", headers=owner.headers)).json()["accuracy"]

    # MAE (10 x 5 + 10 x 15) / 20 = 10; observed mean 55, total squares 20 x 10² = 2000,
    # squared errors 10 x 25 + 10 x 225 = 2500: R² = 1 - 2500 / 2000 = -0.25; 45 is inside 40-60, 65 not.
    assert accuracy == {"observed_count": 20, "mae": 10.0, "r2": -0.25, "interval_coverage": 0.5}

    few = new_owner()
    await _seed(api, few.id, [("X", 50, 50, None), ("Y", 50, 50, None)])
    await _observe_all(api, few.id, [47, 60])
    small = (await api.client.get("/dashboard", headers=few.headers)).json()["accuracy"]
    assert small == {"observed_count": 2, "mae": 6.5, "r2": None, "interval_coverage": None}


def _nearest(card: dict[str, Any], income: float, score: float) -> str:
    scale = card["segmentation_scale"]

    def standardised(values: dict[str, float]) -> tuple[float, float]:
        return (
            (values["annual_income"] - scale["annual_income"]["mean"]) / scale["annual_income"]["std"],
            (values["spending_score"] - scale["spending_score"]["mean"]) / scale["spending_score"]["std"],
        )

    point = standardised({"annual_income": income, "spending_score": score})
    distances = {
        segment["id"]: sum(
            (a - b) ** 2 for a, b in zip(point, standardised(segment["centroid"]), strict=True)
        )
        for segment in card["segments"]
    }
    return min(distances, key=lambda segment_id: distances[segment_id])


async def test_observed_score_flow_with_real_inference(live_api, live_owner, live_stack):
    import httpx

    async with httpx.AsyncClient(base_url=live_stack.urls["inference"]) as inference:
        card = (await inference.get("/model", headers=live_owner.headers)).json()

    created = await live_api.create_customer(
        live_owner, gender="f", age=30, annual_income=90, observed_score=12
    )
    path = f"/customers/{created['id']}"
    assert created["observed_score"] == 12 and created["observed_at"]
    assert created["segment_source"] == "observed"
    assert created["segment"]["id"] == _nearest(card, 90, 12) == "high-income-low-spending"
    assert created["segment"]["probability"] is None
    assert created["segment"]["name"]["pt-BR"] == "Renda alta, gasto baixo"
    predicted = created["latest_prediction"]["segment"]
    assert predicted["id"] == "high-income-high-spending" and 0 < predicted["probability"] <= 1  # young, rich

    raised = await live_api.client.patch(path, json={"observed_score": 90}, headers=live_owner.headers)
    moved = await live_api.client.patch(path, json={"annual_income": 20}, headers=live_owner.headers)
    cleared = await live_api.client.patch(path, json={"observed_score": None}, headers=live_owner.headers)
    bad = await live_api.client.patch(path, json={"observed_score": 0}, headers=live_owner.headers)

    assert raised.json()["segment"]["id"] == "high-income-high-spending"
    assert moved.json()["segment"]["id"] == _nearest(card, 20, 90) == "low-income-high-spending"
    assert moved.json()["segment_source"] == "observed"
    body = cleared.json()
    assert body["observed_score"] is None and body["segment_source"] == "predicted"
    assert body["segment"]["id"] == body["latest_prediction"]["segment"]["id"]
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "observed_score"]
    history = (await live_api.client.get(path + "/observed-scores", headers=live_owner.headers)).json()
    assert [entry["score"] for entry in history] == [12, 90, None]
    listed = (
        await live_api.client.get("/customers?segment=" + body["segment"]["id"], headers=live_owner.headers)
    ).json()
    assert created["id"] in [item["id"] for item in listed["items"]]
    board = (await live_api.client.get("/dashboard", headers=live_owner.headers)).json()
    assert board["accuracy"]["observed_count"] == 0  # cleared again


async def test_warnings_reach_the_latest_prediction_and_the_history(live_api, live_owner):
    created = await live_api.create_customer(live_owner, age=3, annual_income=5000)
    warnings = created["latest_prediction"]["warnings"]
    assert len(warnings) == 2 and "age" in warnings[0] and "annual_income" in warnings[1]
    history = (
        await live_api.client.get(f"/customers/{created['id']}/predictions", headers=live_owner.headers)
    ).json()
    assert history[0]["warnings"] == warnings
    listed = (await live_api.client.get("/customers", headers=live_owner.headers)).json()
    assert next(item for item in listed["items"] if item["id"] == created["id"])["latest_prediction"][
        "warnings"
    ]


CARD = {  # the shape of GET /model's segment part, two segments only
    "segmentation_scale": {
        "annual_income": {"mean": 60.0, "std": 26.0},
        "spending_score": {"mean": 50.0, "std": 26.0},
    },
    "segments": [
        {
            "id": segment_id,
            "name": {"en": segment_id, "pt-BR": segment_id},
            "description": {"en": "", "pt-BR": ""},
            "centroid": {"annual_income": 88.0, "spending_score": score},
        }
        for segment_id, score in (("high-income-low-spending", 17.0), ("high-income-high-spending", 82.0))
    ],
}


async def test_a_score_entered_while_inference_is_down_gets_its_segment_later(api, owner):
    created = await api.create_customer(owner, annual_income=90, observed_score=20)
    assert created["observed_score"] == 20 and created["segment"] is None  # no model segments known yet

    async with api.app.state.sessionmaker() as session:
        assigned = await customer_writes.assign_observed_segments(
            session=session, segments=Segments.from_card(CARD), limit=100
        )
        await session.commit()

    again = (await api.client.get(f"/customers/{created['id']}", headers=owner.headers)).json()
    board = (await api.client.get("/dashboard", headers=owner.headers)).json()
    assert assigned == 1
    assert again["segment"]["id"] == "high-income-low-spending" and again["segment_source"] == "observed"
    assert board["accuracy"]["observed_count"] == 0  # its only prediction is pending: nothing to compare
    assert board["scatter"] == [
        {
            "annual_income": 90.0,
            "spending_score": 20.0,
            "segment": "high-income-low-spending",
            "observed": True,
        }
    ]
