"""What the shared request path costs: our services against the bare stack and the original's way.

Measured with wrk (Debian's ``wrk``), 16 keep-alive connections, the client pinned to one core and
every server to the other (``taskset``), each server in its own process, all up at once and run in
turns whose order rotates every round, so that each ratio compares figures of the same round:

- POST /model/predict: our inference service (token verified, model run, metrics, access log line),
  the bare stack (the same FastAPI + uvicorn with uvloop and httptools, the same request model, a
  constant answer: ``benchmarks.bare_stack``) and the original's way (FastAPI + a pandas DataFrame +
  scikit-learn per request, no auth: ``benchmarks.naive_inference``);
- GET /customers/{id} and GET /users/me (8 connections: each request reads PostgreSQL), our services
  as they are and, when ``BENCH_BEFORE`` names a git worktree of an earlier commit (with
  ``BENCH_BEFORE_DEPS``, a folder of the packages it needs that this environment lacks), the same
  services at that commit, for before/after figures.

Every server logs at INFO into a file, as in production; every answer must be a 200. Besides
requests/second, each run reads the CPU time the server process used (``/proc/<pid>/stat``) and
reports requests per CPU-second: on a machine shared with other work, wall-clock throughput depends
on what else runs, while the CPU a request costs hardly does.
"""

import contextlib
import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.http_bench import (
    Run,
    jwks_server,
    pin_to_server_core,
    rotating_rounds,
    started_server,
    wrk_run,
)
from benchmarks.http_bench import rss_mb as process_rss_mb
from inference_service.dataset import DATA_PATH
from inference_service.training import save_artifact, train
from testkit.postgres import TestPostgres
from testkit.processes import REPO_ROOT, free_port
from testkit.stack import LocalStack
from testkit.tokens import make_test_issuer

CONNECTIONS = 16
# The reads go to PostgreSQL: fewer connections than the pool has, so that none waits for one.
READ_CONNECTIONS = 8
PREDICT_BODY = '{"gender": "Female", "age": 31, "annual_income": 70}'


def _server(
    command: list[str], env: dict[str, str], port: int, log: Path
) -> contextlib.AbstractContextManager[int]:
    """A server whose readiness is its /healthz (404 for the bare and naive apps, which have none)."""
    return started_server(command, env, f"http://127.0.0.1:{port}/healthz", log, ready_statuses=(200, 404))


def _uvicorn(app: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
    ]


def _before_env() -> dict[str, str] | None:
    """PYTHONPATH that runs the services of the worktree named by BENCH_BEFORE instead of ours."""
    before = os.environ.get("BENCH_BEFORE")
    if not before:
        return None
    paths = [
        str(Path(before) / "services" / name / "src") for name in ("common", "auth", "customers", "inference")
    ]
    if os.environ.get("BENCH_BEFORE_DEPS"):
        paths.append(os.environ["BENCH_BEFORE_DEPS"])
    return {"PYTHONPATH": os.pathsep.join(paths)}


def inference_comparison(
    workdir: Path, rounds: int, rss_mb: list[float] | None = None
) -> dict[str, list[Run]]:
    """req/s per round of POST /model/predict: ours, the bare stack, the original's way (and ours before)."""
    from benchmarks.naive_inference.train import train_baseline

    model_path = workdir / "spendscore-model.joblib"
    save_artifact(train().artifact, model_path)
    naive_model = workdir / "naive-baseline.joblib"
    train_baseline(str(naive_model), str(DATA_PATH))
    issuer = make_test_issuer()
    token = issuer.issue(subject="bench", roles=["user"])
    ports = {name: free_port() for name in ("ours", "bare", "naive", "before")}
    with jwks_server(issuer.jwks()) as jwks_url, contextlib.ExitStack() as servers:

        def ours_env(port: int) -> dict[str, str]:
            return {
                "APP_ENV": "test",
                "LOG_LEVEL": "INFO",
                "INFERENCE_PORT": str(port),
                "INFERENCE_MODEL_PATH": str(model_path),
                "AUTH_JWKS_URL": jwks_url,
                "JWT_ISSUER": issuer.issuer,
                "JWT_AUDIENCE": issuer.audience,
            }

        pids: dict[str, int] = {}
        pids["ours"] = servers.enter_context(
            _server(
                [sys.executable, "-m", "inference_service"],
                ours_env(ports["ours"]),
                ports["ours"],
                workdir / "ours.log",
            )
        )
        pids["bare"] = servers.enter_context(
            _server(
                _uvicorn("benchmarks.bare_stack.app:app", ports["bare"]),
                {},
                ports["bare"],
                workdir / "bare.log",
            )
        )
        pids["naive"] = servers.enter_context(
            _server(
                _uvicorn("benchmarks.naive_inference.app:app", ports["naive"]),
                {"NAIVE_MODEL_PATH": str(naive_model)},
                ports["naive"],
                workdir / "naive.log",
            )
        )
        before = _before_env()
        if before is not None:
            # The earlier commit's own training: artifact formats change between commits.
            before_model = workdir / "before-model.joblib"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "inference_service.training",
                    "--output",
                    str(before_model),
                    "--no-card",
                ],
                env={**os.environ, **before},
                cwd=REPO_ROOT,
                check=True,
                capture_output=True,
            )
            pids["before"] = servers.enter_context(
                _server(
                    [sys.executable, "-m", "inference_service"],
                    {**ours_env(ports["before"]), **before, "INFERENCE_MODEL_PATH": str(before_model)},
                    ports["before"],
                    workdir / "before.log",
                )
            )
        auth = [f"Authorization: Bearer {token}"]

        def load(name: str, path: str, headers: list[str]) -> Callable[[], Run]:
            url = f"http://127.0.0.1:{ports[name]}{path}"
            return functools.partial(
                wrk_run, url, pids[name], headers=headers, body=PREDICT_BODY, connections=CONNECTIONS
            )

        turns = {
            "ours": load("ours", "/model/predict", auth),
            "bare": load("bare", "/model/predict", []),
            "naive": load("naive", "/predict", []),
        }
        if before is not None:
            turns["before"] = load("before", "/model/predict", auth)
        results = rotating_rounds(turns, rounds)
        if rss_mb is not None:
            rss_mb.append(process_rss_mb(pids["ours"]))
        return results


class _Stack(LocalStack):
    """A LocalStack whose processes run with extra environment (the before worktree's PYTHONPATH)."""

    def __init__(self, postgres: TestPostgres, workdir: Path, model_path: Path, extra: dict[str, str]):
        super().__init__(postgres, workdir, model_path)
        self.extra = extra

    @property
    def common_env(self) -> dict[str, str]:
        return {**super().common_env, **self.extra}


def read_endpoints_comparison(workdir: Path, rounds: int) -> dict[str, list[Run]]:
    """req/s per round of GET /customers/{id} and GET /users/me, ours (and before, with BENCH_BEFORE)."""
    model_path = workdir / "spendscore-model.joblib"
    if not model_path.exists():
        save_artifact(train().artifact, model_path)
    stacks: dict[str, dict[str, str]] = {"after": {}}
    before = _before_env()
    if before is not None:
        stacks["before"] = before
    # A TestPostgres per stack: database names are unique per instance, not per stack.
    servers: list[TestPostgres] = []
    started: list[LocalStack] = []
    turns: dict[str, Callable[[], Run]] = {}
    try:
        for label, extra in stacks.items():
            directory = workdir / label
            directory.mkdir()
            servers.append(TestPostgres())
            stack = _Stack(servers[-1], directory, model_path, extra)
            stack.start_all()
            started.append(stack)
            pids = {}
            for name, process in stack.processes.items():
                assert process._process is not None
                pids[name] = process._process.pid
                pin_to_server_core(pids[name])
            owner = stack.create_user()
            created = httpx.post(
                stack.urls["customers"] + "/customers",
                json={"name": "Bench customer", "gender": "female", "age": 31, "annual_income": 70},
                headers=owner.headers,
            )
            created.raise_for_status()
            headers = [f"Authorization: Bearer {owner.token}"]
            customer_url = f"{stack.urls['customers']}/customers/{created.json()['id']}"
            me_url = stack.urls["auth"] + "/users/me"
            turns[f"customer {label}"] = functools.partial(
                wrk_run, customer_url, pids["customers"], headers=headers, connections=READ_CONNECTIONS
            )
            turns[f"users/me {label}"] = functools.partial(
                wrk_run, me_url, pids["auth"], headers=headers, connections=READ_CONNECTIONS
            )
        return rotating_rounds(turns, rounds)
    finally:
        for running in started:
            running.close()
        for postgres in servers:
            postgres.close()


@dataclass(frozen=True)
class Results:
    predict: dict[str, list[Run]]
    reads: dict[str, list[Run]]
    ours_rss_mb: float  # our inference service's resident memory after its runs


def run_all(rounds: int) -> Results:
    with tempfile.TemporaryDirectory(prefix="spendscore-request-path-") as directory:
        workdir = Path(directory)
        rss: list[float] = []
        predict = inference_comparison(workdir, rounds, rss)
        return Results(predict, read_endpoints_comparison(workdir, rounds), rss[0] if rss else float("nan"))


if __name__ == "__main__":
    import json
    from dataclasses import asdict

    sys.stdout.write(json.dumps(asdict(run_all(int(os.environ.get("BENCH_ROUNDS", "3")))), indent=2) + "\n")
