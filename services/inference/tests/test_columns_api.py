"""POST /model/predict/columns: one array per field in and out, the same answers as the JSON batch."""

import json
from typing import Any

import httpx
import pytest

from inference_service.schemas import MAX_BATCH_ITEMS

pytestmark = pytest.mark.asyncio(loop_scope="session")


def columns(**overrides: Any) -> dict[str, Any]:
    return {
        "gender": ["female", "Male", "mulher", "M"],
        "age": [31, 58.5, 19, 70],
        "annual_income": [70, 41.5, 15, 200],
        **overrides,
    }


async def test_columns_answer_what_the_batch_answers(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    request = columns()
    response = await client.post("/model/predict/columns", json=request, headers=auth_headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    items = [
        {"gender": gender, "age": age, "annual_income": income}
        for gender, age, income in zip(
            request["gender"], request["age"], request["annual_income"], strict=True
        )
    ]
    batch = (await client.post("/model/predict/batch", json={"items": items}, headers=auth_headers)).json()
    predictions = batch["predictions"]
    assert answer["rows"] == 4
    assert answer["model_version"] == predictions[0]["model_version"]
    assert answer["spending_score"] == [p["spending_score"] for p in predictions]
    assert answer["band"] == [p["band"] for p in predictions]
    assert answer["interval_low"] == [p["interval"]["low"] for p in predictions]
    assert answer["interval_high"] == [p["interval"]["high"] for p in predictions]
    assert answer["modes"] == [p["modes"] for p in predictions]
    assert answer["segment_id"] == [p["segment"]["id"] for p in predictions]
    assert answer["segment_probability"] == [p["segment"]["probability"] for p in predictions]
    assert answer["warnings"] == [p["warnings"] for p in predictions]
    assert answer["warnings"][3], "an income of 200 k$ is outside the training range"
    for prediction in predictions:
        segment = answer["segments"][prediction["segment"]["id"]]
        assert segment["name"] == prediction["segment"]["name"]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"gender": ["female", "robot", "male", "f"]}, ["body", "gender", 1]),
        ({"age": [31, 58, -1, 70]}, ["body", "age", 2]),
        ({"annual_income": [70, 41, 15, float("nan")]}, ["body", "annual_income", 3]),
        ({"age": [31, "old", 19, 70]}, ["body", "age", 1]),
        ({"age": [31, 58]}, ["body", "gender, age, annual_income"]),
        ({"gender": []}, ["body", "gender"]),
    ],
)
async def test_bad_columns_are_422_naming_the_column_and_row(
    client: httpx.AsyncClient, auth_headers: dict[str, str], overrides: dict[str, Any], loc: list[Any]
) -> None:
    body = columns(**overrides)
    content = json.dumps(body).encode()  # the standard library writes NaN as JSON's clients may
    response = await client.post(
        "/model/predict/columns",
        content=content,
        headers={**auth_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["detail"]]


async def test_more_than_10000_rows_is_413(client: httpx.AsyncClient, auth_headers: dict[str, str]) -> None:
    rows = MAX_BATCH_ITEMS + 1
    body = {"gender": ["f"] * rows, "age": [30] * rows, "annual_income": [50] * rows}
    response = await client.post("/model/predict/columns", json=body, headers=auth_headers)
    assert response.status_code == 413
    assert "10000" in response.json()["detail"]


async def test_columns_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/model/predict/columns", json=columns())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_the_bodies_parsed_from_bytes_are_still_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    def body(path: str) -> dict[str, Any]:
        schema: dict[str, Any] = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert "$ref" not in json.dumps(schema), "nested models are written in place"
        return schema

    item = body("/model/predict/batch")["properties"]["items"]["items"]
    assert item == body("/model/predict")
    assert set(item["required"]) == {"gender", "age", "annual_income"}
    assert item["properties"]["age"]["maximum"] == 120
    assert set(body("/model/predict/columns")["required"]) == {"gender", "age", "annual_income"}


async def test_a_body_that_is_not_json_is_422(
    client: httpx.AsyncClient, auth_headers: dict[str, str]
) -> None:
    for path in ("/model/predict/batch", "/model/predict/columns"):
        response = await client.post(
            path, content=b"{not json", headers={**auth_headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "body"
