"""Other tools' SARIF as findings: real ruff and bandit output, semgrep and ESLint samples, paths, merging, the
project's configuration, baselines, the CLI."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reviewlab.cli import main
from reviewlab.engine.analyzer import fingerprint
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.discovery import discover
from reviewlab.engine.model import Category, Confidence, Finding, Severity, Span
from reviewlab.engine.pipeline import review
from reviewlab.engine.sarif_import import (
    ImportedReport,
    apply_config,
    is_duplicate,
    load_sarif,
    merge_findings,
    tool_prefix,
)
from reviewlab.engine.sarif_import.configured import EXCLUDED, IGNORED, NOT_INCLUDED, NOT_SELECTED
from reviewlab.errors import InputError

APP = (
    "import os\n"
    "import subprocess\n"
    "\n"
    "\n"
    "def ping(host):\n"
    '    return subprocess.run(f"ping {host}", shell=True)\n'
    "\n"
    "\n"
    "def area(r):\n"
    "    l = 3.14\n"
    "    return l * r * r\n"
)
# What reviewlab itself reports on APP: the unused import and the shell command.
OWN = {("PY-Q004", 1, 1164), ("PY-S002", 6, 78)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


def write_log(path: Path, *runs: dict[str, Any]) -> Path:
    path.write_text(
        json.dumps({"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": list(runs)})
    )
    return path


def run(
    name: str, results: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"tool": {"driver": {"name": name, "rules": rules or []}}, "results": results, **extra}


def result(uri: str, line: int = 1, rule_id: str = "R1", **extra: Any) -> dict[str, Any]:
    return {
        "ruleId": rule_id,
        "message": {"text": "something"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}}],
        **extra,
    }


def one(path: Path, root: Path, *runs: dict[str, Any]) -> Finding:
    [finding] = load_sarif(write_log(path, *runs), root).findings
    return finding


def keyed(findings: list[Finding]) -> set[tuple[str, int, int | None]]:
    return {(f.rule_id, f.span.start_line, f.cwe) for f in findings}


# --- real tools ---------------------------------------------------------------------------------------------------


RUFF_SELECTION = ("--select", "F401,S602,E741", "--output-format", "sarif")


def ruff_sarif(root: Path, out: Path) -> Path:
    """``ruff check --output-format sarif``, run on ``root``."""
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--exit-zero", *RUFF_SELECTION, "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    out.write_text(completed.stdout)
    return out


def bandit_sarif(root: Path, out: Path) -> Path:
    """Bandit's SARIF for ``root``.

    ``bandit -f sarif`` needs the ``bandit[sarif]`` extra (sarif-om, jschema-to-python), which this environment
    lacks; so bandit runs for real with ``-f json`` and its issues are framed exactly as
    ``bandit/formatters/sarif.py`` (1.9) frames them: a ``Bandit`` driver, rules tagged ``security`` and
    ``external/cwe/cwe-<n>``, relative percent-encoded URIs, ``col_offset + 1`` columns, the line as snippet.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-f", "json", "-r", "."], cwd=root, capture_output=True, text=True
    )
    assert completed.returncode in (0, 1), completed.stderr
    issues = json.loads(completed.stdout)["results"]
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for issue in issues:
        rule = rules.setdefault(
            issue["test_id"],
            {
                "id": issue["test_id"],
                "name": issue["test_name"],
                "helpUri": issue["more_info"],
                "properties": {
                    "tags": ["security", f"external/cwe/cwe-{issue['issue_cwe']['id']}"],
                    "precision": issue["issue_confidence"].lower(),
                },
            },
        )
        lines = {int(n): text for n, _, text in (row.partition(" ") for row in issue["code"].splitlines())}
        first = issue["line_range"][0]
        results.append(
            {
                "message": {"text": issue["issue_text"]},
                "level": {"HIGH": "error", "MEDIUM": "warning", "LOW": "note"}.get(issue["issue_severity"], "warning"),
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": urllib.parse.quote(pathlib.PurePath(issue["filename"]).as_posix())
                            },
                            "region": {
                                "snippet": {"text": lines[first] + "\n"},
                                "startLine": first,
                                "endLine": issue["line_range"][-1],
                                "startColumn": issue["col_offset"] + 1,
                                "endColumn": issue["end_col_offset"] + 1,
                            },
                        }
                    }
                ],
                "properties": {
                    "issue_confidence": issue["issue_confidence"],
                    "issue_severity": issue["issue_severity"],
                },
                "ruleId": rule["id"],
                "ruleIndex": list(rules).index(rule["id"]),
            }
        )
    log = run("Bandit", results, list(rules.values()), invocations=[{"executionSuccessful": True}])
    log["tool"]["driver"].update(organization="PyCQA", version="1.9.4", semanticVersion="1.9.4")
    return write_log(out, log)


def test_real_ruff_sarif(project: Path, tmp_path: Path) -> None:
    report = load_sarif(ruff_sarif(project, tmp_path / "ruff.sarif"), project)
    assert report.tools == ["ruff"]
    assert not report.skipped
    assert not report.warnings
    by_rule = {f.rule_id: f for f in report.findings}
    assert keyed(report.findings) == {("ruff:F401", 1, None), ("ruff:S602", 6, 78), ("ruff:E741", 10, None)}
    f401, s602, e741 = by_rule["ruff:F401"], by_rule["ruff:S602"], by_rule["ruff:E741"]
    assert f401.path == "app.py"
    assert f401.span == Span(1, 8, 1, 10)
    assert f401.snippet == "import os"
    assert f401.message == "`os` imported but unused"
    assert (f401.category, f401.severity, f401.confidence) == (Category.QUALITY, Severity.HIGH, Confidence.MEDIUM)
    assert s602.category is Category.SECURITY  # flake8-bandit, CWE-78 cited in the rule's description
    assert s602.snippet == 'return subprocess.run(f"ping {host}", shell=True)'
    assert e741.span.start_column == 5
    assert f401.fix is None  # ruff's fixes are not imported
    assert len({f.fingerprint for f in report.findings}) == 3
    assert f401.fingerprint == fingerprint("ruff:F401", "app.py", "import os", 0)


def test_real_bandit_sarif(project: Path, tmp_path: Path) -> None:
    report = load_sarif(bandit_sarif(project, tmp_path / "bandit.sarif"), project)
    assert report.tools == ["bandit"]
    assert keyed(report.findings) == {("bandit:B404", 2, 78), ("bandit:B602", 6, 78)}
    b404, b602 = sorted(report.findings, key=lambda f: f.span.start_line)
    assert (b404.category, b404.severity) == (Category.SECURITY, Severity.LOW)
    assert (b602.category, b602.severity) == (Category.SECURITY, Severity.HIGH)
    assert b602.span == Span(6, 12, 6, 54)
    assert b602.snippet == 'return subprocess.run(f"ping {host}", shell=True)'


def test_bandit_and_ruff_against_our_own_findings(project: Path, tmp_path: Path) -> None:
    own = review(project, ReviewConfig(), jobs=1).findings
    assert keyed(own) == OWN
    ruff = load_sarif(ruff_sarif(project, tmp_path / "ruff.sarif"), project).findings
    bandit = load_sarif(bandit_sarif(project, tmp_path / "bandit.sarif"), project).findings
    merged, duplicates = merge_findings(own, [*bandit, *ruff])
    # B602 and S602 repeat PY-S002 (CWE-78, line 6); F401 repeats PY-Q004 (quality, same place).
    assert duplicates == 3
    assert keyed(merged) == OWN | {("bandit:B404", 2, 78), ("ruff:E741", 10, None)}
    assert merged[: len(own)] == own


# --- semgrep and ESLint, as their SARIF writers shape it -------------------------------------------------------------

SQL_RULE = "python.lang.security.audit.formatted-sql-query.formatted-sql-query"
PICKLE_RULE = "python.lang.security.deserialization.avoid-pickle.avoid-pickle"


def semgrep_log(uri_db: str, uri_load: str) -> dict[str, Any]:
    """``semgrep --sarif``: CWE and OWASP as rule tags, %SRCROOT% URIs left undefined, nosemgrep as suppression."""

    def location(uri: str, line: int, start: int, end: int, text: str) -> list[dict[str, Any]]:
        region = {"startLine": line, "startColumn": start, "endLine": line, "endColumn": end, "snippet": {"text": text}}
        return [{"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "region": region}}]

    rules = [
        {
            "id": SQL_RULE,
            "name": SQL_RULE,
            "shortDescription": {"text": f"Semgrep Finding: {SQL_RULE}"},
            "fullDescription": {"text": "Detected possible formatted SQL query. Use parameterized queries instead."},
            "defaultConfiguration": {"level": "warning"},
            "help": {
                "text": "Detected possible formatted SQL query.",
                "markdown": "Detected possible formatted SQL query.",
            },
            "helpUri": f"https://semgrep.dev/r/{SQL_RULE}",
            "properties": {
                "precision": "very-high",
                "tags": [
                    "CWE-89: Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
                    "LOW CONFIDENCE",
                    "OWASP-A01:2017 - Injection",
                    "OWASP-A03:2021 - Injection",
                    "security",
                ],
            },
        },
        {
            "id": PICKLE_RULE,
            "name": PICKLE_RULE,
            "shortDescription": {"text": f"Semgrep Finding: {PICKLE_RULE}"},
            "fullDescription": {
                "text": "Avoid using `pickle`, which is known to lead to code execution vulnerabilities."
            },
            "defaultConfiguration": {"level": "warning"},
            "helpUri": f"https://semgrep.dev/r/{PICKLE_RULE}",
            "properties": {
                "precision": "very-high",
                "security-severity": "9.8",
                "tags": ["CWE-502: Deserialization of Untrusted Data", "LOW CONFIDENCE", "security"],
            },
        },
    ]
    results = [
        {
            "fingerprints": {"matchBasedId/v1": "4c1d6f3b"},
            "locations": location(uri_db, 3, 5, 56, "    cursor.execute(\"SELECT * FROM t WHERE id = '%s'\" % key)"),
            "message": {"text": "Detected possible formatted SQL query. Use parameterized queries instead."},
            "properties": {},
            "ruleId": SQL_RULE,
        },
        {
            "fingerprints": {"matchBasedId/v1": "9a0e77c2"},
            "locations": location(uri_load, 2, 12, 30, "    return pickle.loads(blob)"),
            "message": {"text": "Avoid using `pickle`, which is known to lead to code execution vulnerabilities."},
            "properties": {},
            "ruleId": PICKLE_RULE,
        },
        {
            "fingerprints": {"matchBasedId/v1": "0b5e1a9d"},
            "locations": location(uri_load, 5, 12, 30, "    return pickle.loads(blob)  # nosemgrep"),
            "message": {"text": "Avoid using `pickle`."},
            "properties": {},
            "ruleId": PICKLE_RULE,
            "suppressions": [{"kind": "inSource"}],
        },
    ]
    log = run(
        "Semgrep OSS", results, rules, invocations=[{"executionSuccessful": True, "toolExecutionNotifications": []}]
    )
    log["tool"]["driver"]["semanticVersion"] = "1.90.0"
    return log


def test_semgrep_sample(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    (root / "app").mkdir(parents=True)
    (root / "app" / "db.py").write_text(
        "def find(cursor, key):\n\n    cursor.execute(\"SELECT * FROM t WHERE id = '%s'\" % key)\n"
    )
    report = load_sarif(write_log(tmp_path / "semgrep.sarif", semgrep_log("app/db.py", "app/load.py")), root)
    assert report.tools == ["semgrep"]
    assert report.skipped == {"suppressed": 1}
    sql, pickle = sorted(report.findings, key=lambda f: f.path)
    assert sql.rule_id == f"semgrep:{SQL_RULE}"
    assert (sql.path, sql.span, sql.cwe) == ("app/db.py", Span(3, 5, 3, 56), 89)
    assert (sql.category, sql.severity) == (Category.SECURITY, Severity.MEDIUM)  # the result's level: warning
    assert sql.snippet == "cursor.execute(\"SELECT * FROM t WHERE id = '%s'\" % key)"  # read from the file
    assert (pickle.path, pickle.cwe, pickle.severity) == ("app/load.py", 502, Severity.CRITICAL)  # 9.8
    assert pickle.snippet == "return pickle.loads(blob)"  # the file is not there: the region's snippet


def eslint_log(source: Path) -> dict[str, Any]:
    """``@microsoft/eslint-formatter-sarif``: absolute file URIs, an artifacts list, ruleIndex, no CWE."""
    uri = source.as_uri()
    rules = [
        {
            "id": "no-unused-vars",
            "shortDescription": {"text": "Disallow unused variables"},
            "helpUri": "https://eslint.org/docs/latest/rules/no-unused-vars",
            "properties": {"category": "Variables"},
        },
        {
            "id": "security/detect-eval-with-expression",
            "shortDescription": {"text": 'Detects "eval(variable)" which can allow an attacker to run arbitrary code.'},
            "helpUri": "https://github.com/eslint-community/eslint-plugin-security#detect-eval-with-expression",
        },
    ]

    def located(line: int, start: int, end: int) -> list[dict[str, Any]]:
        region = {"startLine": line, "startColumn": start, "endLine": line, "endColumn": end}
        return [{"physicalLocation": {"artifactLocation": {"uri": uri, "index": 0}, "region": region}}]

    results = [
        {
            "level": "warning",
            "message": {"text": "'unused' is assigned a value but never used."},
            "locations": located(1, 7, 13),
            "ruleId": "no-unused-vars",
            "ruleIndex": 0,
        },
        {
            "level": "error",
            "message": {"text": "eval with argument of type Identifier"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"index": 0},
                        "region": {"startLine": 3, "startColumn": 10, "endLine": 3, "endColumn": 20},
                    }
                }
            ],
            "ruleId": "security/detect-eval-with-expression",
            "ruleIndex": 1,
        },
    ]
    log = run("ESLint", results, rules, artifacts=[{"location": {"uri": uri}}])
    log["tool"]["driver"].update(informationUri="https://eslint.org", version="8.57.0")
    log["invocations"] = [{"toolConfigurationNotifications": [], "executionSuccessful": True}]
    return log


def test_eslint_sample(tmp_path: Path) -> None:
    root = tmp_path / "web"
    (root / "src").mkdir(parents=True)
    source = root / "src" / "app.js"
    source.write_text("const unused = 1;\nfunction run(code) {\n  return eval(code);\n}\n")
    report = load_sarif(write_log(tmp_path / "eslint.sarif", eslint_log(source)), root)
    unused, evaluated = sorted(report.findings, key=lambda f: f.span.start_line)
    assert (unused.rule_id, unused.path, unused.span) == ("eslint:no-unused-vars", "src/app.js", Span(1, 7, 1, 13))
    assert (unused.category, unused.severity, unused.cwe) == (Category.QUALITY, Severity.MEDIUM, None)
    assert evaluated.rule_id == "eslint:security/detect-eval-with-expression"
    assert (evaluated.category, evaluated.severity) == (Category.SECURITY, Severity.HIGH)
    assert evaluated.path == "src/app.js"  # located through run.artifacts[0]
    assert evaluated.snippet == "return eval(code);"


def test_several_runs_in_one_log(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    (root / "src").mkdir(parents=True)
    source = root / "src" / "app.js"
    source.write_text("const unused = 1;\nfunction run(code) {\n  return eval(code);\n}\n")
    log = write_log(tmp_path / "all.sarif", semgrep_log("app/db.py", "app/load.py"), eslint_log(source))
    report = load_sarif(log, root)
    assert report.tools == ["semgrep", "eslint"]
    assert len(report.findings) == 4


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("Semgrep OSS", "semgrep"),
        ("ESLint", "eslint"),
        ("Bandit", "bandit"),
        ("ruff", "ruff"),
        ("CodeQL", "codeql"),
        ("Microsoft (R) Code Analysis", "microsoft-r-code-analysis"),
        ("!!", "sarif"),
    ],
)
def test_tool_prefix(name: str, prefix: str) -> None:
    assert tool_prefix(name) == prefix


# --- paths ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "sub dir").mkdir(parents=True)
    (root / "sub dir" / "tést.py").write_text("x = 1\ny = 2\n")
    return root


def located(tree: Path, tmp_path: Path, location: dict[str, Any], **extra: Any) -> str | None:
    item = {
        "ruleId": "R1",
        "message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": location, "region": {"startLine": 2}}}],
    }
    report = load_sarif(write_log(tmp_path / "paths.sarif", run("Tool", [item], **extra)), tree, cwd=tmp_path)
    return report.findings[0].path if report.findings else None


def test_a_percent_encoded_file_uri(tree: Path, tmp_path: Path) -> None:
    uri = (tree / "sub dir" / "tést.py").as_uri()
    assert "%20" in uri
    assert located(tree, tmp_path, {"uri": uri}) == "sub dir/tést.py"
    assert located(tree, tmp_path, {"uri": uri.replace("file:///", "file://localhost/")}) == "sub dir/tést.py"


def test_an_absolute_path(tree: Path, tmp_path: Path) -> None:
    assert located(tree, tmp_path, {"uri": str(tree / "sub dir" / "tést.py")}) == "sub dir/tést.py"


def test_original_uri_base_ids(tree: Path, tmp_path: Path) -> None:
    bases = {"SRCROOT": {"uri": tree.as_uri() + "/"}, "SUB": {"uri": "sub%20dir/", "uriBaseId": "SRCROOT"}}
    found = located(tree, tmp_path, {"uri": "sub%20dir/t%C3%A9st.py", "uriBaseId": "SRCROOT"}, originalUriBaseIds=bases)
    assert found == "sub dir/tést.py"
    assert (
        located(tree, tmp_path, {"uri": "t%C3%A9st.py", "uriBaseId": "SUB"}, originalUriBaseIds=bases)
        == "sub dir/tést.py"
    )
    loop = {"A": {"uri": "x/", "uriBaseId": "B"}, "B": {"uri": "y/", "uriBaseId": "A"}}
    assert (
        located(tree, tmp_path, {"uri": "sub%20dir/t%C3%A9st.py", "uriBaseId": "A"}, originalUriBaseIds=loop)
        == "sub dir/tést.py"
    )


def test_a_relative_uri_without_a_base_is_tried_against_the_root_then_the_working_directory(
    tree: Path, tmp_path: Path
) -> None:
    assert located(tree, tmp_path, {"uri": "sub%20dir/t%C3%A9st.py"}) == "sub dir/tést.py"
    # The tool ran in tmp_path, the review is of tree/: "tree/sub dir/tést.py" is relative to the working directory.
    assert located(tree, tmp_path, {"uri": "tree/sub%20dir/t%C3%A9st.py"}) == "sub dir/tést.py"
    # A file that no longer exists is taken as relative to the root.
    assert located(tree, tmp_path, {"uri": "gone.py"}) == "gone.py"


def test_results_outside_the_root_are_dropped_with_a_warning(tree: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.py"
    items = [
        result(elsewhere.as_uri()),
        result(elsewhere.as_uri(), line=2),
        result("../elsewhere.py"),
        result("https://example.com/a.py"),
        result((tree / "sub dir" / "tést.py").as_uri()),
    ]
    report = load_sarif(write_log(tmp_path / "out.sarif", run("Tool", items)), tree, cwd=tmp_path)
    assert [f.path for f in report.findings] == ["sub dir/tést.py"]
    assert len(report.warnings) == 3
    assert any(f"2 result(s) in {elsewhere.as_uri()}, outside the review root" in w for w in report.warnings)
    assert all(str(tmp_path / "out.sarif") in w for w in report.warnings)


def test_a_single_file_review_keeps_that_file_only(tree: Path, tmp_path: Path) -> None:
    (tree / "other.py").write_text("z = 3\n")
    target = tree / "sub dir" / "tést.py"
    items = [result(target.as_uri()), result((tree / "other.py").as_uri())]
    report = load_sarif(write_log(tmp_path / "file.sarif", run("Tool", items)), target)
    assert [f.path for f in report.findings] == ["tést.py"]
    assert len(report.warnings) == 1


def test_a_root_reached_through_a_symlink(tree: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tree)
    uri = (link / "sub dir" / "tést.py").as_uri()
    report = load_sarif(write_log(tmp_path / "link.sarif", run("Tool", [result(uri)])), tree)
    assert [f.path for f in report.findings] == ["sub dir/tést.py"]


# --- mapping -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        ("10.0", Severity.CRITICAL),
        ("9.0", Severity.CRITICAL),
        ("8.8", Severity.HIGH),
        ("7.0", Severity.HIGH),
        ("6.9", Severity.MEDIUM),
        ("4.0", Severity.MEDIUM),
        ("3.9", Severity.LOW),
        ("0.1", Severity.LOW),
        ("0.0", Severity.INFO),
    ],
)
def test_security_severity(tree: Path, tmp_path: Path, score: str, severity: Severity) -> None:
    rules = [{"id": "R1", "properties": {"security-severity": score}}]
    finding = one(tmp_path / "s.sarif", tree, run("Tool", [result("sub%20dir/t%C3%A9st.py", level="note")], rules))
    assert finding.severity is severity
    assert finding.category is Category.SECURITY


@pytest.mark.parametrize(
    ("level", "default", "severity"),
    [
        ("error", None, Severity.HIGH),
        ("warning", None, Severity.MEDIUM),
        ("note", None, Severity.LOW),
        ("none", None, Severity.INFO),
        (None, "note", Severity.LOW),
        (None, None, Severity.MEDIUM),
    ],
)
def test_levels(tree: Path, tmp_path: Path, level: str | None, default: str | None, severity: Severity) -> None:
    rules = [{"id": "R1", "defaultConfiguration": {"level": default}}] if default else []
    extra = {"level": level} if level else {}
    finding = one(tmp_path / "l.sarif", tree, run("Tool", [result("sub%20dir/t%C3%A9st.py", **extra)], rules))
    assert finding.severity is severity
    assert finding.category is Category.QUALITY


CWE_TAXONOMY = [{"name": "CWE", "taxa": [{"id": "79"}, {"id": "352"}]}]


@pytest.mark.parametrize(
    ("result_extra", "rule", "run_extra", "cwe"),
    [
        ({"taxa": [{"index": 1, "toolComponent": {"index": 0}}]}, {}, {"taxonomies": CWE_TAXONOMY}, 352),
        ({"taxa": [{"id": "CWE-601", "toolComponent": {"name": "CWE"}}]}, {}, {}, 601),
        ({"taxa": [{"id": "A03", "toolComponent": {"name": "OWASP"}}]}, {}, {}, None),
        ({"properties": {"cwe": "CWE-79"}}, {}, {}, 79),
        ({"properties": {"cwe": ["CWE-22", "CWE-23"]}}, {}, {}, 22),
        (
            {},
            {"relationships": [{"target": {"id": "918", "toolComponent": {"name": "CWE"}}, "kinds": ["superset"]}]},
            {},
            918,
        ),
        ({}, {"properties": {"tags": ["security", "external/cwe/cwe-078"]}}, {}, 78),
        ({}, {"properties": {"tags": ["CWE-89: Improper Neutralization of Special Elements"]}}, {}, 89),
        ({}, {"properties": {"cwe": 327}}, {}, 327),
        ({}, {"fullDescription": {"text": "See CWE-295 and cwe-295."}}, {}, 295),
        ({}, {"fullDescription": {"text": "Either CWE-20 or CWE-74."}}, {}, None),
        ({}, {"properties": {"tags": ["maintainability"]}}, {}, None),
    ],
)
def test_cwe_sources(
    tree: Path,
    tmp_path: Path,
    result_extra: dict[str, Any],
    rule: dict[str, Any],
    run_extra: dict[str, Any],
    cwe: int | None,
) -> None:
    item = result("sub%20dir/t%C3%A9st.py", **result_extra)
    finding = one(tmp_path / "c.sarif", tree, run("Tool", [item], [{"id": "R1", **rule}], **run_extra))
    assert finding.cwe == cwe
    assert (finding.category is Category.SECURITY) is (cwe is not None)


@pytest.mark.parametrize(
    ("rule_id", "properties", "category"),
    [
        ("R1", {"tags": ["performance"]}, Category.PERFORMANCE),
        ("PERF401", {"kind": "Perflint"}, Category.PERFORMANCE),
        ("S105", {"kind": "flake8-bandit"}, Category.SECURITY),
        ("java/security/weak-hash", {}, Category.SECURITY),
        ("R1", {"tags": ["Security"]}, Category.SECURITY),
        ("R1", {"tags": ["style"], "kind": "pycodestyle"}, Category.QUALITY),
    ],
)
def test_categories(tree: Path, tmp_path: Path, rule_id: str, properties: dict[str, Any], category: Category) -> None:
    item = result("sub%20dir/t%C3%A9st.py", rule_id=rule_id)
    finding = one(tmp_path / "k.sarif", tree, run("Tool", [item], [{"id": rule_id, "properties": properties}]))
    assert finding.category is category


def test_regions_and_columns(tmp_path: Path) -> None:
    root = tmp_path / "cols"
    root.mkdir()
    (root / "a.py").write_text('s = "😀😀" + x\nother line\n')

    def span(region: dict[str, Any], **extra: Any) -> Span:
        item = result("a.py")
        item["locations"][0]["physicalLocation"]["region"] = region
        return one(tmp_path / "r.sarif", root, run("Tool", [item], **extra)).span

    assert span({"startLine": 1}) == Span(1, 1, 1, 13)  # no columns: the whole line
    assert span({"startLine": 2, "startColumn": 7}) == Span(2, 7, 2, 11)  # to the end of the line
    assert span({"startLine": 1, "startColumn": 0, "endColumn": 2}) == Span(1, 1, 1, 2)  # 0 (old bandit) -> 1
    assert span({"startLine": 1, "endLine": 2, "startColumn": 5, "endColumn": 6}) == Span(1, 5, 2, 6)
    assert span({"startLine": 2, "endLine": 1, "startColumn": 5, "endColumn": 3}) == Span(2, 5, 2, 5)
    assert span({"startLine": 9, "startColumn": 3}) == Span(9, 3, 9, 3)  # beyond the file: left as given
    # "+" is code point 10 but UTF-16 unit 12: converted only when the run says its columns are UTF-16.
    assert span({"startLine": 1, "startColumn": 12, "endColumn": 13}, columnKind="utf16CodeUnits") == Span(1, 10, 1, 11)
    assert span({"startLine": 1, "startColumn": 10, "endColumn": 11}, columnKind="unicodeCodePoints") == Span(
        1, 10, 1, 11
    )
    item = result("a.py")
    del item["locations"][0]["physicalLocation"]["region"]
    assert one(tmp_path / "r.sarif", root, run("Tool", [item])).span == Span(1, 1, 1, 13)  # the file itself


def test_messages(tree: Path, tmp_path: Path) -> None:
    rules = [
        {
            "id": "R1",
            "shortDescription": {"text": "Short"},
            "messageStrings": {"default": {"text": "Use {0}, not {1}; {7}"}},
        }
    ]
    templated = result("sub%20dir/t%C3%A9st.py", message={"id": "default", "arguments": ["a", "b"]})
    markdown = result("sub%20dir/t%C3%A9st.py", line=1, message={"markdown": "**bold**"})
    empty = result("sub%20dir/t%C3%A9st.py", line=1, message={})
    report = load_sarif(write_log(tmp_path / "m.sarif", run("Tool", [templated, markdown, empty], rules)), tree)
    assert sorted(f.message for f in report.findings) == ["**bold**", "Short", "Use a, not b; {7}"]


def test_related_locations_and_code_flows(tree: Path, tmp_path: Path) -> None:
    (tree / "lib.py").write_text("def helper():\n    pass\n")

    def step(uri: str, line: int, text: str) -> dict[str, Any]:
        physical = {"artifactLocation": {"uri": uri}, "region": {"startLine": line, "startColumn": 1, "endColumn": 2}}
        return {"physicalLocation": physical, "message": {"text": text}}

    target = "sub%20dir/t%C3%A9st.py"
    item = result(
        target,
        relatedLocations=[step("lib.py", 1, "defined here"), step("../outside.py", 1, "ignored")],
        codeFlows=[
            {
                "threadFlows": [
                    {"locations": [{"location": step(target, 1, "source")}, {"location": step(target, 2, "sink")}]}
                ]
            }
        ],
    )
    finding = one(tmp_path / "f.sarif", tree, run("Tool", [item]))
    assert [(r.path, r.span.start_line, r.message) for r in finding.related] == [("lib.py", 1, "defined here")]
    assert [(s.span.start_line, s.message) for s in finding.flow] == [(1, "source"), (2, "sink")]
    across = result(
        target,
        codeFlows=[
            {
                "threadFlows": [
                    {"locations": [{"location": step("lib.py", 1, "source")}, {"location": step(target, 2, "sink")}]}
                ]
            }
        ],
    )
    assert one(tmp_path / "f.sarif", tree, run("Tool", [across])).flow == ()  # a step in another file: no flow


def test_secrets_are_redacted(tmp_path: Path) -> None:
    root = tmp_path / "secrets"
    root.mkdir()
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    (root / "settings.py").write_text(f'GITHUB_TOKEN = "{token}"\n')
    item = result("settings.py", message={"text": f"GitHub token {token} found"})
    item["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": f'GITHUB_TOKEN = "{token}"'}
    missing = result("deleted.py", message={"text": f"GitHub token {token} found"})
    missing["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": f'TOKEN = "{token}"'}
    report = load_sarif(write_log(tmp_path / "gitleaks.sarif", run("gitleaks", [item, missing])), root)
    assert len(report.findings) == 2
    for finding in report.findings:
        assert token not in finding.snippet
        assert token not in finding.message
        assert "ghp_" in finding.snippet


def test_fingerprints_survive_edits_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "fp"
    root.mkdir()
    (root / "a.py").write_text("x = eval(a)\nx = eval(a)\n")
    log = write_log(tmp_path / "fp.sarif", run("Tool", [result("a.py", 2), result("a.py", 1)]))
    before = [f.fingerprint for f in load_sarif(log, root).findings]
    assert len(set(before)) == 2  # the same line twice: two occurrences
    (root / "a.py").write_text("import os\nx = eval(a)\nx = eval(a)\n")
    moved = write_log(tmp_path / "fp.sarif", run("Tool", [result("a.py", 2), result("a.py", 3)]))
    assert [f.fingerprint for f in load_sarif(moved, root).findings] == before


def test_a_long_rule_id_fits_the_store(tree: Path, tmp_path: Path) -> None:
    long_id = "a." * 80
    finding = one(tmp_path / "long.sarif", tree, run("Tool", [result("sub%20dir/t%C3%A9st.py", rule_id=long_id)]))
    assert len(finding.rule_id) == 128
    assert finding.rule_id.startswith("tool:a.a.")


# --- malformed logs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "SARIF log not found"),
        ("{not json", "is not valid JSON: .* at line 1"),
        (b"\xff\xfe{", "cannot read SARIF log"),
        ("[]", r"is not a SARIF 2.1.0 log \(version: None\)"),
        ('{"version": "2.0.0", "runs": []}', r"is not a SARIF 2.1.0 log \(version: '2.0.0'\)"),
        ('{"version": "2.1.0"}', "has no runs list"),
        ('{"version": "2.1.0", "runs": [7]}', r"runs\[0\] is not an object"),
        ('{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}', r"runs\[0\] has no tool.driver.name"),
        (
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": {}}]}',
            r"runs\[0\].results is not a list",
        ),
        (
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [1]}]}',
            r"runs\[0\].results\[0\] is not an object",
        ),
    ],
)
def test_a_malformed_log_is_a_clear_error(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "bad.sarif"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message) as raised:
        load_sarif(path, tmp_path)
    assert str(path) in str(raised.value)


def test_results_that_cannot_be_placed_are_skipped_and_counted(tree: Path, tmp_path: Path) -> None:
    target = "sub%20dir/t%C3%A9st.py"
    nowhere = {"ruleId": "R1", "message": {"text": "m"}}
    logical = {**nowhere, "locations": [{"logicalLocations": [{"fullyQualifiedName": "pkg.mod"}]}]}
    items = [
        nowhere,
        logical,
        result(target, kind="pass"),
        result(target, suppressions=[{"kind": "external", "status": "accepted"}]),
        result(target, suppressions=[{"kind": "external", "status": "rejected"}]),  # a rejected suppression: reported
        result(target, baselineState="absent"),
        {"message": {"text": "no rule"}, "locations": result(target)["locations"]},
        result(target, line=1),
    ]
    report = load_sarif(write_log(tmp_path / "skip.sarif", run("Tool", items)), tree)
    assert len(report.findings) == 2
    assert report.skipped == {
        "no location": 2,
        "not a failure (kind pass or notApplicable)": 1,
        "suppressed": 1,
        "absent (baselineState)": 1,
        "no rule id": 1,
    }


def test_a_utf8_bom_and_an_empty_run(tmp_path: Path) -> None:
    path = tmp_path / "bom.sarif"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": None}]}).encode()
    )
    assert load_sarif(path, tmp_path).findings == []


def test_rule_references_into_extensions(tree: Path, tmp_path: Path) -> None:
    extension = {
        "name": "codeql/python-queries",
        "rules": [
            {"id": "py/sql-injection", "properties": {"tags": ["external/cwe/cwe-089"], "security-severity": "8.8"}}
        ],
    }
    item = result(
        "sub%20dir/t%C3%A9st.py",
        rule_id="py/sql-injection",
        rule={"id": "py/sql-injection", "index": 0, "toolComponent": {"index": 0}},
    )
    log = run("CodeQL", [item])
    log["tool"]["extensions"] = [extension]
    finding = one(tmp_path / "codeql.sarif", tree, log)
    assert (finding.rule_id, finding.cwe, finding.severity) == ("codeql:py/sql-injection", 89, Severity.HIGH)


# --- merging -------------------------------------------------------------------------------------------------------


def make(
    rule_id: str,
    line: int,
    cwe: int | None,
    *,
    category: Category = Category.SECURITY,
    columns: tuple[int, int] = (1, 10),
    end_line: int | None = None,
    path: str = "a.py",
) -> Finding:
    span = Span(line, columns[0], end_line or line, columns[1])
    return Finding(rule_id, category, Severity.HIGH, Confidence.MEDIUM, cwe, path, span, "", "m")


@pytest.mark.parametrize(
    ("kept", "candidate", "duplicate"),
    [
        (make("PY-S002", 6, 78), make("bandit:B602", 6, 78, columns=(20, 30)), True),
        (make("PY-S002", 6, 78), make("bandit:B602", 6, 79), False),
        (make("PY-S002", 6, 78, end_line=8), make("semgrep:x", 8, 78), True),  # overlapping line ranges
        (make("PY-S002", 6, 78), make("semgrep:x", 7, 78), False),
        (make("PY-S002", 6, 78), make("bandit:B602", 6, 78, path="b.py"), False),
        (
            make("PY-Q004", 1, 1164, category=Category.QUALITY, columns=(8, 10)),
            make("ruff:F401", 1, None, category=Category.QUALITY, columns=(8, 10)),
            True,
        ),
        (
            make("PY-Q004", 1, 1164, category=Category.QUALITY, columns=(8, 10)),
            make("ruff:E501", 1, None, category=Category.QUALITY, columns=(121, 130)),
            False,
        ),
        (make("PY-Q004", 1, 1164, category=Category.QUALITY), make("eslint:x", 1, None), False),  # another category
        (
            make("PY-Q010", 1, None, category=Category.QUALITY, end_line=40),
            make("ruff:E741", 10, None, category=Category.QUALITY),
            False,
        ),
        (make("ruff:S602", 6, 78), make("ruff:S602", 6, 78, columns=(20, 30)), False),  # one tool, two results
        (make("ruff:S602", 6, 78), make("ruff:S602", 6, 78), True),  # the same log imported twice
        (
            make("R", 1, None, columns=(5, 5)),
            make("S", 1, None, columns=(5, 6)),
            True,
        ),  # an empty span covers its column
    ],
)
def test_is_duplicate(kept: Finding, candidate: Finding, duplicate: bool) -> None:
    assert is_duplicate(kept, candidate) is duplicate


def test_merge_keeps_ours_then_the_first_tool(tmp_path: Path) -> None:
    ours = make("PY-S002", 6, 78)
    semgrep, codeql, bandit = (
        make("semgrep:sql", 9, 89),
        make("codeql:py/sql-injection", 9, 89),
        make("bandit:B602", 6, 78),
    )
    merged, duplicates = merge_findings([ours], [bandit, semgrep, codeql])
    assert merged == [ours, semgrep]
    assert duplicates == 2


# --- the command ---------------------------------------------------------------------------------------------------


def test_review_with_imports(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ruff, bandit = ruff_sarif(project, tmp_path / "ruff.sarif"), bandit_sarif(project, tmp_path / "bandit.sarif")
    out = tmp_path / "report.json"
    args = ["review", str(project), "--import", str(ruff), "--import", str(bandit), "--no-store", "--no-cache"]
    assert main([*args, "--format", "json", "--output", str(out)]) == 0
    report = json.loads(out.read_text())
    assert {(f["rule_id"], f["start_line"]) for f in report["findings"]} == {
        ("PY-Q004", 1),
        ("PY-S002", 6),
        ("ruff:E741", 10),
        ("bandit:B404", 2),
    }
    assert report["summary"]["findings"] == 4
    err = capsys.readouterr().err
    assert f"imported 1 finding(s) from {ruff} (ruff); 2 duplicate(s) of other findings left out" in err
    assert f"imported 1 finding(s) from {bandit} (bandit); 1 duplicate(s) of other findings left out" in err

    # The gate and --fail-on see imported findings.
    (project / ".reviewlab.toml").write_text('[reviewlab.gate]\nforbidden_rules = ["bandit:B404"]\n')
    assert main([*args, "--format", "json", "--output", str(out)]) == 1
    assert json.loads(out.read_text())["gate"]["conditions"][0] == {
        "name": "findings of bandit:B404",
        "limit": 0,
        "actual": 1,
        "passed": False,
    }
    (project / ".reviewlab.toml").unlink()
    (project / "app.py").write_text("import os\nx = 1\n")  # only the unused import is left: PY-Q004 is low
    high = write_log(tmp_path / "high.sarif", run("Tool", [result("app.py", 2, level="error")]))
    assert main(["review", str(project), "--no-store", "--no-cache", "--fail-on", "high"]) == 0
    assert main(["review", str(project), "--no-store", "--no-cache", "--fail-on", "high", "--import", str(high)]) == 1


def test_imported_findings_go_through_the_baseline(project: Path, tmp_path: Path) -> None:
    bandit = bandit_sarif(project, tmp_path / "bandit.sarif")
    out = tmp_path / "report.json"
    args = [
        "review",
        str(project),
        "--import",
        str(bandit),
        "--no-store",
        "--no-cache",
        "--format",
        "json",
        "--output",
        str(out),
    ]
    assert main(args) == 0
    findings = json.loads(out.read_text())["findings"]
    accepted = tmp_path / "baseline.json"
    entries = [
        {
            "fingerprint": f["fingerprint"],
            "rule_id": f["rule_id"],
            "path": f["path"],
            "line": f["start_line"],
            "message": f["message"],
        }
        for f in findings
        if f["rule_id"] == "bandit:B404"
    ]
    accepted.write_text(json.dumps({"version": 1, "findings": entries}))
    assert main([*args, "--baseline", str(accepted)]) == 0
    report = json.loads(out.read_text())
    assert "bandit:B404" not in {f["rule_id"] for f in report["findings"]}
    assert report["baseline"]["known"] == 1


def test_sarif_output_with_imported_rules_validates(
    project: Path, tmp_path: Path, sarif_schema: dict[str, Any]
) -> None:
    ruff, bandit = ruff_sarif(project, tmp_path / "ruff.sarif"), bandit_sarif(project, tmp_path / "bandit.sarif")
    place = {"physicalLocation": {"artifactLocation": {"uri": "app.py"}, "region": {"startLine": 9}}}
    flow = [
        {"location": {**place, "message": {"text": "source"}}},
        {"location": {**place, "message": {"text": "sink"}}},
    ]
    taint = result("app.py", 9, "taint", relatedLocations=[place], codeFlows=[{"threadFlows": [{"locations": flow}]}])
    codeql = write_log(tmp_path / "codeql.sarif", run("CodeQL", [taint]))
    out = tmp_path / "review.sarif"
    argv = ["review", str(project), "--no-store", "--format", "sarif", "--output", str(out)]
    argv += ["--import", str(ruff), "--import", str(bandit), "--import", str(codeql)]
    assert main(argv) == 0
    log = json.loads(out.read_text())
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {"ruff:E741", "bandit:B404", "PY-S002"} <= set(rules)
    assert "CWE-78" in rules["bandit:B404"]["properties"]["tags"]
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == set(rules)
    [imported] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "codeql:taint"]
    assert len(imported["relatedLocations"]) == 1
    assert len(imported["codeFlows"][0]["threadFlows"][0]["locations"]) == 2


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_other_formats_show_imported_findings(
    project: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bandit = bandit_sarif(project, tmp_path / "bandit.sarif")
    assert main(["review", str(project), "--import", str(bandit), "--no-store", "--format", fmt]) == 0
    assert "bandit:B404" in capsys.readouterr().out


def test_a_bad_import_is_a_one_line_error(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.sarif"
    bad.write_text('{"version": "2.1.0"}')
    assert main(["review", str(project), "--import", str(bad)]) == 2
    assert capsys.readouterr().err == f"reviewlab: error: SARIF log {bad} has no runs list\n"


def test_dropped_and_skipped_results_are_reported(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(
        tmp_path / "x.sarif", run("Tool", [result("/elsewhere/[x].py"), {"ruleId": "R", "message": {"text": "m"}}])
    )
    assert main(["review", str(project), "--import", str(log), "--no-store"]) == 0
    err = capsys.readouterr().err
    assert "imported 0 finding(s)" in err
    assert f"{log}: 1 result(s) skipped: no location" in err
    assert "1 result(s) in /elsewhere/[x].py, outside the review root" in err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_diff_review_keeps_imported_findings_on_changed_lines(project: Path, tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "first")
    (project / "app.py").write_text(APP + "\n\ndef twice(r):\n    l = 2\n    return l * r\n")
    ruff = ruff_sarif(project, tmp_path / "ruff.sarif")
    out = tmp_path / "diff.json"
    argv = ["review", str(project), "--diff", "main", "--import", str(ruff), "--no-store"]
    argv += ["--format", "json", "--output", str(out)]
    assert main(argv) == 0
    assert [(f["rule_id"], f["start_line"]) for f in json.loads(out.read_text())["findings"]] == [("ruff:E741", 15)]


# --- the project's configuration -------------------------------------------------------------------------------------


IMPORTED = ("ruff:E501", "ruff:F401", "bandit:B602", "semgrep:python.sql")


def imported(*findings: Finding, root: Path | None = None) -> ImportedReport:
    return ImportedReport(Path("tool.sarif"), list(findings), ["tool"], root=root)


@pytest.mark.parametrize(
    ("select", "ignore", "kept", "skipped"),
    [
        ((), (), set(IMPORTED), {}),
        ((), ("ruff:E501", "bandit:"), {"ruff:F401", "semgrep:python.sql"}, {IGNORED: 2}),
        (("PY-",), (), set(IMPORTED), {}),  # a select of reviewlab's own rules leaves imported findings alone
        (("PY-", "ruff:"), (), {"ruff:E501", "ruff:F401"}, {NOT_SELECTED: 2}),
        (("ruff:F", "semgrep:"), ("semgrep:python.sql",), {"ruff:F401"}, {NOT_SELECTED: 2, IGNORED: 1}),
    ],
)
def test_select_and_ignore(
    select: tuple[str, ...], ignore: tuple[str, ...], kept: set[str], skipped: dict[str, int]
) -> None:
    report = imported(*(make(rule_id, 1, None) for rule_id in IMPORTED))
    configured = apply_config(report, ReviewConfig(select=select, ignore=ignore))
    assert {f.rule_id for f in configured.findings} == kept
    assert configured.skipped == skipped
    assert len(report.findings) == len(IMPORTED)  # the loaded report is left as it was
    assert not report.skipped


TREE = ("app.py", "migrations/0001.py", "src/a.py", "src/gen/b.py", "src/gen/keep.py", "web/x.min.js", "web/x.js")


@pytest.mark.parametrize(
    ("exclude", "include"),
    [
        ((), ()),
        (("migrations/", "*.min.js"), ()),
        (("src/gen/", "!src/gen/keep.py"), ()),  # a file in an excluded directory cannot be included back
        (("gen",), ("src/", "web/")),
        ((), ("*.py", "!migrations/")),
    ],
)
def test_exclude_and_include_drop_imported_findings_where_discovery_does(
    tmp_path: Path, exclude: tuple[str, ...], include: tuple[str, ...]
) -> None:
    root = tmp_path / "project"
    for relpath in TREE:
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text("x = 1\n")
    config = ReviewConfig(exclude=exclude, include=include)
    reviewed = {f.relpath for f in discover(root, config, [])}
    assert (reviewed == set(TREE)) is not (exclude or include)
    configured = apply_config(imported(*(make("tool:R", 1, None, path=p) for p in TREE), root=root), config)
    assert {f.path for f in configured.findings} == reviewed
    assert configured.skipped.keys() <= {EXCLUDED, NOT_INCLUDED}
    assert sum(configured.skipped.values()) == len(TREE) - len(reviewed)


def test_paths_are_not_filtered_in_a_single_file_review(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    config = ReviewConfig(exclude=("*.py",), include=("src/",))
    assert [f.relpath for f in discover(tmp_path / "app.py", config, [])] == ["app.py"]
    report = imported(make("tool:R", 1, None, path="app.py"), root=tmp_path / "app.py")
    assert apply_config(report, config).findings == report.findings


def test_severity_overrides(tmp_path: Path) -> None:
    config = ReviewConfig(severity={"ruff:": "info", "ruff:F401": "low", "bandit:B6": "critical", "PY-": "info"})
    report = imported(*(make(rule_id, 1, None) for rule_id in IMPORTED))
    assert {f.rule_id: f.severity for f in apply_config(report, config).findings} == {
        "ruff:E501": Severity.INFO,
        "ruff:F401": Severity.LOW,
        "bandit:B602": Severity.CRITICAL,
        "semgrep:python.sql": Severity.HIGH,
    }


@pytest.mark.parametrize(
    ("config", "rules"),
    [
        ('ignore = ["bandit:"]', {"PY-Q004", "PY-S002", "ruff:E741"}),
        ('select = ["PY-"]', {"PY-Q004", "PY-S002", "ruff:E741", "bandit:B404"}),
        ('select = ["PY-", "ruff:"]', {"PY-Q004", "PY-S002", "ruff:E741"}),
        # Filtered before merging: with none of our rules selected, ruff's F401 and S602 are no duplicates.
        ('select = ["ruff:"]', {"ruff:F401", "ruff:S602", "ruff:E741"}),
        ('exclude = ["app.py"]', set()),
    ],
)
def test_review_applies_the_configuration_to_imports(
    project: Path, tmp_path: Path, config: str, rules: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ruff, bandit = ruff_sarif(project, tmp_path / "ruff.sarif"), bandit_sarif(project, tmp_path / "bandit.sarif")
    (project / ".reviewlab.toml").write_text(f"[reviewlab]\n{config}\n")
    out = tmp_path / "report.json"
    argv = ["review", str(project), "--import", str(ruff), "--import", str(bandit), "--no-store", "--no-cache"]
    assert main([*argv, "--format", "json", "--output", str(out)]) == 0
    assert {f["rule_id"] for f in json.loads(out.read_text())["findings"]} == rules
    if config.startswith("ignore"):
        err = capsys.readouterr().err
        assert f"imported 0 finding(s) from {bandit} (bandit); 0 duplicate(s) of other findings left out" in err
        assert f"{bandit}: 2 result(s) skipped: ignored by the configuration (ignore)" in err


def test_severity_overrides_reach_the_report_and_the_exit_code(project: Path, tmp_path: Path) -> None:
    ruff = ruff_sarif(project, tmp_path / "ruff.sarif")
    out = tmp_path / "report.json"
    argv = ["review", str(project), "--import", str(ruff), "--no-store", "--no-cache", "--fail-on", "critical"]
    argv += ["--format", "json", "--output", str(out)]
    assert main(argv) == 0
    (project / ".reviewlab.toml").write_text('[reviewlab.severity]\n"ruff:E7" = "critical"\n')
    assert main(argv) == 1
    severities = {f["rule_id"]: f["severity"] for f in json.loads(out.read_text())["findings"]}
    assert severities["ruff:E741"] == "critical"


# --- baselines -----------------------------------------------------------------------------------------------------


def test_a_baseline_accepts_imported_findings(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ruff, bandit = ruff_sarif(project, tmp_path / "ruff.sarif"), bandit_sarif(project, tmp_path / "bandit.sarif")
    imports = ["--import", str(ruff), "--import", str(bandit)]
    accepted = tmp_path / "baseline.json"
    assert main(["baseline", "create", str(project), *imports, "--no-cache", "--output", str(accepted)]) == 0
    entries = json.loads(accepted.read_text())["findings"]
    assert {(e["rule_id"], e["line"]) for e in entries} == {
        ("PY-Q004", 1),
        ("PY-S002", 6),
        ("ruff:E741", 10),
        ("bandit:B404", 2),
    }
    assert "baseline of 4 finding(s) written" in capsys.readouterr().out

    out = tmp_path / "report.json"
    argv = ["review", str(project), *imports, "--no-store", "--no-cache", "--baseline", str(accepted)]
    argv += ["--format", "json", "--output", str(out)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["findings"] == []
    assert report["baseline"] == {"known": 4, "fixed": []}

    # A new result of an imported tool is reported; the accepted ones stay hidden.
    (project / "app.py").write_text(APP + "\n\ndef twice(r):\n    l = 2\n    return l * r\n")
    ruff_sarif(project, ruff)
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert [(f["rule_id"], f["start_line"]) for f in report["findings"]] == [("ruff:E741", 15)]
    assert report["baseline"] == {"known": 4, "fixed": []}


def test_a_baseline_takes_imports_through_the_configuration(project: Path, tmp_path: Path) -> None:
    bandit = bandit_sarif(project, tmp_path / "bandit.sarif")
    (project / ".reviewlab.toml").write_text('[reviewlab]\nignore = ["bandit:B404"]\n')
    assert main(["baseline", "create", str(project), "--import", str(bandit), "--no-cache"]) == 0
    entries = json.loads((project / ".reviewlab-baseline.json").read_text())["findings"]
    assert {e["rule_id"] for e in entries} == {"PY-Q004", "PY-S002"}  # B602 repeats PY-S002, B404 is ignored


def test_a_baseline_with_a_bad_import_is_not_written(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.sarif"
    bad.write_text('{"version": "2.1.0"}')
    assert main(["baseline", "create", str(project), "--import", str(bad)]) == 2
    assert capsys.readouterr().err == f"reviewlab: error: SARIF log {bad} has no runs list\n"
    assert not (project / ".reviewlab-baseline.json").exists()
