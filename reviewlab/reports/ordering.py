"""The one order every report lists findings, diagnostics and files in."""

from __future__ import annotations

from reviewlab.engine.model import Diagnostic, FileRecord, Finding, ReviewResult


def finding_key(finding: Finding) -> tuple[str, int, int, str, int, int, str, str]:
    """Sort key: path, line, column, rule; the rest only breaks ties deterministically."""
    span = finding.span
    return (
        finding.path,
        span.start_line,
        span.start_column,
        finding.rule_id,
        span.end_line,
        span.end_column,
        finding.message,
        finding.fingerprint,
    )


def sorted_findings(result: ReviewResult) -> list[Finding]:
    """The result's findings by path, line, column and rule."""
    return sorted(result.findings, key=finding_key)


def sorted_diagnostics(result: ReviewResult) -> list[Diagnostic]:
    """The result's diagnostics by path, line, kind and message."""
    return sorted(result.diagnostics, key=lambda d: (d.path, d.line or 0, d.kind.value, d.message))


def sorted_files(result: ReviewResult) -> list[FileRecord]:
    """The reviewed files by path."""
    return sorted(result.files, key=lambda f: f.path)


def worst_first(findings: list[Finding]) -> list[Finding]:
    """Findings from the most to the least severe, in report order within a severity."""
    return sorted(findings, key=lambda f: (-f.severity.rank, finding_key(f)))
