"""Request ids, generic 500s, health and metrics, and the settings guard."""

import socket

import pytest
from pydantic import ValidationError

from spendscore_common.security import declare_password_login
from spendscore_common.server import StartupError, describe_settings_error, ensure_port_free
from spendscore_common.settings import ServiceSettings


async def test_request_id_is_generated_and_returned(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert len(response.headers["x-request-id"]) == 32


async def test_callers_request_id_is_kept(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_each_request_is_one_access_record_with_its_id(client, caplog):
    caplog.set_level("INFO", logger="spendscore.access")
    response = await client.get("/search", params={"q": "ana"}, headers={"X-Request-ID": "line-1"})
    [record] = [record for record in caplog.records if record.name == "spendscore.access"]
    assert response.headers["x-request-id"] == "line-1"
    assert record.getMessage() == "request"
    assert (record.method, record.path, record.status) == ("GET", "/search", 200)
    assert record.duration_ms >= 0


async def test_crash_is_a_generic_500_without_exception_text(client, caplog):
    response = await client.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert "secret" not in response.text
    assert response.headers["x-request-id"] == "crash-1"
    assert any(record.exc_info for record in caplog.records)


async def test_a_client_gone_mid_body_is_a_499_not_a_logged_500(app, token_issuer, caplog):
    """The body stops with ``http.disconnect`` (the client left, or its pace got it cut): nothing is
    answered, the access record says 499, and no traceback is logged."""
    caplog.set_level("INFO")
    messages = iter(
        [{"type": "http.request", "body": b"first half", "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[dict] = []

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {token_issuer.issue(subject='user-1', roles=['user'])}".encode()),
            (b"content-length", b"20"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    assert sent == []
    [record] = [record for record in caplog.records if record.name == "spendscore.access"]
    assert (record.path, record.status) == ("/upload", 499)
    assert not any(record.exc_info for record in caplog.records)


async def test_readyz_without_checks_is_ready_and_metrics_are_exposed(client):
    assert (await client.get("/readyz")).json()["status"] == "ready"
    await client.get("/healthz")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "http_request" in metrics.text


def test_production_refuses_wildcard_cors(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("CORS_ORIGINS", "*")
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        ServiceSettings()


def test_cors_origins_accept_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "http://a.example, http://b.example")
    assert ServiceSettings().cors_origins == ["http://a.example", "http://b.example"]


def test_port_in_use_is_a_clear_startup_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match=f"port {port} on 127.0.0.1 is already in use"):
            ensure_port_free("127.0.0.1", port)


def test_bad_settings_are_described_in_one_line(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("CORS_ORIGINS", "*")
    with pytest.raises(ValidationError) as raised:
        ServiceSettings()
    expected = "refusing to start with APP_ENV=production: CORS_ORIGINS must not contain '*'"
    assert describe_settings_error(raised.value) == "invalid configuration: " + expected


async def test_metrics_keep_the_instrumentator_names_and_labels(client):
    await client.get("/me")
    await client.get("/me")
    await client.get("/healthz")
    await client.get("/no-such-page")
    text = (await client.get("/metrics")).text
    assert 'http_requests_total{handler="/me",method="GET",status="4xx"} 2.0' in text
    assert 'http_requests_total{handler="none",method="GET",status="4xx"} 1.0' in text
    assert 'http_request_duration_seconds_bucket{handler="/me",le="+Inf",method="GET"} 2.0' in text
    assert 'http_request_duration_seconds_count{handler="/me",method="GET"} 2.0' in text
    assert 'http_request_duration_highr_seconds_bucket{le="60.0"} 3.0' in text
    assert 'http_request_size_bytes_count{handler="/me"} 2.0' in text
    assert 'http_response_size_bytes_count{handler="/me"} 2.0' in text
    assert 'handler="/healthz"' not in text


async def test_docs_offer_the_password_login_on_every_protected_operation(app):
    declare_password_login(app, "http://auth.example/auth/token")
    schema = app.openapi()
    assert app.openapi() is schema  # built once
    password_flow = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert password_flow["tokenUrl"] == "http://auth.example/auth/token"
    assert schema["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}, {"HTTPBearer": []}]
    assert "security" not in schema["paths"]["/search"]["get"]


async def test_objects_alive_once_the_app_started_are_frozen_and_its_own_lifespan_still_runs():
    import gc
    from contextlib import asynccontextmanager

    from asgi_lifespan import LifespanManager
    from fastapi import FastAPI

    from spendscore_common.server import frozen_after_startup

    events = []

    @asynccontextmanager
    async def lifespan(app):
        events.append("started")
        app.state.model = [[number] for number in range(1000)]  # lists: always tracked
        yield
        events.append("stopped")

    app = frozen_after_startup(FastAPI(lifespan=lifespan))
    gc.freeze()  # the test process's own objects first, so that the app's collection has little to walk
    frozen_before = gc.get_freeze_count()
    try:
        async with LifespanManager(app):
            assert events == ["started"]
            assert gc.get_freeze_count() >= frozen_before + 1000  # the model's objects among them
    finally:
        gc.unfreeze()  # the rest of the test process as it was
    assert events == ["started", "stopped"]
