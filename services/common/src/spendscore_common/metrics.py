"""Prometheus request metrics on ``prometheus_client`` directly, and the ``/metrics`` route.

The names, labels and buckets are those prometheus-fastapi-instrumentator's default set used, so
dashboards keep working: ``http_requests_total{method,status,handler}`` (status grouped as ``2xx``),
``http_request_size_bytes{handler}``, ``http_response_size_bytes{handler}``,
``http_request_duration_highr_seconds`` and ``http_request_duration_seconds{method,handler}``.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Summary,
    generate_latest,
)

UNMATCHED_HANDLER = "none"
EXCLUDED_HANDLERS = frozenset({"/healthz", "/readyz", "/metrics"})
_HIGHR_BUCKETS = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60,
    float("inf"),
)  # fmt: skip
_LOWR_BUCKETS = (0.1, 0.5, 1, float("inf"))


class HttpMetrics:
    """The request metrics of one app, in a registry of its own (several apps live in one test process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._total = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            ("method", "status", "handler"),
            registry=self.registry,
        )
        self._request_size = Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler (the Content-Length header).",
            ("handler",),
            registry=self.registry,
        )
        self._response_size = Summary(
            "http_response_size_bytes",
            "Size of outgoing response bodies by handler.",
            ("handler",),
            registry=self.registry,
        )
        self._latency_highr = Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels.",
            buckets=_HIGHR_BUCKETS,
            registry=self.registry,
        )
        self._latency = Histogram(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler.",
            ("method", "handler"),
            buckets=_LOWR_BUCKETS,
            registry=self.registry,
        )
        # The labelled children, looked up once per label combination rather than once per request.
        self._children: dict[tuple[str, int, str], tuple[Any, Any, Any, Any]] = {}

    def observe(
        self,
        *,
        method: str,
        status: int,
        handler: str,
        request_bytes: int,
        response_bytes: int,
        seconds: float,
    ) -> None:
        """Count one finished request (nothing for the health and metrics routes)."""
        if handler in EXCLUDED_HANDLERS:
            return
        key = (method, status // 100, handler)
        children = self._children.get(key)
        if children is None:
            children = (
                self._total.labels(method, f"{status // 100}xx", handler),
                self._request_size.labels(handler),
                self._response_size.labels(handler),
                self._latency.labels(method, handler),
            )
            self._children[key] = children
        total, request_size, response_size, latency = children
        total.inc()
        request_size.observe(request_bytes)
        response_size.observe(response_bytes)
        self._latency_highr.observe(seconds)
        latency.observe(seconds)

    def install_route(self, app: FastAPI) -> None:
        """``GET /metrics`` in the Prometheus text format, left out of the OpenAPI schema."""
        registry = self.registry

        async def metrics(_: Request) -> Response:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

        app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
