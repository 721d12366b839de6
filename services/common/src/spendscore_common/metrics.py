"""Prometheus request metrics, kept in plain Python and exported by a ``prometheus_client`` collector.

The names, labels and buckets are those prometheus-fastapi-instrumentator's default set used, so
dashboards keep working: ``http_requests_total{method,status,handler}`` (status grouped as ``2xx``),
``http_request_size_bytes{handler}``, ``http_response_size_bytes{handler}`` (summaries),
``http_request_duration_highr_seconds`` and ``http_request_duration_seconds{method,handler}``
(histograms). Counting a request is a few dict and list updates, without the lock that each
``prometheus_client`` metric takes per update: every update happens on the event loop's thread, and
the ``/metrics`` route reads them on that same thread.
"""

import bisect
from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

UNMATCHED_HANDLER = "none"
EXCLUDED_HANDLERS = frozenset({"/healthz", "/readyz", "/metrics"})
_HIGHR_BUCKETS = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60,
    float("inf"),
)  # fmt: skip
_LOWR_BUCKETS = (0.1, 0.5, 1, float("inf"))


class _Histogram:
    """Counts per bucket (not cumulative) and the sum of the observed values."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.total = 0.0

    def observe(self, value: float) -> None:
        # A bucket holds the values <= its bound; the last bound is +Inf.
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        cumulative, answer = 0, list[tuple[str, float]]()
        for bound, count in zip(self.bounds, self.counts, strict=True):
            cumulative += count
            answer.append((floatToGoString(bound), cumulative))
        return answer


class HttpMetrics(Collector):
    """The request metrics of one app, in a registry of its own (several apps live in one test process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._totals: dict[tuple[str, int, str], int] = {}
        self._sizes: dict[str, list[int]] = {}  # handler: request count, sum, response count, sum
        self._latency: dict[tuple[str, str], _Histogram] = {}
        self._latency_highr = _Histogram(_HIGHR_BUCKETS)
        self.registry.register(self)

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
        self._totals[key] = self._totals.get(key, 0) + 1
        sizes = self._sizes.get(handler)
        if sizes is None:
            sizes = self._sizes[handler] = [0, 0, 0, 0]
        sizes[0] += 1
        sizes[1] += request_bytes
        sizes[2] += 1
        sizes[3] += response_bytes
        latency = self._latency.get((method, handler))
        if latency is None:
            latency = self._latency[(method, handler)] = _Histogram(_LOWR_BUCKETS)
        latency.observe(seconds)
        self._latency_highr.observe(seconds)

    def collect(self) -> Iterator[Metric]:
        totals = CounterMetricFamily(
            "http_requests",
            "Total number of requests by method, status and handler.",
            labels=["method", "status", "handler"],
        )
        for (method, status_class, handler), count in self._totals.items():
            totals.add_metric([method, f"{status_class}xx", handler], count)
        yield totals
        request_size = SummaryMetricFamily(
            "http_request_size_bytes",
            "Content length of incoming requests by handler (the Content-Length header).",
            labels=["handler"],
        )
        response_size = SummaryMetricFamily(
            "http_response_size_bytes", "Size of outgoing response bodies by handler.", labels=["handler"]
        )
        for handler, (in_count, in_sum, out_count, out_sum) in self._sizes.items():
            request_size.add_metric([handler], in_count, in_sum)
            response_size.add_metric([handler], out_count, out_sum)
        yield request_size
        yield response_size
        highr = HistogramMetricFamily(
            "http_request_duration_highr_seconds", "Latency with many buckets but no API specific labels."
        )
        highr.add_metric([], self._latency_highr.buckets(), self._latency_highr.total)
        yield highr
        latency = HistogramMetricFamily(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler.",
            labels=["method", "handler"],
        )
        for (method, handler), histogram in self._latency.items():
            latency.add_metric([method, handler], histogram.buckets(), histogram.total)
        yield latency

    def install_route(self, app: FastAPI) -> None:
        """``GET /metrics`` in the Prometheus text format, left out of the OpenAPI schema."""
        registry = self.registry

        async def metrics(_: Request) -> Response:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

        app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
