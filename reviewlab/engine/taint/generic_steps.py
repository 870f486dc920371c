"""A generic taint's path as the steps a report shows: the source, each hop, and the sink.

The walker records, after the source, the target of each binding the value passed through (a
variable, a destructuring pattern, a loop variable, a callback parameter) and each call that carried
it (a same-file helper, a store such as ``items.push(x)``); the sink comes last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewlab.engine.model import FlowStep
from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.generic_adapter import CALL, Adapter, Node, Scope, text
from reviewlab.engine.taint.generic_flow import adapter_for, enclosing_function
from reviewlab.engine.taint.steps import code, walk_steps

if TYPE_CHECKING:
    from reviewlab.engine.rules.base import FileContext

_PARAMETER_LISTS = frozenset({"formal_parameters", "parameter_list", "inferred_parameters"})


def flow_steps(taint: Taint, sink: Node, sink_label: str, ctx: FileContext) -> tuple[FlowStep, ...]:
    """The steps from the taint's source to ``sink``, source first and the sink last."""
    adapter = adapter_for(ctx)
    return walk_steps(taint, sink, sink_label, ctx, lambda node, previous: (node, _hop(node, previous, adapter, ctx)))


def _hop(node: Node, previous: Node | None, adapter: Adapter, ctx: FileContext) -> str:
    if adapter.expression_kinds.get(node.type) == CALL:
        call = adapter.call(node)
        if call is not None and call.method in adapter.store_methods and call.receiver is not None:
            return f"added to {code(text(_builder(call.receiver, adapter)))}"
        name = call.method if call is not None else text(node)
        if previous is not None and enclosing_function(previous, adapter).id != enclosing_function(node, adapter).id:
            return f"returned by helper {code(name)}"
        if call is not None and adapter.into(call, Scope(node, ctx, adapter)):
            filler = call.name if call.receiver is None or call.receiver.type == "identifier" else call.method
            return f"filled by {code(filler)}"
        return f"passed to helper {code(name)}"
    parent = node.parent
    while parent is not None and parent.type == "expression_list":
        parent = parent.parent
    if parent is not None and parent.type in adapter.loop_types:
        return f"iterated into {code(text(node))}"
    if parent is not None and (parent.type in _PARAMETER_LISTS or parent.type in adapter.functions):
        return f"bound to parameter {code(text(node))}"
    if parent is not None and parent.type.endswith("parameter"):
        return f"bound to parameter {code(text(node))}"
    return f"assigned to {code(text(node))}"


def _builder(receiver: Node, adapter: Adapter) -> Node:
    """The object a chain of stores adds to: ``sb`` in ``sb.append(a).append(b)``."""
    for _ in range(20):
        inner = adapter.call(receiver) if adapter.expression_kinds.get(receiver.type) == CALL else None
        if inner is None or inner.method not in adapter.store_methods or inner.receiver is None:
            break
        receiver = inner.receiver
    return receiver
