"""Review results: an analysis's summary, its findings filtered through the API, one finding's code, dataflow and
fix, and its triage (stored through the API)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app.client import ApiClient
from app.session import CLIENT_KEY
from tests.app.conftest import LiveApi

PAGE = "pages/results.py"
CODE = (
    "import os\nimport yaml\n\n\n"
    "def run():\n    command = input()\n    os.system(command)\n\n\n"
    "def load(text):\n    return yaml.load(text)\n\n\n"
    "def add(item, bucket=[]):\n    bucket.append(item)\n    return bucket\n"
)
SHELL, YAML, DEFAULT = "PY-S002", "PY-S005", "PY-Q002"


def analyzed(api: ApiClient, code: str = CODE, project_id: str | None = None) -> str:
    """Start a snippet analysis through the API and wait for it to finish; its id."""
    body: dict[str, Any] = {"kind": "snippet", "language": "python", "code": code}
    if project_id is not None:
        body["project_id"] = project_id
    analysis_id = str(api.post("/api/analyze", body)["id"])
    deadline = time.monotonic() + 30
    while api.get(f"/api/analyze/{analysis_id}", limit=1)["analysis"]["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.1)
    return analysis_id


def api_of(app: AppTest) -> ApiClient:
    return app.session_state[CLIENT_KEY]


def rules(app: AppTest) -> list[str]:
    [table] = app.dataframe if len(app.dataframe) == 1 else app.dataframe[:1]
    return [row["rule"] for row in table.value.to_dict("records")]


def choose(app: AppTest, rule: str) -> AppTest:
    finding = app.selectbox(key="results_finding")
    [index] = [i for i, label in enumerate(finding.options) if f" · {rule} · " in label]
    finding.select_index(index).run()
    assert not app.exception
    return app


def texts(elements: Any) -> list[str]:
    return [element.value for element in elements]


@pytest.fixture
def opened(dashboard: Callable[..., AppTest]) -> tuple[AppTest, str]:
    """The results page of a reviewer's analysis of CODE, opened by its id."""
    app = dashboard("reviewer", PAGE)
    assert texts(app.info) == ["Start a review on New review, or find an analysis above."]
    analysis_id = analyzed(api_of(app))
    app.text_input(key="results_id").input(analysis_id).run()
    assert not app.exception
    return app, analysis_id


def test_the_summary_and_the_findings_are_listed_and_filtered(opened: tuple[AppTest, str]) -> None:
    app, _ = opened

    metrics = {metric.label: metric.value for metric in app.metric}
    assert (metrics["Findings"], metrics["High"], metrics["Medium"], metrics["Critical"]) == ("3", "2", "1", "0")
    assert "**AI review:** not requested" in texts(app.markdown)
    assert "Quality gate: no gate configured for this review." in texts(app.caption)
    assert rules(app) == [SHELL, YAML, DEFAULT]
    [first] = app.dataframe[0].value.to_dict("records")[:1]
    assert (first["file"], first["line"], first["CWE"], first["triage"]) == ("snippet.py", 7, "CWE-78", "Open")

    app.multiselect(key="results_severity").select("medium").run()
    assert rules(app) == [DEFAULT]
    app.multiselect(key="results_severity").unselect("medium").run()
    app.selectbox(key="results_cwe").select(502).run()
    assert rules(app) == [YAML]
    app.selectbox(key="results_cwe").set_value(None)
    app.multiselect(key="results_category").select("security")
    app.text_input(key="results_rule").input("PY-S").run()
    assert rules(app) == [SHELL, YAML]
    app.text_input(key="results_path").input("elsewhere/").run()
    assert texts(app.success) == ["No findings match these filters."]


def test_a_finding_shows_its_code_flow_and_fix(opened: tuple[AppTest, str]) -> None:
    app, _ = opened

    choose(app, SHELL)
    assert app.subheader[0].value.startswith(f"{SHELL}: ")
    [marked] = [m.value for m in app.markdown if "<mark" in m.value]
    assert "7 │ </span>os.system(command)</mark>" in marked
    [flow] = [m.value for m in app.markdown if m.value.startswith("**Dataflow**")]
    assert "source → sink: line 6 → line 6 → line 7" in flow
    assert "1. line 6, column 15: source: input()" in flow
    assert not [c for c in app.code if c.language == "diff"]

    choose(app, YAML)
    assert not [m for m in app.markdown if m.value.startswith("**Dataflow**")]
    [diff] = [c.value for c in app.code if c.language == "diff"]
    assert "-    return yaml.load(text)\n+    return yaml.safe_load(text)" in diff
    assert [c.value for c in app.code if c.language == "python"] == ["return yaml.load(text)"]


def test_marking_a_false_positive_is_stored_and_shown(opened: tuple[AppTest, str]) -> None:
    app, analysis_id = opened
    choose(app, YAML)
    assert "Current triage: **Open**" in texts(app.markdown)

    app.text_area(key="results_comment").input("the text is our own config")
    app.button(key="results_false_positive").click().run()

    assert not app.exception
    assert texts(app.success) == ["Marked False positive."]
    fingerprint = app.selectbox(key="results_finding").value
    stored = api_of(app).get(f"/api/analyze/{analysis_id}/findings/{fingerprint}/triage")
    assert (stored["status"], stored["comment"]) == ("false_positive", "the text is our own config")
    assert "Current triage: **False positive** — the text is our own config" in texts(app.markdown)
    history = app.dataframe[1].value.to_dict("records")
    assert [(h["status"], h["comment"]) for h in history] == [("False positive", "the text is our own config")]

    app.multiselect(key="results_status").select("false_positive").run()
    assert rules(app) == [YAML]
    assert app.dataframe[0].value.to_dict("records")[0]["triage"] == "False positive"


def test_a_project_version_is_picked_with_its_gate(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    api = api_of(app)
    project = api.post("/api/projects", {"name": "gated"})
    api.put(f"/api/projects/{project['id']}/policy", {"fail_on": "high"})
    analysis_id = analyzed(api, project_id=project["id"])
    app.run()

    app.selectbox(key="results_project").select(project["id"]).run()
    app.selectbox(key="results_version").select(analysis_id).run()

    assert app.text_input(key="results_id").value == analysis_id
    [failed] = texts(app.error)
    assert failed.startswith("Quality gate failed")
    assert "findings at or above high: 2 (limit 0)" in failed
    assert rules(app) == [SHELL, YAML, DEFAULT]


def test_unknown_and_malformed_ids_are_refused_readably(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    other = live_api.client("reviewer")
    try:
        theirs = analyzed(other, "x = 1\n")
    finally:
        other.close()
    app = dashboard("viewer", PAGE)

    app.text_input(key="results_id").input(theirs).run()
    assert texts(app.error) == [f"no analysis {theirs}"]
    assert not app.dataframe

    app.text_input(key="results_id").input("not an id").run()
    assert texts(app.error) == ["An analysis id looks like 0b5c2d8e-…: lowercase hexadecimal digits and dashes."]
