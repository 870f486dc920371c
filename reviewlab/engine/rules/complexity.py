"""Cyclomatic complexity per function, as an aggregate rule any language pack can instantiate.

The combined query captures every function (``@function``) and every decision point
(``@decision``); ``finish`` attributes each decision to its innermost enclosing function, so the
file is walked once, by tree-sitter, not again in Python.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs

DEFAULT_MAX_COMPLEXITY = 10


def _collect(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    bucket = ctx.state.setdefault(rule.id, ([], []))
    bucket[0].extend(captures.get("function", ()))
    bucket[1].extend(captures.get("decision", ()))
    return ()


def function_complexities(
    functions: list[tree_sitter.Node], decisions: list[tree_sitter.Node]
) -> list[tuple[tree_sitter.Node, int]]:
    """Each function with its cyclomatic complexity (1 + decisions directly inside it)."""
    functions = sorted(functions, key=lambda n: (n.start_byte, -n.end_byte))
    starts = [f.start_byte for f in functions]
    counts = [1] * len(functions)
    for decision in decisions:
        i = bisect_right(starts, decision.start_byte) - 1
        while i >= 0 and functions[i].end_byte < decision.end_byte:
            i -= 1
        if i >= 0:
            counts[i] += 1
    return list(zip(functions, counts, strict=True))


def _finish(rule: Rule, ctx: FileContext) -> Iterable[Hit]:
    functions, decisions = ctx.state.get(rule.id, ([], []))
    limit = int(ctx.option(rule, "max_complexity"))
    for function, complexity in function_complexities(functions, decisions):
        if complexity > limit:
            name = function.child_by_field_name("name") or function
            yield Hit(
                name,
                message=f"`{ctx.text(name)}` has cyclomatic complexity {complexity} (limit {limit}).",
            )


def complexity_rule(
    rule_id: str, language: str, function_query: str, decision_query: str, example: str, use_instead: str
) -> Rule:
    """A high-complexity rule for one language from its function and decision-point node patterns."""
    return Rule(
        id=rule_id,
        title="Function is too complex",
        category=Category.QUALITY,
        severity=Severity.MEDIUM,
        confidence=Confidence.HIGH,
        cwe=1121,
        languages=(language,),
        message="Function has high cyclomatic complexity.",
        docs=RuleDocs(
            what="Counts the independent paths through each function (McCabe's cyclomatic complexity: "
            "one plus each branch, loop, exception handler and short-circuit operator) and flags "
            f"functions above the limit (default {DEFAULT_MAX_COMPLEXITY}, option `max_complexity`).",
            why="Every extra path is one more case to understand and test; complex functions hide "
            "defects and are where changes break things.",
            example=example,
            use_instead=use_instead,
        ),
        query=f"{function_query} @function\n{decision_query} @decision",
        check=_collect,
        finish=_finish,
        references=("https://en.wikipedia.org/wiki/Cyclomatic_complexity",),
        options={"max_complexity": DEFAULT_MAX_COMPLEXITY},
    )
