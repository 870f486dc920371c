"""Prometheus metrics of one app, in its own registry (two apps in one process never share counters).

Request metrics are labelled by the route's template (``/api/projects/{project_id}``), never by the raw
path, so the label set stays bounded whatever clients send.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reviewlab.observability.metrics import Instruments
from reviewlab.observability.metrics import instruments as process_instruments

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Callback(Collector):
    """Gauges read when scraped (queue depth, cache hits), from a function returning {labels: value}."""

    def __init__(self, name: str, documentation: str, label: str, read: Callable[[], dict[str, float]]) -> None:
        self._name = name
        self._documentation = documentation
        self._label = label
        self._read = read

    def collect(self):  # type: ignore[no-untyped-def]  # prometheus_client's own signature is untyped
        family = GaugeMetricFamily(self._name, self._documentation, labels=[self._label])
        try:
            values = self._read()
        except Exception:  # noqa: BLE001 - a scrape must not fail because one source is down
            values = {}
        for label, value in values.items():
            family.add_metric([label], value)
        yield family


class _Included(Collector):
    """Every metric of another registry (the library's: analyses and AI providers run in this process)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self):  # type: ignore[no-untyped-def]  # prometheus_client's own signature is untyped
        yield from self._registry.collect()


class Metrics:
    """The counters, histograms and gauges the API exports on ``/metrics``, with the library's
    (:mod:`reviewlab.observability.metrics`: the process-wide ones unless ``instruments`` is given)."""

    def __init__(self, instruments: Instruments | None = None) -> None:
        self.registry = CollectorRegistry()
        self.instruments = instruments if instruments is not None else process_instruments()
        if self.instruments.registry is not None:
            self.registry.register(_Included(self.instruments.registry))
        self.requests = Counter(
            "reviewlab_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reviewlab_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "reviewlab_rate_limited_requests",
            "Requests refused by the rate limiter, by rule",
            ["rule"],
            registry=self.registry,
        )
        self.logins = Counter(
            "reviewlab_login_attempts", "Login attempts by outcome", ["outcome"], registry=self.registry
        )
        self.analyses = Counter(
            "reviewlab_analyses_submitted", "Analyses submitted, by input kind", ["kind"], registry=self.registry
        )
        self.up = Gauge("reviewlab_api_up", "1 while the API answers", registry=self.registry)
        self.up.set(1)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)

    def gauge(self, name: str, documentation: str, label: str, read: Callable[[], dict[str, float]]) -> None:
        """Export ``read()`` as gauge ``name`` with one label, read at every scrape."""
        self.registry.register(_Callback(name, documentation, label, read))

    def render(self) -> bytes:
        return generate_latest(self.registry)
