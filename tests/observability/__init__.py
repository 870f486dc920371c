"""Tests of the observability the library and the API share: tracing (OpenTelemetry over OTLP)."""
