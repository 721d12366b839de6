"""`make load LOAD_MODE=chaos`: the chaos suite for longer, with figures.

The stack runs under the supervisor `make run` uses. Under a steady write load, each round kills -9
customers, inference, auth and PostgreSQL in turn (waiting for each to come back by itself), then freezes
inference (SIGSTOP) for a while. At the end every acknowledged write is read back. Writes docs/chaos.md;
exits non-zero when a write was lost or a recovery took longer than the 15 s target.
"""

import os
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from testkit.processes import REPO_ROOT, run_module
from testkit.supervised import SupervisedStack, WriteLoad, wait_for

ROUNDS = int(os.environ.get("LOAD_CHAOS_ROUNDS", "3"))
WRITERS = int(os.environ.get("LOAD_CHAOS_WRITERS", "4"))
FREEZE_SECONDS = float(os.environ.get("LOAD_CHAOS_FREEZE_SECONDS", "10"))
RECOVERY_TARGET_SECONDS = 15.0
KILLED = ("customers", "inference", "auth", "postgres")


@dataclass
class FaultFigures:
    recoveries: list[float] = field(default_factory=list)
    failed_requests: int = 0
    requests: int = 0


def main() -> tuple[int, str]:
    """The exit code and the report (printed by ``python -m loadtest``)."""
    workdir = Path(tempfile.mkdtemp(prefix="spendscore-chaos-load-"))
    model = workdir / "model.joblib"
    run_module(["-m", "inference_service.training", "--output", str(model), "--no-card"], {})
    stack = SupervisedStack(workdir, model)
    figures = {name: FaultFigures() for name in KILLED}
    frozen_p50: list[float] = []
    normal_p50: list[float] = []
    try:
        stack.start()
        owner = stack.create_user()
        load = WriteLoad(stack.urls["customers"], owner, writers=WRITERS).start()
        started = time.monotonic()
        try:
            for _ in range(ROUNDS):
                for name in KILLED:
                    time.sleep(2)
                    before = len(load.latencies)
                    old_pid = stack.kill(name)
                    figures[name].recoveries.append(stack.wait_until_recovered(name, old_pid, timeout=120))
                    window = load.latencies[before:]
                    figures[name].requests += len(window)
                    figures[name].failed_requests += sum(
                        1 for _, _, status in window if status >= 300 or not status
                    )
                normal_from = time.monotonic()
                time.sleep(FREEZE_SECONDS / 2)
                normal_p50.append(load.median_latency(since=normal_from))
                stack.kill("inference", signal.SIGSTOP)
                try:
                    wait_for(lambda: _breaker_open(stack), timeout=30, what="breaker open")
                    frozen_from = time.monotonic()
                    time.sleep(FREEZE_SECONDS)
                    frozen_p50.append(load.median_latency(since=frozen_from))
                finally:
                    stack.kill("inference", signal.SIGCONT)
        finally:
            load.stop()
        elapsed = time.monotonic() - started
        lost = load.lost_writes()
        report = render(figures, normal_p50, frozen_p50, load, lost, elapsed)
        (REPO_ROOT / "docs" / "chaos.md").write_text(report)
        slowest = max(max(f.recoveries) for f in figures.values())
        return (1 if lost or slowest > RECOVERY_TARGET_SECONDS else 0), report
    finally:
        stack.close()


def _breaker_open(stack: SupervisedStack) -> bool:
    metrics = httpx.get(stack.urls["customers"] + "/metrics", timeout=5).text
    return 'circuit_breaker_state{dependency="inference"} 1.0' in metrics


def render(
    figures: dict[str, FaultFigures],
    normal_p50: list[float],
    frozen_p50: list[float],
    load: WriteLoad,
    lost: list[str],
    elapsed: float,
) -> str:
    lines = [
        "# Chaos load test",
        "",
        f"{WRITERS} writers creating and updating customers for {elapsed:.0f} s against the stack under",
        f"its supervisor (as `make run` runs it), on this machine ({os.cpu_count()} cores). {ROUNDS} rounds:",
        "kill -9 of customers, inference, auth and PostgreSQL in turn, then inference frozen (SIGSTOP) for "
        f"{FREEZE_SECONDS:.0f} s.",
        "",
        f"Load average at the end: {os.getloadavg()[0]:.1f} (the recovery times are mostly the Python",
        "start-up of the restarted service, which a busy machine slows down).",
        "",
        f"Acknowledged writes: {load.acknowledged_count()}; read back afterwards: **{len(lost)} lost**.",
        "",
        "| fault | recovery median s | recovery max s | write requests meanwhile | not acknowledged |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figure in figures.items():
        lines.append(
            f"| kill -9 {name} | {statistics.median(figure.recoveries):.1f} | {max(figure.recoveries):.1f} "
            f"| {figure.requests} | {figure.failed_requests} |"
        )
    lines += [
        "",
        "Recovery: from the kill until the supervisor's new process answers /readyz with 200 (for",
        "PostgreSQL: until customers is ready again). Not acknowledged: connection errors and 503s while",
        "the process was away; the client retries them.",
        "",
        "| inference | write p50 ms |",
        "|---|---:|",
        f"| answering | {1000 * statistics.median(normal_p50):.0f} |",
        f"| frozen (SIGSTOP), breaker open | {1000 * statistics.median(frozen_p50):.0f} |",
        "",
    ]
    return "\n".join(lines)
