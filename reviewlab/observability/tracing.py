"""Tracing with OpenTelemetry: spans exported over OTLP/HTTP to a collector, W3C ``traceparent`` propagation.

Off unless the settings name a collector (``OTEL_EXPORTER_OTLP_ENDPOINT``, traces go to ``<base>/v1/traces``,
or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, the full URL). Off, every function here is a cheap no-op and the
OpenTelemetry packages are never imported (a plain install has none); on, they come with the ``otel`` extra,
and :func:`configure` refuses to start without them.

:func:`configure` builds this module's own ``TracerProvider`` (resource ``service.name``, ``service.version``,
``deployment.environment``; a parent-based ratio sampler; a batch processor in front of the OTLP/HTTP
exporter) and makes it the process's :func:`active` one. OpenTelemetry's global tracer provider is never set:
:func:`shutdown` (which flushes) leaves the process as it was, so tests can configure and shut down at will.

What is traced: the API's requests (``api.middleware``), the analysis run and its stages (``jobs.runner``,
its parent the request that queued it, through the ``traceparent`` kept in the ``queued`` event) and each
provider call (``ai.orchestrator``, whose providers send ``traceparent`` on their HTTP requests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from reviewlab import __version__
from reviewlab.errors import SettingsError

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from reviewlab.settings import Settings

log = logging.getLogger(__name__)

API_SERVICE = "reviewlab-api"
WORKER_SERVICE = "reviewlab-worker"
INSTALL_HINT = "pip install 'reviewlab[otel]'"
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

Kind = Literal["internal", "server", "client", "producer", "consumer"]
AttributeValue = str | bool | int | float
Attributes = Mapping[str, AttributeValue | None]


def traces_endpoint(settings: Settings) -> str | None:
    """Where spans go: the full traces URL, else ``<base>/v1/traces``; None when tracing is off."""
    if settings.otel_exporter_otlp_traces_endpoint:
        return settings.otel_exporter_otlp_traces_endpoint
    base = settings.otel_exporter_otlp_endpoint
    return f"{base.rstrip('/')}/v1/traces" if base else None


class Span:
    """A span, or nothing when tracing is off: every method is then a no-op."""

    __slots__ = ("_span",)

    def __init__(self, span: Any = None) -> None:
        self._span = span

    @property
    def recording(self) -> bool:
        return self._span is not None and bool(self._span.is_recording())

    def set(self, key: str, value: AttributeValue | None) -> None:
        """Set attribute ``key`` (a None value sets nothing)."""
        if self._span is not None and value is not None:
            self._span.set_attribute(key, value)

    def set_all(self, attributes: Attributes) -> None:
        for key, value in attributes.items():
            self.set(key, value)

    def rename(self, name: str) -> None:
        if self._span is not None:
            self._span.update_name(name)

    def fail(self, error: BaseException | str) -> None:
        """Mark the span as failed: status ERROR with a description, ``error.type``, the exception as an event."""
        if self._span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        if isinstance(error, BaseException):
            self._span.set_attribute("error.type", type(error).__name__)
            self._span.record_exception(error)
            description = f"{type(error).__name__}: {error}"
        else:
            description = error
        self._span.set_status(Status(StatusCode.ERROR, description))

    def end(self) -> None:
        if self._span is not None:
            self._span.end()

    @contextmanager
    def current(self) -> Iterator[Span]:
        """The span as the current one for the block (its children's parent, what :func:`headers` sends);
        it does not end with the block."""
        if self._span is None:
            yield self
            return
        from opentelemetry.trace import use_span

        with use_span(self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            yield self


NO_SPAN = Span()


class Tracing:
    """A configured tracer provider and what goes with it (see :func:`configure`)."""

    def __init__(self, provider: TracerProvider, endpoint: str, service: str) -> None:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.provider = provider
        self.endpoint = endpoint
        self.service = service
        self._tracer = provider.get_tracer("reviewlab", __version__)
        self._propagator = TraceContextTextMapPropagator()

    def start(self, name: str, kind: Kind, attributes: Attributes | None, parent: Mapping[str, str] | None) -> Span:
        from opentelemetry.trace import SpanKind

        context = None if parent is None else self.extract(parent)
        values = {k: v for k, v in (attributes or {}).items() if v is not None}
        return Span(
            self._tracer.start_span(name, context=context, kind=SpanKind[kind.upper()], attributes=values or None)
        )

    def extract(self, carrier: Mapping[str, str]) -> Context:
        """The remote parent the W3C headers in ``carrier`` name (an empty context: a new trace)."""
        from opentelemetry.context import Context

        return self._propagator.extract({k: v for k, v in carrier.items() if v}, context=Context())

    def inject(self, carrier: dict[str, str]) -> None:
        self._propagator.inject(carrier)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export every ended span now; False when the exporter did not finish in time."""
        return bool(self.provider.force_flush(timeout_millis))

    def shutdown(self) -> None:
        """Flush and stop; the process has no active tracing any more if this was it."""
        global _active
        with _lock:
            if _active is self:
                _active = None
        self.provider.shutdown()


_lock = threading.Lock()
_active: Tracing | None = None


def require(settings: Settings) -> str | None:
    """The traces endpoint when tracing is on (None when off); ``SettingsError`` when it is on but the
    OpenTelemetry packages (the ``otel`` extra) cannot be imported."""
    endpoint = traces_endpoint(settings)
    if endpoint is None:
        return None
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError as err:
        raise SettingsError(
            f"tracing is configured (OTLP endpoint {endpoint}) but the OpenTelemetry packages are missing "
            f"({err.name or err}): {INSTALL_HINT}, or unset OTEL_EXPORTER_OTLP_ENDPOINT"
        ) from err
    return endpoint


def configure(settings: Settings, *, service: str, exporter: SpanExporter | None = None) -> Tracing | None:
    """Trace this process as ``service`` (``OTEL_SERVICE_NAME`` wins) when the settings name a collector;
    None, and nothing changes, when they do not. Replaces (and shuts down) a tracing configured before.
    ``SettingsError`` when a collector is named but the OpenTelemetry packages are missing. ``exporter``
    replaces the OTLP exporter (for tests)."""
    endpoint = require(settings)
    if endpoint is None:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    name = settings.otel_service_name or service
    resource = Resource.create(
        {
            "service.name": name,
            "service.version": __version__,
            "deployment.environment": settings.environment.value,
            "deployment.environment.name": settings.environment.value,
        }
    )
    provider = TracerProvider(
        sampler=ParentBased(TraceIdRatioBased(settings.otel_traces_sampler_arg)), resource=resource
    )
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter(endpoint=endpoint)))
    tracing = Tracing(provider, endpoint, name)
    global _active
    with _lock:
        previous, _active = _active, tracing
    if previous is not None:
        previous.provider.shutdown()
    log.info("tracing to %s as %s", endpoint, name)
    return tracing


def active() -> Tracing | None:
    """The process's tracing, or None when it is off."""
    return _active


def shutdown() -> None:
    """Flush and stop the process's tracing, if any."""
    tracing = _active
    if tracing is not None:
        tracing.shutdown()


def start_span(
    name: str, *, kind: Kind = "internal", attributes: Attributes | None = None, parent: Mapping[str, str] | None = None
) -> Span:
    """A started span (end it with :meth:`Span.end`): a child of the current span, or with ``parent`` (W3C
    headers: ``traceparent``, ``tracestate``) of the span they name, or a new trace when they name none."""
    tracing = _active
    if tracing is None:
        return NO_SPAN
    return tracing.start(name, kind, attributes, parent)


@contextmanager
def span(
    name: str, *, kind: Kind = "internal", attributes: Attributes | None = None, parent: Mapping[str, str] | None = None
) -> Iterator[Span]:
    """A span over the block, current within it (see :func:`start_span`); an exception leaving the block marks
    it failed."""
    started = start_span(name, kind=kind, attributes=attributes, parent=parent)
    if started is NO_SPAN:
        yield started
        return
    try:
        with started.current():
            yield started
    except Exception as err:
        started.fail(err)
        raise
    finally:
        started.end()


def headers() -> dict[str, str]:
    """The W3C headers (``traceparent``, ``tracestate``) naming the current span, for an outgoing request;
    empty when tracing is off or no span is current."""
    tracing = _active
    if tracing is None:
        return {}
    carrier: dict[str, str] = {}
    tracing.inject(carrier)
    return carrier


def traceparent() -> str | None:
    """The current span's W3C ``traceparent``, to keep with work that another process continues."""
    return headers().get(TRACEPARENT)
