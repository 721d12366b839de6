"""Inference benchmarks in-process: one row and a 10,000-row batch, through each way of computing them.

Each function returns a dict of medians and prints nothing; ``run_all()`` gathers them.
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from inference_service.model_store import LoadedModel, load_model
from inference_service.predictor import SpendingScorePredictor
from inference_service.schemas import CustomerFeatures
from inference_service.training import save_artifact, train


def model_time(model: LoadedModel, batch: np.ndarray) -> None:
    """Everything the model computes for an answer: score, the customer's interval, segment, modes."""
    model.fast_model.predict(batch)
    model.interval.offsets(batch)
    model.segmentation.most_likely(batch)
    if model.two_peaks is not None:
        model.two_peaks.modes(batch)


def in_process(model_path: Path, estimator: Any, rounds: int = 5000) -> dict[str, float]:
    """Single-row p50 (µs) through the predictor, and a 10,000-row batch (ms): model time and full answer;
    and scikit-learn's own single-row predict (``estimator``, what the serving model was converted from)."""
    model = load_model(model_path)
    predictor = SpendingScorePredictor(model)
    row = np.array([[0.0, 31.0, 70.0]])
    customer = CustomerFeatures(gender="female", age=31, annual_income=70)
    timings, numpy_timings = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        predictor.predict_one(customer)  # what POST /model/predict runs
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        predictor.predict(row)
        numpy_timings.append(time.perf_counter() - started)
    rng = np.random.default_rng(0)
    batch = np.column_stack(
        [rng.integers(0, 2, 10_000), rng.uniform(18, 70, 10_000), rng.uniform(15, 137, 10_000)]
    )
    model_ms, answer_ms = [], []
    for _ in range(15):
        started = time.perf_counter()
        model_time(model, batch)
        model_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        predictor.predict(batch)
        answer_ms.append((time.perf_counter() - started) * 1000)
    sklearn_timings = []
    for _ in range(300):
        started = time.perf_counter()
        estimator.predict(row)
        sklearn_timings.append(time.perf_counter() - started)
    return {
        "single_row_p50_us": round(statistics.median(timings) * 1e6, 1),
        "single_row_numpy_p50_us": round(statistics.median(numpy_timings) * 1e6, 1),
        "single_row_sklearn_p50_us": round(statistics.median(sklearn_timings) * 1e6, 1),
        "batch_10k_model_ms": round(statistics.median(model_ms), 2),
        "batch_10k_with_answers_ms": round(statistics.median(answer_ms), 2),
    }


def run_all(in_process_rounds: int = 1) -> dict[str, Any]:
    """Train once, then ``in_process_rounds`` in-process rounds (a list of dicts); the HTTP figures
    are ``request_path_bench``'s."""
    with tempfile.TemporaryDirectory(prefix="spendscore-bench-") as directory:
        workdir = Path(directory)
        model_path = workdir / "spendscore-model.joblib"
        trained = train()
        save_artifact(trained.artifact, model_path)
        return {
            "in_process": [in_process(model_path, trained.estimator) for _ in range(in_process_rounds)],
        }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run_all(), indent=2) + "\n")
