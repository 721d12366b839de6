"""Fixtures for the shared package's tests: a tiny app assembled with the common parts."""

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from spendscore_common.app import docs_options, install_common_parts
from spendscore_common.security import CurrentPrincipal, PrincipalEvenIfPasswordChangeIsDue, require_any_role
from spendscore_common.settings import ServiceSettings
from spendscore_common.tokens import JwksKeyStore, TokenVerifier
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER


class SignUp(BaseModel):
    email: str
    password: str
    age: float
    nickname: str = ""


def build_app(key_store: JwksKeyStore, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings(app_env="test", max_body_bytes=1000)
    app = FastAPI(**docs_options(settings))
    install_common_parts(app, settings, body_limits={"/upload": 50_000})
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

    @app.post("/sign-up")
    async def sign_up(body: SignUp) -> dict[str, str]:
        return {"email": body.email}

    @app.post("/upload")
    async def upload(request: Request, _: CurrentPrincipal) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.get("/search")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

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
def app(key_store):
    return build_app(key_store)


@pytest.fixture
def app_with_settings(key_store):
    return lambda settings: build_app(key_store, settings)


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
