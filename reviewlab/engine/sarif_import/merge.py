"""Merging imported findings with reviewlab's own: an imported finding that repeats one already kept is dropped."""

from __future__ import annotations

from collections.abc import Iterable

from reviewlab.engine.model import Finding, Span


def is_duplicate(kept: Finding, candidate: Finding) -> bool:
    """Whether ``candidate`` reports what ``kept`` already does.

    Both must be in the same file. When both carry a CWE, the CWEs must be equal and the line ranges overlap.
    Otherwise they must be of the same category, start on the same line and overlap in columns: a CWE-less
    finding is matched narrowly, so that two different issues on one line both survive. Two findings of the
    same rule are never duplicates (a tool's results are its own business) unless their spans are equal.
    """
    if kept.path != candidate.path:
        return False
    if kept.rule_id == candidate.rule_id:
        return kept.span == candidate.span
    a, b = kept.span, candidate.span
    if kept.cwe is not None and candidate.cwe is not None:
        return kept.cwe == candidate.cwe and a.start_line <= b.end_line and b.start_line <= a.end_line
    return kept.category is candidate.category and a.start_line == b.start_line and _columns_overlap(a, b)


def _columns_overlap(a: Span, b: Span) -> bool:
    def bounds(span: Span) -> tuple[tuple[int, int], tuple[int, int]]:
        end = (span.end_line, span.end_column)
        start = (span.start_line, span.start_column)
        return start, max(end, (span.start_line, span.start_column + 1))  # an empty span covers its column

    (a_start, a_end), (b_start, b_end) = bounds(a), bounds(b)
    return a_start < b_end and b_start < a_end


def merge_findings(own: Iterable[Finding], imported: Iterable[Finding]) -> tuple[list[Finding], int]:
    """Own findings, then each imported finding that does not repeat one kept before it; and how many did."""
    merged = list(own)
    by_line: dict[tuple[str, int], list[Finding]] = {}  # every duplicate shares a line with what it repeats

    def lines(finding: Finding) -> Iterable[tuple[str, int]]:
        return ((finding.path, line) for line in range(finding.span.start_line, finding.span.end_line + 1))

    for finding in merged:
        for key in lines(finding):
            by_line.setdefault(key, []).append(finding)
    duplicates = 0
    for candidate in imported:
        if any(is_duplicate(kept, candidate) for key in lines(candidate) for kept in by_line.get(key, ())):
            duplicates += 1
            continue
        merged.append(candidate)
        for key in lines(candidate):
            by_line.setdefault(key, []).append(candidate)
    return merged, duplicates
