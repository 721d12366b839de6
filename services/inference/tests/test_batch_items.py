"""The JSON batch's quick read gives BatchRequest's matrix, and leaves everything else to BatchRequest."""

import json
import random

import numpy as np
import orjson
import pytest
from pydantic import ValidationError

from inference_service.batch_items import plain_batch_features
from inference_service.predictor import SpendingScorePredictor
from inference_service.schemas import MAX_BATCH_ITEMS, BatchRequest

ITEM = {"gender": "female", "age": 31, "annual_income": 70}


def matrix_of_batch_request(body: bytes) -> np.ndarray | None:
    try:
        return SpendingScorePredictor.to_matrix(BatchRequest.model_validate_json(body).items)
    except ValidationError:
        return None


def test_plainly_valid_batches_give_batch_requests_matrix_to_the_bit() -> None:
    rng = random.Random(29)
    words = ["male", "female", "m", "f", "homem", "mulher", "masculino", "feminino"]
    items = [
        {
            "gender": rng.choice(words),
            "age": rng.choice([rng.randint(0, 120), rng.uniform(0, 120)]),
            "annual_income": rng.choice([rng.randint(0, 100_000), rng.uniform(0, 100_000)]),
        }
        for _ in range(2000)
    ]
    items += [
        {"gender": "male", "age": 0, "annual_income": 100_000},
        {"gender": "f", "age": 120.0, "annual_income": -0.0},
    ]
    for body in (orjson.dumps({"items": items}), orjson.dumps({"items": [ITEM]})):
        quick = plain_batch_features(body)
        assert quick is not None
        assert np.array_equal(quick, matrix_of_batch_request(body))


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{**ITEM, "gender": "Female"}]},  # other spellings: BatchRequest reads them
        {"items": [{**ITEM, "gender": " male "}]},
        {"items": [{**ITEM, "gender": "other"}]},
        {"items": [{**ITEM, "gender": 1}]},
        {"items": [{**ITEM, "gender": ["male"]}]},
        {"items": [{**ITEM, "age": True}]},
        {"items": [{**ITEM, "age": "31"}]},
        {"items": [{**ITEM, "age": None}]},
        {"items": [{**ITEM, "age": 120.5}]},
        {"items": [{**ITEM, "annual_income": -1}]},
        {"items": [{**ITEM, "annual_income": 10**30}]},
        {"items": [{**ITEM, "extra": 1}]},
        {"items": [{"gender": "male", "age": 31}]},
        {"items": [{"gender": "male", "age": 31, "income": 70}]},
        {"items": [ITEM, "abc"]},
        {"items": [ITEM, [1, 2, 3]]},
        {"items": []},
        {"items": [ITEM] * (MAX_BATCH_ITEMS + 1)},
        {"items": ITEM},
        {"items": [ITEM], "explain": True},
        [ITEM],
    ],
)
def test_anything_else_is_left_to_batch_request(body: object) -> None:
    raw = json.dumps(body).encode()  # json: orjson writes no integer beyond 64 bits
    assert plain_batch_features(raw) is None
    expected = matrix_of_batch_request(raw)
    if expected is not None:  # a word BatchRequest reads itself: still the same model input
        assert body["items"][0]["gender"] in ("Female", " male ")  # type: ignore[index]


def test_bodies_that_are_not_json_are_left_to_batch_request() -> None:
    assert plain_batch_features(b'{"items": [') is None
    assert plain_batch_features(b'{"items": [{"gender": "male", "age": NaN, "annual_income": 1}]}') is None
