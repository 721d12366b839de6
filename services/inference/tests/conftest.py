"""Fixtures of the inference suite: an app over the session's trained model, tokens, a client."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from auth_service.tokens import TokenIssuer
from inference_service.config import InferenceSettings
from inference_service.main import create_app
from inference_service.model_store import LoadedModel, load_model
from inference_service.training import TrainingResult, train
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER, trust_issuer


def make_settings(model_path: Path, **overrides: Any) -> InferenceSettings:
    values = {
        "APP_ENV": "test",
        "INFERENCE_MODEL_PATH": str(model_path),
        "JWT_ISSUER": TEST_ISSUER,
        "JWT_AUDIENCE": TEST_AUDIENCE,
        # Nothing listens here: keys come from trust_issuer, so auth being down must not matter.
        "AUTH_JWKS_URL": "http://127.0.0.1:9/.well-known/jwks.json",
    }
    values.update(overrides)
    return InferenceSettings.model_validate(values)


@pytest.fixture
def settings_factory(model_path: Path) -> Any:
    """Builds InferenceSettings for this session's model, with overrides by variable name."""
    return lambda **overrides: make_settings(model_path, **overrides)


@pytest.fixture(scope="session")
def retrained() -> TrainingResult:
    """A second training run, in this process: the session's model was trained by the CLI."""
    return train()


@pytest.fixture(scope="session")
def loaded_model(model_path: Path) -> LoadedModel:
    return load_model(model_path)


@pytest.fixture(scope="session")
async def app(model_path: Path, token_issuer: TokenIssuer) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(model_path, INFERENCE_MAX_BODY_BYTES="1500000"))
    async with LifespanManager(application):
        trust_issuer(application, token_issuer)
        yield application


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://inference") as http:
        yield http


@pytest.fixture(scope="session")
def auth_headers(token_issuer: TokenIssuer) -> dict[str, str]:
    token = token_issuer.issue(subject="owner-1", roles=["user"], email="owner@spendscore.test")
    return {"Authorization": f"Bearer {token}"}


def customer(**overrides: Any) -> dict[str, Any]:
    """A valid prediction request; override one field to make a bad one."""
    return {"gender": "female", "age": 31, "annual_income": 70, **overrides}


@pytest.fixture
def make_customer() -> Any:
    return customer
