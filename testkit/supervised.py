"""The stack under the supervisor `make run` uses, for fault tests: an embedded PostgreSQL of its own
(so it can be killed), auth, customers and inference, each restarted by supervisord when it dies;
and a write load that records every acknowledged write, to check afterwards that none was lost."""

import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.local_supervisor import EmbeddedPostgres, Program, Supervisor, embedded_postgres
from testkit.processes import REPO_ROOT
from testkit.stack import Account, LocalStack

SERVICES = ("auth", "customers", "inference")


class SupervisedPostgres:
    """The embedded server as LocalStack's database source: ``create_database`` like TestPostgres."""

    def __init__(self, embedded: EmbeddedPostgres):
        self.embedded = embedded

    def create_database(self, label: str) -> str:
        name = f"chaos_{label}"
        self.embedded.ensure_databases([name])
        return self.embedded.url(name)


class SupervisedStack:
    """Start with ``start()``; ``kill(name)`` sends a signal to a process, ``wait_until_recovered(name)``
    waits for the supervisor's replacement to be ready and returns how long that took."""

    def __init__(self, workdir: Path, model_path: Path, extra_env: dict[str, str] | None = None):
        self.workdir = workdir
        # Not under pytest's base temp: each pytest run makes that 0700 again, and the server may run as
        # an unprivileged user (as root, pgserver's) that must reach its data directory after a restart.
        self._pg_dir = Path(tempfile.mkdtemp(prefix="spendscore-chaos-"))
        self.postgres = embedded_postgres(self._pg_dir / "pgdata")
        # LocalStack only makes ports, URLs and the services' environment here; it starts nothing.
        self.local = LocalStack(SupervisedPostgres(self.postgres), workdir, model_path)  # type: ignore[arg-type]
        self.urls = self.local.urls
        self.extra_env = extra_env or {}
        programs = [
            Program(
                name, [sys.executable, "-m", f"{name}_service"], cwd=REPO_ROOT, priority=200, autostart=False
            )
            for name in SERVICES
        ]
        self.supervisor = Supervisor(workdir / "supervisor", [self.postgres.program, *programs])
        self.seen_pids: set[int] = set()

    def start(self) -> "SupervisedStack":
        """As `make run` does: supervisord with the database, migrations, then the services."""
        urls = {
            f"{service.upper()}_DATABASE_URL": self.postgres.url(f"chaos_{service}")
            for service in SERVICES[:2]
        }
        self.supervisor.start({**os.environ, **self.local.common_env, **urls, **self.extra_env})
        self.postgres.wait_until_accepting()
        assert self.local.env().items() >= urls.items()  # databases created and migrated, at those URLs
        for name in SERVICES:
            self.supervisor.start_program(name, wait=False)
        for name in SERVICES:
            self.wait_until_ready(name)
        return self

    def ready(self, name: str) -> bool:
        if name == "postgres":
            return self.ready("customers")
        try:
            return httpx.get(self.urls[name] + "/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_until_ready(self, name: str, timeout: float = 90.0) -> float:
        started = time.monotonic()
        wait_for(lambda: self.ready(name), timeout=timeout, what=f"{name} ready")
        return time.monotonic() - started

    def pid(self, name: str) -> int:
        pid = self.supervisor.pid(name)
        self.seen_pids.add(pid)
        return pid

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> int:
        pid = self.pid(name)
        os.kill(pid, sig)
        return pid

    def wait_until_recovered(self, name: str, old_pid: int, timeout: float) -> float:
        """Seconds from now until a new process runs in place of ``old_pid`` and is ready."""
        started = time.monotonic()

        def replaced_and_ready() -> bool:
            info = self.supervisor.states()[name]
            return info["statename"] == "RUNNING" and info["pid"] not in (0, old_pid) and self.ready(name)

        wait_for(replaced_and_ready, timeout=timeout, what=f"{name} restarted by the supervisor")
        self.pid(name)
        return time.monotonic() - started

    def create_user(self) -> Account:
        return self.local.create_user()

    def close(self) -> None:
        self.supervisor.shutdown()
        shutil.rmtree(self._pg_dir, ignore_errors=True)


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@dataclass
class WriteLoad:
    """Writers creating customers and updating their own ones, each recording what was acknowledged.

    A write without a 2xx answer may or may not have been stored (the process died mid-way), so for an
    update every value not acknowledged since the last acknowledged one is also accepted."""

    url: str
    owner: Account
    writers: int = 4
    acknowledged: dict[str, set[int]] = field(default_factory=dict)  # customer id -> accepted ages
    latencies: list[tuple[float, float, int]] = field(default_factory=list)  # (start, seconds, status)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "WriteLoad":
        self._stop.clear()
        for number in range(self.writers):
            thread = threading.Thread(target=self._write, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        self._threads.clear()

    def _record(self, started: float, status: int) -> None:
        with self._lock:
            self.latencies.append((started, time.monotonic() - started, status))

    def _write(self, number: int) -> None:
        mine: list[str] = []
        step = 0
        with httpx.Client(base_url=self.url, headers=self.owner.headers, timeout=10) as client:
            while not self._stop.is_set():
                step += 1
                started = time.monotonic()
                try:
                    if mine and step % 3 == 0:
                        customer_id = mine[step % len(mine)]
                        age = 18 + (step % 60)
                        with self._lock:
                            self.acknowledged[customer_id].add(age)  # perhaps stored, from now on
                        response = client.patch(f"/customers/{customer_id}", json={"age": age})
                        if response.status_code == 200:
                            with self._lock:
                                self.acknowledged[customer_id] = {age}
                    else:
                        age = 18 + (step % 60)
                        body = {"name": f"Chaos {number}-{step}", "gender": "female", "age": age,
                                "annual_income": 40}  # fmt: skip
                        response = client.post("/customers", json=body)
                        if response.status_code == 201:
                            customer_id = response.json()["id"]
                            mine.append(customer_id)
                            with self._lock:
                                self.acknowledged[customer_id] = {age}
                    self._record(started, response.status_code)
                    if response.status_code >= 500:
                        time.sleep(0.05)
                except httpx.HTTPError:
                    self._record(started, 0)
                    time.sleep(0.05)

    def lost_writes(self) -> list[str]:
        """Acknowledged writes not found as acknowledged: missing customers or wrong ages (read back
        page by page: the owner should be this load's own)."""
        stored: dict[str, int] = {}
        with httpx.Client(base_url=self.url, headers=self.owner.headers, timeout=30) as client:
            while True:
                page = client.get("/customers", params={"limit": 200, "offset": len(stored)})
                page.raise_for_status()
                items = page.json()["items"]
                stored.update((item["id"], item["age"]) for item in items)
                if len(items) < 200:
                    break
        return [
            f"{customer_id}: stored {stored.get(customer_id)}, acknowledged {sorted(ages)}"
            for customer_id, ages in self.acknowledged.items()
            if stored.get(customer_id) not in ages
        ]

    def acknowledged_count(self) -> int:
        return sum(1 for _, _, status in self.latencies if status in (200, 201))

    def median_latency(self, since: float = 0.0, until: float = float("inf")) -> float:
        window = [
            seconds for started, seconds, status in self.latencies if since <= started < until and status
        ]
        return statistics.median(window) if window else float("nan")
