"""Every format's pieces are its report, and a spooled review's are made one finding at a time as they are read."""

from __future__ import annotations

import importlib
import shutil
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from reviewlab.engine.model import (
    Diagnostic,
    DiagnosticKind,
    FileRecord,
    Finding,
    FlowStep,
    Related,
    ReviewResult,
    Severity,
    Span,
)
from reviewlab.engine.pipeline import review
from reviewlab.engine.spool import Spool, Spooled
from reviewlab.reports import FORMATS, render, render_chunks

from .builders import make_finding, sample_review

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webshop"
STREAMED = ["sarif", "markdown", "text"]
MARK = "finding number"  # in the message of every finding of a spooled result built here


def _chunks(fmt: str) -> Callable[[ReviewResult], Iterator[str]]:
    chunks: Callable[[ReviewResult], Iterator[str]] = importlib.import_module(FORMATS[fmt]).chunks
    return chunks


def _with_everything(result: ReviewResult) -> ReviewResult:
    """``result`` with a quality gate, a baseline and an AI review (the report sections of each)."""
    result.gate = {"passed": False, "conditions": [{"name": "high", "limit": 0, "actual": 2, "passed": False}]}
    result.baseline = {"known": 3, "fixed": [{"rule_id": "PY-S002", "path": "a.py", "line": 4, "message": "gone"}]}
    result.ai = {
        "status": "partial",
        "unavailable_reason": "rate limited",
        "findings_count": 0,
        "usage": [
            {
                "provider": "fake",
                "model": None,
                "calls": 2,
                "cached_calls": 1,
                "input_tokens": 10,
                "output_tokens": 5,
                "latency_s": 0.5,
                "cost_usd": 0.001,
            }
        ],
        "not_sent": [{"path": "big.py", "start_line": 1, "end_line": 9, "reason": "too large", "detail": "9 lines"}],
    }
    return result


def _rich_review() -> ReviewResult:
    """The sample review plus an info finding with a data flow and related places, and every optional section."""
    result = sample_review()
    result.findings.append(
        replace(
            make_finding("PY-S002", "app/main.py", 12, severity=Severity.INFO, message="flows", fingerprint="d" * 32),
            flow=(FlowStep(Span(11, 1, 11, 4), "source"), FlowStep(Span(12, 5, 12, 9), "sink: `eval`")),
            related=(Related("web/app.js", Span(1, 1, 1, 3), "the other copy"),),
        )
    )
    return _with_everything(result)


def _spooled_review(tmp_path: Path, spool_from: int) -> ReviewResult:
    """The example project (findings of several severities, data flows, fixes, a module graph), a file that does
    not parse and a binary one, reviewed spooled (``spool_from=0``) or in memory."""
    root = tmp_path / "webshop"
    if not root.exists():
        shutil.copytree(EXAMPLE, root)
        (root / "backend" / "broken.py").write_text("def broken(:\n    pass\n")
        (root / "backend" / "logo.png").write_bytes(b"\0\1\2" * 10)
    result = review(root, None, jobs=1, spool_from=spool_from)
    result.started_at, result.finished_at, result.duration_seconds = "2026-01-01T00:00:00+00:00", "", 1.0
    return _with_everything(result)


@pytest.mark.parametrize("fmt", STREAMED)
def test_the_pieces_are_the_report(fmt: str) -> None:
    for result in (_rich_review(), sample_review(), ReviewResult(root="r", rule_pack_version="v", started_at="")):
        assert "".join(_chunks(fmt)(result)) == render(result, fmt) == "".join(render_chunks(result, fmt))
    rich = _rich_review()
    assert len(list(_chunks(fmt)(rich))) > len(rich.findings) + len(rich.diagnostics)  # not one piece


@pytest.mark.parametrize("fmt", STREAMED)
def test_a_spooled_review_in_pieces_is_the_in_memory_report(fmt: str, tmp_path: Path) -> None:
    with _spooled_review(tmp_path, 0) as spooled:
        assert isinstance(spooled.findings, Spooled)
        assert len({f.severity for f in spooled.findings}) >= 3
        assert spooled.diagnostics
        assert spooled.architecture is not None
        assert "".join(_chunks(fmt)(spooled)) == render(_spooled_review(tmp_path, 10**9), fmt)
        assert not spooled.findings.loaded


def test_every_format_has_pieces() -> None:
    for fmt in FORMATS:
        assert callable(getattr(importlib.import_module(FORMATS[fmt]), "chunks", None)), fmt


class _Pulled(Spooled[Finding]):
    """Spooled findings that count, for each listing in report order, how many it has handed out so far."""

    def __init__(self, spool: Spool) -> None:
        super().__init__(spool, "findings")
        self.passes: list[int] = []

    def ordered(self) -> Iterator[Finding] | None:
        order = super().ordered()
        if order is None:
            return None
        self.passes.append(0)
        return self._counted(order, len(self.passes) - 1)

    def _counted(self, order: Iterator[Finding], number: int) -> Iterator[Finding]:
        for finding in order:
            self.passes[number] += 1
            yield finding


def _spooled_findings(count: int, message: str = "") -> ReviewResult:
    """A spooled result of ``count`` findings of several severities and rules, 100 a file, in ``count // 100``
    files, and a diagnostic (close it to remove the spool)."""
    spool = Spool()
    severities = list(Severity)
    for number in range(count // 100):
        path = f"pkg/mod{number:04d}.py"
        findings = [
            make_finding(
                "PY-S001" if line % 3 else "XX-P900",
                path,
                line,
                severity=severities[line % len(severities)],
                message=f"{MARK} {number * 100 + line}{message}",
            )
            for line in range(1, 101)
        ]
        spool.add_file(FileRecord(path, "python", 100, "0" * 64), findings, [], {})
    spool.add_diagnostics([Diagnostic(DiagnosticKind.SYNTAX_ERROR, "pkg/broken.py", "does not parse", 1)])
    spool.finish()
    return ReviewResult(
        root="/r",
        rule_pack_version="v",
        started_at="",
        files=Spooled(spool, "files"),
        findings=_Pulled(spool),
        diagnostics=Spooled(spool, "diagnostics"),
    )


@pytest.mark.parametrize("fmt", STREAMED)
def test_the_findings_are_read_as_their_pieces_are_taken(fmt: str) -> None:
    with _spooled_findings(2000) as result:
        findings = result.findings
        assert isinstance(findings, _Pulled)
        pieces = _chunks(fmt)(result)
        taken = 0
        for piece in pieces:
            taken += MARK in piece
            if taken == 10:
                break
        assert 10 <= findings.passes[-1] <= 12  # the one listing them, a finding or two ahead at most
        assert findings.passes[:-1] == ([2000] if fmt == "sarif" else [])  # SARIF first gathers the rules
        rest = "".join(pieces)
        assert findings.passes[-1] == 2000
        assert rest.count(MARK) == 1990
        assert not findings.loaded


@pytest.mark.slow
@pytest.mark.parametrize("fmt", STREAMED)
def test_the_peak_memory_of_writing_a_report_does_not_grow_with_it(fmt: str, tmp_path: Path) -> None:
    """Writing a spooled report of 2,600 findings peaks where one of 1,100 does (both list more than two of the
    spool's batches of rows), far below the 2 MB or more it writes."""
    with _spooled_findings(100) as warm_up:
        "".join(render_chunks(warm_up, fmt))  # imports what the format imports
    peaks, sizes = [], []
    for count in (1100, 2600):
        with _spooled_findings(count, message=" " + "x" * 1500) as result:
            target = tmp_path / f"{count}.{fmt}"
            tracemalloc.start()
            try:
                with target.open("w", encoding="utf-8") as out:
                    out.writelines(render_chunks(result, fmt))
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
            sizes.append(target.stat().st_size)
    growth, added = peaks[1] - peaks[0], sizes[1] - sizes[0]
    assert added > 2_000_000
    assert growth < added / 4, f"the peak grew {growth} bytes for {added} bytes more report"
