"""How the review pages draw what the API returns: findings as table rows, a finding's code with its line marked,
its dataflow path, its fix as a diff, severity counts as metrics, and the gate's verdict.

Everything here takes the API's JSON (a finding is ``Finding.to_dict()`` plus its ``triage``); nothing calls the API.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

SEVERITIES = ("critical", "high", "medium", "low", "info")
CATEGORIES = ("security", "quality", "performance", "architecture")
TRIAGE_STATUSES = ("open", "accepted", "false_positive", "fixed")
TRIAGE_LABELS = {"open": "Open", "accepted": "Accepted", "false_positive": "False positive", "fixed": "Fixed"}
LANGUAGES = ("python", "javascript", "typescript", "java", "go")
RECENT_KEY = "reviewlab_recent_analyses"
"""Analyses started in this browser session, newest first (``{"id", "label"}``): the results page offers them."""
EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".java": "java",
    ".go": "go",
}
_SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}


def language_of(path: str, default: str | None = None) -> str | None:
    """The language a file's extension names (``default`` when unknown)."""
    name = path.rsplit("/", 1)[-1].lower()
    dot = name.rfind(".")
    return EXTENSIONS.get(name[dot:], default) if dot >= 0 else default


def ordered(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Most severe first, then by file and line."""
    return sorted(
        findings,
        key=lambda f: (
            -_SEVERITY_RANK.get(str(f.get("severity")), -1),
            str(f.get("path", "")),
            int(f.get("start_line") or 0),
            str(f.get("rule_id", "")),
        ),
    )


def cwe_text(cwe: Any) -> str:
    return f"CWE-{cwe}" if cwe is not None else ""


def triage_of(finding: Mapping[str, Any]) -> str:
    triage = finding.get("triage")
    return str(triage.get("status", "open")) if isinstance(triage, Mapping) else "open"


def finding_rows(findings: Iterable[Mapping[str, Any]], *, triage: bool = False) -> list[dict[str, Any]]:
    """The findings as table rows (in the given order)."""
    rows = []
    for f in findings:
        row: dict[str, Any] = {
            "severity": f.get("severity"),
            "file": f.get("path"),
            "line": f.get("start_line"),
            "rule": f.get("rule_id"),
            "category": f.get("category"),
            "CWE": cwe_text(f.get("cwe")),
            "message": f.get("message"),
        }
        if triage:
            row["triage"] = TRIAGE_LABELS.get(triage_of(f), triage_of(f))
        rows.append(row)
    return rows


def finding_label(finding: Mapping[str, Any]) -> str:
    """One line naming a finding (for selectors): severity, rule, place, message."""
    message = str(finding.get("message", ""))
    if len(message) > 90:
        message = message[:89] + "…"
    severity = str(finding.get("severity", "")).upper()
    return f"{severity} · {finding.get('rule_id')} · {finding.get('path')}:{finding.get('start_line')} · {message}"


def severity_metrics(counts: Mapping[str, Any], total: int | None = None) -> None:
    """``Findings`` and one metric per severity."""
    columns = st.columns(1 + len(SEVERITIES))
    columns[0].metric("Findings", total if total is not None else sum(int(v or 0) for v in counts.values()))
    for column, severity in zip(columns[1:], SEVERITIES, strict=True):
        column.metric(severity.capitalize(), int(counts.get(severity) or 0))


def gate_verdict(gate: Mapping[str, Any] | None) -> None:
    """The quality gate's verdict with its conditions (or that no gate applies)."""
    if not gate:
        st.caption("Quality gate: no gate configured for this review.")
        return
    conditions = [c for c in gate.get("conditions") or [] if isinstance(c, Mapping)]
    lines = "\n".join(
        f"- {'✅' if c.get('passed') else '❌'} {c.get('name')}: {c.get('actual')} (limit {c.get('limit')})"
        for c in conditions
    )
    if gate.get("passed"):
        st.success(f"Quality gate passed\n\n{lines}" if lines else "Quality gate passed")
    else:
        st.error(f"Quality gate failed\n\n{lines}" if lines else "Quality gate failed")


def code_html(code: str, start_line: int, marked: Iterable[int] = ()) -> str:
    """``code`` as an HTML block with line numbers from ``start_line``, the ``marked`` lines highlighted."""
    marks = set(marked)
    lines = code.splitlines() or [""]
    width = len(str(start_line + len(lines) - 1))
    out = []
    for number, text in enumerate(lines, start=start_line):
        gutter = f'<span style="opacity:0.55;user-select:none">{number:>{width}} │ </span>'
        body = html.escape(text) or " "
        if number in marks:
            out.append(f'<mark style="display:block">{gutter}{body}</mark>')
        else:
            out.append(f"{gutter}{body}")
    style = "font-family:monospace;white-space:pre;padding:0.75em;border-radius:0.5em;overflow-x:auto"
    return f'<div style="{style}">' + "\n".join(out) + "</div>"


def finding_code(finding: Mapping[str, Any]) -> None:
    """The finding's code as the API gives it (its snippet), with line numbers and its line marked; then the same
    code syntax-highlighted."""
    snippet = str(finding.get("snippet") or "")
    start = int(finding.get("start_line") or 1)
    end = int(finding.get("end_line") or start)
    path = str(finding.get("path") or "")
    if not snippet:
        st.caption(f"No code excerpt for {path}:{start}.")
        return
    lines = snippet.splitlines() or [snippet]
    st.markdown(f"**{path}**, line {start}" + (f"–{end}" if end > start else ""))
    marked = range(start, min(end, start + len(lines) - 1) + 1)
    st.markdown(code_html(snippet, start, marked), unsafe_allow_html=True)
    language = language_of(path)
    if language is not None:
        st.code(snippet, language=language)


def flow_path(flow: list[Mapping[str, Any]]) -> None:
    """The dataflow path of a security finding, source first and sink last, with the lines of its steps."""
    if not flow:
        return
    chain = " → ".join(f"line {step.get('start_line')}" for step in flow)
    steps = "\n".join(
        f"{index}. line {step.get('start_line')}, column {step.get('start_column')}: {step.get('message')}"
        for index, step in enumerate(flow, start=1)
    )
    st.markdown(f"**Dataflow** (source → sink: {chain})\n\n{steps}")


def fix_diff(fix: Mapping[str, Any] | None) -> None:
    """A suggested fix: its description and its diff."""
    if not fix:
        return
    st.markdown(f"**Suggested fix:** {fix.get('description') or ''}")
    diff = fix.get("diff")
    if diff:
        st.code(str(diff), language="diff")


def related_places(related: list[Mapping[str, Any]]) -> None:
    if related:
        st.markdown(
            "**Related places**\n\n"
            + "\n".join(f"- {r.get('path')}:{r.get('start_line')}: {r.get('message')}" for r in related)
        )
