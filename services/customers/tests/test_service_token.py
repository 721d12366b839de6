"""The service's own token from the real auth service, and the completer that uses it."""

import asyncio
import logging

import httpx
import jwt
import pytest
from pydantic import SecretStr

from customers_service.inference_client import InferenceClient
from customers_service.pending_predictions import PendingPredictionCompleter
from customers_service.service_token import ServiceTokens, ServiceTokenUnavailable

# Three rows of /model/predict/columns, the form the completer asks for.
PREDICTIONS = {"model_version": "fake", "rows": 3, "spending_score": [42.0] * 3, "band": ["medium"] * 3,
               "interval_low": [30.0] * 3, "interval_high": [54.0] * 3, "modes": [None] * 3,
               "segment_id": [None] * 3, "segment_probability": [None] * 3, "warnings": [[]] * 3}  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def auth_http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def service_tokens(http, stack, *, secret=None, clock=None):
    return ServiceTokens(
        http,
        auth_url=stack.urls["auth"],
        client_secret=SecretStr(secret or stack.common_env["CUSTOMERS_SERVICE_SECRET"]),
        clock=clock or Clock(),
    )


async def test_a_token_is_cached_until_a_minute_before_it_expires(auth_http, live_stack):
    clock = Clock()
    tokens = service_tokens(auth_http, live_stack, clock=clock)

    first = await tokens.token()
    claims = jwt.decode(first, options={"verify_signature": False})
    lifetime = claims["exp"] - claims["iat"]
    assert claims["roles"] == ["service"]
    assert await tokens.token() == first

    clock.now += lifetime - 61
    assert await tokens.token() == first
    clock.now += 2
    second = await tokens.token()
    assert second != first

    tokens.discard(first)  # an older token: nothing to forget
    assert await tokens.token() == second
    tokens.discard(second)
    assert await tokens.token() not in (first, second)


async def test_a_wrong_secret_or_auth_down_gives_no_token(auth_http, live_stack):
    with pytest.raises(ServiceTokenUnavailable, match="401"):
        await service_tokens(auth_http, live_stack, secret="wrong-" * 8).token()
    unreachable = ServiceTokens(
        auth_http, auth_url="http://127.0.0.1:1", client_secret=SecretStr("x" * 40), clock=Clock()
    )
    with pytest.raises(ServiceTokenUnavailable, match="unreachable"):
        await unreachable.token()


async def test_a_refused_token_is_replaced_once(api, owner, auth_http, live_stack):
    """Inference refusing the cached token (a fake: the test is about that side failing)."""
    created = [await api.create_customer(owner) for _ in range(3)]
    assert {customer["latest_prediction"]["status"] for customer in created} == {"pending"}
    tokens = service_tokens(auth_http, live_stack)
    refused = await tokens.token()
    seen = []

    def handler(request):
        token = request.headers["authorization"].removeprefix("Bearer ")
        seen.append(token)
        if token == refused:
            return httpx.Response(401, json={"detail": "token expired"})
        return httpx.Response(200, json=PREDICTIONS)

    inference = InferenceClient(
        "http://inference",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://inference"),
    )
    completer = PendingPredictionCompleter(
        sessionmaker=api.app.state.sessionmaker,
        inference=inference,
        service_tokens=tokens,
        interval_seconds=60,
    )

    assert await completer.run_once() == 3
    assert seen[0] == refused and seen[1] != refused and len(seen) == 2
    board = (await api.client.get("/dashboard", headers=owner.headers)).json()
    assert board["pending_predictions"] == 0
    assert board["average_score"] == 42.0


async def test_without_a_secret_pending_rows_wait_and_it_is_said_once(
    settings_for, api_with, token_issuer, owner, caplog
):
    with caplog.at_level(logging.WARNING, logger="customers_service.pending_predictions"):
        async with api_with(settings_for(pending_retry_interval_seconds=0.05), token_issuer) as api:
            await api.create_customer(owner)
            await asyncio.sleep(0.3)  # several retry intervals
            assert await api.app.state.completer.run_once() == 0
            board = (await api.client.get("/dashboard", headers=owner.headers)).json()

    said = [record.getMessage() for record in caplog.records if record.name.endswith("pending_predictions")]
    assert len(said) == 1 and "CUSTOMERS_SERVICE_SECRET is not set" in said[0]
    assert board["pending_predictions"] == 1
