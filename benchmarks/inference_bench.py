"""Inference benchmarks: in-process speed, HTTP requests/second against a naive implementation, memory.

Each function returns a dict of medians and prints nothing; ``run_all()`` gathers them.
"""

import asyncio
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
from inference_service.model_store import load_model
from inference_service.predictor import SpendingScorePredictor
from inference_service.training import save_artifact, train
from testkit.processes import REPO_ROOT, free_port
from testkit.tokens import make_test_issuer

HTTP_REQUESTS = 2000
HTTP_CONCURRENCY = 16
REPEATS = 3


def _artifact(directory: Path) -> Path:
    path = directory / "spendscore-model.joblib"
    if not path.exists():
        save_artifact(train(), path)
    return path


def in_process(model_path: Path, rounds: int = 5000) -> dict[str, float]:
    """Single-row p50 (µs) through the predictor, and a 10,000-row batch (ms): model time and full answer."""
    model = load_model(model_path)
    predictor = SpendingScorePredictor(model)
    row = np.array([[0.0, 31.0, 70.0]])
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        predictor.predict(row)
        timings.append(time.perf_counter() - started)
    rng = np.random.default_rng(0)
    batch = np.column_stack(
        [rng.integers(0, 2, 10_000), rng.uniform(18, 70, 10_000), rng.uniform(15, 137, 10_000)]
    )
    model_ms, answer_ms = [], []
    for _ in range(15):
        started = time.perf_counter()
        model.fast_model.predict(batch)
        model_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        predictor.predict(batch)
        answer_ms.append((time.perf_counter() - started) * 1000)
    sklearn_timings = []
    for _ in range(300):
        started = time.perf_counter()
        model.estimator.predict(row)
        sklearn_timings.append(time.perf_counter() - started)
    return {
        "single_row_p50_us": round(statistics.median(timings) * 1e6, 1),
        "single_row_sklearn_p50_us": round(statistics.median(sklearn_timings) * 1e6, 1),
        "batch_10k_model_ms": round(statistics.median(model_ms), 2),
        "batch_10k_with_answers_ms": round(statistics.median(answer_ms), 2),
    }


@contextmanager
def _jwks_server(jwks: dict[str, Any]) -> Iterator[str]:
    body = json.dumps(jwks).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
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


async def _hammer(url: str, headers: dict[str, str]) -> float:
    """Requests/second for HTTP_REQUESTS POSTs from HTTP_CONCURRENCY concurrent senders."""
    body = {"gender": "Female", "age": 31, "annual_income": 70}
    async with httpx.AsyncClient(
        headers=headers, limits=httpx.Limits(max_connections=HTTP_CONCURRENCY)
    ) as client:
        for _ in range(50):  # warm-up
            (await client.post(url, json=body)).raise_for_status()
        remaining = HTTP_REQUESTS

        async def sender() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                (await client.post(url, json=body)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(HTTP_CONCURRENCY)))
        return HTTP_REQUESTS / (time.perf_counter() - started)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def http_throughput(model_path: Path, workdir: Path) -> dict[str, float]:
    """Our service vs the naive one, same client, one uvicorn process each; plus our service's RSS."""
    issuer = make_test_issuer()
    naive_model = workdir / "naive-baseline.joblib"
    from benchmarks.naive_inference.train import train_baseline

    train_baseline(str(naive_model), str(DATA_PATH))
    ours_port, naive_port = free_port(), free_port()
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
        headers = {"Authorization": f"Bearer {issuer.issue(subject='bench', roles=['user'])}"}
        with _process(["-m", "inference_service"], ours_env, ours_port) as ours:
            ours_rps = [
                asyncio.run(_hammer(f"http://127.0.0.1:{ours_port}/model/predict", headers))
                for _ in range(REPEATS)
            ]
            rss = _rss_mb(ours.pid)
    naive_args = [
        "-m",
        "uvicorn",
        "benchmarks.naive_inference.app:app",
        "--port",
        str(naive_port),
        "--log-level",
        "warning",
    ]
    with _process(naive_args, {"NAIVE_MODEL_PATH": str(naive_model)}, naive_port):
        naive_rps = [
            asyncio.run(_hammer(f"http://127.0.0.1:{naive_port}/predict", {})) for _ in range(REPEATS)
        ]
    return {
        "service_requests_per_second": round(statistics.median(ours_rps), 1),
        "naive_requests_per_second": round(statistics.median(naive_rps), 1),
        "speedup": round(statistics.median(ours_rps) / statistics.median(naive_rps), 2),
        "service_rss_mb": round(rss, 1),
    }


def run_all() -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="spendscore-bench-") as directory:
        workdir = Path(directory)
        model_path = _artifact(workdir)
        return {"in_process": in_process(model_path), "http": http_throughput(model_path, workdir)}
