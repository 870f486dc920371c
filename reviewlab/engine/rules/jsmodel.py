"""Shared model of the JavaScript / TypeScript quality and performance packs: where a node runs, and how
a call reads.

The performance rules of :mod:`jsasync`, :mod:`jsio` and :mod:`jsperf` share one loop model,
:func:`per_item_loops`: the loops whose body (or ``while`` condition) runs a node once per iteration, up to
the enclosing function. The callback of an array iteration method (``forEach``, ``map``, ``filter``,
``reduce``...) is a loop body too. Any other nested function -- an event handler, a ``.then`` callback, a
function declared in the loop -- runs when it is called, not once per iteration, so the search stops there.
:func:`fixed_count` and :func:`growing_loops` tell loops whose count grows with the data from loops over an
array literal or up to a literal bound.

The small call helpers (:func:`unwrap`, :func:`arguments`, :func:`method_of`, :func:`is_require`) read
calls the same way for the rules of every JavaScript quality and performance pack.

This module holds no rule; it is not listed in the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.common import COMMENTS, JAVASCRIPT, Node, ancestors, is_upper_constant_name

LANGS = ("javascript",)


# --- calls ---------------------------------------------------------------------------------------


def eslint(name: str) -> str:
    return f"https://eslint.org/docs/latest/rules/{name}"


def unwrap(node: Node) -> Node:
    """The expression inside parentheses and TypeScript casts (``(x as T)``, ``x!``)."""
    while node.type in JAVASCRIPT.wrappers and node.named_children:
        inner = next((c for c in node.named_children if c.type not in COMMENTS), None)
        if inner is None:
            break
        node = inner
    return node


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type not in COMMENTS] if args is not None else []


def method_of(call: Node, ctx: FileContext) -> tuple[Node | None, str]:
    """``(receiver, method)`` of ``receiver.method(...)``; ``(None, name)`` of ``name(...)``; else ``(None, "")``."""
    function = call.child_by_field_name("function")
    if function is None:
        return None, ""
    if function.type == "identifier":
        return None, ctx.text(function)
    if function.type != "member_expression":
        return None, ""
    prop, obj = function.child_by_field_name("property"), function.child_by_field_name("object")
    return (unwrap(obj) if obj is not None else None), (ctx.text(prop) if prop is not None else "")


def is_require(value: Node | None, ctx: FileContext) -> bool:
    """``require("m")`` or ``require("m").member``."""
    if value is None:
        return False
    value = unwrap(value)
    if value.type == "member_expression":
        obj = value.child_by_field_name("object")
        value = unwrap(obj) if obj is not None else value
    if value.type != "call_expression":
        return False
    function, args = value.child_by_field_name("function"), arguments(value)
    return function is not None and ctx.text(function) == "require" and len(args) == 1 and args[0].type == "string"


COMPARISONS = frozenset({"==", "===", "!=", "!==", "<", "<=", ">", ">="})
"""The comparison operators of a ``binary_expression``."""
EARLY_EXIT = re.compile(r"(?<![\w$.])(return|break)(?![\w$])")
"""A ``return`` or ``break`` in a loop body's text: the loop stops early (a search, a retry)."""


# --- the loop model ------------------------------------------------------------------------------

_ITERATION_METHODS = frozenset(
    {"forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "flatMap", "find", "findIndex"}
    | {"findLast", "findLastIndex"}
)
_SCOPE_ENDS = frozenset({"class_body", "class_static_block", "program"})


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop that runs a node once per iteration."""

    node: Node
    """The loop statement, or the ``items.map(...)`` call of an iteration callback."""
    kind: str
    """``for``, ``for-of``, ``for-in``, ``for-await``, ``while``, ``do`` or ``callback``."""


def _for_in_kind(loop: Node) -> str:
    tokens = {c.type for c in loop.children if not c.is_named}
    if "await" in tokens:
        return "for-await"
    return "for-of" if "of" in tokens else "for-in"


def _iteration_call(chain: list[Node], index: int) -> Node | None:
    """The ``items.map(...)`` call when ``chain[index]`` is the function passed as its callback."""
    if index + 2 >= len(chain):
        return None
    function, args, call = chain[index], chain[index + 1], chain[index + 2]
    if args.type != "arguments" or call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    prop = callee.child_by_field_name("property") if callee is not None and callee.type == "member_expression" else None
    if prop is None or (prop.text or b"").decode() not in _ITERATION_METHODS:
        return None
    first_arg = next((c for c in args.named_children if c.type not in COMMENTS), None)
    return call if first_arg == function else None


def per_item_loops(
    node: Node, ctx: FileContext, callbacks: bool = True, chain: list[Node] | None = None
) -> tuple[list[Loop], Node | None]:
    """The loops that run ``node`` once per iteration, innermost first, and the function that ends the
    search (None at the top level of the file).

    A ``for`` statement's condition and update, and a ``while`` / ``do`` condition, run per iteration;
    a ``for`` initialiser and a ``for...of`` iterable run once. With ``callbacks``, the callback of an
    array iteration method is a loop body; any other function ends the search.
    """
    chain = ancestors(node, ctx) if chain is None else chain
    loops: list[Loop] = []
    child = node
    index = 0
    while index < len(chain):
        parent = chain[index]
        kind = parent.type
        if kind == "for_statement":
            if child != parent.child_by_field_name("initializer"):
                loops.append(Loop(parent, "for"))
        elif kind == "for_in_statement":
            if child == parent.child_by_field_name("body"):
                loops.append(Loop(parent, _for_in_kind(parent)))
        elif kind in ("while_statement", "do_statement"):
            loops.append(Loop(parent, "while" if kind == "while_statement" else "do"))
        elif kind in JAVASCRIPT.functions:
            call = _iteration_call(chain, index) if callbacks else None
            if call is None:
                return loops, parent
            loops.append(Loop(call, "callback"))
            child, index = call, index + 3
            continue
        elif kind in _SCOPE_ENDS:
            return loops, None
        child = parent
        index += 1
    return loops, None


def _literal_array(node: Node | None) -> bool:
    """An array literal without spread elements: a count fixed in the source."""
    if node is None:
        return False
    node = unwrap(node)
    return node.type == "array" and not any(c.type == "spread_element" for c in node.named_children)


def fixed_count(loop: Loop, ctx: FileContext) -> bool:
    """Whether a loop runs a number of times fixed in the source: over an array literal, or
    ``for (let i = 0; i < 3; i++)`` with a literal or ``ALL_CAPS`` bound."""
    node = loop.node
    if loop.kind == "callback":
        callee = node.child_by_field_name("function")
        return callee is not None and _literal_array(callee.child_by_field_name("object"))
    if loop.kind in ("for-of", "for-in", "for-await"):
        return _literal_array(node.child_by_field_name("right"))
    if loop.kind != "for":
        return False
    condition = node.child_by_field_name("condition")
    if condition is not None and condition.type == "expression_statement" and condition.named_children:
        condition = condition.named_children[0]
    if condition is None or condition.type != "binary_expression":
        return False
    operator = condition.child_by_field_name("operator")
    if operator is None or operator.type not in ("<", "<=", ">", ">="):
        return False
    sides = [condition.child_by_field_name("left"), condition.child_by_field_name("right")]
    return any(
        side is not None
        and (side.type == "number" or (side.type == "identifier" and is_upper_constant_name(ctx.text(side))))
        for side in sides
    )


def growing_loops(node: Node, ctx: FileContext, kinds: frozenset[str] | None = None) -> list[Loop]:
    """The per-item loops around ``node`` whose count grows with the data (optionally of some kinds)."""
    loops, _ = per_item_loops(node, ctx)
    return [loop for loop in loops if (kinds is None or loop.kind in kinds) and not fixed_count(loop, ctx)]


def inside(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte
