"""JavaScript / TypeScript tests whose outcome is fixed in the source: comparisons with ``NaN``
(JS-Q007), constants assigned in conditions (JS-Q010), and ``typeof`` compared with a string it never
returns (JS-Q011).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import Node
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.jsmodel import COMPARISONS, LANGS, arguments, eslint, method_of, unwrap

# --- JS-Q007 comparison with NaN -----------------------------------------------------------------

_NAN_WORD = re.compile(rb"(?<![\w$])NaN(?![\w$])")  # not `isNaN`


def _check_nan(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    # Matching every identifier against "NaN" in the combined query would double its cost; the word is
    # rare, so each occurrence in the bytes is looked up in the tree instead.
    if b"NaN" not in ctx.source:
        return
    root = ctx.tree.root_node
    for match in _NAN_WORD.finditer(ctx.source):
        node = root.named_descendant_for_byte_range(match.start(), match.end())
        if node is None:
            continue
        if node.type == "property_identifier":  # `Number.NaN`
            member = node.parent
            obj = member.child_by_field_name("object") if member is not None else None
            if obj is None or member is None or member.type != "member_expression" or ctx.text(obj) != "Number":
                continue
            node = member
        elif node.type != "identifier":
            continue
        yield from _nan_comparison(node, ctx)


def _nan_comparison(nan: Node, ctx: FileContext) -> Iterator[Hit]:
    child, parent = nan, nan.parent
    while parent is not None and parent.type == "parenthesized_expression":
        child, parent = parent, parent.parent
    if parent is None:
        return
    if parent.type == "binary_expression":
        operator = parent.child_by_field_name("operator")
        if operator is not None and operator.type in COMPARISONS:
            result = "true" if operator.type in ("!=", "!==") else "false"
            yield Hit(
                parent,
                message=f"`{ctx.text(operator)}` with NaN is always {result}: NaN equals nothing, not even itself; "
                "use `Number.isNaN(x)`.",
            )
    elif parent.type == "switch_case" and parent.child_by_field_name("value") == child:
        yield Hit(parent, message="`case NaN:` never matches: `switch` compares with `===`; test `Number.isNaN(x)`.")
    elif parent.type == "arguments" and parent.parent is not None:
        call = parent.parent
        _, method = method_of(call, ctx)
        if method in ("indexOf", "lastIndexOf") and arguments(call)[:1] == [child]:
            yield Hit(call, message=f"`{method}(NaN)` is always -1; use `findIndex(Number.isNaN)` or `includes(NaN)`.")


NAN_COMPARISON = Rule(
    id="JS-Q007",
    title="Comparison with NaN",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=570,
    languages=LANGS,
    message="Comparison with NaN is always false (or always true for `!==`); use `Number.isNaN(x)`.",
    docs=RuleDocs(
        what="Flags `==`, `===`, `!=`, `!==`, `<`, `<=`, `>` and `>=` with `NaN` or `Number.NaN` on either "
        "side, `case NaN:` in a `switch`, and `indexOf(NaN)` / `lastIndexOf(NaN)`. Not flagged: "
        "`Number.isNaN(x)`, `Object.is(x, NaN)` and `includes(NaN)`, which do find NaN.",
        why="NaN is the one value not equal to itself: `x === NaN` is false even when `x` is NaN, and "
        "`x !== NaN` is always true, so the check never does what it says and the invalid number flows on.",
        example='const n = Number(input);\nif (n === NaN) {\n  throw new Error("not a number");\n}',
        use_instead='const n = Number(input);\nif (Number.isNaN(n)) {\n  throw new Error("not a number");\n}',
    ),
    query="(program) @program",
    check=_check_nan,
    references=(cwe(570), eslint("use-isnan")),
)


# --- JS-Q010 constant assigned in a condition ----------------------------------------------------

_CONSTANTS = frozenset({"number", "string", "true", "false", "null", "undefined", "regex"})


def _is_literal(node: Node) -> bool:
    node = unwrap(node)
    if node.type == "template_string":
        return not any(c.type == "template_substitution" for c in node.named_children)
    if node.type == "unary_expression" and node.named_child_count == 1:
        return node.named_children[0].type in _CONSTANTS
    return node.type in _CONSTANTS


def _check_condition_assignment(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    assignment = first(captures, "assignment")
    value = assignment.child_by_field_name("right") if assignment is not None else None
    left = assignment.child_by_field_name("left") if assignment is not None else None
    if assignment is None or value is None or left is None or not _is_literal(value):
        return
    yield Hit(
        assignment,
        message=f"`{ctx.text(assignment)}` assigns a constant in a condition, so the test never varies; "
        f"compare with `===`.",
    )


_ASSIGNMENT = "(assignment_expression) @assignment"

CONDITION_ASSIGNMENT = Rule(
    id="JS-Q010",
    title="Constant assigned in a condition",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=481,
    languages=LANGS,
    message="A constant is assigned in a condition (`=` where `===` was meant): the test never varies.",
    docs=RuleDocs(
        what="Flags an assignment of a literal (a number, string, template without substitutions, `true`, "
        "`false`, `null`, `undefined`) that is itself the condition of an `if`, `while`, `do...while`, "
        "`for` or `? :`. Not flagged: assignments of other values (`while ((match = re.exec(text)))`, "
        "`if ((node = node.parent))`: deliberate idioms), and assignments nested deeper in the condition.",
        why="`if (status = 200)` stores 200 and is always true; `while (done = false)` never runs. The "
        "author meant a comparison, the branch no longer depends on the data, and the variable is "
        "silently overwritten as well.",
        example='if (user.role = "admin") {\n  grantAll(user);\n}',
        use_instead='if (user.role === "admin") {\n  grantAll(user);\n}',
    ),
    query=f"""
(if_statement condition: (parenthesized_expression {_ASSIGNMENT}))
(while_statement condition: (parenthesized_expression {_ASSIGNMENT}))
(do_statement condition: (parenthesized_expression {_ASSIGNMENT}))
(for_statement condition: {_ASSIGNMENT})
(ternary_expression condition: (parenthesized_expression {_ASSIGNMENT}))
""",
    check=_check_condition_assignment,
    references=(cwe(481), eslint("no-cond-assign")),
)


# --- JS-Q011 typeof compared with an invalid string ----------------------------------------------

_TYPEOF_RESULTS = frozenset({"undefined", "object", "boolean", "number", "string", "function", "symbol", "bigint"})
# Old Internet Explorer answered "unknown" for ActiveX host objects; legacy libraries still test it.
_TYPEOF_LEGACY = frozenset({"unknown"})


def _check_typeof(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    typeof = first(captures, "typeof")
    comparison = typeof.parent if typeof is not None else None
    while comparison is not None and comparison.type == "parenthesized_expression":
        comparison = comparison.parent
    if typeof is None or comparison is None or comparison.type != "binary_expression":
        return
    operator = comparison.child_by_field_name("operator")
    if operator is None or operator.type not in ("==", "===", "!=", "!=="):
        return
    sides = [comparison.child_by_field_name("left"), comparison.child_by_field_name("right")]
    for side in sides:
        if side is None or side.type not in ("string", "template_string") or not _is_literal(side):
            continue
        value = ctx.text(side)[1:-1]
        if value not in _TYPEOF_RESULTS and value not in _TYPEOF_LEGACY:
            result = "true" if operator.type in ("!=", "!==") else "false"
            yield Hit(
                comparison,
                message=f'`typeof` never returns "{value}": this comparison is always {result}.',
            )


INVALID_TYPEOF = Rule(
    id="JS-Q011",
    title="typeof compared with an impossible string",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=570,
    languages=LANGS,
    message="`typeof` is compared with a string it never returns: the comparison is constant.",
    docs=RuleDocs(
        what='Flags `typeof x === "..."` (also `==`, `!=`, `!==`, either side) where the string is not one '
        'of the results `typeof` can give: "undefined", "object", "boolean", "number", "string", '
        '"function", "symbol", "bigint". Typos (`"undefiend"`, `"fucntion"`) and other languages\' names '
        '(`"array"`, `"null"`, `"integer"`, `"float"`) are caught. Not flagged: comparisons with a '
        'variable, and `"unknown"` (what old Internet Explorer returned for ActiveX objects).',
        why="The comparison is always false (or always true with `!==`), so the guard never works: "
        '`typeof items === "array"` is false for every array, and the branch meant for arrays never runs.',
        example='if (typeof value === "array") {\n  return value.map(normalize);\n}',
        use_instead="if (Array.isArray(value)) {\n  return value.map(normalize);\n}",
    ),
    query='(unary_expression operator: "typeof") @typeof',
    check=_check_typeof,
    references=(cwe(570), eslint("valid-typeof")),
)


RULES: tuple[Rule, ...] = (
    NAN_COMPARISON,
    CONDITION_ASSIGNMENT,
    INVALID_TYPEOF,
)
