"""Issue 23's figures: the one-row hot path with explanations off against the same work as the route did
before them (same run, ratio), one explanation, and a 10,000-row batch with and without explanations."""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from starlette.requests import Request

from inference_service.explanations import ShapleyExplainer, explainer_for
from inference_service.model_store import load_model
from inference_service.predictor import SpendingScorePredictor
from inference_service.routes import predict as predict_routes
from inference_service.schemas import CustomerFeatures
from inference_service.training import save_artifact, train
from spendscore_common.responses import PrebuiltJSONResponse

HOT_PATH_CALLS = 5000
BATCH_ROWS = 10_000


async def _hot_path(predictor: SpendingScorePredictor, explainer: ShapleyExplainer) -> dict[str, float]:
    """Median µs of the route with explain off, and of what the route ran before explanations existed
    (the same body read and validated, ``predict_one``, one prebuilt response), interleaved so that
    both see the same machine."""
    state = SimpleNamespace(predictor=predictor, explainer=explainer)
    scope = {"type": "http", "app": SimpleNamespace(state=state)}
    body = b'{"gender": "female", "age": 31, "annual_income": 70}'

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    principal: Any = None
    now_route, before = [], []
    for _ in range(HOT_PATH_CALLS):
        request, earlier = Request(scope, receive), Request(scope, receive)  # each reads its body once
        started = time.perf_counter()
        await predict_routes.predict_one(request, principal, explain=False)
        now_route.append(time.perf_counter() - started)
        started = time.perf_counter()
        features = CustomerFeatures.model_validate_json(await earlier.body())
        PrebuiltJSONResponse(predictor.predict_one(features))
        before.append(time.perf_counter() - started)
    now_us, before_us = statistics.median(now_route) * 1e6, statistics.median(before) * 1e6
    return {"hot_path_off_us": now_us, "hot_path_before_us": before_us, "hot_path_ratio": now_us / before_us}


def _realistic_batch(rows: int) -> np.ndarray:
    """Whole-number ages and incomes with one decimal, as a store's file has them."""
    rng = np.random.default_rng(0)
    return np.column_stack(
        [rng.integers(0, 2, rows), rng.integers(18, 71, rows), np.round(rng.uniform(15, 137, rows), 1)]
    ).astype(np.float64)


def one_round(model_path: Path) -> dict[str, float]:
    model = load_model(model_path)
    predictor = SpendingScorePredictor(model)
    explainer = explainer_for(model)
    assert explainer is not None, "the bench trains on the shipped data set"
    figures = asyncio.run(_hot_path(predictor, explainer))
    row = np.array([[0.0, 31.0, 70.0]])
    single = []
    for _ in range(50):
        started = time.perf_counter()
        explainer.explanation_dicts(row)
        single.append(time.perf_counter() - started)
    batch = _realistic_batch(BATCH_ROWS)
    started = time.perf_counter()
    predictor.predict(batch)
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    predictor.predict(batch)
    explainer.explanation_dicts(batch)
    explained_s = time.perf_counter() - started
    return {
        **figures,
        "one_explanation_ms": statistics.median(single) * 1000,
        "batch_plain_ms": plain_s * 1000,
        "batch_explained_s": explained_s,
    }


def run(rounds: int) -> list[dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="spendscore-explain-bench-") as directory:
        model_path = Path(directory) / "spendscore-model.joblib"
        save_artifact(train().artifact, model_path)
        return [one_round(model_path) for _ in range(rounds)]
