"""GEN-Q001: inline suppressions that name no rule, name an unknown rule, or suppress nothing.

``# reviewlab: ignore[RULE-ID] reason`` (``//`` in JavaScript, Java and Go) silences a rule on its line.
A blanket ``# reviewlab: ignore`` silences everything there, including problems nobody has seen, and a
suppression left behind after the code was fixed hides the next problem on that line; both are
reported. The analyzer decides which suppressions matched a finding (see ``analyzer._to_findings``); this
module holds the rule's metadata and parses the comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Rule, RuleDocs, TextContext, TextHit

RULE_ID = "GEN-Q001"
_SUPPRESSION = re.compile(rb"reviewlab:\s*ignore(?:\[([A-Za-z0-9_,\s-]*)\])?")


@dataclass(frozen=True, slots=True)
class Suppression:
    """One ``reviewlab: ignore`` comment: its 0-based line, byte range and the rule ids it names (empty: all)."""

    row: int
    start: int
    end: int
    ids: frozenset[str]


def suppressions(source: bytes) -> Iterator[Suppression]:
    """Every suppression comment in ``source``, in order."""
    if b"reviewlab" not in source:
        return
    for match in _SUPPRESSION.finditer(source):
        ids = match.group(1)
        named = frozenset(part.strip() for part in ids.decode().split(",") if part.strip()) if ids else frozenset()
        yield Suppression(source.count(b"\n", 0, match.start()), match.start(), match.end(), named)


def _no_scan(rule: Rule, ctx: TextContext) -> Iterator[TextHit]:
    """The analyzer reports this rule's findings itself, once it knows which suppressions were used."""
    return iter(())


SUPPRESSION = Rule(
    id=RULE_ID,
    title="Suppression that names no rule, an unknown rule, or suppresses nothing",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=("python", "javascript", "java", "go", "text"),
    message="This `reviewlab: ignore` comment should name the rule it silences, and only where that rule fires.",
    docs=RuleDocs(
        what="Flags `reviewlab: ignore` comments (`#` or `//`) that name no rule (a blanket suppression), name a "
        "rule id that does not exist, or name an enabled rule that reports nothing on that line (a suppression "
        "left behind after a fix). A suppression of a rule the review does not run (deselected with "
        "`select`/`ignore`) is not judged. Text after the bracket is the reason and is kept: "
        "`# reviewlab: ignore[PY-S003] table names come from the schema`.",
        why="A blanket suppression also hides problems nobody has looked at yet, and a stale one silently "
        "hides the next finding on that line; both erode what a clean review means.",
        example="value = eval(expr)  # reviewlab: ignore\nname = 'x'  # reviewlab: ignore[PY-S001]",
        use_instead="value = eval(expr)  # reviewlab: ignore[PY-S001] expr is built from our own constants\nname = 'x'",
    ),
    query="",
    scan=_no_scan,
)

RULES: tuple[Rule, ...] = (SUPPRESSION,)
