"""OpenTelemetry traces: on when OTEL_EXPORTER_OTLP_ENDPOINT is set, and then only (no cost otherwise).

When on, a service's requests are server spans (FastAPI instrumentation, health and metrics routes left
out), its outgoing httpx calls are client spans carrying the W3C ``traceparent`` header, so that one trace
runs UI -> customers -> inference and auth, and each span has the request's ``X-Request-ID`` as the
attribute ``spendscore.request_id``. Spans go in batches to ``<endpoint>/v1/traces``; the exporter reads
the SDK's other OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, compression).
"""

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from opentelemetry import trace

from spendscore_common.request_context import REQUEST_ID_HEADER

# The SDK, the exporter and the instrumentations are imported only when tracing is on: they add about
# 0.7 s of CPU to every process start, which a stack without a collector should not pay.
if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

REQUEST_ID_ATTRIBUTE = "spendscore.request_id"
# Probes and scrapes every few seconds would drown the traces people look for.
UNTRACED_PATHS = "/healthz,/readyz,/metrics"


def otlp_traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL under a collector's base URL, as the specification derives it."""
    return endpoint.rstrip("/") + "/v1/traces"


def make_tracer_provider(service_name: str, exporter: "SpanExporter") -> "TracerProvider":
    """A provider naming the service, exporting in batches to ``exporter``."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def record_request_id(request_id: str) -> None:
    """Put the request id on the current span (a no-op when nothing is traced)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def _client_span_request_id(span: trace.Span, request: Any) -> None:
    request_id = request.headers.get(REQUEST_ID_HEADER)
    if request_id and span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


async def _async_client_span_request_id(span: trace.Span, request: Any) -> None:
    _client_span_request_id(span, request)


def trace_outgoing_http(provider: "TracerProvider") -> None:
    """Client spans and ``traceparent`` on every httpx call of the process (sync and async clients)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=provider,
            request_hook=_client_span_request_id,
            async_request_hook=_async_client_span_request_id,
        )


def stop_tracing_outgoing_http() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().uninstrument()


def trace_app(app: FastAPI, provider: "TracerProvider") -> None:
    """Server spans for the app's requests, continuing the caller's trace from ``traceparent``."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )


def install_tracing(app: FastAPI, service_name: str, endpoint: str | None) -> "TracerProvider | None":
    """Trace the app and the process's outgoing calls when an OTLP ``endpoint`` is configured."""
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = make_tracer_provider(service_name, OTLPSpanExporter(endpoint=otlp_traces_url(endpoint)))
    trace_app(app, provider)
    trace_outgoing_http(provider)
    return provider
