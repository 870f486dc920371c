"""SARIF 2.1.0: one run of the ``reviewlab`` driver, valid against the OASIS schema.

``driver.rules`` holds a descriptor for each rule that has a result in this review (sorted by id),
so the log stays small and ``ruleIndex`` points into it. A finding whose rule is not in the
registry gets a minimal descriptor built from the finding. Every result's ``properties`` holds
``category``, ``severity``, ``confidence`` and ``cwe`` (``"CWE-<n>"`` or null). A finding of a
dataflow rule carries its path from source to sink as one ``codeFlows`` entry with one thread flow.

:func:`chunks` gives the same text in pieces, each result and notification encoded when its turn comes; the rule
descriptors (one per rule with a finding) are gathered by a first pass over the findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from reviewlab import __version__
from reviewlab.engine.model import (
    Category,
    Diagnostic,
    DiagnosticKind,
    Finding,
    Fix,
    FlowStep,
    ReviewResult,
    Severity,
    Span,
)
from reviewlab.engine.rules import Rule, get_rule
from reviewlab.reports.ordering import sorted_diagnostics, sorted_findings
from reviewlab.reports.rule_help import help_markdown, help_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "reviewlab/v1"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.5",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def pascal_case(title: str) -> str:
    """``"Use of eval or exec"`` -> ``"UseOfEvalOrExec"``."""
    return "".join(word[0].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def cwe_tag(cwe: int | None) -> str | None:
    """``"CWE-89"`` for 89, None for no CWE."""
    return None if cwe is None else f"CWE-{cwe}"


def _rule_properties(category: Category, severity: Severity, cwe: int | None, precision: str) -> dict[str, Any]:
    tags = [category.value]
    if category is Category.SECURITY:
        tags.append("security")
    tag = cwe_tag(cwe)
    if tag is not None:
        tags.append(tag)
    properties: dict[str, Any] = {"tags": list(dict.fromkeys(tags)), "precision": precision}
    if category is Category.SECURITY:
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    return properties


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """The reportingDescriptor of a registered rule."""
    return {
        "id": rule.id,
        "name": pascal_case(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.docs.what},
        "help": {"text": help_text(rule), "markdown": help_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": _rule_properties(rule.category, rule.severity, rule.cwe, rule.confidence.value),
    }


def _unregistered_descriptor(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.rule_id,
        "shortDescription": {"text": finding.rule_id},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": _rule_properties(finding.category, finding.severity, finding.cwe, finding.confidence.value),
    }


def artifact_location(path: str) -> dict[str, Any]:
    """A relative path as a percent-encoded URI under %SRCROOT%; an absolute one as a file URI."""
    if path.startswith("/"):
        return {"uri": PurePosixPath(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict[str, Any]:
    return {
        "startLine": span.start_line,
        "startColumn": span.start_column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def sarif_fix(path: str, fix: Fix) -> dict[str, Any]:
    """A fix as one artifactChange of the finding's file: each replacement a deletedRegion plus insertedContent."""
    return {
        "description": {"text": fix.description},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(path),
                "replacements": [
                    {"deletedRegion": _region(r.span), "insertedContent": {"text": r.text}} for r in fix.replacements
                ],
            }
        ],
    }


def code_flow(path: str, flow: tuple[FlowStep, ...]) -> dict[str, Any]:
    """A dataflow path as a codeFlow: one threadFlow whose locations run from the source to the sink."""
    return {
        "threadFlows": [
            {
                "locations": [
                    {
                        "location": {
                            "physicalLocation": {
                                "artifactLocation": artifact_location(path),
                                "region": _region(step.span),
                            },
                            "message": {"text": step.message},
                        }
                    }
                    for step in flow
                ]
            }
        ]
    }


def sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    """One finding as a SARIF result pointing at ``driver.rules[rule_index]``."""
    region = _region(finding.span)
    if finding.snippet:
        region["snippet"] = {"text": finding.snippet}
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(finding.path), "region": region}}],
    }
    if finding.flow:
        result["codeFlows"] = [code_flow(finding.path, finding.flow)]
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": {"artifactLocation": artifact_location(place.path), "region": _region(place.span)},
                "message": {"text": place.message},
            }
            for number, place in enumerate(finding.related)
        ]
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    result["properties"] = {
        "category": finding.category.value,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "cwe": cwe_tag(finding.cwe),
    }
    if finding.fix is not None and finding.fix.replacements:
        result["fixes"] = [sarif_fix(finding.path, finding.fix)]
    return result


def notification(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic as a toolExecutionNotification: an error for internal errors, else a warning."""
    level = "error" if diagnostic.kind is DiagnosticKind.INTERNAL_ERROR else "warning"
    note: dict[str, Any] = {"level": level, "message": {"text": diagnostic.message}}
    if diagnostic.path:
        physical: dict[str, Any] = {"artifactLocation": artifact_location(diagnostic.path)}
        if diagnostic.line is not None and diagnostic.line >= 1:
            physical["region"] = {"startLine": diagnostic.line}
        note["locations"] = [{"physicalLocation": physical}]
    note["properties"] = {"kind": diagnostic.kind.value}
    return note


def _utc(stamp: str) -> str | None:
    """An ISO 8601 timestamp with a zone as SARIF's UTC form, or None when it has no zone."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _invocation(result: ReviewResult, listed: Callable[[Iterable[Any]], Any]) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "toolExecutionNotifications": listed(_notifications(result)),
    }
    for key, stamp in (("startTimeUtc", result.started_at), ("endTimeUtc", result.finished_at)):
        utc = _utc(stamp)
        if utc is not None:
            invocation[key] = utc
    return invocation


def _notifications(result: ReviewResult) -> Iterator[dict[str, Any]]:
    for diagnostic in sorted_diagnostics(result):
        yield notification(diagnostic)


def _root_uri(root: str) -> str | None:
    path = Path(root)
    if not path.is_absolute():
        return None
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def sarif_log(result: ReviewResult) -> dict[str, Any]:
    """The review as a SARIF log object."""
    return _log(result, list)


def _log(result: ReviewResult, listed: Callable[[Iterable[Any]], Any]) -> dict[str, Any]:
    """The log, its long lists (results, notifications) made by ``listed`` from generators of their elements."""
    findings = sorted_findings(result)
    descriptors = _descriptors(findings)
    rule_ids = sorted(descriptors)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "reviewlab",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [descriptors[rule_id] for rule_id in rule_ids],
            }
        },
        "invocations": [_invocation(result, listed)],
    }
    root_uri = _root_uri(result.root)
    if root_uri is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri}}
    run["results"] = listed(_results(findings, index))
    run["columnKind"] = "unicodeCodePoints"
    run["properties"] = {"rulePackVersion": result.rule_pack_version}
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _descriptors(findings: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """A descriptor per rule with a finding (one pass over the findings; as many descriptors as rules)."""
    descriptors: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.rule_id not in descriptors:
            rule = get_rule(finding.rule_id)
            descriptors[finding.rule_id] = (
                rule_descriptor(rule) if rule is not None else _unregistered_descriptor(finding)
            )
    return descriptors


def _results(findings: Iterable[Finding], index: dict[str, int]) -> Iterator[dict[str, Any]]:
    for finding in findings:
        yield sarif_result(finding, index[finding.rule_id])


def render(result: ReviewResult) -> str:
    """The review as SARIF 2.1.0 JSON text ending in a newline."""
    return "".join(chunks(result))


def chunks(result: ReviewResult) -> Iterator[str]:
    """:func:`render`'s text in pieces: each result and notification is encoded only when its turn comes, so a
    log of 100,000 files written piece by piece never exists whole in memory."""
    yield from _indented(_log(result, _Listed), 0)
    yield "\n"


class _Listed:
    """A list of the log produced one element at a time (the results of a large review are not all held)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


_INDENT = "  "


def _indented(value: Any, level: int) -> Iterator[str]:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` nested ``level`` deep, in pieces: the containers that
    hold a :class:`_Listed` are written around it, and each of its elements is dumped when its turn comes."""
    if isinstance(value, dict) and _holds_listed(value):
        members = ((f"{json.dumps(key, ensure_ascii=False)}: ", item) for key, item in value.items())
        yield from _container(members, "{", "}", level)
    elif isinstance(value, list | _Listed) and _holds_listed(value):
        yield from _container((("", item) for item in value), "[", "]", level)
    else:
        yield _dumped(value, level)


def _container(members: Iterable[tuple[str, Any]], opening: str, closing: str, level: int) -> Iterator[str]:
    separator = opening
    for prefix, item in members:
        yield f"{separator}\n{_INDENT * (level + 1)}{prefix}"
        yield from _indented(item, level + 1)
        separator = ","
    yield opening + closing if separator == opening else f"\n{_INDENT * level}{closing}"


def _dumped(value: Any, level: int) -> str:
    """``value`` as an indented json.dumps writes it nested ``level`` deep (JSON strings hold no raw newline)."""
    return json.dumps(value, indent=len(_INDENT), ensure_ascii=False).replace("\n", "\n" + _INDENT * level)


def _holds_listed(value: Any) -> bool:
    if isinstance(value, _Listed):
        return True
    if isinstance(value, dict):
        return any(_holds_listed(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_listed(item) for item in value)
    return False
