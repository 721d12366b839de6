"""Ours against the model servers people would pick instead, measured from outside in one run.

Servers, each started under ``taskset`` on the server core (every process and thread it makes),
wrk pinned to the other core, all up at once and run in turns whose order rotates every round:

- ours: the inference service (token, revocation, limits, log line, metrics): ``POST /model/predict``;
  batches through ``/model/predict/batch`` (JSON objects), ``/model/predict/columns`` and the Open
  Inference Protocol's ``/v2/models/spendscore/infer`` (binary tensors, as ``tritonclient`` sends);
- ours, plain score: the same FastAPI + model answering the score only, no token (``plain_score``);
- the bare stack: the same FastAPI + uvicorn answering a constant (single rows only);
- BentoML 1.4 and MLServer 1.7 (mlserver-sklearn), each in its own environment made by the bench
  (``peers/environments.py``), serving the scikit-learn model ours was compiled from (a 40-tree forest
  averaged with 10 nearest neighbours, ``peers/train_forest_knn.py``), trained on the same file.

Per server and round: req/s, p50/p99 latency, requests per CPU-second (the CPU of the server's whole
process tree), rows/s for 1,000-row batches; then its resident memory (the whole tree).
"""

import contextlib
import functools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.peers.environments import ensure_environment
from inference_service.dataset import DATA_PATH
from inference_service.training import save_artifact, train
from testkit.processes import REPO_ROOT, free_port
from testkit.tokens import make_test_issuer

SERVER_CORE, CLIENT_CORE = "1", "0"
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
SINGLE_CONNECTIONS, BATCH_CONNECTIONS = 16, 4
BATCH_ROWS = 1000
PEERS_DIR = Path(__file__).resolve().parent / "peers"
# What each answer holds, so that the comparison is read fairly.
ANSWERS = {
    "ours": "score, band, 80% interval, modes, segment (id, names, probability), version, warnings; "
    "token checked",
    "ours, plain score": "the score only, no token",
    "bare stack": "a constant, no model, no token",
    "BentoML": "the score only, no token",
    "MLServer": "the score only (an Open Inference Protocol tensor), no token",
}


@dataclass(frozen=True)
class Run:
    requests_per_second: float
    requests_per_cpu_second: float
    p50_ms: float
    p99_ms: float
    rows_per_request: int

    @property
    def rows_per_second(self) -> float:
        return self.requests_per_second * self.rows_per_request


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                queue += [int(child) for child in children]
    return found


def _cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    total = 0
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_run(url: str, pid: int, body: str, *, headers: list[str], connections: int, rows: int) -> Run:
    """wrk for SECONDS s; raises unless every answer was a 2xx."""
    command = [
        "taskset",
        "-c",
        CLIENT_CORE,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{SECONDS}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for header in headers:
        command += ["-H", header]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = 'POST'\nwrk.body = '{body}'\n")
        script.write("wrk.headers['Content-Type'] = 'application/json'\n")
    try:
        cpu_before = _cpu_seconds(pid)
        output = subprocess.run(
            [*command, "-s", script.name, url], capture_output=True, text=True, check=True
        ).stdout
        cpu = _cpu_seconds(pid) - cpu_before
    finally:
        os.unlink(script.name)
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"{url} (pid {pid}): not every answer was a 2xx:\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    if rate is None or count is None or p50 is None or p99 is None:
        raise RuntimeError(f"no request figures in wrk's output:\n{output}")
    return Run(
        float(rate.group(1)),
        int(count.group(1)) / max(cpu, 1e-9),
        _milliseconds(*p50.groups()),
        _milliseconds(*p99.groups()),
        rows,
    )


@contextlib.contextmanager
def _server(command: list[str], env: dict[str, str], ready_url: str, log: Path, cwd: Path) -> Iterator[int]:
    """A server started on the server core (its children inherit the pinning); yields its pid."""
    if (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", SERVER_CORE, *command]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not start; see {log}:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
            yield process.pid
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(5)


def _uvicorn(app: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--loop", "uvloop"]


def _bodies(rng: random.Random) -> dict[str, Any]:
    rows = [
        (rng.choice(("male", "female")), rng.randint(18, 70), rng.randint(15, 137)) for _ in range(BATCH_ROWS)
    ]
    genders = [gender for gender, _, _ in rows]
    ages = [age for _, age, _ in rows]
    incomes = [income for _, _, income in rows]
    codes = [float(gender == "male") for gender in genders]
    return {
        "single": {"gender": "female", "age": 31, "annual_income": 70},
        "items": {"items": [{"gender": g, "age": a, "annual_income": i} for g, a, i in rows]},
        "columns": {"gender": genders, "age": ages, "annual_income": incomes},
        "v2_single": {
            "inputs": [{"name": "input-0", "shape": [1, 3], "datatype": "FP64", "data": [0, 31, 70]}]
        },
        "v2_batch": {
            "inputs": [
                {
                    "name": "input-0",
                    "shape": [BATCH_ROWS, 3],
                    "datatype": "FP64",
                    "data": [value for row in zip(codes, ages, incomes, strict=True) for value in row],
                }
            ]
        },
        "ours_v2_batch": {
            "inputs": [
                {"name": "gender", "datatype": "BYTES", "shape": [BATCH_ROWS], "data": genders},
                {"name": "age", "datatype": "FP64", "shape": [BATCH_ROWS], "data": ages},
                {"name": "annual_income", "datatype": "FP64", "shape": [BATCH_ROWS], "data": incomes},
            ]
        },
    }


@dataclass
class Results:
    runs: dict[str, list[Run]]  # "<server> | <what>" -> one Run per round
    rss_mb: dict[str, float]
    answers: dict[str, str]


def _rounds(turns: dict[str, Callable[[], Run]], rounds: int) -> dict[str, list[Run]]:
    names = list(turns)
    results: dict[str, list[Run]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            results[name].append(turns[name]())
    return results


def run_all(rounds: int) -> Results:
    from benchmarks.inference_bench import _jwks_server

    bentoml_python = ensure_environment("bentoml")
    mlserver_python = ensure_environment("mlserver")
    bodies = {name: json.dumps(body) for name, body in _bodies(random.Random(29)).items()}
    with tempfile.TemporaryDirectory(prefix="spendscore-peers-") as directory:
        workdir = Path(directory)
        model_path = workdir / "spendscore-model.joblib"
        if os.environ.get("BENCH_MODEL_PATH"):  # an artifact trained already: saves a training run
            model_path = Path(os.environ["BENCH_MODEL_PATH"])
        else:
            save_artifact(train().artifact, model_path)
        peer_models = {}
        for name, python in (("bentoml", bentoml_python), ("mlserver", mlserver_python)):
            peer_models[name] = workdir / f"{name}-model.joblib"
            subprocess.run(
                [str(python), str(PEERS_DIR / "train_forest_knn.py"), str(DATA_PATH), str(peer_models[name])],
                check=True,
                capture_output=True,
            )
        mlserver_dir = workdir / "mlserver"
        mlserver_dir.mkdir()
        (mlserver_dir / "model-settings.json").write_text(
            json.dumps(
                {
                    "name": "spendscore",
                    "implementation": "mlserver_sklearn.SKLearnModel",
                    "parameters": {"uri": str(peer_models["mlserver"]), "version": "v1"},
                }
            )
        )
        ports = {
            name: free_port() for name in ("ours", "plain", "bare", "bentoml", "mlserver", "grpc", "metrics")
        }
        (mlserver_dir / "settings.json").write_text(
            json.dumps(
                {
                    "http_port": ports["mlserver"],
                    "grpc_port": ports["grpc"],
                    "metrics_port": ports["metrics"],
                    "parallel_workers": 0,
                    "host": "127.0.0.1",
                }
            )
        )
        issuer = make_test_issuer()
        token = issuer.issue(subject="bench", roles=["user"])
        auth = [f"Authorization: Bearer {token}"]
        url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        with _jwks_server(issuer.jwks()) as jwks_url, contextlib.ExitStack() as servers:
            ours_env = {
                "APP_ENV": "test",
                "LOG_LEVEL": "INFO",
                "INFERENCE_PORT": str(ports["ours"]),
                "INFERENCE_MODEL_PATH": str(model_path),
                "AUTH_JWKS_URL": jwks_url,
                "JWT_ISSUER": issuer.issuer,
                "JWT_AUDIENCE": issuer.audience,
            }
            pids = {
                "ours": servers.enter_context(
                    _server(
                        [sys.executable, "-m", "inference_service"],
                        ours_env,
                        url["ours"] + "/readyz",
                        workdir / "ours.log",
                        REPO_ROOT,
                    )
                ),
                "ours, plain score": servers.enter_context(
                    _server(
                        _uvicorn("benchmarks.plain_score.app:app", ports["plain"]),
                        {"INFERENCE_MODEL_PATH": str(model_path)},
                        url["plain"] + "/docs",
                        workdir / "plain.log",
                        REPO_ROOT,
                    )
                ),
                "bare stack": servers.enter_context(
                    _server(
                        _uvicorn("benchmarks.bare_stack.app:app", ports["bare"]),
                        {},
                        url["bare"] + "/docs",
                        workdir / "bare.log",
                        REPO_ROOT,
                    )
                ),
                "BentoML": servers.enter_context(
                    _server(
                        [str(bentoml_python.parent / "bentoml"), "serve", "bentoml_service:SpendScore"]
                        + ["--port", str(ports["bentoml"]), "--host", "127.0.0.1"],
                        {"PEER_MODEL_PATH": str(peer_models["bentoml"]), "BENTOML_DO_NOT_TRACK": "True"},
                        url["bentoml"] + "/readyz",
                        workdir / "bentoml.log",
                        PEERS_DIR,
                    )
                ),
                "MLServer": servers.enter_context(
                    _server(
                        [str(mlserver_python.parent / "mlserver"), "start", str(mlserver_dir)],
                        {},
                        url["mlserver"] + "/v2/models/spendscore/ready",
                        workdir / "mlserver.log",
                        mlserver_dir,
                    )
                ),
            }

            def turn(
                server: str, path: str, body: str, *, batch: bool, headers: list[str] | None = None
            ) -> Any:
                return functools.partial(
                    wrk_run,
                    path,
                    pids[server],
                    bodies[body],
                    headers=headers or [],
                    connections=BATCH_CONNECTIONS if batch else SINGLE_CONNECTIONS,
                    rows=BATCH_ROWS if batch else 1,
                )

            single = {
                "ours | one row": turn(
                    "ours", url["ours"] + "/model/predict", "single", batch=False, headers=auth
                ),
                "ours, plain score | one row": turn(
                    "ours, plain score", url["plain"] + "/model/predict", "single", batch=False
                ),
                "bare stack | one row": turn(
                    "bare stack", url["bare"] + "/model/predict", "single", batch=False
                ),
                "BentoML | one row": turn("BentoML", url["bentoml"] + "/predict", "single", batch=False),
                "MLServer | one row": turn(
                    "MLServer", url["mlserver"] + "/v2/models/spendscore/infer", "v2_single", batch=False
                ),
            }
            batches = {
                "ours | 1,000 rows, /model/predict/batch": turn(
                    "ours", url["ours"] + "/model/predict/batch", "items", batch=True, headers=auth
                ),
                "ours | 1,000 rows, /model/predict/columns": turn(
                    "ours", url["ours"] + "/model/predict/columns", "columns", batch=True, headers=auth
                ),
                "ours | 1,000 rows, /v2/models/spendscore/infer": turn(
                    "ours",
                    url["ours"] + "/v2/models/spendscore/infer",
                    "ours_v2_batch",
                    batch=True,
                    headers=auth,
                ),
                "ours, plain score | 1,000 rows": turn(
                    "ours, plain score", url["plain"] + "/model/predict/columns", "columns", batch=True
                ),
                "BentoML | 1,000 rows": turn(
                    "BentoML", url["bentoml"] + "/predict_batch", "columns", batch=True
                ),
                "MLServer | 1,000 rows": turn(
                    "MLServer", url["mlserver"] + "/v2/models/spendscore/infer", "v2_batch", batch=True
                ),
            }
            runs = _rounds({**single, **batches}, rounds)
            memory = {server: rss_mb(pid) for server, pid in pids.items()}
    return Results(runs, memory, ANSWERS)


if __name__ == "__main__":
    from dataclasses import asdict

    sys.stdout.write(json.dumps(asdict(run_all(int(os.environ.get("BENCH_ROUNDS", "3")))), indent=2) + "\n")
