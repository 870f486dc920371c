"""Terminal output: plain ``path:line:col: SEVERITY RULE-ID message`` lines, and a rich summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from reviewlab.engine.model import Diagnostic, Finding, ReviewResult, Severity
from reviewlab.reports.ordering import sorted_diagnostics, sorted_findings, worst_first

TOP_FINDINGS = 10
SEVERITY_STYLES = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def finding_line(finding: Finding) -> str:
    """``path:line:col: SEVERITY RULE-ID message`` on one line."""
    span = finding.span
    return (
        f"{finding.path}:{span.start_line}:{span.start_column}: "
        f"{finding.severity.value.upper()} {finding.rule_id} {_one_line(finding.message)}"
    )


def diagnostic_line(diagnostic: Diagnostic) -> str:
    """``path[:line]: DIAGNOSTIC kind message`` on one line."""
    where = diagnostic.path or "reviewlab"
    if diagnostic.line is not None:
        where = f"{where}:{diagnostic.line}"
    return f"{where}: DIAGNOSTIC {diagnostic.kind.value} {_one_line(diagnostic.message)}"


def summary_line(result: ReviewResult) -> str:
    """One sentence: findings by severity, files, lines and diagnostics."""
    counts = result.counts_by_severity()
    found = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity if counts[s.value])
    findings = f"{_plural(len(result.findings), 'finding')} ({found})" if found else "No findings"
    where = f"in {_plural(len(result.files), 'file')} ({_plural(result.lines, 'line')})"
    tail = f"; {_plural(len(result.diagnostics), 'diagnostic')}" if result.diagnostics else ""
    return f"{findings} {where}{tail}."


def render(result: ReviewResult) -> str:
    """Plain text for pipes and logs: one line per finding, then per diagnostic, then a summary."""
    return "".join(chunks(result))


def chunks(result: ReviewResult) -> Iterator[str]:
    """:func:`render`'s text a line at a time, each made when its turn comes (never the whole report)."""
    for finding in sorted_findings(result):
        yield finding_line(finding) + "\n"
    for diagnostic in sorted_diagnostics(result):
        yield diagnostic_line(diagnostic) + "\n"
    yield summary_line(result) + "\n"


def _counts_table(title: str, column: str, counts: dict[str, int], styles: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(column)
    table.add_column("Findings", justify="right")
    for name, count in counts.items():
        table.add_row(Text(name, style=styles.get(name, "")), str(count))
    return table


def _overview(result: ReviewResult) -> Table:
    table = Table(title="Review", title_justify="left", show_header=False)
    table.add_column("What")
    table.add_column("Value", justify="right")
    rows: list[tuple[str, str]] = [
        ("Files", str(len(result.files))),
        ("Lines", str(result.lines)),
        ("Findings", str(len(result.findings))),
        ("Diagnostics", str(len(result.diagnostics))),
        ("Cache hits", str(result.cache_hits)),
        ("Duration", f"{result.duration_seconds:.2f} s"),
    ]
    if result.gate is not None:
        failed = [str(c["name"]) for c in result.gate.get("conditions", []) if not c["passed"]]
        rows.append(("Quality gate", "passed" if result.gate.get("passed") else "failed: " + ", ".join(failed)))
    if result.baseline is not None:
        rows += [
            ("Known (baseline)", str(result.baseline.get("known", 0))),
            ("Fixed since baseline", str(len(result.baseline.get("fixed", [])))),
        ]
    if result.ai is not None:
        rows += _ai_rows(result.ai)
    if result.architecture is not None:
        summary = result.architecture.get("summary", {})
        rows += [
            ("Modules (import edges)", f"{summary.get('modules', 0)} ({summary.get('edges', 0)})"),
            ("Import cycles", str(summary.get("cycles", 0))),
        ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _top(result: ReviewResult, limit: int) -> Table:
    findings = worst_first(result.findings, limit)
    title = f"Top findings ({len(findings)} of {len(result.findings)})"
    table = Table(title=title, title_justify="left")
    table.add_column("Severity")
    table.add_column("Rule")
    table.add_column("Location")
    table.add_column("Message")
    for finding in findings:
        span = finding.span
        table.add_row(
            Text(finding.severity.value, style=SEVERITY_STYLES[finding.severity]),
            Text(finding.rule_id),
            Text(f"{finding.path}:{span.start_line}:{span.start_column}"),
            Text(_one_line(finding.message)),
        )
    return table


def print_summary(result: ReviewResult, console: Console, top: int = TOP_FINDINGS) -> None:
    """Print the review's overview, counts by severity and category, and its most severe findings."""
    console.print(_overview(result))
    severity_styles = {s.value: style for s, style in SEVERITY_STYLES.items()}
    console.print(_counts_table("By severity", "Severity", result.counts_by_severity(), severity_styles))
    console.print(_counts_table("By category", "Category", result.counts_by_category(), {}))
    if result.findings and top > 0:
        console.print(_top(result, top))


def _ai_rows(ai: dict[str, Any]) -> list[tuple[str, str]]:
    """The AI review's status and, per provider and model, calls, tokens, latency and cost."""
    status = str(ai.get("status", ""))
    if ai.get("unavailable_reason"):
        status += ": " + str(ai["unavailable_reason"])
    rows = [("AI review", status), ("AI findings", str(ai.get("findings_count", 0)))]
    for usage in ai.get("usage", []):
        rows.append(
            (
                f"AI {usage['provider']} ({usage['model'] or 'default'})",
                f"{usage['calls']} calls, {usage['input_tokens']} in / {usage['output_tokens']} out tokens, "
                f"{usage['latency_s']:.2f} s, ${usage['cost_usd']:.4f}",
            )
        )
    if ai.get("not_sent"):
        rows.append(("Not sent to the model", str(len(ai["not_sent"]))))
    return rows
