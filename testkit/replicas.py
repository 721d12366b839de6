"""Every service as N replicas behind a real HAProxy on loopback, as ECS runs N tasks behind a load
balancer: round-robin for the APIs, affinity for the UI (Streamlit keeps a browser's session in one
process). The replicas call each other through the balancers, share one PostgreSQL and all start at
the same moment from an empty database, each running its migrations first."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from testkit.postgres import TestPostgres
from testkit.processes import REPO_ROOT, free_port

SERVICES = ("auth", "customers", "inference", "ui")
READY_PATHS = {"auth": "/readyz", "customers": "/readyz", "inference": "/readyz", "ui": "/_stcore/health"}
UI_AFFINITY_COOKIE = "spendscore_ui_replica"


@dataclass
class Replica:
    """One process of a service, on its own port; started by a shell that migrates first when the
    service owns a database."""

    name: str
    service: str
    port: int
    command: list[str]
    env: dict[str, str]
    log_path: Path
    _process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.command,
            env={**os.environ, **self.env},
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a kill reaches the shell and the service
        )

    @property
    def exit_code(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def is_ready(self) -> bool:
        try:
            return httpx.get(self.url + READY_PATHS[self.service], timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL to the whole group, as a crash would end it."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class ReplicatedStack:
    postgres: TestPostgres
    workdir: Path
    model_path: Path
    replicas_per_service: int = 2
    max_customers_per_owner: int = 1000
    admin_email: str = "admin@replicas.test"
    admin_password: str = "admin-password-for-replicas"
    balancer_ports: dict[str, int] = field(default_factory=dict)
    replicas: dict[str, list[Replica]] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)
    _haproxy: subprocess.Popen[bytes] | None = None

    def url(self, service: str) -> str:
        """The service's balancer."""
        return f"http://127.0.0.1:{self.balancer_ports[service]}"

    def start(self, timeout: float = 240.0) -> "ReplicatedStack":
        self.balancer_ports = {service: free_port() for service in SERVICES}
        self.database_urls = {
            service: self.postgres.create_database(f"replicas_{service}") for service in ("auth", "customers")
        }
        shared = self._shared_env()
        for service in SERVICES:
            self.replicas[service] = [
                self._replica(service, index, shared) for index in range(1, self.replicas_per_service + 1)
            ]
        self._start_haproxy()
        every = [replica for group in self.replicas.values() for replica in group]
        for replica in every:  # all at the same moment, migrations included
            replica.start()
        deadline = time.monotonic() + timeout
        waiting = list(every)
        while waiting:
            for replica in list(waiting):
                if replica.exit_code is not None:
                    raise RuntimeError(
                        f"{replica.name} exited with {replica.exit_code}:\n{replica.log_tail()}"
                    )
                if replica.is_ready():
                    waiting.remove(replica)
            if time.monotonic() > deadline:
                names = ", ".join(replica.name for replica in waiting)
                raise TimeoutError(f"not ready after {timeout} s: {names}")
            time.sleep(0.5)
        self._wait_for_balancers()
        return self

    def _shared_env(self) -> dict[str, str]:
        key = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {
            "APP_ENV": "test",
            "LOG_LEVEL": "WARNING",
            "AUTH_PRIVATE_KEY": key.decode(),
            "JWT_ISSUER": "spendscore-auth",
            "JWT_AUDIENCE": "spendscore",
            "AUTH_URL": self.url("auth"),
            "AUTH_PUBLIC_URL": self.url("auth"),
            "AUTH_JWKS_URL": self.url("auth") + "/.well-known/jwks.json",
            "CUSTOMERS_URL": self.url("customers"),
            "INFERENCE_URL": self.url("inference"),
            "INFERENCE_MODEL_PATH": str(self.model_path),
            "CUSTOMERS_SERVICE_SECRET": uuid.uuid4().hex + uuid.uuid4().hex,
            "UI_COOKIE_SECRET": uuid.uuid4().hex + uuid.uuid4().hex,
            "AUTH_DATABASE_URL": self.database_urls["auth"],
            "CUSTOMERS_DATABASE_URL": self.database_urls["customers"],
            "AUTH_BCRYPT_ROUNDS": "4",
            "AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
            "BOOTSTRAP_ADMIN_EMAIL": self.admin_email,
            "BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "CUSTOMERS_MAX_PER_OWNER": str(self.max_customers_per_owner),
            "CUSTOMERS_MAX_EXPENSIVE_CALLS_PER_OWNER": "2",
            "CUSTOMERS_INFERENCE_BREAKER_COOLDOWN_SECONDS": "1",
            "AUTH_CUSTOMERS_BREAKER_COOLDOWN_SECONDS": "1",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }

    def _replica(self, service: str, index: int, shared: dict[str, str]) -> Replica:
        port = free_port()
        name = f"{service}{index}"
        data_dir = self.workdir / name
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**shared, "DATA_DIR": str(data_dir), f"{service.upper()}_PORT": str(port)}
        python = sys.executable
        if service == "ui":
            command = [python, "-m", "spendscore_ui.serve", "ui/streamlit_app.py", "--server.port", str(port)]
            command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
        elif service in self.database_urls:
            script = f"{python} -m {service}_service.migrate && exec {python} -m {service}_service"
            command = ["bash", "-c", script]
        else:
            command = [python, "-m", f"{service}_service"]
        return Replica(name, service, port, command, env, self.workdir / f"{name}.log")

    def _haproxy_config(self) -> str:
        lines = [
            "global",
            "    maxconn 4000",
            "defaults",
            "    mode http",
            "    timeout connect 2s",
            "    timeout client 120s",
            "    timeout server 120s",
            "    timeout tunnel 1h",  # Streamlit's websockets
            # A connection refused by a dead replica is tried on the other one; a request already sent
            # is never sent twice.
            "    retries 3",
            "    option redispatch",
        ]
        for service in SERVICES:
            lines += [
                f"frontend {service}_front",
                f"    bind 127.0.0.1:{self.balancer_ports[service]}",
                f"    default_backend {service}",
                f"backend {service}",
                "    balance roundrobin",
                f"    option httpchk GET {READY_PATHS[service]}",
                "    default-server inter 1s fall 2 rise 1",
            ]
            if service == "ui":
                # Affinity: Streamlit keeps uploads, downloads and the session's state in one process.
                lines.append(f"    cookie {UI_AFFINITY_COOKIE} insert indirect nocache httponly")
            for replica in self.replicas[service]:
                affinity = f" cookie {replica.name}" if service == "ui" else ""
                lines.append(f"    server {replica.name} 127.0.0.1:{replica.port} check{affinity}")
        return "\n".join(lines) + "\n"

    def _start_haproxy(self) -> None:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        config = self.workdir / "haproxy.cfg"
        config.write_text(self._haproxy_config())
        log = (self.workdir / "haproxy.log").open("ab")
        self._haproxy = subprocess.Popen(
            [haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )

    def _wait_for_balancers(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        for service in SERVICES:
            while True:
                try:
                    if httpx.get(self.url(service) + READY_PATHS[service], timeout=2.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {service} balancer does not answer")
                time.sleep(0.2)

    def close(self) -> None:
        for group in self.replicas.values():
            for replica in group:
                replica.stop()
        if self._haproxy is not None:
            self._haproxy.terminate()
            self._haproxy.wait(10)

    # --- accounts, through the auth balancer ----------------------------------------------------

    def login(self, email: str, password: str) -> str:
        response = httpx.post(self.url("auth") + "/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def create_owner(self, password: str = "owner-password-1") -> tuple[str, str, str]:
        """A new store owner: (id, email, token)."""
        email = f"owner-{uuid.uuid4().hex[:10]}@replicas.test"
        response = httpx.post(
            self.url("auth") + "/admin/users",
            json={"email": email, "name": "Replica Owner", "password": password, "roles": ["user"]},
            headers={"Authorization": f"Bearer {self.login(self.admin_email, self.admin_password)}"},
        )
        response.raise_for_status()
        return response.json()["id"], email, self.login(email, password)
