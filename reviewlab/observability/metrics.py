"""The metrics the library records where things happen (the analysis runner, the AI orchestrator, the event
consumers).

Every metric lives in a :class:`Instruments` object over its own ``CollectorRegistry`` (never
prometheus_client's default registry). :func:`instruments` is the process-wide one, which the API's
``/metrics`` includes (analyses run by in-process workers) and ``reviewlab worker`` serves on its metrics
port; tests pass their own ``Instruments(CollectorRegistry())``.

prometheus-client comes with the ``api`` extra; without it every recording method is a no-op.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
PROVIDER_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
CIRCUIT_STATES = ("closed", "open", "half_open")


def available() -> bool:
    """Whether prometheus-client is installed."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return False
    return True


class Instruments:
    """The library's counters, histograms and gauges, in ``registry`` (a new one when not given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.enabled = available()
        self.registry: CollectorRegistry | None = None
        if not self.enabled:
            return
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = registry = registry if registry is not None else CollectorRegistry()
        self._analyses = Counter(
            "reviewlab_analyses_finished",
            "Analyses that ended, by input kind and final status",
            ["kind", "status"],
            registry=registry,
        )
        self._stages = Histogram(
            "reviewlab_analysis_stage_duration_seconds",
            "Time an analysis spent in each stage",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self._findings = Counter(
            "reviewlab_findings",
            "Findings stored by completed analyses, by severity and category",
            ["severity", "category"],
            registry=registry,
        )
        self._provider_latency = Histogram(
            "reviewlab_provider_request_duration_seconds",
            "Duration of AI provider calls (retries included), by provider and model",
            ["provider", "model"],
            buckets=PROVIDER_BUCKETS,
            registry=registry,
        )
        self._provider_requests = Counter(
            "reviewlab_provider_requests",
            "AI provider calls by outcome",
            ["provider", "model", "outcome"],
            registry=registry,
        )
        self._provider_tokens = Counter(
            "reviewlab_provider_tokens",
            "Tokens used by AI provider calls, by direction (input, output)",
            ["provider", "model", "direction"],
            registry=registry,
        )
        self._provider_cost = Counter(
            "reviewlab_provider_cost_usd",
            "Cost of AI provider calls in US dollars (the configured prices)",
            ["provider", "model"],
            registry=registry,
        )
        self._circuit = Gauge(
            "reviewlab_provider_circuit_state",
            "Circuit breaker state of each AI provider (1 for the current state)",
            ["provider", "state"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self._domain_events = Counter(
            "reviewlab_domain_events",
            "Domain events read by the metrics consumer group, by type",
            ["type"],
            registry=registry,
        )
        self._webhook_deliveries = Counter(
            "reviewlab_webhook_deliveries",
            "Webhook delivery attempts, by the status they left the delivery in (delivered, pending, failed)",
            ["status"],
            registry=registry,
        )
        self._webhook_pending = Gauge(
            "reviewlab_webhook_deliveries_pending",
            "Webhook deliveries waiting to be sent or retried (as the last consumer pass counted them)",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self._notifications = Counter(
            "reviewlab_notifications",
            "Notification mails by outcome (sent, failed)",
            ["outcome"],
            registry=registry,
        )
        self._given_up = Counter(
            "reviewlab_event_messages_given_up",
            "Bus messages a consumer group gave up on after its last attempt (dead letters)",
            ["group"],
            registry=registry,
        )

    # -- analyses --------------------------------------------------------------------------------------

    def analysis_finished(self, kind: str, status: str) -> None:
        if self.enabled:
            self._analyses.labels(kind=kind, status=status).inc()

    def stage_duration(self, stage: str, seconds: float) -> None:
        if self.enabled:
            self._stages.labels(stage=stage).observe(max(0.0, seconds))

    def findings(self, found: Iterable[tuple[str, str]]) -> None:
        """Count findings given as ``(severity, category)`` pairs."""
        if not self.enabled:
            return
        counts: dict[tuple[str, str], int] = {}
        for pair in found:
            counts[pair] = counts.get(pair, 0) + 1
        for (severity, category), count in counts.items():
            self._findings.labels(severity=severity, category=category).inc(count)

    # -- AI providers ----------------------------------------------------------------------------------

    def provider_call(self, provider: str, model: str, outcome: str, seconds: float | None) -> None:
        """One provider's turn in a call: its outcome and, when the provider was called, how long it took."""
        if not self.enabled:
            return
        self._provider_requests.labels(provider=provider, model=model, outcome=outcome).inc()
        if seconds is not None:
            self._provider_latency.labels(provider=provider, model=model).observe(max(0.0, seconds))

    def provider_usage(self, provider: str, model: str, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
        if not self.enabled:
            return
        self._provider_tokens.labels(provider=provider, model=model, direction="input").inc(max(0, input_tokens))
        self._provider_tokens.labels(provider=provider, model=model, direction="output").inc(max(0, output_tokens))
        self._provider_cost.labels(provider=provider, model=model).inc(max(0.0, cost_usd))

    def circuit_state(self, provider: str, state: str) -> None:
        if not self.enabled:
            return
        for name in CIRCUIT_STATES:
            self._circuit.labels(provider=provider, state=name).set(1.0 if name == state else 0.0)

    # -- event consumers -------------------------------------------------------------------------------

    def domain_event(self, event_type: str) -> None:
        if self.enabled:
            self._domain_events.labels(type=event_type).inc()

    def webhook_delivery(self, status: str) -> None:
        if self.enabled:
            self._webhook_deliveries.labels(status=status).inc()

    def webhook_pending(self, count: int) -> None:
        if self.enabled:
            self._webhook_pending.set(count)

    def notification(self, outcome: str) -> None:
        if self.enabled:
            self._notifications.labels(outcome=outcome).inc()

    def message_given_up(self, group: str) -> None:
        if self.enabled:
            self._given_up.labels(group=group).inc()


_lock = threading.Lock()
_instruments: Instruments | None = None


def instruments() -> Instruments:
    """The process-wide instruments (made on first use, in their own registry)."""
    global _instruments
    with _lock:
        if _instruments is None:
            _instruments = Instruments()
        return _instruments


def enable_multiprocess(directory: Path) -> None:
    """Make the metrics made from now on in this process and its forked children write to ``directory``
    (prometheus_client's multiprocess mode, for Celery's prefork pool); stale files there are removed.
    Call before :func:`instruments` is first used."""
    from prometheus_client import values

    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


def serve(port: int, *, addr: str = "0.0.0.0", multiprocess_dir: Path | None = None) -> Any:  # noqa: S104
    """Serve the process-wide metrics (or, in multiprocess mode, every process's) on ``port``; returns the
    server (``shutdown()`` stops it)."""
    from prometheus_client import CollectorRegistry, start_http_server

    if multiprocess_dir is not None:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    else:
        own = instruments().registry
        if own is None:  # pragma: no cover - prometheus_client is imported above
            raise RuntimeError("prometheus-client is not installed")
        registry = own
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return server
