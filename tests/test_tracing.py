"""OpenTelemetry across the stack: one customer created through the UI's API client is one trace, from the
UI's call (the SDK's in-memory exporter, in this process) through customers to inference (real service
processes exporting over OTLP/HTTP to a receiver on loopback), with the request id on the spans."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from spendscore_common.tracing import REQUEST_ID_ATTRIBUTE, install_tracing
from spendscore_ui.api_client import ApiClient
from spendscore_ui.config import UISettings
from spendscore_ui.tracing import stop_tracing_calls, trace_calls
from testkit.otlp_receiver import OtlpReceiver, ReceivedSpan
from testkit.postgres import TestPostgres
from testkit.stack import LocalStack

OTLP_SERVER, OTLP_CLIENT = 2, 3  # opentelemetry.proto's SpanKind numbers


class OwnDatabases:
    """The session's server with databases of this suite's own (the shared stack keeps its own)."""

    def __init__(self, postgres: TestPostgres):
        self.postgres = postgres

    def create_database(self, label: str) -> str:
        return self.postgres.create_database(f"traced_{label}")


class TracedStack(LocalStack):
    """The real services with OTEL_EXPORTER_OTLP_ENDPOINT set, exporting every 100 ms."""

    endpoint = ""

    @property
    def common_env(self) -> dict[str, str]:
        return {
            **super().common_env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    otlp = OtlpReceiver().start()
    yield otlp
    otlp.close()


@pytest.fixture(scope="module")
def traced_stack(test_postgres, model_path: Path, receiver, tmp_path_factory) -> Iterator[TracedStack]:
    stack = TracedStack(OwnDatabases(test_postgres), tmp_path_factory.mktemp("traced"), model_path)  # type: ignore[arg-type]
    stack.endpoint = receiver.endpoint
    try:
        yield stack.start_all()
    finally:
        stack.close()


def wait_for_spans(receiver: OtlpReceiver, trace_id: str, wanted, what: str) -> list[ReceivedSpan]:
    """The trace's spans once ``wanted(spans)`` holds (exports arrive in batches, a little later)."""
    deadline = time.monotonic() + 60
    while True:
        spans = receiver.spans_of_trace(trace_id)
        if wanted(spans):
            return spans
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: the trace has only {[(s.service, s.name) for s in spans]}")
        time.sleep(0.2)


def one(spans: list[ReceivedSpan], *, service: str, kind: int, parent: str | None = None) -> ReceivedSpan:
    matching = [
        span
        for span in spans
        if span.service == service and span.kind == kind and (parent is None or span.parent_span_id == parent)
    ]
    assert len(matching) == 1, f"{service} kind {kind} under {parent}: {matching}"
    return matching[0]


def called_url(span) -> str:
    return str(span.attributes.get("url.full") or span.attributes.get("http.url"))


def test_one_customer_created_is_one_trace_from_the_ui_through_customers_to_inference(traced_stack, receiver):
    owner = traced_stack.create_user()
    settings = UISettings(
        AUTH_URL=traced_stack.urls["auth"],
        CUSTOMERS_URL=traced_stack.urls["customers"],
        INFERENCE_URL=traced_stack.urls["inference"],
    )
    ui_exporter = InMemorySpanExporter()
    provider = trace_calls(ui_exporter)
    try:
        api = ApiClient(settings, owner.token)
        created = api.create_customer(name="Traced customer", gender="female", age=33, annual_income=61)
        ApiClient(settings).login(owner.email, owner.password)
        provider.force_flush()
    finally:
        stop_tracing_calls()
        provider.shutdown()
    assert created["latest_prediction"]["status"] == "done"

    calls = [span for span in ui_exporter.get_finished_spans() if span.kind == SpanKind.CLIENT]
    create_call = next(span for span in calls if called_url(span).endswith("/customers"))
    login_call = next(span for span in calls if called_url(span).endswith("/auth/login"))
    assert create_call.resource.attributes["service.name"] == "ui"
    request_id = create_call.attributes[REQUEST_ID_ATTRIBUTE]
    trace_id = f"{create_call.context.trace_id:032x}"
    ui_span_id = f"{create_call.context.span_id:016x}"

    def complete(spans: list[ReceivedSpan]) -> bool:
        return {"customers", "inference"} <= {span.service for span in spans if span.kind == OTLP_SERVER}

    spans = wait_for_spans(receiver, trace_id, complete, "customers and inference in the UI's trace")
    customers_server = one(spans, service="customers", kind=OTLP_SERVER, parent=ui_span_id)
    assert customers_server.attributes[REQUEST_ID_ATTRIBUTE] == request_id
    to_inference = [span for span in spans if span.service == "customers" and span.kind == OTLP_CLIENT]
    assert to_inference, "customers' call to inference is not a span of the trace"
    (inference_server,) = [
        span for span in spans if span.service == "inference" and span.name.endswith("/predict")
    ]
    assert inference_server.kind == OTLP_SERVER
    assert inference_server.parent_span_id in {span.span_id for span in to_inference}
    # The request id travels with the trace: customers forwarded the UI's to inference.
    assert inference_server.attributes[REQUEST_ID_ATTRIBUTE] == request_id

    login_trace = f"{login_call.context.trace_id:032x}"
    login_spans = wait_for_spans(
        receiver,
        login_trace,
        lambda spans: any(s.service == "auth" for s in spans),
        "auth in the login's trace",
    )
    one(login_spans, service="auth", kind=OTLP_SERVER, parent=f"{login_call.context.span_id:016x}")


def test_without_an_endpoint_nothing_is_instrumented():
    app = FastAPI(title="SpendScore probe")
    assert install_tracing(app, "probe", None) is None
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
