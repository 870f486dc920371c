"""The rules reference, docs/rules.md, generated from the registry.

Regenerate with ``.venv/bin/python -m reviewlab.reports.rule_docs > docs/rules.md``.
"""

from __future__ import annotations

import json
import sys

from reviewlab.engine.languages import FAMILY
from reviewlab.engine.rules import Rule, all_rules
from reviewlab.reports.mdsyntax import code_span, escape_text
from reviewlab.reports.rule_help import cwe_url, help_markdown

REGENERATE = ".venv/bin/python -m reviewlab.reports.rule_docs > docs/rules.md"


def _languages(rule: Rule) -> str:
    """The rule's language families with every language that runs them, e.g. javascript, typescript, tsx.

    A family no language pack has, such as ``text`` (the files rules that scan text read), is listed as is.
    """
    names = [
        name
        for family in rule.languages
        for name in ([name for name, owner in FAMILY.items() if owner == family] or [family])
    ]
    return ", ".join(dict.fromkeys(names))


def _options(rule: Rule) -> str:
    if not rule.options:
        return "none"
    return ", ".join(
        f"{code_span(name, in_table=True)} (default {code_span(json.dumps(value, default=str), in_table=True)})"
        for name, value in sorted(rule.options.items())
    )


def rule_section(rule: Rule) -> str:
    """One rule's section: metadata table, the four documentation headings and references."""
    cwe = f"[CWE-{rule.cwe}]({cwe_url(rule.cwe)})" if rule.cwe is not None else "none"
    rows = [
        ("Category", rule.category.value),
        ("Severity", rule.severity.value),
        ("Confidence", rule.confidence.value),
        ("CWE", cwe),
        ("Languages", _languages(rule)),
        ("Options", _options(rule)),
    ]
    table = "\n".join(["| Field | Value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)])
    heading = f'<a id="{rule.id.lower()}"></a>\n\n## {rule.id}: {escape_text(rule.title)}'
    return f"{heading}\n\n{table}\n\n{help_markdown(rule, level=3)}"


def rules_markdown() -> str:
    """The whole rules reference as Markdown, rules in id order (stable however the packs are arranged)."""
    rules = sorted(all_rules(), key=lambda rule: rule.id)
    index = "\n".join(
        f"| [{rule.id}](#{rule.id.lower()}) | {escape_text(rule.title)} | {rule.category.value} "
        f"| {rule.severity.value} | {_languages(rule)} |"
        for rule in rules
    )
    header = (
        "# Rules\n\n"
        f"<!-- Generated from the rule registry; do not edit. Regenerate: {REGENERATE} -->\n\n"
        f"reviewlab has {len(rules)} rules. Each rule's id is stable and never reused.\n\n"
        "| Rule | Title | Category | Severity | Languages |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"{index}\n"
    )
    return "\n".join([header, *(rule_section(rule) for rule in rules)])


def main() -> None:
    """Write the rules reference to standard output as UTF-8."""
    sys.stdout.buffer.write(rules_markdown().encode("utf-8"))


if __name__ == "__main__":
    main()
