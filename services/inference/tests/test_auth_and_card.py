"""Bearer tokens on every /model* endpoint, open health endpoints, the model card's shape."""

from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager

from auth_service.tokens import SigningKey, TokenIssuer
from inference_service.main import create_app
from inference_service.model_store import LoadedModel
from testkit.tokens import TEST_ISSUER

ENDPOINTS = [
    ("POST", "/model/predict", {"gender": "f", "age": 30, "annual_income": 70}),
    ("POST", "/model/predict/batch", {"items": [{"gender": "f", "age": 30, "annual_income": 70}]}),
    ("GET", "/model", None),
]


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["admin"]
    forged_payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    return f"{header}.{forged_payload}.{signature}"


def bad_tokens(issuer: TokenIssuer) -> dict[str, str | None]:
    good = issuer.issue(subject="owner-1", roles=["user"])
    stranger = TokenIssuer(SigningKey.generate(), issuer=TEST_ISSUER, audience=issuer.audience)
    return {
        "missing": None,
        "expired": issuer.issue(subject="owner-1", roles=["user"], ttl_seconds=-3600),
        "tampered": _tampered(good),
        "wrong audience": TokenIssuer(issuer.signing_key, issuer=TEST_ISSUER, audience="another-app").issue(
            subject="owner-1", roles=["user"]
        ),
        "unknown key": stranger.issue(subject="owner-1", roles=["user"]),
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "kind", ["missing", "expired", "tampered", "wrong audience", "unknown key", "garbage"]
)
async def test_model_endpoints_refuse_bad_tokens(
    client: httpx.AsyncClient, token_issuer: TokenIssuer, method: str, path: str, body: Any, kind: str
) -> None:
    token = bad_tokens(token_issuer)[kind]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code == 401, (kind, response.text)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_health_endpoints_need_no_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"]


async def test_model_card(
    client: httpx.AsyncClient, auth_headers: dict[str, str], loaded_model: LoadedModel
) -> None:
    response = await client.get("/model", headers=auth_headers)
    assert response.status_code == 200
    card = response.json()
    assert set(card) == {
        "name",
        "version",
        "created_at",
        "features",
        "training_ranges",
        "metrics",
        "interval",
        "baseline",
    }
    assert card["version"] == loaded_model.version
    assert card["features"] == ["gender", "age", "annual_income"]
    assert set(card["training_ranges"]) == {"age", "annual_income"}
    figure = {"mean", "std"}
    for cv in (card["metrics"]["cv"], card["baseline"]["cv"]):
        assert set(cv) == {"r2", "rmse", "mae"} and all(set(cv[m]) == figure for m in cv)
    assert set(card["baseline"]["holdout"]) == {"mse", "r2"}
    assert card["interval"]["level"] == 0.8 and 0 < card["interval"]["cv_coverage"] < 1


async def test_starts_and_is_ready_while_auth_is_down(
    settings_factory: Any, token_issuer: TokenIssuer
) -> None:
    app = create_app(settings_factory())  # its JWKS URL points at a closed port
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://inference") as client,
    ):
        assert (await client.get("/readyz")).status_code == 200
        token = token_issuer.issue(subject="owner-1", roles=["user"])
        response = await client.get("/model", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503
        assert response.headers["Retry-After"]


async def test_missing_artifact_stops_start_up(settings_factory: Any, tmp_path: Any) -> None:
    from inference_service.model_store import ModelLoadError

    app = create_app(settings_factory(INFERENCE_MODEL_PATH=str(tmp_path / "none.joblib")))
    with pytest.raises(ModelLoadError, match="no model artifact"):
        async with LifespanManager(app):
            pass
