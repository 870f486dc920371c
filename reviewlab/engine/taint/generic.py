"""Intra-procedural taint analysis of JavaScript/TypeScript, Java and Go: one walker, one adapter per language.

``generic_walker`` holds the dataflow, ``generic_adapter`` what it needs from a grammar and the
model's tables, ``javascript``/``java``/``go`` the three adapters, ``generic_flow`` the per-file entry
points (lazy, cached in ``ctx.state``) and ``generic_steps`` the flow steps reports show. A rule asks
:func:`tainted` about the value a candidate sink receives and reports :func:`flow_steps` with its finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.generic_adapter import (
    ALL,
    CODE,
    COMMAND,
    HTML,
    LDAP,
    LOCAL_SINKS,
    PATH,
    REDIRECT,
    SQL,
    URL,
    XPATH,
    Node,
    printed_args,
    text,
)
from reviewlab.engine.taint.generic_flow import GenericFlow, adapter_for, enclosing_flow, enclosing_function, flow_for
from reviewlab.engine.taint.generic_steps import flow_steps
from reviewlab.engine.taint.steps import code

if TYPE_CHECKING:
    from reviewlab.engine.rules.base import FileContext

__all__ = [
    "ALL",
    "CODE",
    "COMMAND",
    "HTML",
    "LDAP",
    "PATH",
    "REDIRECT",
    "SQL",
    "URL",
    "XPATH",
    "GenericFlow",
    "Taint",
    "code",
    "enclosing_flow",
    "flow_for",
    "flow_steps",
    "literal",
    "origin",
    "parameter_type",
    "printed_args",
    "tainted",
]


def tainted(expr: Node, ctx: FileContext, sink_class: str, *, remote: bool = False) -> Taint | None:
    """The untrusted data ``expr`` carries where it stands, when it is still dangerous for ``sink_class``.

    Local sources (the program's own arguments and environment) count only for SQL, command and code
    sinks, and not at all when ``remote`` is set: a path, a page, a URL or a redirect built from them
    attacks no one else.
    """
    taint = enclosing_flow(expr, ctx).taint_of(expr)
    if taint is None or not taint.reaches(sink_class):
        return None
    if (remote or sink_class not in LOCAL_SINKS) and adapter_for(ctx).is_local(taint.source):
        return None
    return taint


def origin(taint: Taint) -> str:
    """Where a taint comes from, for a message: ``req.query (line 4)``."""
    return f"{taint.source} (line {taint.line})"


def parameter_type(name: Node, ctx: FileContext) -> str | None:
    """The declared type of the parameter ``name`` refers to (in its function or one around it), else None."""
    adapter = adapter_for(ctx)
    function = enclosing_function(name, adapter)
    if function.parent is None:
        return None
    for scope in adapter.function_chain(function):
        for param in adapter.params(scope):
            if any(text(declared) == text(name) for declared in param.names):
                return param.type
    return None


def literal(node: Node, ctx: FileContext) -> str | None:
    """The value of a plain string literal, else None."""
    return adapter_for(ctx).literal_text(node)
