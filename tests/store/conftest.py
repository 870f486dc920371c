"""Store fixtures: one sample review, and a migrated store on SQLite and (integration) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from reviewlab.engine.model import (
    Category,
    Confidence,
    Diagnostic,
    DiagnosticKind,
    FileRecord,
    Finding,
    Fix,
    FlowStep,
    Replacement,
    ReviewResult,
    Severity,
    Span,
)
from reviewlab.store import Store


def make_finding(rule_id: str, severity: Severity, line: int, *, fix: bool = False, flow: bool = False) -> Finding:
    """A finding on ``app/main.py`` at ``line``, optionally with a fix and a dataflow path ending there."""
    span = Span(line, 5, line, 17)
    steps = (
        FlowStep(Span(line - 2, 12, line - 2, 24), "source: flask request.args"),
        FlowStep(Span(line - 1, 5, line - 1, 9), "assigned to `cmd` ✓"),
        FlowStep(span, "sink: `os.system`"),
    )
    return Finding(
        rule_id=rule_id,
        category=Category.SECURITY if severity.rank >= Severity.HIGH.rank else Category.QUALITY,
        severity=severity,
        confidence=Confidence.HIGH,
        cwe=78 if severity is Severity.CRITICAL else None,
        path="app/main.py",
        span=span,
        snippet="os.system(cmd)  # ünïcode ✓",
        message=f"{rule_id} at line {line}",
        fingerprint=f"fp-{rule_id}-{line}",
        fix=Fix("use subprocess.run", (Replacement(span, "subprocess.run([cmd])"),)) if fix else None,
        flow=steps if flow else (),
    )


def make_review(root: str = "/src/project", findings: int = 3) -> ReviewResult:
    """A review of two files with ``findings`` findings and one diagnostic; the first is critical, with fix and flow."""
    severities = [Severity.CRITICAL, Severity.LOW, Severity.INFO, Severity.MEDIUM]
    return ReviewResult(
        root=root,
        rule_pack_version="2025.1",
        started_at="2025-03-01T12:00:00+00:00",
        finished_at="2025-03-01T12:00:02.500000+00:00",
        duration_seconds=2.5,
        files=[
            FileRecord("app/main.py", "python", 120, "a" * 64),
            FileRecord("app/util.js", "javascript", 30, "b" * 64, cached=True),
        ],
        findings=[
            make_finding(f"rule-{i}", severities[i % len(severities)], 10 + i, fix=i == 0, flow=i == 0)
            for i in range(findings)
        ],
        diagnostics=[Diagnostic(DiagnosticKind.SKIPPED_BINARY, "assets/logo.png", "binary file", None)],
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A migrated store with no sessions, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_store")
        return
    url: str = request.getfixturevalue("postgres_url")
    with Store.from_url(url) as postgres_store:
        postgres_store.migrate()
        _delete_sessions(url)
        yield postgres_store


def _delete_sessions(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM production.analysis_sessions"))
    finally:
        engine.dispose()
