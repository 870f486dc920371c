"""A taint's path as the steps a report shows: the source, each hop, and the sink.

:func:`flow_steps` turns the nodes a :class:`~reviewlab.engine.taint.python.Taint` went through into
:class:`~reviewlab.engine.model.FlowStep` values with short messages ("source: flask request.args",
"assigned to `path`", "passed to helper `build`") and ends them with the sink call.
"""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter

from reviewlab.engine.model import FlowStep
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.pyhelpers import node_text, unwrap
from reviewlab.engine.taint import spec
from reviewlab.engine.taint.core import Taint

Node = tree_sitter.Node

_MAX_SHOWN = 60  # longer names and expressions are cut in step messages


def flow_steps(taint: Taint, sink: Node, sink_label: str, ctx: FileContext) -> tuple[FlowStep, ...]:
    """The steps from the taint's source to ``sink`` (a call), source first and the sink last."""
    return walk_steps(taint, sink, sink_label, ctx, _hop)


Hop = Callable[[Node, "Node | None"], tuple[Node, str]]


def walk_steps(taint: Taint, sink: Node, sink_label: str, ctx: FileContext, hop: Hop) -> tuple[FlowStep, ...]:
    """The steps of any language's taint: "source: ...", one step per node after it (where ``hop`` says, with
    its message, each node once), and "sink: ..."."""
    steps: list[FlowStep] = []
    seen: set[int] = set()
    previous: Node | None = None
    for index, node in enumerate(taint.path):
        if node.id in seen:
            continue
        seen.add(node.id)
        if index == 0:
            steps.append(FlowStep(ctx.span(node), f"source: {taint.source}"))
        else:
            where, message = hop(node, previous)
            steps.append(FlowStep(ctx.span(where), message))
        previous = node
    steps.append(FlowStep(ctx.span(sink), f"sink: {code(sink_label)}"))
    return tuple(steps)


def _hop(node: Node, previous: Node | None) -> tuple[Node, str]:
    """Where a step after the source points, and what it says."""
    kind = node.type
    if kind in ("assignment", "augmented_assignment"):
        target = node.child_by_field_name("left") or node
        return target, f"assigned to {code(node_text(target))}"
    if kind == "named_expression":
        name = node.child_by_field_name("name") or node
        return name, f"assigned to {code(node_text(name))}"
    if kind in ("for_statement", "for_in_clause"):
        target = node.child_by_field_name("left") or node
        return target, f"iterated into {code(node_text(target))}"
    if kind == "with_item":
        value = node.child_by_field_name("value")
        alias = value.child_by_field_name("alias") if value is not None else None
        target = alias or node
        return target, f"bound to {code(node_text(target))}"
    if kind == "call":
        return node, _call_hop(node, previous)
    return node, f"flows through {code(node_text(node))}"


def _call_hop(call: Node, previous: Node | None) -> str:
    callee = call.child_by_field_name("function")
    callee = unwrap(callee) if callee is not None else None
    if callee is not None and callee.type == "attribute":
        receiver = callee.child_by_field_name("object")
        method = node_text(callee.child_by_field_name("attribute"))
        receiver_text = node_text(receiver) if receiver is not None else ""
        if method in spec.STORE_METHODS and receiver_text not in ("self", "cls"):
            return f"added to {code(receiver_text)}"
        name = method
    else:
        name = node_text(callee) if callee is not None else node_text(call)
    if previous is not None and _function_of(previous) != _function_of(call):
        return f"returned by helper {code(name)}"
    return f"passed to helper {code(name)}"


def _function_of(node: Node) -> int | None:
    """The id of the function definition around ``node``, None at module level."""
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            return current.id
        current = current.parent
    return None


def code(text: str) -> str:
    """``text`` as a Markdown-style code span on one line, cut to a readable length."""
    one_line = " ".join(text.split())
    if len(one_line) > _MAX_SHOWN:
        one_line = one_line[: _MAX_SHOWN - 1] + "…"
    return "`" + one_line.replace("`", "'") + "`"
