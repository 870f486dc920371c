"""The per-file side of the generic taint analysis: which function to analyse, once, and what it sees.

A function is analysed the first time a rule asks about an expression inside it (``taint_of``), and
kept in ``ctx.state``. A nested function (an Express handler's callback, a Java lambda, a Go closure)
starts from the facts of the function around it where it is defined; the item parameter of an
iteration callback (``ids.forEach(id => ...)``) takes the taint of the collection. Summaries of
same-file functions are computed on demand, once per name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

import tree_sitter

from reviewlab.engine.languages import FAMILY, ts_language
from reviewlab.engine.taint.core import Taint, union
from reviewlab.engine.taint.generic_adapter import CALL, Adapter, Node, Param, Scope, text
from reviewlab.engine.taint.generic_walker import Env, Summary, Walker
from reviewlab.engine.taint.go import GO
from reviewlab.engine.taint.java import JAVA
from reviewlab.engine.taint.javascript import JAVASCRIPT

if TYPE_CHECKING:
    from reviewlab.engine.rules.base import FileContext

ADAPTERS: dict[str, Adapter] = {"javascript": JAVASCRIPT, "java": JAVA, "go": GO}

_STATE_FLOWS = "taint.generic.flows"
_STATE_SUMMARIES = "taint.generic.summaries"
_STATE_DEFS = "taint.generic.defs"


def adapter_for(ctx: FileContext) -> Adapter:
    """The adapter of the file's language family."""
    family = FAMILY.get(ctx.language, "")
    adapter = ADAPTERS.get(family)
    if adapter is None:
        raise ValueError(f"no generic taint adapter for {ctx.language}")
    return adapter


class GenericFlow:
    """The taint facts of one function (or a module's top level)."""

    __slots__ = ("_walker", "dead", "node")

    def __init__(self, node: Node, walker: Walker, dead: bool = False) -> None:
        self.node = node
        self._walker = walker
        self.dead = dead

    @property
    def returns(self) -> Taint | None:
        return self._walker.returns

    def env_at(self, node: Node) -> Env | None:
        """The facts in force where ``node`` stands; None when that code never runs."""
        walker = self._walker
        if self.dead:
            return None
        current: Node | None = node
        found: Env | None = None
        while current is not None and current.id != self.node.id:
            if current.id in walker.unreachable:
                return None
            if found is None and current.id in walker.at:
                found = walker.at[current.id]
            current = current.parent
        return found if found is not None else {}

    def taint_of(self, expr: Node) -> Taint | None:
        """The taint of an expression of this function where it stands, or None when it is clean.

        Code that never runs (a branch whose condition is a literal ``false``, code after ``return``)
        is clean even when it reads a source itself.
        """
        env = self.env_at(expr)
        if env is None:
            return None
        try:
            return self._walker.eval(expr, env)
        except RecursionError:  # pragma: no cover - absurdly deep expressions
            return None


def enclosing_function(node: Node, adapter: Adapter) -> Node:
    """The innermost function around ``node``, else the root of the tree."""
    current = node.parent
    last = node
    while current is not None:
        if current.type in adapter.functions:
            return current
        last = current
        current = current.parent
    return last


def enclosing_flow(node: Node, ctx: FileContext) -> GenericFlow:
    """The flow of the function (else the top level) containing ``node``."""
    return flow_for(enclosing_function(node, adapter_for(ctx)), ctx)


def flow_for(function: Node, ctx: FileContext) -> GenericFlow:
    """The flow of a function node or of the tree's root, analysed once per file."""
    flows: dict[int, GenericFlow] = ctx.state.setdefault(_STATE_FLOWS, {})
    flow = flows.get(function.id)
    if flow is None:
        adapter = adapter_for(ctx)
        entry, dead = _entry(function, adapter, ctx)
        walker = Walker(adapter, function, _scope(function, adapter, ctx), entry, _summariser(adapter, ctx))
        flow = flows[function.id] = GenericFlow(function, walker, dead)
    return flow


def _scope(function: Node, adapter: Adapter, ctx: FileContext) -> Scope:
    return Scope(function, ctx, adapter, adapter.contexts(function, ctx))


def _entry(function: Node, adapter: Adapter, ctx: FileContext) -> tuple[Env, bool]:
    """The facts a function starts from: captured from the function around it, and its source parameters."""
    if function.parent is None:
        return {}, False
    params = adapter.params(function)
    env: dict[str, Taint] = {}
    outer = enclosing_function(function, adapter)
    outer_flow: GenericFlow | None = None
    if outer.parent is not None or adapter.module_scope:
        outer_flow = flow_for(outer, ctx)
        captured = outer_flow.env_at(function)
        if captured is None:
            return {}, True
        shadowed = {text(name) for param in params for name in param.names}
        env.update((key, taint) for key, taint in captured.items() if key.split(".", 1)[0] not in shadowed)
    for param in params:
        for name in param.names:
            label = adapter.param_source(param, function, text(name))
            if label is not None:
                env[text(name)] = Taint(label, (name,))
    if outer_flow is not None:
        _bind_item(function, params, adapter, outer_flow, env)
    return env, False


def _bind_item(
    function: Node, params: list[Param], adapter: Adapter, outer: GenericFlow, env: dict[str, Taint]
) -> None:
    """``items.forEach(item => ...)``: the callback's item parameter takes the taint of ``items``."""
    arguments = function.parent
    call_node = arguments.parent if arguments is not None else None
    if call_node is None or adapter.expression_kinds.get(call_node.type) != CALL:
        return
    call = adapter.call(call_node)
    if call is None or call.receiver is None or function.id not in {arg.id for arg in call.args}:
        return
    index = adapter.iteration_methods.get(call.method)
    if index is None and call.method in adapter.mapping_methods:
        index = 0
    if index is None or index >= len(params):
        return
    items = outer.taint_of(call.receiver)
    if items is not None:
        for name in params[index].names:
            env[text(name)] = items.through(name)


def _summariser(adapter: Adapter, ctx: FileContext) -> Callable[[str], Summary | None]:
    def summarise(name: str) -> Summary | None:
        return summary(name, adapter, ctx)

    return summarise


@cache
def _definitions_query(language: str, source: str) -> tree_sitter.Query:
    return tree_sitter.Query(ts_language(language), source)


def _definitions(adapter: Adapter, ctx: FileContext) -> dict[str, list[Node]]:
    """The functions of the file by name (one query per file, on first use)."""
    defs: dict[str, list[Node]] | None = ctx.state.get(_STATE_DEFS)
    if defs is None:
        defs = {}
        query = _definitions_query(ctx.language, adapter.definitions_query)
        for _, captures in tree_sitter.QueryCursor(query).matches(ctx.tree.root_node):
            names, functions = captures.get("name"), captures.get("function")
            if names and functions:
                defs.setdefault(text(names[0]), []).append(functions[0])
        ctx.state[_STATE_DEFS] = defs
    return defs


def summary(name: str, adapter: Adapter, ctx: FileContext) -> Summary | None:
    """The summary of the same-file function(s) called ``name``, or None when there is none."""
    summaries: dict[str, Summary | None] = ctx.state.setdefault(_STATE_SUMMARIES, {})
    if name in summaries:
        return summaries[name]
    summaries[name] = None  # recursion guard: a recursive call contributes nothing
    functions = _definitions(adapter, ctx).get(name)
    if not functions:
        return None
    params: set[int] = set()
    own: Taint | None = None
    sanitised: frozenset[str] | None = None
    rest: int | None = None
    for function in functions:
        declared = adapter.params(function)
        entry: dict[str, Taint] = {}
        for index, param in enumerate(declared):
            if param.rest:
                rest = index
            for node in param.names:
                entry[text(node)] = Taint("", (node,), params=frozenset({str(index)}))
        returns = Walker(adapter, function, _scope(function, adapter, ctx), entry, _summariser(adapter, ctx)).returns
        if returns is None:
            continue
        params.update(int(p) for p in returns.params if p.isdigit())
        if returns.source:
            own = union(own, replace(returns, params=frozenset()))
        sanitised = returns.sanitised if sanitised is None else sanitised & returns.sanitised
    result = Summary(frozenset(params), sanitised or frozenset(), own, rest)
    summaries[name] = result
    return result
