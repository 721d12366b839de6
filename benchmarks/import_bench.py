"""The 10,000-row CSV import end to end (upload to stored predictions), before and after: two real
stacks side by side (auth, inference, customers as processes over the test PostgreSQL), one running
this tree, the other the services of ``BENCH_IMPORT_BEFORE`` (a git revision taken with ``git
archive``; by default f6473a9, main before issue 29's batch work), the same trained model; a new file
each time (the same bytes twice are answered from the first import), the order swapped every round.
"""

import io
import os
import random
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.customers_bench import _import_file
from benchmarks.request_path_bench import _Stack
from inference_service.training import save_artifact, train
from testkit.postgres import TestPostgres
from testkit.processes import REPO_ROOT, ServiceProcess
from testkit.stack import LocalStack

ROWS = 10_000
BEFORE_ISSUE_29 = "f6473a9"  # main before the columnar batches
START_SECONDS = 300.0


def _services_at(revision: str, directory: Path) -> dict[str, str]:
    """The PYTHONPATH that runs the services as they are at ``revision``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "services"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    paths = [
        str(directory / "services" / name / "src") for name in ("common", "auth", "customers", "inference")
    ]
    return {"PYTHONPATH": os.pathsep.join(paths), "PYTHONDONTWRITEBYTECODE": "1"}


def _start(stack: LocalStack) -> LocalStack:
    """``stack.start_all()`` with a longer wait for each service: two stacks start on a busy machine."""
    env = stack.env()
    for name in ("auth", "inference", "customers"):
        process = ServiceProcess(name, ["-m", f"{name}_service"], env, stack.ports[name], stack.workdir)
        stack.processes[name] = process
        process.start(ready_path="/readyz" if name != "customers" else "/healthz", timeout=START_SECONDS)
    return stack


def _import_seconds(stack: LocalStack, headers: dict[str, str], rng: random.Random) -> float:
    started = time.perf_counter()
    response = httpx.post(
        stack.urls["customers"] + "/customers/import",
        files={"file": ("bench.csv", _import_file(ROWS, rng), "text/csv")},
        headers=headers,
        timeout=120,
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    if response.json()["pending_predictions"] != 0:
        raise RuntimeError("inference did not answer the import's batch")
    return seconds


def run_all(rounds: int) -> dict[str, list[float]]:
    """Seconds per round of a 10,000-row import: {"before": [...], "after": [...]}."""
    revision = os.environ.get("BENCH_IMPORT_BEFORE", BEFORE_ISSUE_29)
    with tempfile.TemporaryDirectory(prefix="spendscore-import-") as directory:
        workdir = Path(directory)
        model_path = workdir / "spendscore-model.joblib"
        if os.environ.get("BENCH_MODEL_PATH"):
            model_path = Path(os.environ["BENCH_MODEL_PATH"])
        else:
            save_artifact(train().artifact, model_path)
        before_dir = workdir / "before-tree"
        before_dir.mkdir()
        variants = {"after": {}, "before": _services_at(revision, before_dir)}
        postgres_servers: list[TestPostgres] = []
        stacks: dict[str, tuple[LocalStack, dict[str, str]]] = {}
        try:
            for label, extra in variants.items():
                (workdir / label).mkdir()
                postgres_servers.append(TestPostgres())
                started: LocalStack = _Stack(postgres_servers[-1], workdir / label, model_path, extra)
                stacks[label] = (started, _start(started).create_user().headers)
            rng = random.Random(28)
            seconds: dict[str, list[float]] = {label: [] for label in stacks}
            # One untimed import each first: connection pools, caches and the code paths warm.
            for warming, headers in stacks.values():
                _import_seconds(warming, headers, rng)
            for number in range(rounds):
                order = list(stacks) if number % 2 == 0 else list(reversed(stacks))
                for label in order:
                    timed, headers = stacks[label]
                    seconds[label].append(round(_import_seconds(timed, headers, rng), 3))
            return seconds
        finally:
            for running, _ in stacks.values():
                running.close()
            for postgres in postgres_servers:
                postgres.close()
