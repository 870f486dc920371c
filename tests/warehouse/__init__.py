"""Helpers shared by the warehouse tests and the dashboard's trends tests."""

from __future__ import annotations

from collections.abc import Mapping

from reviewlab.engine.model import Category, Confidence, Finding, Severity, Span

Kind = tuple[str, Severity, Category, str]
"""A fingerprint's rule, severity, category and file."""


def synthetic_finding(fingerprint: str, kinds: Mapping[str, Kind]) -> Finding:
    """The finding ``fingerprint`` (e.g. "F2": line 20) of the kind ``kinds`` gives it."""
    rule, severity, category, path = kinds[fingerprint]
    line = int(fingerprint[1:]) * 10
    return Finding(
        rule_id=rule,
        category=category,
        severity=severity,
        confidence=Confidence.HIGH,
        cwe=78 if category is Category.SECURITY else None,
        path=path,
        span=Span(line, 1, line, 20),
        snippet="x",
        message=f"problem {fingerprint}",
        fingerprint=fingerprint,
    )
