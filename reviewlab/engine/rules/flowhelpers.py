"""Helpers shared by the JavaScript, Java and Go rules that follow untrusted data to a sink.

A rule's query selects candidate sinks by shape and name; its check asks the generic taint engine
(``reviewlab.engine.taint.generic``) what the sink receives. :func:`flow_hit` reports a sink only when
untrusted data reaches it; :func:`with_flow` enriches a syntactic rule's finding with the source and
the flow when there is one, and leaves it as it was otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import tree_sitter

from reviewlab.engine.rules.base import Captures, Check, FileContext, Hit, Rule, first
from reviewlab.engine.rules.common import Dialect, builds_sql
from reviewlab.engine.secrets.paths import is_test_path
from reviewlab.engine.taint.generic import SQL, Taint, code, flow_steps, origin, tainted

Node = tree_sitter.Node


def cwe(number: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{number}.html"


def names(*values: str) -> str:
    """Query predicate arguments: ``"a" "b"``."""
    return " ".join(f'"{value}"' for value in values)


def flow_hit(
    anchor: Node,
    values: Iterable[Node | None],
    ctx: FileContext,
    sink_class: str,
    label: str,
    what: str,
    *,
    remote: bool = False,
    accept: Callable[[Taint], bool] | None = None,
) -> Hit | None:
    """A finding at ``anchor`` when one of ``values`` carries untrusted data still dangerous for ``sink_class``.

    ``remote`` leaves out local sources (the program's own arguments and environment); ``accept`` can
    leave out more (a server-side rule has no use for the browser's ``location``).
    """
    for value in values:
        taint = tainted(value, ctx, sink_class, remote=remote) if value is not None else None
        if taint is not None and (accept is None or accept(taint)):
            message = f"{code(label)} receives {what} from {origin(taint)}."
            return Hit(anchor, message=message, flow=flow_steps(taint, anchor, label, ctx))
    return None


def with_flow(hit: Hit, value: Node, ctx: FileContext, sink_class: str, label: str, what: str, advice: str) -> Hit:
    """A syntactic finding, naming the source and carrying the flow when ``value`` holds untrusted data."""
    taint = tainted(value, ctx, sink_class)
    if taint is None:
        return hit
    message = f"{code(label)} receives {what} from {origin(taint)}; {advice}"
    return Hit(hit.node, message=message, fix=hit.fix, flow=flow_steps(taint, hit.node, label, ctx))


def sql_check(dialect: Dialect) -> Check:
    """A check that flags the ``@sql`` capture when it builds SQL from a value not fixed in the source.

    When the value comes from a request (or another source the taint engine knows), the finding names
    it and carries the flow from the source to the ``@method`` call.
    """

    def check(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
        sql = first(captures, "sql")
        if sql is not None and builds_sql(dialect, sql, ctx):
            method = first(captures, "method")
            label = ctx.text(method) if method is not None else "query"
            yield with_flow(Hit(sql), sql, ctx, SQL, label, "SQL built", "pass the values as query parameters.")

    return check


def n_plus_one_check(
    loops_of: Callable[[tree_sitter.Node, FileContext], Sequence[Any]],
    iterates_data: Callable[[Any, FileContext], bool],
    round_trip: Callable[[tree_sitter.Node, FileContext], str | None],
    query_advice: str,
    request_advice: str,
) -> Check:
    """The N+1 check over a language's loop model: a query or HTTP request (``round_trip`` says "query" or
    "request") run once per item of a loop that iterates data, outside test files."""

    def check(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
        call = first(captures, "call")
        if call is None or is_test_path(ctx.path):
            return
        loops = loops_of(call, ctx)
        if not loops or not any(iterates_data(loop, ctx) for loop in loops):
            return
        kind = round_trip(call, ctx)
        if kind == "query":
            yield Hit(call, message="Database query inside a loop: one round trip per item (N+1); " + query_advice)
        elif kind == "request":
            yield Hit(call, message="HTTP request inside a loop: one round trip per item; " + request_advice)

    return check
