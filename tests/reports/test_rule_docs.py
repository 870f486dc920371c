"""docs/rules.md is generated from the registry and must be up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewlab.engine.rules import all_rules
from reviewlab.reports.rule_docs import REGENERATE, rules_markdown

REPO = Path(__file__).resolve().parents[2]
RULES_MD = REPO / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    current = RULES_MD.read_text(encoding="utf-8") if RULES_MD.is_file() else ""
    assert current == rules_markdown(), (
        f"docs/rules.md is out of date; regenerate it from the repository root: {REGENERATE}"
    )


def test_every_rule_has_a_section_with_the_four_headings() -> None:
    text = rules_markdown()
    for rule in all_rules():
        section = text.split(f"## {rule.id}: ", 1)[1].split("\n## ", 1)[0]
        for heading in ("### What it does", "### Why is this bad?", "### Example", "### Use instead"):
            assert heading in section, f"{rule.id} lacks {heading}"
        assert f"| Category | {rule.category.value} |" in section
        assert f"| Severity | {rule.severity.value} |" in section
        assert f"| Confidence | {rule.confidence.value} |" in section
        if rule.cwe is not None:
            assert f"[CWE-{rule.cwe}](https://cwe.mitre.org/data/definitions/{rule.cwe}.html)" in section
        assert f"```{rule.languages[0]}\n" in section
        for url in rule.references:
            assert url in section
        for option in rule.options:
            assert f"`{option}`" in section


def test_module_prints_the_reference() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "reviewlab.reports.rule_docs"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    assert completed.stderr == b""
    assert completed.stdout.decode("utf-8") == rules_markdown()
