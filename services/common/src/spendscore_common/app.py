"""The parts every service's FastAPI app is assembled with."""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig

from spendscore_common.health import health_router
from spendscore_common.input_checks import validation_error_response
from spendscore_common.metrics import HttpMetrics
from spendscore_common.middleware import RequestGuardMiddleware
from spendscore_common.openapi_errors import document_standard_errors
from spendscore_common.request_context import REQUEST_ID_HEADER
from spendscore_common.security import install_security_error_handler
from spendscore_common.settings import ServiceSettings
from spendscore_common.tracing import install_tracing


def docs_options(settings: ServiceSettings) -> dict[str, Any]:
    """``FastAPI(...)`` keyword arguments that switch /docs, /redoc and /openapi.json off when
    ``DOCS_ENABLED`` is false (by default in production)."""
    if settings.docs_are_enabled:
        return {}
    return {"openapi_url": None, "docs_url": None, "redoc_url": None}


# FastAPI's own OpenTelemetry support stays off: tracing is ours, on only with OTEL_EXPORTER_OTLP_ENDPOINT
# (``tracing.py``), and left on it asks the global providers whether they are set on every request.
NATIVE_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def app_options(settings: ServiceSettings) -> dict[str, Any]:
    """``FastAPI(...)`` keyword arguments every service's app is made with: ``docs_options`` and
    FastAPI's native telemetry off."""
    return {**docs_options(settings), "telemetry": NATIVE_TELEMETRY_OFF}


def install_common_parts(
    app: FastAPI, settings: ServiceSettings, *, body_limits: Mapping[str, int] | None = None
) -> None:
    """Health routes, Prometheus ``/metrics``, the shared 422 body, CORS, the request middleware
    (limits, request id, metrics, log line, generic 500) and, with OTEL_EXPORTER_OTLP_ENDPOINT set,
    OpenTelemetry traces (outermost; the service is named after the app's title: "SpendScore auth" is
    ``auth``).

    ``body_limits`` gives a path its own body limit instead of ``settings.max_body_bytes`` (uploads).
    Call it before a service adds its own RequestValidationError handler, if it has one.
    """
    app.include_router(health_router())
    document_standard_errors(app)
    install_security_error_handler(app)
    metrics = HttpMetrics()
    metrics.install_route(app)
    # A service adds its own collectors (circuit breakers) to this registry.
    app.state.metrics_registry = metrics.registry
    app.add_exception_handler(RequestValidationError, validation_error_response)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[REQUEST_ID_HEADER],
        )
    app.add_middleware(
        RequestGuardMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        body_limits=body_limits,
    )
    install_tracing(app, app.title.removeprefix("SpendScore ").strip(), settings.otel_exporter_otlp_endpoint)
