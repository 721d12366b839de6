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
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.http_bench import Run, jwks_server, rotating_rounds, rss_mb, started_server, wrk_run
from benchmarks.peers.environments import ensure_environment
from inference_service.dataset import DATA_PATH
from inference_service.training import save_artifact, train
from testkit.processes import free_port
from testkit.tokens import make_test_issuer

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


def run_all(rounds: int) -> Results:
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
        with jwks_server(issuer.jwks()) as jwks_url, contextlib.ExitStack() as servers:
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
                    started_server(
                        [sys.executable, "-m", "inference_service"],
                        ours_env,
                        url["ours"] + "/readyz",
                        workdir / "ours.log",
                    )
                ),
                "ours, plain score": servers.enter_context(
                    started_server(
                        _uvicorn("benchmarks.plain_score.app:app", ports["plain"]),
                        {"INFERENCE_MODEL_PATH": str(model_path)},
                        url["plain"] + "/docs",
                        workdir / "plain.log",
                    )
                ),
                "bare stack": servers.enter_context(
                    started_server(
                        _uvicorn("benchmarks.bare_stack.app:app", ports["bare"]),
                        {},
                        url["bare"] + "/docs",
                        workdir / "bare.log",
                    )
                ),
                "BentoML": servers.enter_context(
                    started_server(
                        [str(bentoml_python.parent / "bentoml"), "serve", "bentoml_service:SpendScore"]
                        + ["--port", str(ports["bentoml"]), "--host", "127.0.0.1"],
                        {"PEER_MODEL_PATH": str(peer_models["bentoml"]), "BENTOML_DO_NOT_TRACK": "True"},
                        url["bentoml"] + "/readyz",
                        workdir / "bentoml.log",
                        cwd=PEERS_DIR,
                    )
                ),
                "MLServer": servers.enter_context(
                    started_server(
                        [str(mlserver_python.parent / "mlserver"), "start", str(mlserver_dir)],
                        {},
                        url["mlserver"] + "/v2/models/spendscore/ready",
                        workdir / "mlserver.log",
                        cwd=mlserver_dir,
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
                    body=bodies[body],
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
            runs = rotating_rounds({**single, **batches}, rounds)
            memory = {server: rss_mb(pid) for server, pid in pids.items()}
    return Results(runs, memory, ANSWERS)


if __name__ == "__main__":
    from dataclasses import asdict

    sys.stdout.write(json.dumps(asdict(run_all(int(os.environ.get("BENCH_ROUNDS", "3")))), indent=2) + "\n")
