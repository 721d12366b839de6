"""Bearer tokens on every /model* endpoint, open health endpoints, the model card's shape."""

from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from auth_service.tokens import SigningKey, TokenIssuer
from inference_service.main import create_app
from inference_service.model_store import LoadedModel
from testkit.forged_tokens import forged_tokens

ENDPOINTS = [
    ("POST", "/model/predict", {"gender": "f", "age": 30, "annual_income": 70}),
    ("POST", "/model/predict/batch", {"items": [{"gender": "f", "age": 30, "annual_income": 70}]}),
    ("GET", "/model", None),
]


FORGED = sorted(forged_tokens(SigningKey.generate()))  # the attack names; tokens are made per test


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("kind", ["no token", *FORGED])
async def test_model_endpoints_refuse_bad_tokens(
    client: httpx.AsyncClient, token_issuer: TokenIssuer, method: str, path: str, body: Any, kind: str
) -> None:
    token = None if kind == "no token" else forged_tokens(token_issuer.signing_key)[kind]
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
        "modes",
        "baseline",
        "segments",
        "segmentation_scale",
        "segment_classifier",
        "training_distribution",  # issue 25: what a store's customers are compared with (drift)
    }
    assert card["version"] == loaded_model.version
    assert card["training_distribution"]["age"]["count"] == 200
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
