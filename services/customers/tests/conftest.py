"""Fixtures of the customers suite: a migrated database, the app over ASGI, tokens, factories."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from auth_service.tokens import TokenIssuer
from customers_service.config import CustomersSettings
from customers_service.main import create_app
from customers_service.migrate import upgrade_head
from testkit.postgres import TestPostgres
from testkit.processes import free_port
from testkit.stack import LocalStack
from testkit.tokens import trust_issuer


@pytest.fixture(scope="session")
def customers_database_url(test_postgres: TestPostgres) -> str:
    url = test_postgres.create_database("customers_api")
    # Alembic's env.py runs its own event loop: keep it off the test session's loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade_head, url).result()
    return url


@pytest.fixture(autouse=True)
async def empty_tables(customers_database_url: str) -> AsyncIterator[None]:
    yield
    connection = await asyncpg.connect(customers_database_url)
    try:
        await connection.execute(
            "TRUNCATE customer, prediction, observed_score, saved_view, sale, store_model, store_settings"
        )
    finally:
        await connection.close()


def closed_port_url() -> str:
    """An address where nothing listens: inference is down."""
    return f"http://127.0.0.1:{free_port()}"


def make_settings(database_url: str, **overrides: Any) -> CustomersSettings:
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": database_url,
        "inference_url": closed_port_url(),
        "auth_jwks_url": closed_port_url() + "/.well-known/jwks.json",
        "inference_retry_backoff_seconds": 0.01,
        "pending_retry_interval_seconds": 0.2,
        "inference_breaker_cooldown_seconds": 0.5,
        "database_pool_size": 5,
    }
    values.update(overrides)
    return CustomersSettings(**values)


@dataclass
class TestOwner:
    __test__ = False
    id: str
    headers: dict[str, str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_owner(
    issuer: TokenIssuer, roles: tuple[str, ...] = ("user",), subject: str | None = None
) -> TestOwner:
    owner_id = subject or str(uuid.uuid4())
    token = issuer.issue(subject=owner_id, roles=roles, email="owner@shop.test", name="Owner")
    return TestOwner(owner_id, bearer(token))


_names = iter(f"Customer {index:05d}" for index in range(1_000_000))


@dataclass
class Api:
    """The app under test, its client, and the factories the tests share."""

    app: FastAPI
    client: httpx.AsyncClient

    @staticmethod
    def payload(**overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": next(_names), "gender": "female", "age": 31, "annual_income": 60}
        payload.update(overrides)
        return payload

    async def create_customer(self, owner: TestOwner, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/customers", json=self.payload(**overrides), headers=owner.headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    @staticmethod
    async def wait_until(condition: Any, timeout: float = 20.0) -> None:
        """Poll an async condition until it holds (background work), failing after ``timeout``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_api(settings: CustomersSettings, issuer: TokenIssuer | None = None) -> AsyncIterator[Api]:
    app = create_app(settings)
    async with LifespanManager(app):
        if issuer is not None:
            trust_issuer(app, issuer)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://customers") as client:
            yield Api(app, client)


@pytest.fixture
def settings_for(customers_database_url: str) -> Any:
    """``settings_for(inference_url=...)``: settings over the test database with overrides."""

    def make(**overrides: Any) -> CustomersSettings:
        return make_settings(customers_database_url, **overrides)

    return make


@pytest.fixture
def api_with() -> Any:
    """``async with api_with(settings, issuer) as api``: an app with custom settings."""
    return running_api


@pytest.fixture
async def api(customers_database_url: str, token_issuer: TokenIssuer) -> AsyncIterator[Api]:
    """The app with inference down (nothing listens at its URL) and test-issuer tokens trusted."""
    async with running_api(make_settings(customers_database_url), token_issuer) as running:
        yield running


@pytest.fixture
def new_owner(token_issuer: TokenIssuer) -> Any:
    """Makes callers with test-issuer tokens: ``new_owner()``, ``new_owner(roles=("admin",))``,
    ``new_owner(roles=("service",), subject="auth-service")``."""

    def make(roles: tuple[str, ...] = ("user",), subject: str | None = None) -> TestOwner:
        return make_owner(token_issuer, roles, subject)

    return make


@pytest.fixture
def owner(new_owner: Any) -> TestOwner:
    created: TestOwner = new_owner()
    return created


@pytest.fixture
def other_owner(new_owner: Any) -> TestOwner:
    created: TestOwner = new_owner()
    return created


# --- the real auth and inference services, as processes ------------------------------------------


@pytest.fixture(scope="session")
def live_stack(stack: LocalStack) -> Iterator[LocalStack]:
    stack.start("auth")
    stack.start("inference")
    yield stack
    stack.stop("inference")


@pytest.fixture
async def live_api(customers_database_url: str, live_stack: LocalStack) -> AsyncIterator[Api]:
    """The app calling the real inference service, verifying real tokens from the real auth service."""
    live_stack.start("inference")  # a previous test may have stopped it
    async with running_api(live_settings(customers_database_url, live_stack)) as running:
        yield running


def live_settings(database_url: str, stack: LocalStack, **overrides: Any) -> CustomersSettings:
    """Settings that reach the stack's auth and inference, with the service secret auth knows."""
    values: dict[str, Any] = {
        "inference_url": stack.urls["inference"],
        "auth_jwks_url": stack.urls["auth"] + "/.well-known/jwks.json",
        "auth_url": stack.urls["auth"],
        "service_secret": stack.common_env["CUSTOMERS_SERVICE_SECRET"],
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@pytest.fixture
def live_settings_for(customers_database_url: str, live_stack: LocalStack) -> Any:
    """``live_settings_for(**overrides)``: settings for an app of its own over the real services."""

    def make(**overrides: Any) -> CustomersSettings:
        return live_settings(customers_database_url, live_stack, **overrides)

    return make


@pytest.fixture
def live_owner(live_stack: LocalStack) -> TestOwner:
    account = live_stack.create_user()
    return TestOwner(account.id, account.headers)
