"""What OpenTelemetry costs on the hot path: POST /model/predict with tracing off, on, and before it existed.

Three inference processes in the same run, measured in rotating turns with wrk as in
``benchmarks.request_path_bench`` (same client, pinning, body and token):

- ``before``: the services' sources at the parent of the commit that added
  ``spendscore_common/tracing.py`` (``git archive``), the same environment;
- ``off``: today's code without OTEL_EXPORTER_OTLP_ENDPOINT (nothing is instrumented);
- ``on``: today's code exporting every span over OTLP/HTTP to a receiver on loopback
  (``testkit.otlp_receiver``), batched every 100 ms.

Tracing off must cost nothing: the ratio off / before is about 1 (the run's noise is its spread).
"""

import contextlib
import functools
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

from benchmarks.http_bench import Run, jwks_server, rotating_rounds, wrk_run
from benchmarks.request_path_bench import CONNECTIONS, PREDICT_BODY, _server
from inference_service.training import save_artifact, train
from testkit.otlp_receiver import OtlpReceiver
from testkit.processes import REPO_ROOT, free_port
from testkit.tokens import make_test_issuer

TRACING_MODULE = "services/common/src/spendscore_common/tracing.py"


def sources_before_tracing(target: Path) -> Path | None:
    """The services' sources as they were just before tracing was added, or None outside a git clone."""
    try:
        added = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "-1", "--", TRACING_MODULE],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        archive = subprocess.run(
            ["git", "archive", f"{added}^", "services"], cwd=REPO_ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    if not added:
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


@contextlib.contextmanager
def _receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.close()


def tracing_comparison(rounds: int) -> dict[str, list[Run]]:
    """req/s and req/CPU-s per round of POST /model/predict: tracing off, on, and before tracing."""
    with tempfile.TemporaryDirectory(prefix="spendscore-tracing-bench-") as directory:
        workdir = Path(directory)
        model_path = workdir / "spendscore-model.joblib"
        save_artifact(train().artifact, model_path)
        issuer = make_test_issuer()
        token = issuer.issue(subject="bench", roles=["user"])
        before = sources_before_tracing(workdir / "before")
        with (
            jwks_server(issuer.jwks()) as jwks_url,
            _receiver() as receiver,
            contextlib.ExitStack() as servers,
        ):
            variants: dict[str, dict[str, str]] = {
                "off": {},
                "on": {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"},
            }
            if before is not None:
                paths = [str(before / "services" / name / "src") for name in ("common", "inference")]
                variants["before"] = {"PYTHONPATH": os.pathsep.join(paths)}
            turns: dict[str, Callable[[], Run]] = {}
            for name, extra in variants.items():
                port = free_port()
                env = {
                    "APP_ENV": "test",
                    "LOG_LEVEL": "INFO",
                    "INFERENCE_PORT": str(port),
                    "INFERENCE_MODEL_PATH": str(model_path),
                    "AUTH_JWKS_URL": jwks_url,
                    "JWT_ISSUER": issuer.issuer,
                    "JWT_AUDIENCE": issuer.audience,
                    **extra,
                }
                pid = servers.enter_context(
                    _server([sys.executable, "-m", "inference_service"], env, port, workdir / f"{name}.log")
                )
                turns[name] = functools.partial(
                    wrk_run,
                    f"http://127.0.0.1:{port}/model/predict",
                    pid,
                    headers=[f"Authorization: Bearer {token}"],
                    body=PREDICT_BODY,
                    connections=CONNECTIONS,
                )
            results = rotating_rounds(turns, rounds)
            if not receiver.spans:
                raise RuntimeError("tracing on exported no span: the 'on' figures would not measure tracing")
            return results


if __name__ == "__main__":
    import json
    from dataclasses import asdict

    figures = tracing_comparison(int(os.environ.get("BENCH_ROUNDS", "3")))
    sys.stdout.write(
        json.dumps({name: [asdict(run) for run in runs] for name, runs in figures.items()}) + "\n"
    )
