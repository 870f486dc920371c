"""Applying the deterministic fixes findings carry (``reviewlab review --fix``), or showing them as a diff.

Per file, the fixes of its findings are applied together, in order; a fix that overlaps one already
taken is left out, and so is a whole file whose result no longer parses (the file is then left as it
was). Nothing is written for ``--fix-diff``: the same edits are shown as a unified diff.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reviewlab.engine.languages import language_for_path, parser_for
from reviewlab.engine.model import Finding, Fix, Span


@dataclass(slots=True)
class FileFix:
    """The outcome for one file: the fixes applied, those skipped and why, and the new text."""

    path: str
    original: str
    fixed: str
    applied: list[Fix] = field(default_factory=list)
    skipped: list[tuple[Fix, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


def _offset(lines: list[str], line: int, column: int) -> int | None:
    """The character offset of a 1-based line and code-point column, or None when outside the text."""
    if not 1 <= line <= len(lines) + 1:
        return None
    before = sum(len(text) for text in lines[: line - 1])
    width = len(lines[line - 1]) if line <= len(lines) else 0
    return before + column - 1 if 1 <= column <= width + 1 else None


def _range(lines: list[str], span: Span) -> tuple[int, int] | None:
    start = _offset(lines, span.start_line, span.start_column)
    end = _offset(lines, span.end_line, span.end_column)
    return None if start is None or end is None or end < start else (start, end)


def fix_file(path: str, original: str, fixes: Iterable[Fix]) -> FileFix:
    """Apply ``fixes`` to a file's text: non-overlapping ones, and only if the result still parses."""
    result = FileFix(path, original, original)
    lines = original.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for fix in fixes:
        ranges = [_range(lines, r.span) for r in fix.replacements]
        if any(r is None for r in ranges):
            result.skipped.append((fix, "its location is no longer in the file"))
            continue
        wanted = [(r[0], r[1], rep.text) for r, rep in zip(ranges, fix.replacements, strict=True) if r is not None]
        if any((s < e2 and s2 < e) or s == s2 for s, e, _ in wanted for s2, e2, _ in edits):
            result.skipped.append((fix, "it overlaps another fix"))
            continue
        edits.extend(wanted)
        result.applied.append(fix)
    text = original
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    language = language_for_path(path)
    if language is not None and text != original:
        before = parser_for(language).parse(original.encode()).root_node.has_error
        if parser_for(language).parse(text.encode()).root_node.has_error and not before:
            result.skipped.extend((fix, "the fixed file would not parse") for fix in result.applied)
            result.applied = []
            return result
    result.fixed = text
    return result


def fix_diff(path: str, source: bytes, fix: Fix, context: int = 2) -> str | None:
    """The fix as a unified diff of the file (``context`` lines around it), or None when it cannot be applied
    to ``source`` or the fixed file would no longer parse."""
    original = source.decode("utf-8", "replace")
    result = fix_file(path, original, [fix])
    if not result.applied:
        return None
    return "".join(
        difflib.unified_diff(
            original.splitlines(keepends=True),
            result.fixed.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
            n=context,
        )
    )


def plan(root: Path, findings: Iterable[Finding]) -> list[FileFix]:
    """The fixes of ``findings`` grouped by file under ``root`` (a file, or the reviewed directory)."""
    by_path: dict[str, list[Fix]] = {}
    for finding in findings:
        if finding.fix is not None:
            by_path.setdefault(finding.path, []).append(finding.fix)
    planned: list[FileFix] = []
    for relpath in sorted(by_path):
        path = root if root.is_file() else root / relpath
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # changed or removed since the review: nothing safe to do
        planned.append(fix_file(relpath, original, by_path[relpath]))
    return planned


def write(root: Path, planned: Iterable[FileFix]) -> int:
    """Write the changed files; the number written."""
    written = 0
    for file_fix in planned:
        if file_fix.changed:
            path = root if root.is_file() else root / file_fix.path
            path.write_text(file_fix.fixed, encoding="utf-8")
            written += 1
    return written
