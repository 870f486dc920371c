"""The dashboard queries, answered exactly over a known history of two repositories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reviewlab.engine.model import Category, FileRecord, Finding, ReviewResult, Severity
from reviewlab.engine.pipeline import review_snippet
from reviewlab.warehouse import InvalidQuery, Warehouse, WarehouseQueries
from tests.warehouse import synthetic_finding

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)  # a Monday

# fingerprint -> (rule, severity, category, path)
KINDS = {
    "F1": ("PY-S001", Severity.HIGH, Category.SECURITY, "app.py"),
    "F2": ("PY-Q001", Severity.LOW, Category.QUALITY, "util.py"),
    "F3": ("PY-S002", Severity.CRITICAL, Category.SECURITY, "app.py"),
    "F4": ("PY-Q001", Severity.MEDIUM, Category.QUALITY, "app.py"),
    "G1": ("PY-S001", Severity.HIGH, Category.SECURITY, "main.py"),
    "G2": ("PY-S003", Severity.MEDIUM, Category.SECURITY, "main.py"),
}

# repository, scan id, hours after T0, fingerprints present, triage at scan time
HISTORY: list[tuple[str, str, int, tuple[str, ...], dict[str, str]]] = [
    ("alpha", "a1", 0, ("F1", "F2", "F3"), {"F2": "false_positive"}),
    ("alpha", "a2", 24, ("F1", "F2", "F4"), {"F2": "false_positive"}),
    ("alpha", "a3", 72, ("F2", "F4"), {"F2": "false_positive"}),
    ("alpha", "a4", 192, ("F1", "F2", "F4"), {"F1": "false_positive", "F2": "false_positive", "F4": "false_positive"}),
    ("beta", "b1", 1, ("G1", "G2"), {"G2": "false_positive"}),
    ("beta", "b2", 13, ("G2",), {"G2": "accepted"}),
]


def finding(fingerprint: str) -> Finding:
    return synthetic_finding(fingerprint, KINDS)


def metrics(step: int) -> dict[str, Any]:
    """A file with two functions: cyclomatic (step, 1), cognitive (2*step, 0), maintainability 50+step."""
    functions = [
        {"name": "big", "cyclomatic": step, "cognitive": 2 * step},
        {"name": "small", "cyclomatic": 1, "cognitive": 0},
    ]
    return {
        "language": "python",
        "lines": 40,
        "code_lines": 30,
        "comment_lines": 5,
        "cyclomatic": step + 1,
        "maintainability_index": 50.0 + step,
        "has_errors": False,
        "functions": functions,
    }


def review_of(fingerprints: tuple[str, ...], step: int) -> ReviewResult:
    files = [
        FileRecord("app.py", "python", 40, "0" * 64, metrics=metrics(step)),
        FileRecord("util.py", "python", 10, "1" * 64),
    ]
    return ReviewResult(
        root="/repo",
        rule_pack_version="test",
        started_at="",
        duration_seconds=1.5,
        files=files,
        findings=[finding(fp) for fp in fingerprints],
    )


def build_history(root: Path) -> Warehouse:
    warehouse = Warehouse(root)
    for step, (repository, scan_id, hours, fingerprints, triage) in enumerate(HISTORY, start=1):
        warehouse.append_review(
            review_of(fingerprints, step),
            repository=repository,
            scan_id=scan_id,
            commit=f"c-{scan_id}",
            ref="main",
            scanned_at=T0 + timedelta(hours=hours),
            triage=triage,
            gate_passed=step % 2 == 0,
        )
    return warehouse


@pytest.fixture
def queries(tmp_path: Path) -> WarehouseQueries:
    build_history(tmp_path / "warehouse")
    return WarehouseQueries(tmp_path / "warehouse")


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    return list(frame.select(columns).iter_rows())


def test_findings_by_scan_counts_every_severity_of_every_scan(queries: WarehouseQueries) -> None:
    frame = queries.findings_by_scan(repository="alpha")
    assert frame.columns == ["repository", "scan_id", "scanned_at", "severity", "findings"]
    assert rows(frame.filter(pl.col("scan_id") == "a1"), "severity", "findings") == [
        ("critical", 1),
        ("high", 1),
        ("medium", 0),
        ("low", 1),
        ("info", 0),
    ]
    assert frame["scan_id"].unique(maintain_order=True).to_list() == ["a1", "a2", "a3", "a4"]
    assert frame["scanned_at"][0] == T0


def test_findings_by_scan_by_category_with_a_time_window(queries: WarehouseQueries) -> None:
    frame = queries.findings_by_scan("category", since=T0 + timedelta(hours=12), until=T0 + timedelta(hours=72))
    assert rows(frame.filter(pl.col("findings") > 0), "scan_id", "category", "findings") == [
        ("a2", "security", 1),
        ("a2", "quality", 2),
        ("b2", "security", 1),
    ]


def test_findings_by_week_take_each_repository_s_last_scan_of_the_week(queries: WarehouseQueries) -> None:
    frame = queries.findings_by_period("severity", "week")
    assert frame.columns == ["repository", "period_start", "scan_id", "scanned_at", "severity", "findings"]
    weekly = frame.group_by("repository", "period_start", "scan_id", maintain_order=True).agg(pl.col("findings").sum())
    assert rows(weekly, "repository", "period_start", "scan_id", "findings") == [
        ("alpha", date(2024, 3, 4), "a3", 2),
        ("alpha", date(2024, 3, 11), "a4", 3),
        ("beta", date(2024, 3, 4), "b2", 1),
    ]


def test_findings_by_day(queries: WarehouseQueries) -> None:
    frame = queries.findings_by_period("category", "day", repository="beta")
    assert rows(frame.filter(pl.col("findings") > 0), "period_start", "scan_id", "category", "findings") == [
        (date(2024, 3, 4), "b2", "security", 1)
    ]


def test_new_and_fixed_compare_each_scan_with_the_previous_one(queries: WarehouseQueries) -> None:
    frame = queries.new_and_fixed()
    assert frame.columns == ["repository", "scan_id", "scanned_at", "previous_scan_id", "findings", "new", "fixed"]
    assert rows(frame, "scan_id", "previous_scan_id", "findings", "new", "fixed") == [
        ("a1", None, 3, 3, 0),
        ("a2", "a1", 3, 1, 1),
        ("a3", "a2", 2, 0, 1),
        ("a4", "a3", 3, 1, 0),
        ("b1", None, 2, 2, 0),
        ("b2", "b1", 1, 0, 1),
    ]


def test_new_and_fixed_in_a_window_still_compare_with_the_scan_before_it(queries: WarehouseQueries) -> None:
    frame = queries.new_and_fixed(repository="alpha", since=T0 + timedelta(hours=48))
    assert rows(frame, "scan_id", "previous_scan_id", "new", "fixed") == [("a3", "a2", 0, 1), ("a4", "a3", 1, 0)]


def test_time_to_fix_overall(queries: WarehouseQueries) -> None:
    # Fixed: F3 after 24 h, F1 after 72 h (its return in a4 does not count), G1 after 12 h; F2, F4, G2 still open.
    frame = queries.time_to_fix()
    assert frame.to_dicts() == [{"fixed": 3, "still_open": 3, "mean_hours": 36.0, "median_hours": 24.0}]


def test_time_to_fix_per_severity_and_rule(queries: WarehouseQueries) -> None:
    by_severity = queries.time_to_fix("severity")
    assert rows(by_severity, "severity", "fixed", "still_open", "mean_hours") == [
        ("critical", 1, 0, 24.0),
        ("high", 2, 0, 42.0),
        ("low", 0, 1, None),
        ("medium", 0, 2, None),
    ]
    by_rule = queries.time_to_fix("rule_id", repository="alpha")
    assert rows(by_rule, "rule_id", "fixed", "still_open", "mean_hours") == [
        ("PY-Q001", 0, 2, None),
        ("PY-S001", 1, 0, 72.0),
        ("PY-S002", 1, 0, 24.0),
    ]


def test_time_to_fix_counts_the_fingerprints_first_seen_in_the_window(queries: WarehouseQueries) -> None:
    frame = queries.time_to_fix(since=T0 + timedelta(hours=12), until=T0 + timedelta(hours=100))
    assert frame.to_dicts() == [{"fixed": 0, "still_open": 1, "mean_hours": None, "median_hours": None}]  # F4


def test_hotspots_of_the_latest_scans_weighted_by_severity(queries: WarehouseQueries) -> None:
    frame = queries.hotspots()
    assert frame.columns == [
        "repository",
        "path",
        "findings",
        "score",
        "critical",
        "high",
        "medium",
        "low",
        "info",
    ]
    assert rows(frame, "repository", "path", "findings", "score", "high", "medium") == [
        ("alpha", "app.py", 2, 8.0, 1, 1),
        ("beta", "main.py", 1, 3.0, 0, 1),
        ("alpha", "util.py", 1, 1.0, 0, 0),
    ]


def test_hotspots_across_a_window_count_each_fingerprint_once(queries: WarehouseQueries) -> None:
    frame = queries.hotspots(scope="window", limit=2)
    assert rows(frame, "repository", "path", "findings", "score") == [
        ("alpha", "app.py", 3, 18.0),
        ("beta", "main.py", 2, 8.0),
    ]


def test_complexity_trends_per_scan(queries: WarehouseQueries) -> None:
    frame = queries.complexity_trends(repository="alpha")
    assert rows(
        frame, "scan_id", "files", "functions", "max_cyclomatic", "mean_cyclomatic", "max_cognitive", "mean_cognitive"
    ) == [
        ("a1", 2, 2, 1, 1.0, 2, 1.0),
        ("a2", 2, 2, 2, 1.5, 4, 2.0),
        ("a3", 2, 2, 3, 2.0, 6, 3.0),
        ("a4", 2, 2, 4, 2.5, 8, 4.0),
    ]
    assert frame["mean_maintainability"].to_list() == [51.0, 52.0, 53.0, 54.0]
    assert frame["min_maintainability"].to_list() == [51.0, 52.0, 53.0, 54.0]


def test_false_positive_rules_use_each_fingerprint_s_latest_state(queries: WarehouseQueries) -> None:
    # PY-Q001: F2 and F4 both false positives at their last scan; PY-S001: F1 is, G1 is not; G2 ended accepted.
    frame = queries.false_positive_rules()
    assert frame.to_dicts() == [
        {"rule_id": "PY-Q001", "findings": 2, "false_positives": 2, "share": 1.0},
        {"rule_id": "PY-S001", "findings": 2, "false_positives": 1, "share": 0.5},
    ]
    assert queries.false_positive_rules(repository="beta").is_empty()
    assert queries.false_positive_rules(since=T0).equals(frame)
    # Before a4, F1 and F4 were not false positives yet.
    assert queries.false_positive_rules(until=T0 + timedelta(hours=100)).to_dicts() == [
        {"rule_id": "PY-Q001", "findings": 2, "false_positives": 1, "share": 0.5}
    ]


def test_a_repository_name_is_matched_through_its_slug(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    warehouse.append_review(
        review_of(("F1",), 1), repository="acme/App", scan_id="x", commit=None, ref=None, scanned_at=T0
    )
    with WarehouseQueries(tmp_path) as queries:
        assert queries.scans(repository="acme/App")["scan_id"].to_list() == ["x"]
        assert queries.scans(repository="acme-App").is_empty()


def test_an_empty_warehouse_answers_every_query_with_no_rows(tmp_path: Path) -> None:
    with WarehouseQueries(tmp_path) as queries:
        assert queries.scans().is_empty()
        assert queries.findings_by_scan().is_empty()
        assert queries.findings_by_period(period="day").is_empty()
        assert queries.new_and_fixed().columns[-2:] == ["new", "fixed"]
        assert queries.new_and_fixed().is_empty()
        assert queries.time_to_fix().to_dicts() == [
            {"fixed": 0, "still_open": 0, "mean_hours": None, "median_hours": None}
        ]
        assert queries.time_to_fix("rule_id").is_empty()
        assert queries.hotspots().is_empty()
        assert queries.complexity_trends().is_empty()
        assert queries.false_positive_rules().is_empty()
        # Files written after the connection opened are seen by the next query.
        build_history(tmp_path)
        assert queries.scans().height == len(HISTORY)


def test_queries_refuse_naive_datetimes_and_unknown_groupings(queries: WarehouseQueries) -> None:
    with pytest.raises(InvalidQuery, match="timezone-aware"):
        queries.scans(since=datetime(2024, 1, 1))
    with pytest.raises(InvalidQuery, match="grouping"):
        queries.time_to_fix("path")  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match="dimension"):
        queries.findings_by_scan("rule")  # type: ignore[arg-type]


def test_real_reviews_flow_through_the_warehouse(tmp_path: Path) -> None:
    before = "import os\ndef run(cmd):\n    if cmd:\n        os.system(cmd)\n    eval(cmd)\n"
    after = "import os\ndef run(cmd):\n    if cmd:\n        os.system(cmd)\n"
    warehouse = Warehouse(tmp_path)
    first = warehouse.append_review(
        review_snippet(before, "python"), repository="snip", scan_id="1", commit="a", ref="main", scanned_at=T0
    )
    warehouse.append_review(
        review_snippet(after, "python"),
        repository="snip",
        scan_id="2",
        commit="b",
        ref="main",
        scanned_at=T0 + timedelta(hours=3),
    )
    assert {row.rule_id for row in first.findings} == {"PY-S001", "PY-S002"}
    with WarehouseQueries(tmp_path) as queries:
        assert rows(queries.new_and_fixed(), "scan_id", "new", "fixed") == [("1", 2, 0), ("2", 0, 1)]
        assert rows(queries.time_to_fix("rule_id"), "rule_id", "fixed", "mean_hours") == [
            ("PY-S001", 1, 3.0),
            ("PY-S002", 0, None),
        ]
        trends = queries.complexity_trends()
        assert trends["functions"].to_list() == [1, 1]
        assert trends["max_cyclomatic"].to_list() == [2, 2]
        assert trends["mean_maintainability"].null_count() == 0
