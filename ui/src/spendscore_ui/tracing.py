"""OpenTelemetry for the UI's calls to the services: on when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Every httpx call of the process becomes a client span with the W3C ``traceparent`` header, so that the
services continue the trace the UI starts (UI -> customers -> inference, UI -> auth); the span carries the
call's ``X-Request-ID`` as ``spendscore.request_id``, as the services' spans do. Spans are exported in
batches to ``<endpoint>/v1/traces`` (the exporter reads the SDK's other OTEL_EXPORTER_OTLP_* variables).
"""

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from spendscore_ui.config import get_settings

# The SDK, the exporter and the instrumentation are imported only when tracing is on (they cost every
# process start about 0.7 s of CPU otherwise).
if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

REQUEST_ID_ATTRIBUTE = "spendscore.request_id"


def _request_id_on_span(span: trace.Span, request: Any) -> None:
    request_id = request.headers.get("X-Request-ID")
    if request_id and span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def trace_calls(exporter: "SpanExporter") -> "TracerProvider":
    """Trace every httpx call of this process into ``exporter``; returns the provider (flush, shut down)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "ui"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    HTTPXClientInstrumentor().instrument(tracer_provider=provider, request_hook=_request_id_on_span)
    return provider


def stop_tracing_calls() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().uninstrument()


@lru_cache(maxsize=1)
def configure_tracing() -> "TracerProvider | None":
    """Once per process (Streamlit reruns the app script; this module is imported once)."""
    endpoint = get_settings().otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return trace_calls(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
