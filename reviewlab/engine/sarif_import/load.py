"""Reading a SARIF 2.1.0 log and turning each result of each run into a ``Finding``.

Results outside the review root are dropped with a warning; results without a location or a rule id,
suppressed ones, absent ones (``baselineState``) and those whose ``kind`` is pass or notApplicable are skipped
and counted. ``confidence`` is medium: another tool's precision is not ours. The snippet is the file's line
(read from the review root, secrets redacted), else the region's snippet; the fingerprint hashes the prefixed
rule id, path, normalised line and occurrence, like reviewlab's own.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewlab.engine.analyzer import MAX_SNIPPET, fingerprint
from reviewlab.engine.model import PLAIN_TEXT, Confidence, Finding
from reviewlab.engine.redaction import Redactor
from reviewlab.engine.rules.base import TextContext
from reviewlab.engine.sarif_import import mapping
from reviewlab.engine.sarif_import.locate import Locator, describe, first_physical
from reviewlab.engine.sarif_import.values import JSONObject, obj, text
from reviewlab.errors import InputError

SARIF_VERSION = "2.1.0"
MAX_RULE_ID = 128  # the store's column width


@dataclass(slots=True)
class ImportedReport:
    """What one SARIF log contributed: its findings, the tools that produced them, what was left out and why.

    ``root`` is the resolved review root the findings' paths are relative to (its directory for a file).
    """

    source: Path
    findings: list[Finding] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> results
    warnings: list[str] = field(default_factory=list)
    root: Path | None = None


def load_sarif(path: Path, root: Path, *, cwd: Path | None = None) -> ImportedReport:
    """The findings of a SARIF 2.1.0 log about the tree at ``root``; a malformed log is an ``InputError``."""
    log = _read(path)
    root = root.expanduser().resolve()
    report = ImportedReport(path, root=root)
    outside: Counter[str] = Counter()
    for run_index, run in enumerate(log["runs"]):
        where = f"SARIF log {path}: runs[{run_index}]"
        if not isinstance(run, dict):
            raise InputError(f"{where} is not an object")
        _import_run(run, where, Locator(root, run, [path.resolve().parent, cwd or Path.cwd()]), report, outside)
    for place, count in sorted(outside.items()):
        report.warnings.append(f"{path}: {count} result(s) in {place}, outside the review root {root}: dropped")
    report.findings = _with_fingerprints(report.findings)
    return report


def _read(path: Path) -> JSONObject:
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(f"SARIF log not found: {path}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read SARIF log {path}: {err}") from err
    try:
        log = json.loads(content)
    except json.JSONDecodeError as err:
        raise InputError(f"SARIF log {path} is not valid JSON: {err.msg} at line {err.lineno}") from err
    if not isinstance(log, dict) or log.get("version") != SARIF_VERSION:
        version = log.get("version") if isinstance(log, dict) else None
        raise InputError(f"{path} is not a SARIF {SARIF_VERSION} log (version: {version!r})")
    if not isinstance(log.get("runs"), list):
        raise InputError(f"SARIF log {path} has no runs list")
    return log


def _import_run(run: JSONObject, where: str, locator: Locator, report: ImportedReport, outside: Counter[str]) -> None:
    driver = obj(obj(run.get("tool")).get("driver"))
    name = driver.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where} has no tool.driver.name")
    tool = mapping.tool_prefix(name)
    if tool not in report.tools:
        report.tools.append(tool)
    results = run.get("results")
    results = [] if results is None else results  # absent or null: the tool produced no results
    if not isinstance(results, list):
        raise InputError(f"{where}.results is not a list")
    for result_index, result in enumerate(results):
        if not isinstance(result, dict):
            raise InputError(f"{where}.results[{result_index}] is not an object")
        reason = _left_out(result)
        if reason is not None:
            report.skipped[reason] += 1
            continue
        rule = mapping.descriptor(run, result)
        rule_id = mapping.rule_id(result, rule)
        if rule_id is None:
            report.skipped["no rule id"] += 1
            continue
        physical = first_physical(result.get("locations"))
        if physical is None:
            report.skipped["no location"] += 1
            continue
        target = locator.resolve(physical)
        if target is None:
            outside[describe(physical)] += 1
            continue
        report.findings.append(_finding(run, result, rule, f"{tool}:{rule_id}", target, physical, locator))


def _left_out(result: JSONObject) -> str | None:
    if result.get("kind", "fail") in ("pass", "notApplicable"):
        return "not a failure (kind pass or notApplicable)"
    suppressions = result.get("suppressions")
    if isinstance(suppressions, list) and any(obj(s).get("status") != "rejected" for s in suppressions):
        return "suppressed"
    if result.get("baselineState") == "absent":
        return "absent (baselineState)"
    return None


def _finding(
    run: JSONObject,
    result: JSONObject,
    rule: JSONObject,
    rule_id: str,
    path: str,
    physical: JSONObject,
    locator: Locator,
) -> Finding:
    file = locator.file(path)
    region = obj(physical.get("region"))
    span = locator.span(region, path)
    if file is not None and file.line(span.start_line) is not None:
        snippet = file.redactor.line(span.start_line - 1).strip()
        redact = file.redactor.text
    else:
        snippet = (text(obj(region.get("snippet"))).splitlines() or [""])[0].strip()
        redact = Redactor(TextContext(path, PLAIN_TEXT, snippet.encode(), {}), ()).text
        snippet = redact(snippet)
    cwe = mapping.cwe(run, result, rule)
    score = mapping.security_severity(result, rule)
    return Finding(
        rule_id=_capped(rule_id),
        category=mapping.category(rule_id, rule, result, cwe, score),
        severity=mapping.severity(result, rule, score),
        confidence=Confidence.MEDIUM,
        cwe=cwe,
        path=path,
        span=span,
        snippet=snippet[:MAX_SNIPPET],
        message=redact(mapping.message(result, rule, rule_id)),
        flow=mapping.flow(result, path, locator, redact),
        related=mapping.related(result, locator, redact),
    )


def _with_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Fingerprint each finding by its rule, path, normalised line and its occurrence among equal ones."""
    occurrences: Counter[tuple[str, str, str]] = Counter()
    done: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id)):
        normalized = " ".join(finding.snippet.split())
        key = (finding.rule_id, finding.path, normalized)
        stamp = fingerprint(finding.rule_id, finding.path, normalized, occurrences[key])
        done.append(replace(finding, fingerprint=stamp))
        occurrences[key] += 1
    return done


def _capped(rule_id: str) -> str:
    """A rule id that fits the store; a longer one keeps its start and a hash of the whole."""
    if len(rule_id) <= MAX_RULE_ID:
        return rule_id
    digest = hashlib.sha256(rule_id.encode()).hexdigest()[:8]
    return f"{rule_id[: MAX_RULE_ID - 9]}~{digest}"
