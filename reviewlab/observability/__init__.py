"""Observability of the platform's library code: Prometheus metrics (:mod:`.metrics`), the request id of the
work in progress (:mod:`.context`) and the log formats (:mod:`.logs`)."""
