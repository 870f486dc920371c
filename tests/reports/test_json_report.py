"""The JSON report keeps its documented shape and round-trips to the same review."""

from __future__ import annotations

import json

import pytest

from reviewlab import __version__
from reviewlab.engine.model import Finding, ReviewResult
from reviewlab.errors import InputError
from reviewlab.reports import json_report
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
