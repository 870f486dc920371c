"""A scan as the warehouse stores it: one ``scans`` row, its ``findings`` rows and its ``file_metrics`` rows.

``scan_record`` turns an engine ``ReviewResult`` into one; every value is validated here, before anything is
written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reviewlab.engine.model import FileRecord, Finding, ReviewResult, Severity
from reviewlab.projects.models import TriageStatus
from reviewlab.warehouse.errors import InvalidScan
from reviewlab.warehouse.schema import MAX_MESSAGE_LENGTH, repository_slug


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One row of ``findings`` (without the scan's columns)."""

    fingerprint: str
    rule_id: str
    category: str
    severity: str
    confidence: str
    cwe: int | None
    path: str
    start_line: int
    message: str
    triage_status: str | None = None


@dataclass(frozen=True, slots=True)
class FileMetricsRow:
    """One row of ``file_metrics`` (without the scan's columns); the metrics are None where the engine gave none."""

    path: str
    language: str
    lines: int
    code_lines: int | None = None
    comment_lines: int | None = None
    cyclomatic: int | None = None
    functions: int | None = None
    max_cyclomatic: int | None = None
    mean_cyclomatic: float | None = None
    max_cognitive: int | None = None
    mean_cognitive: float | None = None
    maintainability_index: float | None = None
    has_errors: bool | None = None


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """Everything the warehouse keeps of one scan. ``repository`` is the partition slug (``repository_slug``)."""

    scan_id: str
    repository: str
    scanned_at: datetime
    commit: str | None = None
    ref: str | None = None
    rule_pack_version: str | None = None
    lines: int = 0
    duration_s: float = 0.0
    gate_passed: bool | None = None
    findings: tuple[FindingRow, ...] = ()
    files: tuple[FileMetricsRow, ...] = ()

    def __post_init__(self) -> None:
        if not self.scan_id.strip():
            raise InvalidScan("a scan id must not be empty")
        if self.repository != repository_slug(self.repository):
            raise InvalidScan(f"repository {self.repository!r} is not a slug; use repository_slug()")
        if self.scanned_at.tzinfo is None or self.scanned_at.utcoffset() is None:
            raise InvalidScan(f"scanned_at of scan {self.scan_id!r} must be timezone-aware")
        object.__setattr__(self, "scanned_at", self.scanned_at.astimezone(UTC))
        for row in self.findings:
            if row.triage_status is not None and row.triage_status not in _TRIAGE_STATUSES:
                raise InvalidScan(f"unknown triage status {row.triage_status!r} of finding {row.fingerprint}")

    def severity_counts(self) -> dict[str, int]:
        counts = {severity.value: 0 for severity in Severity}
        for row in self.findings:
            counts[row.severity] = counts.get(row.severity, 0) + 1
        return counts


_TRIAGE_STATUSES = frozenset(status.value for status in TriageStatus)


def scan_record(
    result: ReviewResult,
    *,
    repository: str,
    scan_id: str,
    commit: str | None,
    ref: str | None,
    scanned_at: datetime,
    triage: Mapping[str, str] | None = None,
    gate_passed: bool | None = None,
) -> ScanRecord:
    """The warehouse rows of a review. ``triage`` maps fingerprints to their status at scan time (e.g. from
    ``Projects.triage_states``); ``gate_passed`` defaults to the result's quality gate, when it ran."""
    triage = triage or {}
    if gate_passed is None and result.gate is not None:
        gate_passed = bool(result.gate.get("passed"))
    return ScanRecord(
        scan_id=scan_id,
        repository=repository_slug(repository),
        scanned_at=scanned_at,
        commit=commit,
        ref=ref,
        rule_pack_version=result.rule_pack_version,
        lines=result.lines,
        duration_s=result.duration_seconds,
        gate_passed=gate_passed,
        findings=tuple(_finding_row(finding, triage) for finding in result.findings),
        files=tuple(_file_row(record) for record in result.files),
    )


def _finding_row(finding: Finding, triage: Mapping[str, str]) -> FindingRow:
    fingerprint = finding.fingerprint or _fallback_fingerprint(finding)
    status = triage.get(fingerprint)
    return FindingRow(
        fingerprint=fingerprint,
        rule_id=finding.rule_id,
        category=finding.category.value,
        severity=finding.severity.value,
        confidence=finding.confidence.value,
        cwe=finding.cwe,
        path=finding.path,
        start_line=finding.span.start_line,
        message=finding.message[:MAX_MESSAGE_LENGTH],
        triage_status=None if status is None else str(status),
    )


def _fallback_fingerprint(finding: Finding) -> str:
    # The engine fingerprints every finding; an imported one without may still be tracked across scans.
    text = f"{finding.rule_id}\0{finding.path}\0{finding.message}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _file_row(record: FileRecord) -> FileMetricsRow:
    metrics = record.metrics
    if metrics is None:
        return FileMetricsRow(path=record.path, language=record.language, lines=record.lines)
    functions: list[dict[str, Any]] = metrics.get("functions") or []
    cyclomatic = [int(f["cyclomatic"]) for f in functions]
    cognitive = [int(f["cognitive"]) for f in functions]
    return FileMetricsRow(
        path=record.path,
        language=record.language,
        lines=record.lines,
        code_lines=metrics.get("code_lines"),
        comment_lines=metrics.get("comment_lines"),
        cyclomatic=metrics.get("cyclomatic"),
        functions=len(functions),
        max_cyclomatic=max(cyclomatic, default=None),
        mean_cyclomatic=sum(cyclomatic) / len(cyclomatic) if cyclomatic else None,
        max_cognitive=max(cognitive, default=None),
        mean_cognitive=sum(cognitive) / len(cognitive) if cognitive else None,
        maintainability_index=metrics.get("maintainability_index"),
        has_errors=metrics.get("has_errors"),
    )
