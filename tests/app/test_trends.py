"""The Trends page against the live API and a warehouse history written with the library's ``Warehouse``."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import reviewlab.warehouse
from app.client import ApiClient
from app.session import CLIENT_KEY
from reviewlab.engine.model import Category, FileRecord, Finding, ReviewResult, Severity
from reviewlab.warehouse import Warehouse, WarehouseQueries
from tests.app.conftest import LiveApi
from tests.warehouse import synthetic_finding

PAGE = "pages/trends.py"
NOW = datetime.now(UTC).replace(microsecond=0)

# fingerprint -> (rule, severity, category, path)
KINDS = {
    "F1": ("PY-S001", Severity.HIGH, Category.SECURITY, "app.py"),
    "F2": ("PY-Q001", Severity.LOW, Category.QUALITY, "util.py"),
    "F3": ("PY-S002", Severity.CRITICAL, Category.SECURITY, "app.py"),
    "X1": ("PY-SECRET", Severity.CRITICAL, Category.SECURITY, "vault.py"),
}
# days ago, fingerprints present: F1 fixed after 5 days (120 h), F3 after 6 days (144 h), F2 stays
HISTORY = [(10, ("F1", "F2")), (8, ("F1", "F2", "F3")), (5, ("F2", "F3")), (2, ("F2",))]


def finding(fingerprint: str) -> Finding:
    return synthetic_finding(fingerprint, KINDS)


def review(fingerprints: tuple[str, ...], step: int) -> ReviewResult:
    functions = [
        {"name": "big", "cyclomatic": step, "cognitive": 2 * step},
        {"name": "small", "cyclomatic": 1, "cognitive": 0},
    ]
    metrics = {
        "code_lines": 30,
        "comment_lines": 5,
        "cyclomatic": step + 1,
        "maintainability_index": 50.0,
        "functions": functions,
    }
    return ReviewResult(
        root="/repo",
        rule_pack_version="test",
        started_at="",
        duration_seconds=1.0,
        files=[FileRecord("app.py", "python", 40, "0" * 64, metrics=metrics)],
        findings=[finding(fp) for fp in fingerprints],
    )


def record_history(root: Path, project_id: str) -> None:
    """Four scans of the project: F1 found then fixed, F3 found then fixed, F2 triaged false positive."""
    with Warehouse(root) as warehouse:
        for step, (days_ago, fingerprints) in enumerate(HISTORY, start=1):
            warehouse.append_review(
                review(fingerprints, step),
                repository=project_id,
                scan_id=f"{project_id}-{step}",
                commit=f"c{step}",
                ref="main",
                scanned_at=NOW - timedelta(days=days_ago),
                triage={"F2": "false_positive"},
                gate_passed=step != 2,
            )


CHARTS = {
    "Open findings by severity": "severity",
    "Open findings by category": "category",
    "Found new, and fixed": "new_fixed",
    "Mean time to fix by severity": "time_to_fix",
    "Files by severity-weighted findings": "hotspots",
    "Function complexity": "complexity",
    "Findings triaged as false positives": "false_positives",
}


def charts(app: AppTest) -> dict[str, pd.DataFrame]:
    """Each altair chart's data, by what it shows (its title)."""
    found = {}
    for element in app.get("vega_lite_chart"):
        title = json.loads(element.proto.spec)["title"]
        (name,) = [name for start, name in CHARTS.items() if title.startswith(start)]
        (dataset,) = element.proto.datasets
        found[name] = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    return found


def texts(app: AppTest) -> str:
    return " ".join(str(e.value) for e in [*app.markdown, *app.info, *app.caption])


@pytest.fixture
def warehouse_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse of this test's own, where the page (and the API's settings) look for it."""
    root = tmp_path / "warehouse"
    monkeypatch.setenv("REVIEWLAB_WAREHOUSE_DIR", str(root))
    return root


@pytest.mark.slow
def test_the_charts_show_the_users_projects_history(
    dashboard: Callable[..., AppTest], live_api: LiveApi, warehouse_dir: Path
) -> None:
    app = dashboard("reviewer", PAGE)
    mine: ApiClient = app.session_state[CLIENT_KEY]
    project = mine.post("/api/projects", {"name": f"shop-{secrets.token_hex(3)}"})
    record_history(warehouse_dir, project["id"])
    outsider = live_api.client("reviewer")
    try:
        theirs = outsider.post("/api/projects", {"name": "secret"})
    finally:
        outsider.close()
    with Warehouse(warehouse_dir) as warehouse:
        warehouse.append_review(
            ReviewResult(root="/", rule_pack_version="t", started_at="", findings=[finding("X1")] * 1),
            repository=theirs["id"],
            scan_id="theirs-1",
            commit=None,
            ref=None,
            scanned_at=NOW - timedelta(days=3),
            triage={"X1": "false_positive"},
        )

    app.run()
    assert not app.exception, app.exception
    assert not app.error
    data = charts(app)
    assert list(data) == list(CHARTS.values())
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Scans"] == "4"
    assert metrics["Open findings (latest scans)"] == "1"
    assert metrics["Gate pass rate"] == "75%"
    assert metrics["Mean time to fix"] == "5.5 days"  # (120 h + 144 h) / 2
    assert (metrics["Fixed"], metrics["Still open"]) == ("2", "1")

    severity = data["severity"]
    per_day = severity.groupby("period_start")["findings"].sum().tolist()
    assert per_day == [2, 3, 2, 1]
    assert severity[severity["severity"] == "critical"]["findings"].tolist() == [0, 1, 1, 0]
    category = data["category"]
    assert category.groupby("category")["findings"].sum().to_dict()["security"] == 1 + 2 + 1 + 0

    churn = data["new_fixed"].sort_values(["scanned_at", "change"])
    assert churn[churn["change"] == "new"]["count"].tolist() == [2, 1, 0, 0]
    assert churn[churn["change"] == "fixed"]["count"].tolist() == [0, 0, 1, 1]

    fix = data["time_to_fix"].set_index("severity")["mean_hours"].to_dict()
    assert fix == {"high": 120.0, "critical": 144.0}
    assert data["hotspots"][["file", "score", "findings"]].values.tolist() == [["util.py", 1.0, 1]]
    complexity = data["complexity"]
    assert complexity[complexity["measure"] == "Highest cyclomatic"]["value"].tolist() == [1, 2, 3, 4]
    noisy = data["false_positives"]
    assert noisy[["rule_id", "false_positives"]].values.tolist() == [["PY-Q001", 1]]

    # nothing of the project the user cannot see
    everything = " ".join(frame.to_csv() for frame in data.values())
    assert "vault.py" not in everything
    assert "PY-SECRET" not in everything
    assert "secret" not in app.multiselect(key="trends_projects").options


def test_the_period_narrows_the_charts(dashboard: Callable[..., AppTest], warehouse_dir: Path) -> None:
    app = dashboard("reviewer", PAGE)
    project = app.session_state[CLIENT_KEY].post("/api/projects", {"name": "old"})
    with Warehouse(warehouse_dir) as warehouse:
        warehouse.append_review(
            review(("F1",), 1),
            repository=project["id"],
            scan_id="old-1",
            commit=None,
            ref=None,
            scanned_at=NOW - timedelta(days=60),
        )
    app.run()
    assert "No scans of this project in the last 30 days" in texts(app)
    app.radio(key="trends_period").set_value(90).run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Scans"] == "1"
    assert "severity" in charts(app)


def test_an_empty_warehouse_explains_where_the_data_comes_from(
    dashboard: Callable[..., AppTest], warehouse_dir: Path
) -> None:
    app = dashboard("viewer", PAGE)
    assert not app.exception
    assert "You are not a member of any project yet" in texts(app)
    assert "Dagster" in texts(app)

    app = dashboard("reviewer", PAGE)
    app.session_state[CLIENT_KEY].post("/api/projects", {"name": "fresh"})
    app.run()
    assert not app.exception, app.exception
    assert not app.error
    assert "None of your projects has been scanned yet" in texts(app)
    assert "Dagster" in texts(app)
    assert not app.get("vega_lite_chart")
    assert not warehouse_dir.exists()  # the page only reads


def test_reruns_share_one_reader_that_sees_new_scans(
    dashboard: Callable[..., AppTest], warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[WarehouseQueries] = []

    class CountedQueries(WarehouseQueries):
        def __init__(self, root: Path) -> None:
            super().__init__(root)
            opened.append(self)

    # The page imports WarehouseQueries from the package on every run, so each reader it opens is counted.
    monkeypatch.setattr(reviewlab.warehouse, "WarehouseQueries", CountedQueries)
    app = dashboard("reviewer", PAGE)
    project = app.session_state[CLIENT_KEY].post("/api/projects", {"name": "cached"})
    record_history(warehouse_dir, project["id"])

    def scans_shown() -> str:
        app.run()
        assert not app.exception, app.exception
        assert not app.error
        return str({m.label: m.value for m in app.metric}["Scans"])

    assert [scans_shown(), scans_shown()] == ["4", "4"]
    assert len(opened) == 1
    with Warehouse(warehouse_dir) as warehouse:
        warehouse.append_review(
            review(("F2",), 5),
            repository=project["id"],
            scan_id=f"{project['id']}-5",
            commit="c5",
            ref="main",
            scanned_at=NOW - timedelta(days=1),
        )

    assert scans_shown() == "5"  # the writer's marker moved: the same reader rebuilt its snapshot
    assert len(opened) == 1
