"""What the HTTP benches share: servers pinned to one core and wrk to the other, the CPU time and memory
of a server's whole process tree, rounds whose order rotates so that ratios compare one round, and a
stand-in for auth's JWKS and revocation feed."""

import contextlib
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from testkit.processes import REPO_ROOT

SERVER_CORE, CLIENT_CORE = "1", "0"
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
_PINNED = (os.cpu_count() or 1) > 1 and shutil.which("taskset") is not None


@dataclass(frozen=True)
class Run:
    requests_per_second: float
    requests_per_cpu_second: float
    p50_ms: float
    p99_ms: float
    rows_per_request: int = 1

    @property
    def rows_per_second(self) -> float:
        return self.requests_per_second * self.rows_per_request


def process_tree(pid: int) -> list[int]:
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid``'s whole process tree."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid``'s whole process tree."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def pin_to_server_core(pid: int) -> None:
    """Every thread of a process started elsewhere onto the server core (none on a one-core machine)."""
    if _PINNED:
        subprocess.run(["taskset", "-a", "-p", "-c", SERVER_CORE, str(pid)], check=True, capture_output=True)


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_run(
    url: str, pid: int, *, headers: list[str], body: str | None = None, connections: int, rows: int = 1
) -> Run:
    """wrk for ``SECONDS`` s (a JSON POST when ``body`` is given) against the server whose process
    tree is ``pid``; raises unless every answer was a 2xx."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    if _PINNED:
        command = ["taskset", "-c", CLIENT_CORE, *command]
    for header in headers:
        command += ["-H", header]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body is not None:
            script.write(f"wrk.method = 'POST'\nwrk.body = '{body}'\n")
            script.write("wrk.headers['Content-Type'] = 'application/json'\n")
    try:
        cpu_before = cpu_seconds(pid)
        output = subprocess.run(
            [*command, "-s", script.name, url], capture_output=True, text=True, check=True
        ).stdout
        cpu = cpu_seconds(pid) - cpu_before
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
def started_server(
    command: list[str],
    env: dict[str, str],
    ready_url: str,
    log: Path,
    *,
    cwd: Path = REPO_ROOT,
    ready_statuses: tuple[int, ...] = (200,),
) -> Iterator[int]:
    """A server started on the server core (its children and threads inherit the pinning), ready once
    ``ready_url`` answers one of ``ready_statuses``; yields its pid and stops its process group."""
    if _PINNED:
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
                    if httpx.get(ready_url, timeout=2).status_code in ready_statuses:
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


@contextlib.contextmanager
def jwks_server(jwks: dict[str, Any]) -> Iterator[str]:
    """Serves ``jwks`` and an empty revocation feed on loopback; yields the JWKS URL."""
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


def rotating_rounds(turns: dict[str, Callable[[], Run]], rounds: int) -> dict[str, list[Run]]:
    """``turns`` maps a name to a no-argument measurement; each round runs them all, the order rotated."""
    names = list(turns)
    results: dict[str, list[Run]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            results[name].append(turns[name]())
    return results
