"""Metric thresholds: functions and files whose metrics exceed the project's limits.

The metrics come from one walk of the file's tree (``reviewlab.engine.metrics``), done once per file
and shared by every rule here and by the review, which stores them (``metrics_of``). Each rule has
an option with its limit, set per project in ``.reviewlab.toml``::

    [reviewlab.rules.GEN-Q003]
    max_cognitive = 25

Defaults follow SonarSource's defaults where they have one (cognitive complexity 15, parameters
7, nesting 4 — reported from the fifth level — and 100 lines per function) and Visual Studio's
"low maintainability" band for the maintainability index (below 10). Comment density has no
sensible universal minimum, so GEN-Q008 reports nothing until a project sets ``min_density``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import tree_sitter

from reviewlab.engine.metrics import FileMetrics, FunctionMetrics, tree_metrics
from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import FileContext, Hit, Rule, RuleDocs

METRICS_STATE = "metrics"
_FAMILIES = ("python", "javascript", "java", "go")
_SONAR = "https://www.sonarsource.com/docs/CognitiveComplexity.pdf"
_MI = "https://learn.microsoft.com/en-us/visualstudio/code-quality/code-metrics-maintainability-index-range-and-meaning"


def metrics_of(ctx: FileContext) -> tuple[FileMetrics, list[tree_sitter.Node]]:
    """The file's metrics and each function's node, computed on first use and kept for the file."""
    found = ctx.state.get(METRICS_STATE)
    if found is None:
        found = ctx.state[METRICS_STATE] = tree_metrics(ctx.tree, ctx.source, ctx.language)
    return found


def _label(node: tree_sitter.Node) -> tree_sitter.Node:
    """Where to report a function: its name, else (anonymous) the node itself."""
    return node.child_by_field_name("name") or node


def _function_limit(
    option: str, measure: Callable[[FunctionMetrics], float], what: str, *, minimum: bool = False
) -> Callable[[Rule, FileContext], Iterable[Hit]]:
    """A ``finish`` reporting each function whose ``measure`` is over the ``option`` limit (under, for a minimum)."""

    def finish(rule: Rule, ctx: FileContext) -> Iterable[Hit]:
        limit = float(ctx.option(rule, option))
        metrics, nodes = metrics_of(ctx)
        for function, node in zip(metrics.functions, nodes, strict=True):
            value = measure(function)
            if value < limit if minimum else value > limit:
                bound = "minimum" if minimum else "limit"
                shown = f"{value:.1f}" if minimum else f"{value:g}"
                yield Hit(_label(node), message=f"`{function.name}` has {what} {shown} ({bound} {limit:g}).")

    return finish


def _comment_density(rule: Rule, ctx: FileContext) -> Iterable[Hit]:
    minimum = float(ctx.option(rule, "min_density"))
    metrics, _ = metrics_of(ctx)
    if minimum <= 0 or metrics.code_lines < int(ctx.option(rule, "min_code_lines")):
        return
    if metrics.comment_density < minimum:
        root = ctx.tree.root_node
        code = next((c for c in root.named_children if "comment" not in c.type), root)
        yield Hit(
            code,
            message=f"Comment density is {metrics.comment_density:.0%} of {metrics.code_lines} code lines "
            f"(minimum {minimum:.0%}).",
        )


def _rule(
    rule_id: str,
    title: str,
    message: str,
    docs: RuleDocs,
    finish: Callable[[Rule, FileContext], Iterable[Hit]],
    options: dict[str, float],
    references: tuple[str, ...],
    cwe: int | None = None,
) -> Rule:
    return Rule(
        id=rule_id,
        title=title,
        category=Category.QUALITY,
        severity=Severity.LOW,
        confidence=Confidence.HIGH,
        cwe=cwe,
        languages=_FAMILIES,
        message=message,
        docs=docs,
        finish=finish,
        references=references,
        options=options,
    )


COGNITIVE = _rule(
    "GEN-Q003",
    "Function is hard to understand (cognitive complexity)",
    "Function has high cognitive complexity.",
    RuleDocs(
        what="Computes SonarSource's cognitive complexity of every function (+1 for each break in the linear "
        "flow — if, else if, else, loops, catch, switch, jumps to labels, sequences of boolean operators — "
        "plus the nesting level for the structures that nest) and flags functions above the limit "
        "(default 15, option `max_cognitive`).",
        why="Unlike cyclomatic complexity, cognitive complexity grows with nesting, the thing that makes code "
        "hard to read: a flat switch of twenty cases is easy, three nested loops with conditions are not.",
        example="def ship(order):\n    if order.paid:\n        for item in order.items:\n"
        "            if item.in_stock:\n                while not item.packed:\n"
        "                    if item.fragile and not item.wrapped:\n                        ...",
        use_instead="def ship(order):\n    if not order.paid:\n        return\n    for item in order.items:\n"
        "        pack(item)  # the per-item logic in its own function",
    ),
    _function_limit("max_cognitive", lambda f: f.cognitive, "cognitive complexity"),
    {"max_cognitive": 15},
    (_SONAR,),
    cwe=1121,
)

NESTING = _rule(
    "GEN-Q004",
    "Control flow nested too deeply",
    "Function nests control flow too deeply.",
    RuleDocs(
        what="Flags functions whose if/loop/switch/try structures nest deeper than the limit (default 4, "
        "option `max_nesting`; a function with one `if` has depth 1).",
        why="Each level is one more condition the reader must hold in mind; deep nesting hides the "
        "main path and the error paths alike. Early returns and extracted functions flatten it.",
        example="for row in rows:\n    if row:\n        for cell in row:\n            if cell:\n"
        "                while cell.next:\n                    ...",
        use_instead="for row in rows:\n    if not row:\n        continue\n    handle_row(row)",
    ),
    _function_limit("max_nesting", lambda f: f.max_nesting, "nesting depth"),
    {"max_nesting": 4},
    ("https://rules.sonarsource.com/java/RSPEC-134/",),
)

LENGTH = _rule(
    "GEN-Q005",
    "Function is too long",
    "Function is longer than the limit.",
    RuleDocs(
        what="Flags functions longer than the limit in lines, from the first line of the definition to "
        "the last (default 100, option `max_lines`).",
        why="Long functions do several things; they are hard to name, test and change without "
        "breaking one of the things.",
        example="def import_orders(path):\n    # 150 lines: read, validate, convert, save, notify\n    ...",
        use_instead="def import_orders(path):\n    rows = read(path)\n    orders = [convert(r) for r in "
        "validate(rows)]\n    save(orders)\n    notify(orders)",
    ),
    _function_limit("max_lines", lambda f: f.length, "length in lines"),
    {"max_lines": 100},
    ("https://rules.sonarsource.com/java/RSPEC-138/",),
)

PARAMETERS = _rule(
    "GEN-Q006",
    "Function has too many parameters",
    "Function has too many parameters.",
    RuleDocs(
        what="Flags functions declaring more parameters than the limit (default 7, option "
        "`max_parameters`; `self`/`cls` count, receivers of Go methods do not).",
        why="Long parameter lists are hard to call correctly (which argument goes where?) and usually "
        "mean the function does too much or that several parameters belong together in an object.",
        example="def send(host, port, user, password, sender, to, subject, body, retries):\n    ...",
        use_instead="def send(server: MailServer, message: Message, retries: int = 3):\n    ...",
    ),
    _function_limit("max_parameters", lambda f: f.parameters, "parameter count"),
    {"max_parameters": 7},
    ("https://rules.sonarsource.com/java/RSPEC-107/",),
)

MAINTAINABILITY = _rule(
    "GEN-Q007",
    "Function has a low maintainability index",
    "Function has a low maintainability index.",
    RuleDocs(
        what="Computes Visual Studio's maintainability index of every function (0-100, from its Halstead "
        "volume, cyclomatic complexity and lines of code) and flags functions below the minimum "
        "(default 10, option `min_index`: Visual Studio's low-maintainability band). The file's own index "
        "is stored with the review's metrics.",
        why="The index combines size, vocabulary and branching; a function below 10 is large and dense "
        "enough that changes to it are costly and risky.",
        example="def reconcile(ledger, bank, rules, fx, ...):\n    # 200 dense lines of nested branches\n    ...",
        use_instead="Split the function along its steps so that each is small and named.",
    ),
    _function_limit("min_index", lambda f: f.maintainability_index, "maintainability index", minimum=True),
    {"min_index": 10},
    (_MI,),
)

COMMENT_DENSITY = _rule(
    "GEN-Q008",
    "File has too few comments",
    "File has fewer comment lines than the project's minimum.",
    RuleDocs(
        what="Flags files whose comment density — comment lines / (code lines + comment lines); docstrings "
        "count as comments — is below the project's minimum (option `min_density`, a fraction; default 0, "
        "so nothing is reported until a project sets it), for files of at least `min_code_lines` code "
        "lines (default 50).",
        why="Some teams require a documentation floor for code others must maintain; the density is "
        "stored with every review's metrics either way.",
        example="# .reviewlab.toml\n[reviewlab.rules.GEN-Q008]\nmin_density = 0.1",
        use_instead="Document the module's purpose and the non-obvious decisions in it.",
    ),
    _comment_density,
    {"min_density": 0.0, "min_code_lines": 50},
    ("https://docs.sonarsource.com/sonarqube-server/latest/user-guide/code-metrics/metrics-definition/",),
)

RULES = (COGNITIVE, NESTING, LENGTH, PARAMETERS, MAINTAINABILITY, COMMENT_DENSITY)
