"""The Markdown report: a summary, findings grouped by file, and diagnostics.

Messages, paths and descriptions are shown literally (escaped); code is shown in fences long
enough for any backticks it holds. Line links are relative to the review root, so the report
reads best committed at, or posted from, that root.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import groupby

from reviewlab.engine.languages import language_for_path
from reviewlab.engine.model import Category, Finding, ReviewResult, Severity, Span
from reviewlab.reports.mdsyntax import code_block, code_span, escape_text, link_target
from reviewlab.reports.ordering import sorted_diagnostics, sorted_findings
from reviewlab.reports.rule_help import cwe_url


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _summary(result: ReviewResult) -> str:
    by_severity = result.counts_by_severity()
    by_category = result.counts_by_category()
    severity_rows = [f"| {s.value} | {by_severity[s.value]} |" for s in Severity]
    category_rows = [f"| {c.value} | {by_category[c.value]} |" for c in Category]
    total = f"| **total** | {len(result.findings)} |"
    return "\n".join(
        [
            "## Summary",
            "",
            "| Severity | Findings |",
            "| --- | ---: |",
            *severity_rows,
            total,
            "",
            "| Category | Findings |",
            "| --- | ---: |",
            *category_rows,
            total,
        ]
    )


def _where(span: Span) -> str:
    if span.start_line == span.end_line:
        return f"line {span.start_line}, columns {span.start_column}–{span.end_column}"
    return f"lines {span.start_line}:{span.start_column}–{span.end_line}:{span.end_column}"


def _fix(finding: Finding, language: str) -> list[str]:
    if finding.fix is None:
        return []
    blocks = [f"**Suggested fix:** {escape_text(finding.fix.description)}"]
    if finding.fix.diff:
        return [*blocks, code_block(finding.fix.diff, "diff")]
    for replacement in finding.fix.replacements:
        if replacement.text:
            blocks.append(f"Replace {_where(replacement.span)} with:")
            blocks.append(code_block(replacement.text, language))
        else:
            blocks.append(f"Delete {_where(replacement.span)}.")
    return blocks


def _flow(finding: Finding) -> list[str]:
    if not finding.flow:
        return []
    steps = [f"{n}. line {step.span.start_line}: {escape_text(step.message)}" for n, step in enumerate(finding.flow, 1)]
    return ["**Data flow:**", "\n".join(steps)]


def _related(finding: Finding) -> list[str]:
    if not finding.related:
        return []
    places = [
        f"- [{escape_text(place.path)}, line {place.span.start_line}]"
        f"({link_target(place.path, f'L{place.span.start_line}')}): {escape_text(place.message)}"
        for place in finding.related
    ]
    return ["**Related locations:**", "\n".join(places)]


def _finding(finding: Finding, language: str) -> str:
    span = finding.span
    anchor = f"L{span.start_line}" if span.end_line == span.start_line else f"L{span.start_line}-L{span.end_line}"
    parts = [
        f"[Line {span.start_line}, column {span.start_column}]({link_target(finding.path, anchor)})",
        f"**{finding.severity.value.upper()}**",
        code_span(finding.rule_id),
    ]
    if finding.cwe is not None:
        parts.append(f"[CWE-{finding.cwe}]({cwe_url(finding.cwe)})")
    blocks = [f"#### {' · '.join(parts)}", escape_text(finding.message)]
    if finding.snippet:
        blocks.append(code_block(finding.snippet, language))
    blocks.extend(_flow(finding))
    blocks.extend(_related(finding))
    blocks.extend(_fix(finding, language))
    return "\n\n".join(blocks)


def _findings(result: ReviewResult) -> Iterator[str]:
    """The findings section's blocks (a blank line apart), each finding's made when its turn comes."""
    findings = sorted_findings(result)
    if not findings:
        yield "## Findings\n\nNo findings."
        return
    yield "## Findings"
    for path, group in groupby(findings, key=lambda f: f.path):
        language = language_for_path(path) or ""
        yield f"### {code_span(path)}"
        for finding in group:
            yield _finding(finding, language)


def _diagnostics(result: ReviewResult) -> Iterator[str]:
    """The diagnostics section's lines, a table row per diagnostic made when its turn comes."""
    diagnostics = sorted_diagnostics(result)
    if not diagnostics:
        yield "## Diagnostics\n\nNone."
        return
    yield "## Diagnostics\n\n| Path | Line | Kind | Message |\n| --- | ---: | --- | --- |"
    for d in diagnostics:
        path = code_span(d.path, in_table=True) if d.path else ""
        yield f"| {path} | {d.line or ''} | {d.kind.value} | {escape_text(d.message)} |"


def render(result: ReviewResult) -> str:
    """The review as a Markdown document ending in a newline."""
    return "".join(chunks(result))


def chunks(result: ReviewResult) -> Iterator[str]:
    """:func:`render`'s text in pieces: a finding and a diagnostic row at a time, so a report of 100,000 files
    written piece by piece never exists whole in memory."""
    headline = (
        f"**{_plural(len(result.findings), 'finding')}** in {_plural(len(result.files), 'file')} "
        f"({_plural(result.lines, 'line')}) under {code_span(result.root)}, "
        f"rule pack {code_span(result.rule_pack_version)}, {result.duration_seconds:.2f} s."
    )
    yield "\n\n".join(["# reviewlab report", headline, *_gate(result), _summary(result), *_baseline(result)])
    for section in _ai(result):
        yield "\n\n" + section
    for block in _findings(result):
        yield "\n\n" + block
    for section in _architecture(result):
        yield "\n\n" + section
    lines = _diagnostics(result)
    yield "\n\n" + next(lines)
    for line in lines:
        yield "\n" + line
    yield "\n"


def _gate(result: ReviewResult) -> list[str]:
    """The quality gate's verdict and its conditions, when the project configures a gate."""
    if result.gate is None:
        return []
    verdict = "**passed**" if result.gate.get("passed") else "**failed**"
    rows = [
        f"| {escape_text(str(c['name']))} | {c['limit']} | {c['actual']} | {'yes' if c['passed'] else 'no'} |"
        for c in result.gate.get("conditions", [])
    ]
    return [
        "\n".join(
            [
                f"## Quality gate: {verdict}",
                "",
                "| Condition | Limit | Actual | Met |",
                "| --- | ---: | ---: | --- |",
                *rows,
            ]
        )
    ]


def _baseline(result: ReviewResult) -> list[str]:
    """A section on the baseline when one was applied: how many known findings it hid, and what was fixed."""
    if result.baseline is None:
        return []
    fixed = result.baseline.get("fixed", [])
    lines = [
        "## Baseline",
        "",
        f"{_plural(int(result.baseline.get('known', 0)), 'known finding')} hidden by the baseline; "
        f"{_plural(len(fixed), 'baseline finding')} fixed since.",
    ]
    if fixed:
        lines += ["", "| Rule | Path | Line | Message |", "| --- | --- | ---: | --- |"]
        lines += [
            f"| {code_span(e['rule_id'])} | {code_span(e['path'])} | {e['line']} | {escape_text(e['message'])} |"
            for e in fixed
        ]
    return ["\n".join(lines)]


MAX_PACKAGE_ROWS = 20


def _architecture(result: ReviewResult) -> list[str]:
    """The module graph: its size, the cycles, the packages' metrics and a Mermaid diagram (of a large review's
    spooled graph without holding it: its lists are read as they are needed)."""
    architecture = result.architecture
    if architecture is None:
        return []
    from reviewlab.engine.architecture import ArchitectureReport, Cycle, PackageMetrics

    cycles = [Cycle.from_dict(cycle) for cycle in architecture["cycles"]]
    modules, package_count = len(architecture["modules"]), len(architecture["packages"])
    lines = [
        "## Architecture",
        "",
        f"{_plural(modules, 'module')}, {_plural(len(architecture['edges']), 'import edge')} between them, "
        f"{_plural(package_count, 'package')}, {_plural(len(cycles), 'import cycle')}.",
    ]
    if cycles:
        lines += ["", "**Import cycles:**", ""]
        lines += [f"- {' → '.join(code_span(module) for module in cycle.path)}" for cycle in cycles]
    packages = heapq.nsmallest(
        MAX_PACKAGE_ROWS,
        (PackageMetrics.from_dict(package) for package in architecture["packages"]),
        key=lambda p: (-p.distance, p.name),
    )
    if packages:
        shown = "" if package_count <= MAX_PACKAGE_ROWS else f" (the {MAX_PACKAGE_ROWS} farthest from it)"
        lines += [
            "",
            f"Packages by distance from the main sequence{shown}:",
            "",
            "| Package | Modules | Fan-in (Ca) | Fan-out (Ce) | Instability | Abstractness | Distance |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {code_span(p.name or '.', in_table=True)} | {p.modules} | {p.fan_in} | {p.fan_out} "
            f"| {p.instability:.2f} | {p.abstractness:.2f} | {p.distance:.2f} |"
            for p in packages
        ]
    if modules:
        to_mermaid = getattr(architecture, "to_mermaid", None)  # a spooled graph draws itself from the spool
        diagram = (
            to_mermaid() if callable(to_mermaid) else ArchitectureReport.from_dict(dict(architecture)).to_mermaid()
        )
        lines += ["", code_block(diagram, "mermaid")]
    return ["\n".join(lines)]


def _ai(result: ReviewResult) -> list[str]:
    """The AI review: its status (and why it was unavailable), usage and cost per provider, what was not sent."""
    ai = result.ai
    if ai is None:
        return []
    lines = ["## AI review", "", f"Status: **{escape_text(str(ai.get('status', '')))}**."]
    if ai.get("unavailable_reason"):
        lines += ["", f"AI review was unavailable: {escape_text(str(ai['unavailable_reason']))}"]
    usage = ai.get("usage", [])
    if usage:
        lines += [
            "",
            "| Provider | Model | Calls (cached) | Input tokens | Output tokens | Latency (s) | Cost (USD) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {escape_text(u['provider'])} | {code_span(u['model'] or 'default', in_table=True)} "
            f"| {u['calls']} ({u['cached_calls']}) | {u['input_tokens']} | {u['output_tokens']} "
            f"| {u['latency_s']:.2f} | {u['cost_usd']:.4f} |"
            for u in usage
        ]
    not_sent = ai.get("not_sent", [])
    if not_sent:
        lines += ["", f"Not sent to the model ({len(not_sent)}):", ""]
        for item in not_sent:
            where = f" lines {item['start_line']}-{item['end_line']}" if item.get("start_line") else ""
            lines.append(
                f"- {code_span(item['path'])}{where}: {escape_text(item['reason'])} — {escape_text(item['detail'])}"
            )
    return ["\n".join(lines)]
