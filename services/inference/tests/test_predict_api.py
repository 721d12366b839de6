"""POST /model/predict and /model/predict/batch: vocabulary, bands, clipping, bad input, limits, order."""

import random
from dataclasses import replace
from typing import Any

import httpx
import numpy as np
import pytest

from inference_service.fast_model import LinearFastModel
from inference_service.model_store import LoadedModel
from inference_service.predictor import GENDER_CODE, SpendingScorePredictor, band_of
from inference_service.schemas import MAX_BATCH_ITEMS

MALE = ["male", "Male", " HOMEM ", "masculino", "m", "M "]
FEMALE = ["female", "FEMALE", "mulher", " Feminino", "f", "F"]


@pytest.mark.parametrize("word", MALE + FEMALE)
async def test_gender_vocabulary(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any, word: str
) -> None:
    response = await client.post("/model/predict", json=make_customer(gender=word), headers=auth_headers)
    assert response.status_code == 200, response.text
    canonical = "male" if word in MALE else "female"
    reference = await client.post(
        "/model/predict", json=make_customer(gender=canonical), headers=auth_headers
    )
    assert response.json() == reference.json()


async def test_prediction_shape(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any, loaded_model: LoadedModel
) -> None:
    body = (await client.post("/model/predict", json=make_customer(), headers=auth_headers)).json()
    assert set(body) == {
        "spending_score",
        "band",
        "interval",
        "modes",
        "segment",
        "model_version",
        "warnings",
    }
    assert 1 <= body["interval"]["low"] <= body["spending_score"] <= body["interval"]["high"] <= 100
    assert body["band"] == band_of(body["spending_score"])
    assert body["model_version"] == loaded_model.version
    assert body["warnings"] == []


@pytest.mark.parametrize(
    ("score", "band"),
    [(1, "low"), (24.99, "low"), (25, "medium"), (75, "medium"), (75.01, "high"), (100, "high")],
)
def test_bands(score: float, band: str) -> None:
    assert band_of(score) == band


@pytest.mark.parametrize(("intercept", "expected"), [(500.0, 100.0), (-500.0, 1.0)])
def test_scores_and_intervals_are_clipped(
    loaded_model: LoadedModel, intercept: float, expected: float
) -> None:
    extreme = replace(loaded_model, fast_model=LinearFastModel(np.zeros(3), intercept))
    predictor = SpendingScorePredictor(extreme)
    for rows in (1, 3):  # the one-row path and the batch path
        for answer in predictor.predict(np.tile([1.0, 30.0, 60.0], (rows, 1))):
            assert answer["spending_score"] == expected
            assert answer["interval"] == {"low": expected, "high": expected}


async def test_out_of_range_inputs_are_answered_with_warnings(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any
) -> None:
    response = await client.post(
        "/model/predict", json=make_customer(age=90, annual_income=500), headers=auth_headers
    )
    assert response.status_code == 200
    warnings = response.json()["warnings"]
    assert len(warnings) == 2 and "age" in warnings[0] and "annual_income" in warnings[1]


BAD_INPUTS = [
    ("gender", {"gender": "robot"}, "unknown gender"),
    ("gender", {"gender": 1}, "string"),
    ("gender", {"gender": ""}, "unknown gender"),
    ("age", {"age": -1}, "greater than or equal to 0"),
    ("age", {"age": 121}, "less than or equal to 120"),
    ("age", {"age": "thirty"}, "number"),
    ("age", {"age": "30"}, "number"),
    ("age", {"age": True}, "number"),
    ("age", {"age": None}, "number"),
    ("annual_income", {"annual_income": -5}, "greater than or equal to 0"),
    ("annual_income", {"annual_income": 100_001}, "less than or equal to 100000"),
    ("annual_income", {"annual_income": [70]}, "number"),
]


@pytest.mark.parametrize(("field", "change", "reason"), BAD_INPUTS)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient,
    auth_headers: dict[str, str],
    make_customer: Any,
    field: str,
    change: dict[str, Any],
    reason: str,
) -> None:
    response = await client.post("/model/predict", json=make_customer(**change), headers=auth_headers)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(error["loc"] == ["body", field] and reason in error["msg"] for error in errors), errors


@pytest.mark.parametrize("field", ["gender", "age", "annual_income"])
async def test_missing_field_is_422(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any, field: str
) -> None:
    body = make_customer()
    del body[field]
    response = await client.post("/model/predict", json=body, headers=auth_headers)
    assert response.status_code == 422
    assert any(
        error["loc"] == ["body", field] and error["type"] == "missing" for error in response.json()["detail"]
    )


@pytest.mark.parametrize(
    ("field", "literal"),
    [("age", "NaN"), ("age", "Infinity"), ("annual_income", "-Infinity"), ("annual_income", "NaN")],
)
async def test_nan_and_infinity_are_422(
    client: httpx.AsyncClient, auth_headers: dict[str, str], field: str, literal: str
) -> None:
    values = {"age": "31", "annual_income": "70", field: literal}
    raw = f'{{"gender": "f", "age": {values["age"]}, "annual_income": {values["annual_income"]}}}'
    response = await client.post(
        "/model/predict", content=raw, headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert any(error["loc"] == ["body", field] for error in response.json()["detail"])


async def test_batch_keeps_order_and_equals_single_calls(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any
) -> None:
    items = [
        make_customer(gender=g, age=age, annual_income=income)
        for g, age, income in [("m", 19, 15), ("f", 70, 137), ("f", 25, 80), ("m", 45, 40), ("f", 35, 120)]
    ]
    response = await client.post("/model/predict/batch", json={"items": items}, headers=auth_headers)
    assert response.status_code == 200
    singles = [
        (await client.post("/model/predict", json=item, headers=auth_headers)).json() for item in items
    ]
    assert response.json()["predictions"] == singles


async def test_big_batch_is_answered_in_order(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any, loaded_model: Any
) -> None:
    """The threaded path (big batches): every answer at its own index, as row-by-row prediction gives."""
    items = [
        make_customer(gender="m" if i % 3 else "f", age=18 + (i * 7) % 53, annual_income=15 + (i * 13) % 123)
        for i in range(MAX_BATCH_ITEMS)
    ]
    response = await client.post("/model/predict/batch", json={"items": items}, headers=auth_headers)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    predictor = SpendingScorePredictor(loaded_model)
    rng = random.Random(1)
    for index in [0, MAX_BATCH_ITEMS - 1, *rng.sample(range(MAX_BATCH_ITEMS), 200)]:
        item = items[index]
        row = [
            [GENDER_CODE["male" if item["gender"] == "m" else "female"], item["age"], item["annual_income"]]
        ]
        expected = predictor.predict(np.array(row, dtype=np.float64))[0]
        assert predictions[index] == expected, index


async def test_batch_with_bad_rows_is_refused_whole_with_their_indexes(
    client: httpx.AsyncClient, auth_headers: dict[str, str], make_customer: Any
) -> None:
    items = [
        make_customer(),
        make_customer(age=-3),
        make_customer(),
        make_customer(gender="x"),
        make_customer(),
    ]
    response = await client.post("/model/predict/batch", json={"items": items}, headers=auth_headers)
    assert response.status_code == 422
    locations = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert locations == {("body", "items", 1, "age"), ("body", "items", 3, "gender")}


async def test_empty_batch_is_422(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    response = await client.post("/model/predict/batch", json={"items": []}, headers=auth_headers)
    assert response.status_code == 422


async def test_more_than_10000_items_is_413(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    item = {"gender": "f", "age": 1, "annual_income": 1}
    response = await client.post(
        "/model/predict/batch", json={"items": [item] * (MAX_BATCH_ITEMS + 1)}, headers=auth_headers
    )
    assert response.status_code == 413
    assert "10000" in response.json()["detail"]


async def test_oversized_body_is_413(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    padding = " " * 1_600_000  # over the 1.5 MB limit set for this app
    raw = '{"items": [{"gender": "f", "age": 30, "annual_income": 70}]' + padding + "}"
    response = await client.post(
        "/model/predict/batch", content=raw, headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    async def chunks() -> Any:
        yield b'{"items": ['
        for _ in range(40):
            yield b" " * 50_000
        yield b"]}"

    response = await client.post(
        "/model/predict/batch", content=chunks(), headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
