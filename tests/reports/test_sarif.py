"""SARIF output validates against the official 2.1.0 schema and carries what code scanning reads."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from reviewlab import __version__
from reviewlab.engine.model import Category, ReviewResult
from reviewlab.engine.rules import all_rules, get_rule
from reviewlab.reports import sarif

from .builders import make_finding


def validate(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator_cls = validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.fixture
def log(review: ReviewResult) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(sarif.render(review))
    return parsed


def test_validates_against_the_official_schema(log: dict[str, Any], sarif_schema: dict[str, Any]) -> None:
    validate(log, sarif_schema)


def test_empty_review_validates(sarif_schema: dict[str, Any]) -> None:
    empty = ReviewResult(root="relative/root", rule_pack_version="v", started_at="not a timestamp")
    log = sarif.sarif_log(empty)
    validate(log, sarif_schema)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert "originalUriBaseIds" not in run
    assert "startTimeUtc" not in run["invocations"][0]


def test_every_registered_rule_descriptor_validates(sarif_schema: dict[str, Any]) -> None:
    findings = [
        make_finding(rule.id, category=rule.category, severity=rule.severity, cwe=rule.cwe) for rule in all_rules()
    ]
    review = ReviewResult(root="/repo", rule_pack_version="v", started_at="", findings=findings)
    log = sarif.sarif_log(review)
    validate(log, sarif_schema)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == sorted(r.id for r in all_rules())
    for descriptor in descriptors:
        rule = get_rule(descriptor["id"])
        assert rule is not None
        tags = descriptor["properties"]["tags"]
        assert rule.category.value in tags
        if rule.category is Category.SECURITY:
            assert f"CWE-{rule.cwe}" in tags


def test_driver(log: dict[str, Any]) -> None:
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "reviewlab"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert "informationUri" not in driver  # no project home page yet; never a made-up URL


def test_run_metadata(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/project%20with%20space/"}}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] == "2024-05-01T10:00:00Z"
    assert invocation["endTimeUtc"] == "2024-05-01T10:00:01.500000Z"
    assert run["properties"] == {"rulePackVersion": "0.1.0+abcdef123456"}


def test_rules_are_those_with_results_and_carry_tags(log: dict[str, Any], review: ReviewResult) -> None:
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["PY-Q003", "PY-S001", "XX-P900", "XX-S999"]
    for descriptor in rules:
        rule = get_rule(descriptor["id"])
        meta = rule or next(f for f in review.findings if f.rule_id == descriptor["id"])
        properties = descriptor["properties"]
        tags = properties["tags"]
        assert len(tags) == len(set(tags))
        assert tags[0] == meta.category.value
        assert properties["precision"] == meta.confidence.value
        if meta.cwe is not None:
            assert f"CWE-{meta.cwe}" in tags
        if meta.category is Category.SECURITY:
            assert "security" in tags
            assert properties["security-severity"] == sarif.SECURITY_SEVERITY[meta.severity]
        else:
            assert "security-severity" not in properties


def test_registered_rule_descriptor() -> None:
    rule = get_rule("PY-S001")
    assert rule is not None
    descriptor = sarif.rule_descriptor(rule)
    assert descriptor["name"] == sarif.pascal_case(rule.title)
    assert descriptor["shortDescription"] == {"text": rule.title}
    assert descriptor["fullDescription"] == {"text": rule.docs.what}
    assert "## What it does" in descriptor["help"]["markdown"]
    assert "## Use instead" in descriptor["help"]["markdown"]
    assert rule.docs.why in descriptor["help"]["text"]
    assert descriptor["defaultConfiguration"] == {"level": sarif.LEVELS[rule.severity]}
    assert descriptor["properties"]["tags"] == ["security", f"CWE-{rule.cwe}"]


def test_unregistered_rule_descriptor(log: dict[str, Any]) -> None:
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["XX-S999"]["properties"] == {
        "tags": ["security", "CWE-79"],
        "precision": "medium",
        "security-severity": "9.0",
    }
    assert rules["XX-P900"]["properties"] == {"tags": ["performance"], "precision": "medium"}
    assert rules["XX-P900"]["defaultConfiguration"] == {"level": "note"}


@pytest.mark.parametrize(
    ("title", "name"),
    [("Use of eval or exec", "UseOfEvalOrExec"), ("SQL built from strings", "SQLBuiltFromStrings"), ("a-b c", "ABC")],
)
def test_pascal_case(title: str, name: str) -> None:
    assert sarif.pascal_case(title) == name


def test_results_point_at_their_rules(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 5
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_are_sorted_and_carry_properties(log: dict[str, Any]) -> None:
    results = log["runs"][0]["results"]
    keys = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    ]
    assert keys == [
        ("app/main.py", 3),
        ("app/main.py", 10),
        ("src%20dir/na%C3%AFve%20file.py", 1),
        ("src%20dir/na%C3%AFve%20file.py", 2),
        ("web/app.js", 1),
    ]
    for result in results:
        assert set(result["properties"]) >= {"category", "severity", "cwe"}
        cwe = result["properties"]["cwe"]
        assert cwe is None or (isinstance(cwe, str) and cwe.startswith("CWE-"))
    assert [r["properties"]["cwe"] for r in results] == ["CWE-95", "CWE-1121", None, "CWE-95", "CWE-79"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "error", "error"]


def test_result_location_snippet_and_fingerprint(log: dict[str, Any]) -> None:
    result = log["runs"][0]["results"][3]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src%20dir/na%C3%AFve%20file.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {
        "startLine": 2,
        "startColumn": 7,
        "endLine": 2,
        "endColumn": 11,
        "snippet": {"text": "ok = «eval»(données)  # ✓"},
    }
    assert result["message"]["text"] == "évaluer `données` | pipe and ``double`` ticks — ünïcödé ✓"
    assert result["partialFingerprints"] == {"reviewlab/v1": "b" * 32}
    unfingerprinted = log["runs"][0]["results"][2]
    assert "partialFingerprints" not in unfingerprinted
    assert "snippet" not in unfingerprinted["locations"][0]["physicalLocation"]["region"]


def test_fixes(log: dict[str, Any]) -> None:
    results = log["runs"][0]["results"]
    assert results[0]["fixes"] == [
        {
            "description": {"text": "Use ast.literal_eval"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "app/main.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 9},
                            "insertedContent": {"text": "ast.literal_eval"},
                        }
                    ],
                }
            ],
        }
    ]
    deletion = results[4]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert deletion["insertedContent"] == {"text": ""}
    assert [("fixes" in r) for r in results] == [True, False, False, False, True]


def test_diagnostics_become_notifications(log: dict[str, Any]) -> None:
    notifications = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notifications == [
        {"level": "warning", "message": {"text": "no files to review"}, "properties": {"kind": "no-files"}},
        {
            "level": "warning",
            "message": {"text": "syntax error near line 4; the parts that parse were analysed"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/broken.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 4},
                    }
                }
            ],
            "properties": {"kind": "syntax-error"},
        },
        {
            "level": "warning",
            "message": {"text": "binary file skipped"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "img/logo.png", "uriBaseId": "%SRCROOT%"}}}
            ],
            "properties": {"kind": "skipped-binary"},
        },
    ]


def test_absolute_finding_path_is_a_file_uri() -> None:
    assert sarif.artifact_location("/abs/a b.py") == {"uri": "file:///abs/a%20b.py"}


def test_output_is_deterministic(review: ReviewResult) -> None:
    shuffled = replace(review, findings=list(reversed(review.findings)), diagnostics=review.diagnostics[::-1])
    assert sarif.render(shuffled) == sarif.render(review)


def test_schema_fixture_resolves_beside_the_repository(sarif_schema_path: Path) -> None:
    assert sarif_schema_path.name == "sarif-schema-2.1.0.json"
