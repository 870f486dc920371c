"""Dataflow paths of taint findings: the model, the rules that attach them, the cache and every report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reviewlab.engine import packversion
from reviewlab.engine.analyzer import RulePack, analyze_source
from reviewlab.engine.cache import SqliteResultCache
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import Category, Confidence, Finding, FlowStep, ReviewResult, Severity, Span
from reviewlab.engine.pipeline import review
from reviewlab.engine.rules import get_rule
from reviewlab.reports import json_report, markdown, sarif, terminal
from tests.reports.test_sarif import validate

APP = """\
from flask import Flask, request

app = Flask(__name__)


@app.get("/download")
def download():
    name = request.args["p"]
    path = name
    return open(path).read()
"""
SOURCE_LINE, NAME_LINE, PATH_LINE, SINK_LINE = 8, 8, 9, 10

HELPERS = """\
import requests
from flask import Flask, request

app = Flask(__name__)


def build(name):
    return "/srv/files/" + name


def target():
    return request.form["url"]


@app.get("/download")
def download():
    p = request.args["p"]
    full = build(p)
    return open(full).read()


@app.post("/preview")
def preview():
    url = target()
    return requests.get(url, timeout=5).text
"""


def flow_finding(flow: tuple[FlowStep, ...] | None = None) -> Finding:
    """A path traversal finding on ``app.py`` with a three-step flow (or ``flow``)."""
    steps = (
        FlowStep(Span(8, 12, 8, 24), "source: flask request.args"),
        FlowStep(Span(8, 5, 8, 9), "assigned to `name`"),
        FlowStep(Span(10, 12, 10, 22), "sink: `open`"),
    )
    return Finding(
        rule_id="PY-S012",
        category=Category.SECURITY,
        severity=Severity.HIGH,
        confidence=Confidence.MEDIUM,
        cwe=22,
        path="app.py",
        span=Span(10, 12, 10, 22),
        snippet="return open(path).read()",
        message="`open` receives a path from flask request.args (line 8).",
        fingerprint="c" * 32,
        flow=steps if flow is None else flow,
    )


def reviewed(tmp_path: Path, code: str, **kwargs: Any) -> ReviewResult:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(code, encoding="utf-8")
    return review(tmp_path / "src", ReviewConfig(), jobs=1, **kwargs)


def only(result: ReviewResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


# -- the model ---------------------------------------------------------------------------------


def test_a_finding_with_a_flow_round_trips() -> None:
    finding = flow_finding()

    data = finding.to_dict()

    assert data["flow"] == [
        {"start_line": 8, "start_column": 12, "end_line": 8, "end_column": 24, "message": "source: flask request.args"},
        {"start_line": 8, "start_column": 5, "end_line": 8, "end_column": 9, "message": "assigned to `name`"},
        {"start_line": 10, "start_column": 12, "end_line": 10, "end_column": 22, "message": "sink: `open`"},
    ]
    assert Finding.from_dict(json.loads(json.dumps(data))) == finding


def test_a_finding_without_a_flow_round_trips_with_an_empty_list() -> None:
    finding = flow_finding(flow=())

    data = finding.to_dict()

    assert data["flow"] == []
    assert Finding.from_dict(data) == finding


@pytest.mark.parametrize("stored", ["missing", None])
def test_a_dict_from_before_flows_loads_without_one(stored: str | None) -> None:
    data = flow_finding().to_dict()
    if stored == "missing":
        del data["flow"]
    else:
        data["flow"] = None

    assert Finding.from_dict(data).flow == ()


# -- the rules ---------------------------------------------------------------------------------


def test_path_traversal_through_a_variable_explains_its_flow(tmp_path: Path) -> None:
    [finding] = only(reviewed(tmp_path, APP), "PY-S012")

    lines = [(step.span.start_line, step.message) for step in finding.flow]
    assert lines == [
        (SOURCE_LINE, "source: flask request.args"),
        (NAME_LINE, "assigned to `name`"),
        (PATH_LINE, "assigned to `path`"),
        (SINK_LINE, "sink: `open`"),
    ]
    assert finding.flow[0].span == Span(SOURCE_LINE, 12, SOURCE_LINE, 24)  # `request.args`
    assert finding.flow[-1].span == finding.span


def test_flows_through_helpers_name_the_helper(tmp_path: Path) -> None:
    result = reviewed(tmp_path, HELPERS)

    [traversal] = only(result, "PY-S012")
    [ssrf] = only(result, "PY-S013")
    assert [(s.span.start_line, s.message) for s in traversal.flow] == [
        (17, "source: flask request.args"),
        (17, "assigned to `p`"),
        (18, "passed to helper `build`"),
        (18, "assigned to `full`"),
        (19, "sink: `open`"),
    ]
    assert [(s.span.start_line, s.message) for s in ssrf.flow] == [
        (12, "source: flask request.form"),
        (24, "returned by helper `target`"),
        (24, "assigned to `url`"),
        (25, "sink: `requests.get`"),
    ]


def test_a_source_in_the_sink_call_is_a_two_step_flow(tmp_path: Path) -> None:
    code = 'from flask import request\n\n\ndef f():\n    return open(request.args["p"]).read()\n'

    [finding] = only(reviewed(tmp_path, code), "PY-S012")

    assert [(s.span.start_line, s.message) for s in finding.flow] == [
        (5, "source: flask request.args"),
        (5, "sink: `open`"),
    ]


def test_findings_of_other_rules_have_no_flow(tmp_path: Path) -> None:
    result = reviewed(tmp_path, "def run(cmd):\n    try:\n        pass\n    except:\n        pass\n")

    assert [f.rule_id for f in result.findings] == ["PY-Q001"]
    assert all(f.flow == () for f in result.findings)


def test_a_helper_parameter_finding_starts_at_the_parameter(tmp_path: Path) -> None:
    result = reviewed(tmp_path, "def run(cmd):\n    return eval(cmd)\n")

    [finding] = result.findings
    assert [step.message for step in finding.flow] == ["source: parameter `cmd`", "sink: `eval`"]
    assert finding.flow[0].span.start_line == 1


def test_cached_findings_keep_their_flow(tmp_path: Path) -> None:
    cache = SqliteResultCache(tmp_path / "cache" / "results.sqlite3")

    first = reviewed(tmp_path, APP, cache=cache)
    second = reviewed(tmp_path, APP, cache=cache)

    assert second.cache_hits == 1
    assert second.findings == first.findings
    assert only(second, "PY-S012")[0].flow


# -- the reports -------------------------------------------------------------------------------


def test_sarif_code_flow_validates_and_points_at_each_step(tmp_path: Path, sarif_schema: dict[str, Any]) -> None:
    result = reviewed(tmp_path, APP)

    log = sarif.sarif_log(result)

    validate(log, sarif_schema)
    [sarif_result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "PY-S012"]
    [code_flow] = sarif_result["codeFlows"]
    [thread] = code_flow["threadFlows"]
    locations = [entry["location"] for entry in thread["locations"]]
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in locations] == [
        SOURCE_LINE,
        NAME_LINE,
        PATH_LINE,
        SINK_LINE,
    ]
    assert [loc["message"]["text"] for loc in locations] == [
        "source: flask request.args",
        "assigned to `name`",
        "assigned to `path`",
        "sink: `open`",
    ]
    assert {json.dumps(loc["physicalLocation"]["artifactLocation"]) for loc in locations} == {
        json.dumps(sarif_result["locations"][0]["physicalLocation"]["artifactLocation"])
    }
    assert locations[-1]["physicalLocation"]["region"] == {
        k: v for k, v in sarif_result["locations"][0]["physicalLocation"]["region"].items() if k != "snippet"
    }


def test_sarif_results_without_a_flow_have_no_code_flows() -> None:
    result = ReviewResult(root="/src", rule_pack_version="t", started_at="", findings=[flow_finding(flow=())])

    [sarif_result] = sarif.sarif_log(result)["runs"][0]["results"]

    assert "codeFlows" not in sarif_result


def test_json_report_carries_the_flow_and_loads_it_back(tmp_path: Path) -> None:
    result = reviewed(tmp_path, APP)

    text = json_report.render(result)

    data = json.loads(text)
    assert data["schema_version"] == 1
    [finding] = [f for f in data["findings"] if f["rule_id"] == "PY-S012"]
    assert [step["start_line"] for step in finding["flow"]] == [SOURCE_LINE, NAME_LINE, PATH_LINE, SINK_LINE]
    assert json_report.load(text).findings == result.findings


def test_markdown_lists_the_steps_under_the_finding() -> None:
    result = ReviewResult(root="/src", rule_pack_version="t", started_at="", findings=[flow_finding()])

    text = markdown.render(result)

    expected = (
        "**Data flow:**\n\n"
        "1. line 8: source: flask request.args\n"
        "2. line 8: assigned to \\`name\\`\n"
        "3. line 10: sink: \\`open\\`"
    )
    assert expected in text
    assert text.index("```python") < text.index(expected)


def test_terminal_keeps_one_line_per_finding() -> None:
    with_flow = ReviewResult(root="/src", rule_pack_version="t", started_at="", findings=[flow_finding()])
    without = ReviewResult(root="/src", rule_pack_version="t", started_at="", findings=[flow_finding(flow=())])

    assert terminal.render(with_flow) == terminal.render(without)


def test_the_rule_pack_version_covers_the_taint_engine() -> None:
    names = {path.relative_to(Path(packversion.__file__).parent).as_posix() for path in packversion.hashed_sources()}

    assert {"taint/python.py", "taint/steps.py", "taint/spec.py", "rules/python.py", "model.py"} <= names


TAINT_RULES = tuple(f"PY-S{n:03}" for n in (1, 2, 3, 4, 12, 13, 14, 15, 16, 17, 18, 21, 22, 23, 24))


@pytest.mark.parametrize("rule_id", TAINT_RULES)
def test_every_taint_finding_explains_its_flow(rule_id: str) -> None:
    fixture = Path(__file__).parents[1] / "rules" / "fixtures" / f"{rule_id}.py"
    rule = get_rule(rule_id)
    assert rule is not None
    analysis = analyze_source(fixture.name, "python", fixture.read_bytes(), RulePack([rule]))
    assert analysis.findings
    for finding in analysis.findings:
        assert len(finding.flow) >= 2, finding
        assert finding.flow[0].message.startswith("source: ")
        assert finding.flow[-1].message.startswith("sink: ")
        if not any("helper" in step.message for step in finding.flow):  # a caller may come after its helper
            assert finding.flow[0].span.start_line <= finding.flow[-1].span.start_line
        assert finding.flow[-1].span.start_line == finding.span.start_line
