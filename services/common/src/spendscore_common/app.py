"""The parts every service's FastAPI app is assembled with."""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from spendscore_common.health import health_router
from spendscore_common.middleware import RequestLogMiddleware
from spendscore_common.request_context import REQUEST_ID_HEADER
from spendscore_common.security import install_security_error_handler
from spendscore_common.settings import ServiceSettings


def install_common_parts(app: FastAPI, settings: ServiceSettings) -> None:
    """Health routes, Prometheus ``/metrics``, CORS and the request-log middleware (outermost)."""
    app.include_router(health_router())
    install_security_error_handler(app)
    # A registry per app, so that several apps (tests) can live in one process.
    Instrumentator(
        registry=CollectorRegistry(), excluded_handlers=["/healthz", "/readyz", "/metrics"]
    ).instrument(app).expose(app, endpoint="/metrics", include_in_schema=False)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[REQUEST_ID_HEADER],
        )
    app.add_middleware(RequestLogMiddleware)
