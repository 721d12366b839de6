"""Fixtures for the shared package's tests: a tiny app assembled with the common parts."""

import httpx
import pytest
from fastapi import Depends, FastAPI

from spendscore_common.app import install_common_parts
from spendscore_common.security import CurrentPrincipal, PrincipalEvenIfPasswordChangeIsDue, require_any_role
from spendscore_common.settings import ServiceSettings
from spendscore_common.tokens import JwksKeyStore, TokenVerifier
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER


def build_app(key_store: JwksKeyStore) -> FastAPI:
    app = FastAPI()
    install_common_parts(app, ServiceSettings(app_env="test"))
    app.state.token_verifier = TokenVerifier(key_store, issuer=TEST_ISSUER, audience=TEST_AUDIENCE)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"user_id": principal.user_id}

    @app.get("/who-am-i")
    async def who_am_i(principal: PrincipalEvenIfPasswordChangeIsDue) -> dict[str, str]:
        return {"user_id": principal.user_id}

    @app.get("/admin-only", dependencies=[Depends(require_any_role("admin"))])
    async def admin_only() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    return app


@pytest.fixture
def key_store(token_issuer):
    store = JwksKeyStore("http://127.0.0.1:9/jwks", httpx.AsyncClient(), min_refresh_seconds=3600)
    store.set_keys(token_issuer.jwks())
    return store


@pytest.fixture
async def client(key_store):
    app = build_app(key_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
        yield http


@pytest.fixture
async def client_before_auth_is_up():
    """An app whose key store has never reached the auth service (nothing listens on port 9)."""
    store = JwksKeyStore("http://127.0.0.1:9/jwks", httpx.AsyncClient())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(build_app(store)), base_url="http://test"
    ) as http:
        yield http
