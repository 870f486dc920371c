"""Observability of the platform's library code: Prometheus metrics (:mod:`.metrics`), the request id of the
work in progress (:mod:`.context`), the log formats (:mod:`.logs`) and OpenTelemetry tracing (:mod:`.tracing`)."""
