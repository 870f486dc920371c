"""Shared helpers of the Go quality and performance packs: where a node runs, and how calls read.

:func:`per_item_loops` answers *where does a node run* once for every rule: the ``for`` loops whose body
(or condition and post statement) runs it once per iteration, up to the enclosing function; a ``range``
expression and a ``for`` initialiser run once, and a function literal is another scope (a goroutine per
item is the usual fix for a round trip per item, not the problem). :func:`iterates_data` tells the loops
whose count grows with the data from fixed counts, ``for {}`` servers and polling loops, and
:func:`fixed_loop` the loops whose count is written in the source. Nothing here infers types beyond what a
declaration or a literal says, so a rule that needs a type stays silent when it is unknown.

This module holds no rule; it is not listed in the registry.
"""

from __future__ import annotations

import re

import tree_sitter

from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.common import COMMENTS, GO, Node, ancestors, compiled_query

LANGS = ("go",)

# --- where a node runs ----------------------------------------------------------------------------


def _runs_per_iteration(loop: Node, child: Node, node: Node) -> bool:
    if child.type == "range_clause":
        return False  # the ranged expression is evaluated once
    if child.type == "for_clause":
        initializer = child.child_by_field_name("initializer")
        return initializer is None or not (initializer.start_byte <= node.start_byte < initializer.end_byte)
    return True


def per_item_loops(node: Node, ctx: FileContext) -> list[Node]:
    """The ``for`` loops that run ``node`` once per iteration, innermost first, within its function."""
    loops: list[Node] = []
    child = node
    for parent in ancestors(node, ctx):
        if parent.type in GO.functions:
            break
        if parent.type == "for_statement" and _runs_per_iteration(parent, child, node):
            loops.append(parent)
        child = parent
    return loops


def _constants(ctx: FileContext) -> frozenset[str]:
    found: frozenset[str] | None = ctx.state.get("gohelpers.constants")
    if found is None:
        query = compiled_query("go", "(const_spec name: (identifier) @name)")
        found = frozenset(
            ctx.text(n) for n in tree_sitter.QueryCursor(query).captures(ctx.tree.root_node).get("name", ())
        )
        ctx.state["gohelpers.constants"] = found
    return found


def _fixed_bound(node: Node | None, ctx: FileContext) -> bool:
    return node is not None and (
        node.type == "int_literal" or (node.type == "identifier" and ctx.text(node) in _constants(ctx))
    )


_ITERATION_METHODS = frozenset({"Next", "Scan", "NextResultSet", "More"})


def iterates_data(loop: Node, ctx: FileContext) -> bool:
    """Whether a ``for`` runs once per item of data: a ``range`` over anything but a literal or a constant
    count, a three-clause loop without a fixed bound, or ``for rows.Next()`` / ``for scanner.Scan()``.
    ``for {}`` (servers, workers) and other conditions (polling, paging, retries) do not count."""
    clause = next((c for c in loop.named_children if c.type in ("range_clause", "for_clause")), None)
    if clause is not None and clause.type == "range_clause":
        ranged = clause.child_by_field_name("right")
        return ranged is not None and ranged.type != "composite_literal" and not _fixed_bound(ranged, ctx)
    if clause is not None:
        condition = clause.child_by_field_name("condition")
        if condition is None or condition.type != "binary_expression":
            return condition is not None
        right = condition.child_by_field_name("right")
        return not _fixed_bound(right, ctx)
    condition = next((c for c in loop.named_children if c.type not in ("block", *COMMENTS)), None)
    if condition is None or condition.type != "call_expression":
        return False
    function = condition.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None else None
    return field is not None and ctx.text(field) in _ITERATION_METHODS


def fixed_loop(loop: Node, ctx: FileContext) -> bool:
    """A ``range`` or three-clause ``for`` that :func:`iterates_data` does not count: a count fixed in the source."""
    clause = next((c for c in loop.named_children if c.type in ("range_clause", "for_clause")), None)
    return clause is not None and not iterates_data(loop, ctx)


# --- reading calls --------------------------------------------------------------------------------

HTTP_CLIENT = re.compile(r"(?i)(?:^|\.)(?:http\.DefaultClient|\w*client(?:\(\))?)$")
"""A receiver that looks like an HTTP client: ``http.DefaultClient``, ``client``, ``s.httpClient``."""


def call_args(call: Node) -> list[Node]:
    """The arguments of a call, without comments."""
    arguments = call.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type not in COMMENTS] if arguments is not None else []


def selector(call: Node, ctx: FileContext) -> tuple[Node | None, str]:
    """The operand and the field of ``operand.field(...)``, or (None, the function's text)."""
    function = call.child_by_field_name("function")
    if function is None:
        return None, ""
    if function.type == "selector_expression":
        field = function.child_by_field_name("field")
        return function.child_by_field_name("operand"), ctx.text(field) if field is not None else ""
    return None, ctx.text(function)
