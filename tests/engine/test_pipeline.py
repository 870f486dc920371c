"""The review pipeline: parallel analysis, the result cache, fingerprints, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.engine.analyzer import RulePack, analyze_source
from reviewlab.engine.cache import NullCache, SqliteResultCache
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import Category, Confidence, DiagnosticKind, Severity
from reviewlab.engine.pipeline import ProgressEvent, analyze_items, review, review_snippet
from reviewlab.engine.rules import get_rule
from reviewlab.engine.rules.base import Rule, RuleDocs
from reviewlab.errors import InputError

VULNERABLE = "import os\n\n\ndef run(cmd):\n    return eval(cmd or os.sep)\n"


def keyed(result) -> list[tuple[str, int, str]]:
    return [(f.path, f.span.start_line, f.rule_id) for f in result.findings]


def make_tree(root: Path, count: int) -> None:
    for i in range(count):
        (root / f"pkg{i % 7}").mkdir(exist_ok=True)
        (root / f"pkg{i % 7}" / f"mod{i}.py").write_text(VULNERABLE + f"\nVALUE = {i}\n" + "x = 1\n" * (i % 50))


def test_parallel_and_serial_agree(tmp_path: Path) -> None:
    make_tree(tmp_path, 150)  # more than one chunk, so the process pool really runs
    serial = review(tmp_path, ReviewConfig(), jobs=1)
    parallel = review(tmp_path, ReviewConfig(), jobs=2)
    assert keyed(serial) == keyed(parallel)
    assert [f.fingerprint for f in serial.findings] == [f.fingerprint for f in parallel.findings]
    assert len(serial.files) == 150
    assert serial.lines == parallel.lines > 150 * 7


def test_warm_review_reuses_every_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_tree(src, 20)
    cache = SqliteResultCache(tmp_path / "cache" / "results.sqlite3")
    cold = review(src, ReviewConfig(), jobs=1, cache=cache)
    warm = review(src, ReviewConfig(), jobs=1, cache=cache)
    assert cold.cache_hits == 0
    assert warm.cache_hits == 20
    assert keyed(warm) == keyed(cold)
    assert [f.to_dict() for f in warm.findings] == [f.to_dict() for f in cold.findings]

    (src / "pkg0" / "mod0.py").write_text("eval('2')\n")
    edited = review(src, ReviewConfig(), jobs=1, cache=cache)
    assert edited.cache_hits == 19
    assert next(f for f in edited.files if not f.cached).path == "pkg0/mod0.py"

    # Different rule options must not reuse results computed under other options.
    stricter = review(src, ReviewConfig(rules={"PY-Q003": {"max_complexity": 1}}), jobs=1, cache=cache)
    assert stricter.cache_hits == 0
    cache.close()


def test_corrupt_cache_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = SqliteResultCache(path)
    (tmp_path / "a.py").write_text(VULNERABLE)
    assert keyed(review(tmp_path / "a.py", ReviewConfig(), cache=cache)) == [("a.py", 5, "PY-S001")]
    cache.close()


def test_fingerprint_survives_edits_above(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(VULNERABLE)
    before = review(path, ReviewConfig()).findings
    path.write_text("# a new header comment\nimport sys  # noqa: F401\n\n" + VULNERABLE)
    after = review(path, ReviewConfig()).findings
    assert [f.span.start_line for f in after] == [f.span.start_line + 3 for f in before]
    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]


def test_identical_lines_get_distinct_fingerprints(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("eval(input())\neval(input())\n")
    prints = [f.fingerprint for f in review(path, ReviewConfig()).findings]
    assert len(prints) == len(set(prints)) == 2


def test_progress_events(tmp_path: Path) -> None:
    make_tree(tmp_path, 5)
    events: list[ProgressEvent] = []
    review(tmp_path, ReviewConfig(), jobs=1, progress=events.append)
    assert events[0] == ProgressEvent("discover", 5, 5)
    assert [e.done for e in events if e.stage == "analyze"] == [1, 2, 3, 4, 5]
    assert events[-1].stage == "done"


def test_syntax_error_is_a_diagnostic_and_the_rest_is_analysed(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def broken(:\n    pass\n\n\ndef fine(x):\n    return eval(x)\n")
    result = review(path, ReviewConfig())
    assert keyed(result) == [("broken.py", 6, "PY-S001")]
    assert [d.kind for d in result.diagnostics] == [DiagnosticKind.SYNTAX_ERROR]
    assert result.diagnostics[0].line == 1


def test_inline_suppression(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(
        "eval(input())  # reviewlab: ignore\n"
        "eval(input())  # reviewlab: ignore[PY-S001]\n"
        "eval(input())  # reviewlab: ignore[PY-Q001]\n"
    )
    findings = review(path, ReviewConfig()).findings
    assert [f.span.start_line for f in findings if f.rule_id == "PY-S001"] == [3]


def test_blanket_unknown_and_stale_suppressions_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(
        "eval(input())  # reviewlab: ignore\n"
        "eval(input())  # reviewlab: ignore[PY-S001] reviewed: trusted operator input\n"
        "eval(input())  # reviewlab: ignore[PY-Q001]\n"
        "x = 1  # reviewlab: ignore[NOPE-1]\n"
        "y = 2  # reviewlab: ignore[PY-S001, GEN-Q001] kept on purpose\n"
    )
    found = {(f.span.start_line, f.message) for f in review(path, ReviewConfig()).findings if f.rule_id == "GEN-Q001"}
    assert found == {
        (1, "This suppression names no rule; name the rule it silences (`reviewlab: ignore[RULE-ID] reason`)."),
        (3, "This suppression suppresses nothing: PY-Q001 reports nothing on this line."),
        (4, "This suppression names unknown rule(s) NOPE-1."),
    }
    deselected = review(path, ReviewConfig(ignore=("PY-Q",))).findings
    assert {f.span.start_line for f in deselected if f.rule_id == "GEN-Q001"} == {1, 4}


def test_select_and_ignore(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(VULNERABLE)
    assert keyed(review(path, ReviewConfig(ignore=("PY-S001",)))) == []
    assert keyed(review(path, ReviewConfig(select=("JS-",)))) == []
    assert keyed(review(path, ReviewConfig(select=("PY-S001",)))) == [("a.py", 5, "PY-S001")]


def _exploding(rule: Rule, captures: object, ctx: object) -> list[object]:
    raise RuntimeError("rule bug")


def test_a_failing_rule_becomes_a_diagnostic() -> None:
    bad = Rule(
        id="PY-Q999",
        title="explodes",
        category=Category.QUALITY,
        severity=Severity.LOW,
        confidence=Confidence.LOW,
        cwe=None,
        languages=("python",),
        message="m",
        docs=RuleDocs("w", "w", "e", "u"),
        query="(identifier) @finding",
        check=_exploding,  # type: ignore[arg-type]
    )
    [(path, outcome)] = analyze_items([("a.py", "python", b"x = 1\n")], RulePack([bad]))
    assert (path, outcome.findings, outcome.lines) == ("a.py", [], 1)
    diagnostics = outcome.diagnostics
    assert diagnostics[0].kind is DiagnosticKind.INTERNAL_ERROR
    assert "RuntimeError: rule bug" in diagnostics[0].message


def test_columns_count_code_points() -> None:
    pack = RulePack([r for r in (get_rule("PY-S001"),) if r is not None])
    analysis = analyze_source("a.py", "python", "s = 'héllo' + input(); eval(s)\n".encode(), pack)
    [finding] = analysis.findings
    assert (finding.span.start_column, finding.span.end_column) == (24, 31)


def test_review_snippet() -> None:
    result = review_snippet("eval(input())\n", "python")
    assert keyed(result) == [("snippet.py", 1, "PY-S001")]
    with pytest.raises(InputError, match="unsupported language"):
        review_snippet("x", "cobol")


def test_null_cache_never_hits(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(VULNERABLE)
    cache = NullCache()
    review(tmp_path, ReviewConfig(), cache=cache)
    assert review(tmp_path, ReviewConfig(), cache=cache).cache_hits == 0


def test_include_paths_and_severity_overrides(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "src" / "app.py").write_text("def f(items=[]):\n    return items\n")
    (tmp_path / "scripts" / "tool.py").write_text("def g(items=[]):\n    return items\n")
    config = ReviewConfig(include=("src/",), severity={"PY-Q": "info", "PY-Q002": "high"})
    result = review(tmp_path, config, jobs=1)
    assert [f.path for f in result.files] == ["src/app.py"]
    assert [(f.rule_id, f.severity.value) for f in result.findings] == [("PY-Q002", "high")]
    assert config.severity_for("PY-Q001") == "info"
    assert config.severity_for("JS-S001") is None
    with pytest.raises(ValueError, match="unknown severity"):
        ReviewConfig(severity={"PY-Q002": "urgent"})
