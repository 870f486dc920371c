"""Related locations, fix diffs, file metrics and the architecture report in every format."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from reviewlab.engine.architecture import ArchitectureConfig, build_graph
from reviewlab.engine.metrics import file_metrics
from reviewlab.engine.model import Category, Fix, Related, Replacement, ReviewResult, Severity, Span
from reviewlab.reports import json_report, markdown, sarif

from .builders import make_finding, sample_review
from .test_sarif import validate

CLONE = make_finding(
    "GEN-Q002",
    "app/copy.py",
    12,
    category=Category.QUALITY,
    severity=Severity.LOW,
    cwe=1041,
    message="Lines 12-30 duplicate app/main.py lines 40-58 (type-2 clone, 120 tokens).",
    snippet="def total(items):",
)
FIRST_COPY = Related("app/main.py", Span(40, 1, 58, 1), "first copy")
DIFF = "--- a/app/main.py\n+++ b/app/main.py\n@@ -3 +3 @@\n-x = eval(data)\n+x = ast.literal_eval(data)\n"


def _review() -> ReviewResult:
    review = sample_review()
    review.findings.append(replace(CLONE, related=(FIRST_COPY,)))
    eval_fix = Fix("Use ast.literal_eval", (Replacement(Span(3, 5, 3, 9), "ast.literal_eval"),), DIFF)
    review.findings[1] = replace(review.findings[1], fix=eval_fix)
    metrics = file_metrics(b"def f(a):\n    return a\n", "python").to_dict()
    review.files[1] = replace(review.files[1], metrics=metrics)
    review.architecture = build_graph({}, None, ArchitectureConfig()).to_dict()
    return review


def test_sarif_related_locations_validate(sarif_schema: dict[str, Any]) -> None:
    log = sarif.sarif_log(_review())
    validate(log, sarif_schema)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "GEN-Q002"]
    assert result["relatedLocations"] == [
        {
            "id": 0,
            "physicalLocation": {
                "artifactLocation": {"uri": "app/main.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 40, "startColumn": 1, "endLine": 58, "endColumn": 1},
            },
            "message": {"text": "first copy"},
        }
    ]


def test_json_report_round_trips_related_diffs_metrics_and_architecture() -> None:
    review = _review()
    text = json_report.render(review)
    data = json.loads(text)
    clone = next(f for f in data["findings"] if f["rule_id"] == "GEN-Q002")
    assert clone["related"][0]["path"] == "app/main.py"
    fixed = next(f for f in data["findings"] if f["rule_id"] == "PY-S001" and f["start_line"] == 3)
    assert fixed["fix"]["diff"] == DIFF
    main = next(f for f in data["files"] if f["path"] == "app/main.py")
    assert main["metrics"]["functions"][0]["name"] == "f"
    assert "metrics" not in next(f for f in data["files"] if f["path"] == "web/app.js")
    assert data["architecture"] == review.architecture
    loaded = json_report.load(text)
    assert sorted(loaded.findings, key=str) == sorted(review.findings, key=str)
    assert {f.path: f.metrics for f in loaded.files} == {f.path: f.metrics for f in review.files}
    assert loaded.architecture == review.architecture


def test_markdown_shows_related_locations_and_the_fix_as_a_diff() -> None:
    text = markdown.render(_review())
    assert "**Related locations:**\n\n- [app/main.py, line 40](app/main.py#L40): first copy" in text
    assert "```diff\n" + DIFF in text
    assert "## Architecture\n\n0 modules, 0 import edges between them, 0 packages, 0 import cycles." in text
