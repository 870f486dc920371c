"""A rule's documentation under ruff's headings, as Markdown and as plain text."""

from __future__ import annotations

import textwrap

from reviewlab.engine.rules import Rule
from reviewlab.reports.mdsyntax import code_block

WHAT, WHY, EXAMPLE, USE_INSTEAD = "What it does", "Why is this bad?", "Example", "Use instead"


def cwe_url(cwe: int) -> str:
    """The MITRE page of a CWE."""
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"


def code_language(rule: Rule) -> str:
    """The fence language for the rule's examples: its first language family."""
    return rule.languages[0] if rule.languages else ""


def help_markdown(rule: Rule, level: int = 2) -> str:
    """What it does / Why is this bad? / Example / Use instead, then references, as Markdown."""
    hashes = "#" * level
    language = code_language(rule)
    parts = [
        f"{hashes} {WHAT}\n\n{rule.docs.what.strip()}",
        f"{hashes} {WHY}\n\n{rule.docs.why.strip()}",
        f"{hashes} {EXAMPLE}\n\n{code_block(rule.docs.example, language)}",
        f"{hashes} {USE_INSTEAD}\n\n{code_block(rule.docs.use_instead, language)}",
    ]
    if rule.references:
        links = "\n".join(f"- <{url}>" for url in rule.references)
        parts.append(f"{hashes} References\n\n{links}")
    return "\n\n".join(parts) + "\n"


def help_text(rule: Rule) -> str:
    """The same documentation as plain text, code indented by four spaces."""
    parts = [
        f"{WHAT}:\n{rule.docs.what.strip()}",
        f"{WHY}\n{rule.docs.why.strip()}",
        f"{EXAMPLE}:\n{textwrap.indent(rule.docs.example.rstrip(), '    ')}",
        f"{USE_INSTEAD}:\n{textwrap.indent(rule.docs.use_instead.rstrip(), '    ')}",
    ]
    if rule.references:
        parts.append("References:\n" + "\n".join(f"- {url}" for url in rule.references))
    return "\n\n".join(parts) + "\n"
