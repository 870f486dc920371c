"""Metrics in reviews: computed per file, cached, stored, limited by threshold rules and the quality gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.engine.cache import SqliteResultCache
from reviewlab.engine.config import GateConfig, ReviewConfig, load_config
from reviewlab.engine.gate import evaluate
from reviewlab.engine.pipeline import review, review_snippet

BRANCHY = """\
def route(kind, a, b):
    if kind == 1:
        return a
    elif kind == 2:
        return b
    for x in a:
        if x and b:
            return x
    return None


def many(a, b, c, d, e, f, g, h):
    return a
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "route.py").write_text(BRANCHY)
    (root / "web.js").write_text("function f(a) {\n  // hi\n  return a ? 1 : 2;\n}\n")
    (root / "notes.txt").write_text("not code\n")
    return root


def test_every_parsed_file_carries_its_metrics(project: Path) -> None:
    result = review(project, ReviewConfig(), jobs=1)
    by_path = {f.path: f.metrics for f in result.files}
    route = by_path["pkg/route.py"]
    assert route is not None
    assert [(f["name"], f["cyclomatic"], f["cognitive"], f["parameters"]) for f in route["functions"]] == [
        ("route", 6, 6, 3),
        ("many", 1, 0, 8),
    ]
    web = by_path["web.js"]
    assert web is not None
    assert (web["comment_lines"], web["functions"][0]["cyclomatic"]) == (1, 2)
    assert by_path.get("notes.txt") is None  # text files have no metrics


def test_metrics_come_back_from_the_cache_and_can_be_turned_off(project: Path, tmp_path: Path) -> None:
    cache = SqliteResultCache(tmp_path / "cache.db")
    try:
        cold = review(project, ReviewConfig(), jobs=1, cache=cache)
        warm = review(project, ReviewConfig(), jobs=1, cache=cache)
        off = review(project, ReviewConfig(metrics=False), jobs=1, cache=cache)
    finally:
        cache.close()
    assert warm.cache_hits == len(warm.files)
    assert [f.metrics for f in warm.files] == [f.metrics for f in cold.files]
    assert off.cache_hits == 0  # metrics off is another analysis, not a stale cache entry
    assert all(f.metrics is None for f in off.files)


def test_a_snippet_review_has_metrics() -> None:
    result = review_snippet(BRANCHY, "python")
    [record] = result.files
    assert record.metrics is not None
    assert len(record.metrics["functions"]) == 2


def test_default_thresholds_report_through_a_review(project: Path) -> None:
    result = review(project, ReviewConfig(select=("GEN-Q00",)), jobs=1)
    assert [(f.rule_id, f.span.start_line, f.message) for f in result.findings] == [
        ("GEN-Q006", 12, "`many` has parameter count 8 (limit 7).")
    ]


def test_threshold_options_come_from_the_project_config(project: Path) -> None:
    (project / ".reviewlab.toml").write_text(
        '[reviewlab]\nselect = ["GEN-Q003", "GEN-Q005"]\n'
        "[reviewlab.rules.GEN-Q003]\nmax_cognitive = 5\n[reviewlab.rules.GEN-Q005]\nmax_lines = 8\n"
    )
    result = review(project, load_config(project / ".reviewlab.toml"), jobs=1)
    assert [(f.rule_id, f.path, f.span.start_line) for f in result.findings] == [
        ("GEN-Q003", "pkg/route.py", 1),
        ("GEN-Q005", "pkg/route.py", 1),
    ]
    assert "cognitive complexity 6 (limit 5)" in result.findings[0].message


def test_the_gate_limits_the_highest_complexity(project: Path) -> None:
    result = review(project, ReviewConfig(select=("GEN-Q006",)), jobs=1)
    verdict = evaluate(result, GateConfig(max_complexity=5, max_cognitive=6))
    assert verdict is not None
    assert [(c.name, c.limit, c.actual, c.passed) for c in verdict.conditions] == [
        ("highest cyclomatic complexity of a function", 5, 6, False),
        ("highest cognitive complexity of a function", 6, 6, True),
    ]


def test_cli_json_report_has_metrics_and_the_gate_fails_on_complexity(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".reviewlab.toml").write_text("[reviewlab.gate]\nmax_complexity = 5\n")
    code = main(["review", str(project), "--format", "json", "--no-cache"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["gate"]["passed"] is False
    route = next(f for f in data["files"] if f["path"] == "pkg/route.py")
    assert route["metrics"]["functions"][0]["maintainability_index"] > 0
