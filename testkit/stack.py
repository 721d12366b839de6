"""The real services as processes on free ports, over the test PostgreSQL: what integration tests talk to."""

import uuid
from pathlib import Path

import httpx

from testkit.postgres import TestPostgres
from testkit.processes import ServiceProcess, free_port, run_module


class LocalStack:
    """Auth, inference and customers started on demand; each keeps running for the whole session."""

    admin_email = "admin@spendscore.test"
    admin_password = "admin-password-for-tests"

    def __init__(self, postgres: TestPostgres, workdir: Path, model_path: Path):
        self.postgres = postgres
        self.workdir = workdir
        self.model_path = model_path
        self.ports = {name: free_port() for name in ("auth", "customers", "inference")}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.processes: dict[str, ServiceProcess] = {}
        self._database_urls: dict[str, str] = {}

    @property
    def common_env(self) -> dict[str, str]:
        return {
            "APP_ENV": "test",
            "LOG_LEVEL": "INFO",
            "DATA_DIR": str(self.workdir / "data"),
            "AUTH_PORT": str(self.ports["auth"]),
            "CUSTOMERS_PORT": str(self.ports["customers"]),
            "INFERENCE_PORT": str(self.ports["inference"]),
            "AUTH_PUBLIC_URL": self.urls["auth"],
            "AUTH_JWKS_URL": self.urls["auth"] + "/.well-known/jwks.json",
            "CUSTOMERS_URL": self.urls["customers"],
            "AUTH_URL": self.urls["auth"],
            "CUSTOMERS_SERVICE_SECRET": "service-secret-for-tests-0123456789abcdef",
            "INFERENCE_URL": self.urls["inference"],
            "INFERENCE_MODEL_PATH": str(self.model_path),
            "AUTH_BCRYPT_ROUNDS": "4",
            # Short throttling window so tests can see it release; every test client shares one address.
            "AUTH_LOGIN_THROTTLE_WINDOW_SECONDS": "8",
            "AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
            "AUTH_DELETION_RETRY_BASE_SECONDS": "0.5",
            "AUTH_DELETION_RETRY_MAX_SECONDS": "2",
            # Short breaker cool-downs: a service stopped by a test is called again soon after it returns.
            "CUSTOMERS_INFERENCE_BREAKER_COOLDOWN_SECONDS": "1",
            "AUTH_CUSTOMERS_BREAKER_COOLDOWN_SECONDS": "1",
            "BOOTSTRAP_ADMIN_EMAIL": self.admin_email,
            "BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
        }

    def database_url(self, service: str) -> str:
        """The service's database, created and migrated on first use."""
        if service not in self._database_urls:
            url = self.postgres.create_database(service)
            env = {**self.common_env, f"{service.upper()}_DATABASE_URL": url}
            run_module(["-m", f"{service}_service.migrate"], env)
            self._database_urls[service] = url
        return self._database_urls[service]

    def env(self) -> dict[str, str]:
        return {
            **self.common_env,
            "AUTH_DATABASE_URL": self.database_url("auth"),
            "CUSTOMERS_DATABASE_URL": self.database_url("customers"),
        }

    def start(self, name: str) -> ServiceProcess:
        """Start one service (again, after a stop) and wait until it is ready."""
        process = self.processes.get(name)
        if process is None:
            process = ServiceProcess(
                name, ["-m", f"{name}_service"], self.env(), self.ports[name], self.workdir
            )
            self.processes[name] = process
        if not process.running:
            # Seconds alone; more than a minute when many suites share two cores.
            process.start(ready_path="/readyz" if name != "customers" else "/healthz", timeout=180)
        return process

    def stop(self, name: str) -> None:
        if name in self.processes:
            self.processes[name].stop()

    def start_all(self) -> "LocalStack":
        for name in ("auth", "inference", "customers"):
            self.start(name)
        return self

    def close(self) -> None:
        for process in self.processes.values():
            process.stop()

    # --- accounts -----------------------------------------------------------------------------

    def signing_key_pem(self) -> bytes:
        """The private key the running auth service generated (tests forge tokens with it)."""
        return (self.workdir / "data" / "auth" / "jwt-signing-key.pem").read_bytes()

    def login(self, email: str, password: str) -> str:
        response = httpx.post(self.urls["auth"] + "/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def admin_token(self) -> str:
        return self.login(self.admin_email, self.admin_password)

    def create_user(
        self, *, roles: tuple[str, ...] = ("user",), password: str = "owner-password-1"
    ) -> "Account":
        """A new account made through the admin API, logged in: a real token from the real auth service."""
        email = f"owner-{uuid.uuid4().hex[:10]}@spendscore.test"
        response = httpx.post(
            self.urls["auth"] + "/admin/users",
            json={"email": email, "name": "Test Owner", "password": password, "roles": list(roles)},
            headers={"Authorization": f"Bearer {self.admin_token()}"},
        )
        response.raise_for_status()
        return Account(
            id=response.json()["id"], email=email, password=password, token=self.login(email, password)
        )


class Account:
    def __init__(self, *, id: str, email: str, password: str, token: str):  # noqa: A002
        self.id = id
        self.email = email
        self.password = password
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}
