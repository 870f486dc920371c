"""One pass over a Python file for what the dataflow looks up by name: functions, classes, ``global``
declarations and calls.

A tree-sitter query collects them in C instead of walking the tree in Python once per question; the
result is kept in ``ctx.state`` for the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import tree_sitter

from reviewlab.engine.languages import ts_language
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.pyhelpers import node_text

Node = tree_sitter.Node

_STATE = "taint.index"
_QUERY = """
(function_definition name: (identifier) @function_name) @function
(class_definition name: (identifier) @class_name) @class
(global_statement (identifier) @global)
(call function: [(identifier) @callee (attribute attribute: (identifier) @callee)]) @call
"""


@dataclass(slots=True)
class FileIndex:
    """A Python file's functions (document order), classes and calls by name, and ``global`` names."""

    functions: list[Node] = field(default_factory=list)
    functions_by_name: dict[str, list[Node]] = field(default_factory=dict)
    classes: dict[str, list[Node]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    calls: dict[str, list[Node]] = field(default_factory=dict)


@cache
def _query() -> tree_sitter.Query:
    return tree_sitter.Query(ts_language("python"), _QUERY)


def file_index(ctx: FileContext) -> FileIndex:
    """The file's index, built on first use."""
    index: FileIndex | None = ctx.state.get(_STATE)
    if index is None:
        index = FileIndex()
        for _, captures in tree_sitter.QueryCursor(_query()).matches(ctx.tree.root_node):
            if "function" in captures:
                function = captures["function"][0]
                index.functions.append(function)
                index.functions_by_name.setdefault(node_text(captures["function_name"][0]), []).append(function)
            elif "class" in captures:
                index.classes.setdefault(node_text(captures["class_name"][0]), []).append(captures["class"][0])
            elif "global" in captures:
                index.globals.update(node_text(node) for node in captures["global"])
            elif "call" in captures:
                index.calls.setdefault(node_text(captures["callee"][0]), []).append(captures["call"][0])
        index.functions.sort(key=lambda node: node.start_byte)
        ctx.state[_STATE] = index
    return index
