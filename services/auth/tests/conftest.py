"""Fixtures of the auth tests: a migrated real database, the app over ASGI, a fake customers service."""

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request, Response

from auth_service.config import AuthSettings
from auth_service.main import create_app
from testkit.postgres import TestPostgres
from testkit.processes import free_port, run_module

ADMIN_EMAIL = "admin@spendscore.test"
ADMIN_PASSWORD = "admin-password-1"
USER_PASSWORD = "owner-password-1"


@pytest.fixture(scope="session")
def auth_database_url(test_postgres: TestPostgres) -> str:
    """The auth tests' own database, migrated once by the real entry point."""
    url = test_postgres.create_database("auth_unit")
    run_module(["-m", "auth_service.migrate"], {"AUTH_DATABASE_URL": url})
    return url


@pytest.fixture(autouse=True)
async def clean_tables(auth_database_url: str) -> None:
    connection = await asyncpg.connect(auth_database_url)
    try:
        await connection.execute(
            "TRUNCATE users, login_throttles, pending_owner_deletions, token_revocations, device_tokens, "
            "spent_ui_nonces"
        )
    finally:
        await connection.close()


@dataclass
class FakeCustomersService:
    """Stands in for the customers service where a test is about that side failing or being slow:
    answers the owner-deletion call after ``delay_seconds`` with the queued statuses (then 204) and
    records each call."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    delay_seconds: float = 0.0

    def reset(self) -> None:
        self.statuses.clear()
        self.calls.clear()
        self.delay_seconds = 0.0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.delete("/owners/{owner_id}/customers")
        async def delete_owner_customers(owner_id: str, request: Request) -> Response:
            self.calls.append((owner_id, request.headers.get("authorization", "")))
            await asyncio.sleep(self.delay_seconds)
            return Response(status_code=self.statuses.pop(0) if self.statuses else 204)

        return app


@pytest.fixture(scope="session")
def fake_customers_server() -> Iterator[FakeCustomersService]:
    fake = FakeCustomersService()
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="fake-customers", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the fake customers service did not start"
    yield fake
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def fake_customers(fake_customers_server: FakeCustomersService) -> FakeCustomersService:
    fake_customers_server.reset()
    return fake_customers_server


@pytest.fixture
def make_settings(
    auth_database_url: str, fake_customers: FakeCustomersService, tmp_path: Path
) -> Callable[..., AuthSettings]:
    """AuthSettings for a test; every field that matters is explicit so the shell's env cannot leak in."""

    def factory(**overrides: Any) -> AuthSettings:
        values: dict[str, Any] = {
            "app_env": "test",
            "database_url": auth_database_url,
            "data_dir": tmp_path / "data",
            "bcrypt_rounds": 4,
            "customers_url": fake_customers.url,
            "bootstrap_admin_email": ADMIN_EMAIL,
            "bootstrap_admin_password": ADMIN_PASSWORD,
            "private_key": None,
            "private_key_file": None,
            "retired_public_keys_file": None,
            "jwt_issuer": "spendscore-auth",
            "jwt_audience": "spendscore",
            "cors_origins": [],
            "deletion_poll_seconds": 0.05,
            "deletion_retry_base_seconds": 0.05,
            "deletion_retry_max_seconds": 0.2,
            "login_max_failures_per_email": 5,
            "login_max_failures_per_address": 50,
            "login_throttle_window_seconds": 900,
        }
        values.update(overrides)
        return AuthSettings(**values)

    return factory


@dataclass
class Account:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class AuthApi:
    """The app under test, an async client over ASGI, and factories for accounts."""

    app: FastAPI
    client: httpx.AsyncClient
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD

    async def login(self, email: str, password: str) -> httpx.Response:
        return await self.client.post("/auth/login", json={"email": email, "password": password})

    async def token(self, email: str, password: str) -> str:
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(self.admin_email, self.admin_password)}"}

    async def create_user(
        self,
        *,
        roles: tuple[str, ...] = ("user",),
        password: str = USER_PASSWORD,
        email: str | None = None,
        name: str = "Test Owner",
    ) -> Account:
        email = email or f"owner-{uuid.uuid4().hex[:10]}@spendscore.test"
        response = await self.client.post(
            "/admin/users",
            json={"email": email, "name": name, "password": password, "roles": list(roles)},
            headers=await self.admin_headers(),
        )
        assert response.status_code == 201, response.text
        return Account(
            id=response.json()["id"],
            email=response.json()["email"],
            password=password,
            token=await self.token(email, password),
        )


@pytest.fixture
def open_api() -> Callable[[AuthSettings], Any]:
    """Run an app built from given settings (lifespan included) and talk to it over ASGI."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opener(settings: AuthSettings) -> AsyncIterator[AuthApi]:
        app = create_app(settings)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(manager.app), base_url="http://auth.test"
            ) as client,
        ):
            yield AuthApi(app=app, client=client)

    return opener


@pytest.fixture
async def api(
    open_api: Callable[[AuthSettings], Any], make_settings: Callable[..., AuthSettings]
) -> AsyncIterator[AuthApi]:
    async with open_api(make_settings()) as running:
        yield running
