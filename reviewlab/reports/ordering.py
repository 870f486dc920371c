"""The one order every report lists findings, diagnostics and files in."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import groupby
from typing import Any, TypeVar

from reviewlab.engine.model import Diagnostic, FileRecord, Finding, ReviewResult
from reviewlab.engine.spool import Spooled

T = TypeVar("T")


class Ordered(Iterable[T]):
    """A spooled list in report order: iterable again and again (each time from disk), with a length.

    The spool lists it by ``tied`` (a prefix of ``key``); ties are sorted by ``key`` as they come."""

    def __init__(self, listed: Spooled[T], key: Callable[[T], Any], tied: Callable[[T], Any] | None = None) -> None:
        self._listed = listed
        self._key = key
        self._tied = tied

    def __len__(self) -> int:
        return len(self._listed)

    def __iter__(self) -> Iterator[T]:
        order = self._listed.ordered()
        if order is None:  # loaded into memory (and maybe changed) since
            return iter(sorted(self._listed, key=self._key))
        if self._tied is None:
            return order
        return (item for _, tied in groupby(order, key=self._tied) for item in sorted(tied, key=self._key))


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


def sorted_findings(result: ReviewResult) -> Sequence[Finding] | Ordered[Finding]:
    """The result's findings by path, line, column and rule (from disk, not sorted in memory, when spooled)."""
    findings = result.findings
    if isinstance(findings, Spooled) and not findings.loaded:
        return Ordered(
            findings, finding_key, tied=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id)
        )
    return sorted(findings, key=finding_key)


def sorted_diagnostics(result: ReviewResult) -> Sequence[Diagnostic] | Ordered[Diagnostic]:
    """The result's diagnostics by path, line, kind and message."""
    diagnostics = result.diagnostics
    if isinstance(diagnostics, Spooled) and not diagnostics.loaded:
        return Ordered(diagnostics, _diagnostic_key)
    return sorted(diagnostics, key=_diagnostic_key)


def sorted_files(result: ReviewResult) -> Sequence[FileRecord] | Ordered[FileRecord]:
    """The reviewed files by path."""
    files = result.files
    if isinstance(files, Spooled) and not files.loaded:
        return Ordered(files, _file_key)
    return sorted(files, key=_file_key)


def _diagnostic_key(diagnostic: Diagnostic) -> tuple[str, int, str, str]:
    return diagnostic.path, diagnostic.line or 0, diagnostic.kind.value, diagnostic.message


def _file_key(record: FileRecord) -> str:
    return record.path


def worst_first(findings: Iterable[Finding], limit: int | None = None) -> list[Finding]:
    """Findings from the most to the least severe, in report order within a severity (the first ``limit``)."""
    if limit is not None:  # without holding them all
        return heapq.nsmallest(limit, findings, key=_severity_first)
    return sorted(findings, key=_severity_first)


def _severity_first(finding: Finding) -> tuple[int, tuple[str, int, int, str, int, int, str, str]]:
    return -finding.severity.rank, finding_key(finding)
