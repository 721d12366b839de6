"""Inference answering 500 or timing out (fakes stand in for a broken inference service)."""

import asyncio
import contextlib

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Response

from customers_service.inference_client import (
    InferenceClient,
    InferenceRejected,
    InferenceUnavailable,
    ModelInput,
)
from testkit.processes import free_port

PREDICTION = {"spending_score": 42.0, "band": "medium", "interval": {"low": 30.0, "high": 54.0},
              "model_version": "fake", "warnings": []}  # fmt: skip
ANA = ModelInput("female", 30, 40.0)


def _client(handler, retries=2):
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://inference")
    return InferenceClient("http://inference", retries=retries, backoff_seconds=0.001, http_client=http)


async def test_5xx_is_retried_then_succeeds():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503) if len(calls) < 3 else httpx.Response(200, json=PREDICTION)

    result = await _client(handler).predict(ANA, token="t0k3n")

    assert result.spending_score == 42.0
    assert len(calls) == 3
    assert calls[0].headers["authorization"] == "Bearer t0k3n"


async def test_connection_errors_are_retried_then_give_up():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(InferenceUnavailable):
        await _client(handler, retries=3).predict(ANA, token="t")
    assert len(calls) == 4


async def test_4xx_is_not_retried():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(401, json={"detail": "token expired"})

    with pytest.raises(InferenceRejected):
        await _client(handler).predict(ANA, token="t")
    assert len(calls) == 1


COLUMNS = {"model_version": "fake", "spending_score": [42.0], "band": ["medium"], "interval_low": [30.0],
           "interval_high": [54.0], "segment_id": ["s"], "segment_probability": [0.5], "modes": [None],
           "warnings": [[]]}  # fmt: skip


@pytest.mark.parametrize(
    "columns",
    [COLUMNS, {**COLUMNS, "band": ["medium", "low", "high"]}, {"predictions": [PREDICTION]}],
    ids=["one row for two", "columns of different lengths", "another shape"],
)
async def test_a_batch_of_the_wrong_size_or_shape_is_refused(columns):
    def handler(request):
        assert request.url.path == "/model/predict/columns"
        return httpx.Response(200, json=columns)

    with pytest.raises(InferenceUnavailable):
        await _client(handler).predict_batch([ANA, ANA], token="t")


async def test_an_inference_without_the_columnar_form_is_asked_with_the_json_batch():
    paths = []

    def handler(request):
        paths.append(request.url.path)
        if request.url.path == "/model/predict/columns":
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(200, json={"predictions": [PREDICTION, PREDICTION]})

    outputs = await _client(handler).predict_batch([ANA, ANA], token="t")
    assert [output.spending_score for output in outputs] == [42.0, 42.0]
    assert paths == ["/model/predict/columns", "/model/predict/batch"]


@contextlib.asynccontextmanager
async def broken_inference(behaviour: str, calls: list[str] | None = None):
    """A stand-in inference service on a free port that answers 500 or never answers in time
    (``calls`` records each call that reached it)."""
    app = FastAPI()
    calls = [] if calls is None else calls

    @app.post("/model/predict")
    @app.post("/model/predict/batch")
    @app.post("/model/predict/columns")
    async def predict() -> Response:
        calls.append(behaviour)
        if behaviour == "slow":
            await asyncio.sleep(30)
        return Response(status_code=500)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        await task


@pytest.mark.parametrize("behaviour", ["500", "slow"])
async def test_writes_succeed_pending_and_predict_again_is_503(
    settings_for, api_with, token_issuer, owner, behaviour
):
    async with broken_inference(behaviour) as url:
        settings = settings_for(inference_url=url, inference_timeout_seconds=0.3)
        async with api_with(settings, token_issuer) as api:
            started = asyncio.get_running_loop().time()
            created = await api.create_customer(owner)
            assert asyncio.get_running_loop().time() - started < 2.0
            assert created["latest_prediction"]["status"] == "pending"

            updated = await api.client.patch(
                f"/customers/{created['id']}", json={"age": 50}, headers=owner.headers
            )
            assert updated.status_code == 200
            assert updated.json()["age"] == 50
            assert updated.json()["latest_prediction"]["status"] == "pending"

            again = await api.client.post(f"/customers/{created['id']}/predictions", headers=owner.headers)
            assert again.status_code == 503
            assert int(again.headers["retry-after"]) > 0
            assert again.json() == {"detail": "The prediction service is unavailable; try again shortly"}

            imported = await api.client.post(
                "/customers/import",
                files={"file": ("c.csv", b"name,gender,age,annual_income\nAna,f,30,40\n", "text/csv")},
                headers=owner.headers,
            )
            assert imported.status_code == 201
            assert imported.json() == {"imported": 1, "updated": 0, "pending_predictions": 1, "rejected": []}
            history = await api.client.get(f"/customers/{created['id']}/predictions", headers=owner.headers)
            assert [entry["status"] for entry in history.json()] == ["pending", "pending"]


async def test_a_hung_inference_opens_the_breaker_and_writes_stop_waiting_on_it(
    settings_for, api_with, token_issuer, owner
):
    calls: list[str] = []
    async with broken_inference("slow", calls) as url:
        settings = settings_for(
            inference_url=url,
            inference_timeout_seconds=0.3,
            inference_breaker_failures=2,
            inference_breaker_cooldown_seconds=600,
        )
        async with api_with(settings, token_issuer) as api:
            for _ in range(2):
                assert (await api.create_customer(owner))["latest_prediction"]["status"] == "pending"
            assert len(calls) == 2
            # Open: the next writes are stored pending without calling inference at all.
            for _ in range(5):
                assert (await api.create_customer(owner))["latest_prediction"]["status"] == "pending"
            csv_file = ("c.csv", b"name,gender,age,annual_income\nAna,f,30,40\n", "text/csv")
            files = {"file": csv_file}
            again = await api.client.post("/customers/import", files=files, headers=owner.headers)
            assert (again.json()["imported"], again.json()["pending_predictions"]) == (1, 1)
            assert len(calls) == 2

            ready = await api.client.get("/readyz")
            # Customers stays in service (200) and says what is missing.
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": "ok", "inference": "unavailable"}
            metrics = (await api.client.get("/metrics")).text
            assert 'circuit_breaker_state{dependency="inference"} 1.0' in metrics
            assert 'circuit_breaker_refused_calls_total{dependency="inference"} 6.0' in metrics


async def test_after_the_cooldown_one_call_tests_inference_and_closes_the_breaker(
    settings_for, api_with, token_issuer, owner
):
    calls: list[str] = []
    async with broken_inference("500", calls) as url:
        settings = settings_for(
            inference_url=url,
            inference_retries=0,
            inference_breaker_failures=1,
            # Long enough that the two creates after the test call never straddle a second cooldown.
            inference_breaker_cooldown_seconds=1.0,
        )
        async with api_with(settings, token_issuer) as api:
            assert (await api.create_customer(owner))["latest_prediction"]["status"] == "pending"
            breaker = api.app.state.inference.breaker
            assert breaker.is_open
            await api.wait_until(_cooled_down(breaker), timeout=5)
            # The test call finds inference still failing: open again, and the next write does not call.
            await api.create_customer(owner)
            await api.create_customer(owner)
            assert len(calls) == 2
            assert breaker.times_opened == 2
            await api.wait_until(_cooled_down(breaker), timeout=5)
            calls.clear()
            await api.create_customer(owner)
            assert calls == ["500"]


def _cooled_down(breaker):
    async def condition() -> bool:
        return not breaker.is_open

    return condition


@contextlib.asynccontextmanager
async def held_inference():
    """A stand-in inference service that answers only once ``release`` is set (a slow model)."""
    app = FastAPI()
    arrived, release = asyncio.Event(), asyncio.Event()

    @app.post("/model/predict")
    async def predict() -> dict[str, object]:
        arrived.set()
        await release.wait()
        return PREDICTION

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", arrived, release
    finally:
        server.should_exit = True
        server.force_exit = True
        await task


@pytest.mark.parametrize("call", ["update", "predict again"])
async def test_no_database_connection_is_held_while_waiting_on_inference(
    settings_for, api_with, token_issuer, owner, call
):
    async with held_inference() as (url, arrived, release):
        async with api_with(
            settings_for(inference_url=url, inference_timeout_seconds=10), token_issuer
        ) as api:
            release.set()
            created = await api.create_customer(owner)
            release.clear()
            arrived.clear()
            path = f"/customers/{created['id']}"
            request = (
                api.client.patch(path, json={"age": 60}, headers=owner.headers)
                if call == "update"
                else api.client.post(path + "/predictions", headers=owner.headers)
            )
            answer = asyncio.create_task(request)
            await asyncio.wait_for(arrived.wait(), 5)

            pool = api.app.state.sessionmaker.kw["bind"].pool
            assert pool.checkedout() == 0, "the customer was read; no connection may wait with us"
            release.set()
            assert (await answer).status_code in (200, 201)
