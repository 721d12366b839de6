"""Inference benchmarks: in-process speed, HTTP requests/second against a naive implementation, memory.

Each function returns a dict of medians and prints nothing; ``run_all()`` gathers them.
"""

import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from inference_service.dataset import DATA_PATH
from inference_service.model_store import LoadedModel, load_model
from inference_service.predictor import SpendingScorePredictor
from inference_service.schemas import CustomerFeatures
from inference_service.training import save_artifact, train
from testkit.processes import REPO_ROOT, free_port
from testkit.tokens import make_test_issuer

HTTP_REQUESTS = 3000
HTTP_CONNECTIONS = 16
REPEATS = 5
PREDICT_BODY = {"gender": "Female", "age": 31, "annual_income": 70}


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


@contextmanager
def _jwks_server(jwks: dict[str, Any]) -> Iterator[str]:
    jwks_body = json.dumps(jwks).encode()
    revocations_body = json.dumps({"revocations": []}).encode()  # the auth service's revocation feed

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = revocations_body if self.path.startswith("/revocations") else jwks_body
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()


@contextmanager
def _process(args: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(15)


def _load(url: str, headers: list[str]) -> float:
    """Requests/second of HTTP_REQUESTS POSTs over HTTP_CONNECTIONS keep-alive connections.

    The client is ``benchmarks.http_load`` in its own process (raw sockets, request bytes made once),
    so that its cost is small and does not share the server's interpreter. Every answer must be 200.
    """
    command = [sys.executable, "-m", "benchmarks.http_load", url, "--body", json.dumps(PREDICT_BODY)]
    command += ["--requests", str(HTTP_REQUESTS), "--connections", str(HTTP_CONNECTIONS)]
    for header in headers:
        command += ["--header", header]
    finished = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    result = json.loads(finished.stdout)
    if result["statuses"] != {"200": HTTP_REQUESTS}:
        raise RuntimeError(f"{url} answered {result['statuses']}, not {HTTP_REQUESTS} x 200")
    return float(result["requests_per_second"])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def http_throughput(model_path: Path, workdir: Path) -> dict[str, Any]:
    """Our service vs the naive one: one uvicorn process each, both up at once, measured in turns
    (the order swapped every round) with the same client; then our service's resident memory."""
    issuer = make_test_issuer()
    naive_model = workdir / "naive-baseline.joblib"
    from benchmarks.naive_inference.train import train_baseline

    train_baseline(str(naive_model), str(DATA_PATH))
    ours_port, naive_port = free_port(), free_port()
    naive_args = ["-m", "uvicorn", "benchmarks.naive_inference.app:app", "--port", str(naive_port)]
    naive_args += ["--log-level", "warning", "--no-access-log"]
    with _jwks_server(issuer.jwks()) as jwks_url:
        ours_env = {
            "APP_ENV": "test",
            "LOG_LEVEL": "WARNING",
            "INFERENCE_PORT": str(ours_port),
            "INFERENCE_MODEL_PATH": str(model_path),
            "AUTH_JWKS_URL": jwks_url,
            "JWT_ISSUER": issuer.issuer,
            "JWT_AUDIENCE": issuer.audience,
        }
        token = issuer.issue(subject="bench", roles=["user"])
        ours_url = f"http://127.0.0.1:{ours_port}/model/predict"
        naive_url = f"http://127.0.0.1:{naive_port}/predict"
        with (
            _process(["-m", "inference_service"], ours_env, ours_port) as ours,
            _process(naive_args, {"NAIVE_MODEL_PATH": str(naive_model)}, naive_port),
        ):
            ours_rps: list[float] = []
            naive_rps: list[float] = []
            for round_number in range(REPEATS):
                turns = [(ours_rps, ours_url, [f"Authorization: Bearer {token}"]), (naive_rps, naive_url, [])]
                for results, url, headers in turns if round_number % 2 == 0 else reversed(turns):
                    results.append(_load(url, headers))
            rss = _rss_mb(ours.pid)
    ratios = [ours / naive for ours, naive in zip(ours_rps, naive_rps, strict=True)]
    return {
        "requests_per_run": HTTP_REQUESTS,
        "connections": HTTP_CONNECTIONS,
        "runs": REPEATS,
        "service_rps_samples": ours_rps,
        "naive_rps_samples": naive_rps,
        "speedup_samples": ratios,
        "service_rss_mb": round(rss, 1),
    }


def run_all(in_process_rounds: int = 1, http: bool = True) -> dict[str, Any]:
    """Train once, then ``in_process_rounds`` in-process rounds (a list of dicts) and, with ``http``,
    the HTTP comparison with the naive service (``make bench`` runs ``request_path_bench`` instead)."""
    with tempfile.TemporaryDirectory(prefix="spendscore-bench-") as directory:
        workdir = Path(directory)
        model_path = workdir / "spendscore-model.joblib"
        trained = train()
        save_artifact(trained.artifact, model_path)
        return {
            "in_process": [in_process(model_path, trained.estimator) for _ in range(in_process_rounds)],
            "http": http_throughput(model_path, workdir) if http else {},
        }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run_all(), indent=2) + "\n")
