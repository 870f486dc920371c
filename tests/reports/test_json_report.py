"""The JSON report keeps its documented shape and round-trips to the same review."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from reviewlab import __version__
from reviewlab.engine.model import Finding, ReviewResult
from reviewlab.errors import InputError
from reviewlab.reports import json_report, render, render_chunks
from reviewlab.reports.ordering import sorted_findings


def test_top_level_shape(review: ReviewResult) -> None:
    data = json.loads(json_report.render(review))
    assert list(data) == [
        "schema_version",
        "tool",
        "root",
        "rule_pack_version",
        "started_at",
        "finished_at",
        "duration_seconds",
        "summary",
        "findings",
        "diagnostics",
        "files",
    ]
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "reviewlab", "version": __version__}
    assert data["root"] == "/work/project with space"
    assert data["duration_seconds"] == 1.5


def test_summary(review: ReviewResult) -> None:
    summary = json.loads(json_report.render(review))["summary"]
    assert summary == {
        "files": 3,
        "lines": 31,
        "findings": 5,
        "by_severity": {"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 0},
        "by_category": {"security": 3, "quality": 1, "performance": 1, "architecture": 0},
        "cache_hits": 1,
    }


def test_findings_sorted_by_path_line_column_rule(review: ReviewResult) -> None:
    findings = json.loads(json_report.render(review))["findings"]
    keys = [(f["path"], f["start_line"], f["start_column"], f["rule_id"]) for f in findings]
    assert keys == sorted(keys)


def test_findings_round_trip(review: ReviewResult) -> None:
    findings = json.loads(json_report.render(review))["findings"]
    assert [Finding.from_dict(f) for f in findings] == sorted_findings(review)


def test_whole_report_round_trips(review: ReviewResult) -> None:
    text = json_report.render(review)
    loaded = json_report.load(text)
    assert json_report.render(loaded) == text
    assert sorted(loaded.findings, key=lambda f: f.fingerprint) == sorted(review.findings, key=lambda f: f.fingerprint)


def test_unicode_is_kept_readable(review: ReviewResult) -> None:
    text = json_report.render(review)
    assert "naïve file.py" in text
    assert "✓" in text
    assert text.endswith("}\n")


def test_diagnostics_and_files_sorted(review: ReviewResult) -> None:
    data = json.loads(json_report.render(review))
    assert [d["path"] for d in data["diagnostics"]] == ["", "app/broken.py", "img/logo.png"]
    assert data["diagnostics"][1] == {
        "kind": "syntax-error",
        "path": "app/broken.py",
        "message": "syntax error near line 4; the parts that parse were analysed",
        "line": 4,
    }
    assert data["files"][0] == {
        "path": "app/main.py",
        "language": "python",
        "lines": 20,
        "sha256": "2" * 64,
        "cached": True,
    }
    assert [f["path"] for f in data["files"]] == ["app/main.py", "src dir/naïve file.py", "web/app.js"]


def test_load_refuses_other_documents() -> None:
    with pytest.raises(InputError, match="schema_version"):
        json_report.load('{"schema_version": 2}')


def test_the_report_in_pieces_is_the_report(review: ReviewResult) -> None:
    pieces = list(json_report.chunks(review))
    assert "".join(pieces) == json_report.render(review)
    assert "".join(render_chunks(review, "json")) == render(review, "json")
    assert len(pieces) > len(review.findings) + len(review.files)  # one piece per element, not one document
    assert "".join(render_chunks(review, "sarif")) == render(review, "sarif")
    empty = ReviewResult(root="/r", rule_pack_version="1", started_at="s")
    assert "".join(json_report.chunks(empty)) == json_report.render(empty)
    assert json.loads(json_report.render(empty))["findings"] == []


def test_the_pieces_encode_each_finding_only_when_its_turn_comes(
    review: ReviewResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[str] = []
    to_dict = Finding.to_dict
    monkeypatch.setattr(Finding, "to_dict", lambda self: encoded.append(self.rule_id) or to_dict(self))
    pieces = json_report.chunks(review)
    assert len(review.findings) >= 2
    while not next(pieces).startswith(',\n  "findings"'):
        pass  # up to the findings list, whose opening piece carries the first finding
    assert len(encoded) == 1
    next(pieces)
    assert len(encoded) == 2


def test_the_cli_writes_the_json_report_piece_by_piece(
    review: ReviewResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewlab import cli

    written: list[str] = []

    class Recorder:
        def __init__(self, target: Any) -> None:
            self.target = target

        def __enter__(self) -> Recorder:
            return self

        def __exit__(self, *exc: object) -> None:
            self.target.close()

        def writelines(self, pieces: Iterable[str]) -> None:
            for piece in pieces:
                written.append(piece)
                self.target.write(piece)

    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: Recorder(real_open(self, *a, **k)))
    cli._write(tmp_path / "out" / "r.json", render_chunks(review, "json"))
    monkeypatch.undo()
    assert (tmp_path / "out" / "r.json").read_text(encoding="utf-8") == render(review, "json")
    assert len(written) > len(review.findings)
