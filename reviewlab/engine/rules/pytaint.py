"""What the taint-driven Python rules share: sources by trust, dead code, validators, and sinks in helpers.

A rule's check finds a candidate sink and asks :func:`tainted` (client data only, for sinks that attack
other users: redirects, pages, headers, logs, sessions) or :func:`sink_taint` (any untrusted data,
including data reaching a helper function through its parameters from a caller in the same file, for
injection sinks: code, commands, SQL, LDAP, XPath, deserialisation, XML parsing).
"""

from __future__ import annotations

import re
from dataclasses import replace

import tree_sitter

from reviewlab.engine.model import FlowStep
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.pyhelpers import (
    argument,
    call_name,
    enclosing_function,
    function_tail,
    imports,
    node_text,
    read_identifiers,
    string_value,
    unwrap,
)
from reviewlab.engine.taint import spec as taint_spec
from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.index import file_index
from reviewlab.engine.taint.python import (
    FunctionFlow,
    enclosing_class,
    enclosing_flow,
    may_be_tainted,
    parameter_names,
    text_may_read_source,
)
from reviewlab.engine.taint.steps import flow_steps

Node = tree_sitter.Node
OWASP_INJECTION = "https://owasp.org/Top10/A03_2021-Injection/"
_STATE_PARAM_FLOWS = "pytaint.parameter_flows"
_STATE_CALLS = "pytaint.calls"
_MAX_CALLER_DEPTH = 3  # helper -> helper -> helper: deeper chains are not followed

# Sources the program's operator controls, not a remote client.
LOCAL_SOURCES = frozenset({"os.environ", "os.getenv()", "sys.argv", "input()", "sys.stdin", taint_spec.FILE_READ})
# Text showing CR/LF was removed or escaped on the way: ``.replace("\n", "")``, ``repr()``, ``!r``, ``quote()``.
CRLF_NEUTRALISED = re.compile(
    r"""\.replace\(\s*['"]\\[rn]|\.splitlines\(|\brepr\(|!r\}|\bquote(?:_plus)?\(|\bjson\.dumps\("""
)


# Names of validators: ``url_has_allowed_host_and_scheme``, ``is_safe_url``, ``is_allowed_origin``, ``validate_x``.
VALIDATOR = re.compile(
    r"^(?:url_has_allowed_host_and_scheme$|(?:_?(?:is|has|check)_)?(?:safe|allowed|valid|trusted|permitted)"
    r"|_?validate)"
)


def remote(taint: Taint | None, sink_class: str) -> Taint | None:
    """The taint when a remote client controls it and it is not sanitised for ``sink_class``."""
    if taint is None or not taint.reaches(sink_class) or taint.source in LOCAL_SOURCES:
        return None
    return taint


def falsy_literal(condition: Node | None) -> bool:
    if condition is None:
        return False
    condition = unwrap(condition)
    if condition.type in ("false", "none"):
        return True
    if condition.type == "integer":
        return node_text(condition).replace("_", "") in ("0", "0x0", "0o0", "0b0")
    return condition.type == "string" and string_value(condition) == ""


def in_dead_code(node: Node) -> bool:
    """Whether ``node`` sits in the body of ``if False:``/``while 0:``, which never runs.

    The engine gives a dead branch no facts, but a source read right at the sink (``f(request.args[...])``)
    needs none; this keeps such sinks quiet too.
    """
    child, parent = node, node.parent
    while parent is not None and parent.type not in ("function_definition", "module"):
        body = parent.child_by_field_name("consequence" if parent.type == "if_statement" else "body")
        if (
            parent.type in ("if_statement", "while_statement")
            and body is not None
            and body.id == child.id
            and falsy_literal(parent.child_by_field_name("condition"))
        ):
            return True
        child, parent = parent, parent.parent
    return False


def tainted(expr: Node, anchor: Node, ctx: FileContext, sink_class: str) -> Taint | None:
    """The client data ``expr`` at the sink ``anchor`` carries — read in this function, or passed into this
    helper by a caller in the same file — unless sanitised for ``sink_class``, validated, or in dead code."""
    taint = sink_taint(expr, anchor, ctx, sink_class, local=False)
    return taint if taint is not None and taint.source else None


def taint_message(sink: str, what: str, taint: Taint) -> str:
    return f"`{sink}` receives {what} from {taint.source} (line {taint.line})."


def crlf_neutralised(expr: Node, taint: Taint) -> bool:
    """Whether the value went through something that removes or escapes line breaks."""
    return any(CRLF_NEUTRALISED.search(node_text(node)) for node in (expr, *taint.path[1:]))


def resolved_call(call: Node, ctx: FileContext, names: frozenset[str]) -> str | None:
    """The call's qualified name when it is one of ``names`` (or an unimported bare name among their tails)."""
    name = call_name(call, ctx)
    if name is None:
        return None
    if name in names:
        return name
    if "." not in name and name not in imports(ctx) and any(n.rsplit(".", 1)[-1] == name for n in names):
        return name
    return None


def read_names(node: Node) -> set[str]:
    """The local names an expression reads (not descending into nested functions)."""
    return {node_text(identifier) for identifier in read_identifiers(node, nested_functions=False)}


def validated(anchor: Node, value: Node, ctx: FileContext) -> bool:
    """Whether the function around the sink passes a name ``value`` reads to a validator.

    A validator is a call named like ``url_has_allowed_host_and_scheme``, ``is_safe_url``,
    ``is_allowed_origin`` or ``validate_role``, taking the name as its first argument. The test does
    not follow the branches (``if is_safe_url(url): ...``), which is the usual shape of such code.
    """
    scope = enclosing_function(anchor) or ctx.tree.root_node
    names = read_names(value)
    if not names:
        return False
    stack = [scope]
    while stack:
        node = stack.pop()
        if node.type == "call" and VALIDATOR.match(function_tail(node)):
            checked = argument(node, 0, "url", "value")
            if checked is not None and unwrap(checked).type == "identifier" and node_text(unwrap(checked)) in names:
                return True
        if node.type not in ("function_definition", "class_definition", "lambda") or node.id == scope.id:
            stack.extend(node.named_children)
    return False


def parameter_flow(function: Node, ctx: FileContext) -> FunctionFlow:
    """The flow of ``function`` with its parameters as the sources, analysed once per file."""
    flows: dict[int, FunctionFlow] = ctx.state.setdefault(_STATE_PARAM_FLOWS, {})
    flow = flows.get(function.id)
    if flow is None:
        flow = flows[function.id] = FunctionFlow(function, ctx, summary_mode=True)
    return flow


def _calls_by_name(ctx: FileContext) -> dict[str, list[Node]]:
    """Every call in the file by the called name's last component (``f(...)``, ``self.f(...)``)."""
    return file_index(ctx).calls


def _argument_for(call: Node, function: Node, param: str) -> Node | None:
    """The argument a call passes for ``param`` of ``function`` (``self``/``cls`` skipped on method calls)."""
    names = parameter_names(function)
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type == "attribute" and names and names[0] in ("self", "cls"):
        names = names[1:]
    index = names.index(param) if param in names else -1
    return argument(call, index, param) if index >= 0 else None


def sink_taint(
    expr: Node,
    anchor: Node,
    ctx: FileContext,
    sink_class: str,
    *,
    local: bool = True,
    parameters: bool = True,
    files: bool = False,
) -> Taint | None:
    """What untrusted data ``expr`` at the sink ``anchor`` carries.

    A real source (``Taint.source`` set) when the function reads one, or when ``expr`` comes from a
    parameter and a caller in the same file passes untrusted data for it (the path then starts at the
    caller's source and goes through the call). A parameter taint (``source == ""``) when ``expr`` comes
    from a parameter of a function nobody in the file calls: a public helper whose callers are unknown.
    None when the data is clean, constant, sanitised for ``sink_class``, validated, in dead code, or comes
    only from callers that pass clean data. ``local`` says whether data the operator controls
    (environment, ``sys.argv``, ``input()``) counts; ``parameters=False`` asks for real sources only;
    ``files`` whether the content of a file opened at a run-time path counts (code and deserialisation).
    """
    return _sink_taint(expr, anchor, ctx, sink_class, local, 0, parameters, files)


def _sink_taint(
    expr: Node,
    anchor: Node,
    ctx: FileContext,
    sink_class: str,
    local: bool,
    depth: int,
    parameters: bool = False,
    files: bool = False,
) -> Taint | None:
    if in_dead_code(anchor):
        return None
    function = enclosing_function(anchor)
    readable = may_be_tainted(ctx) or (files and b"open(" in ctx.source)
    taint = enclosing_flow(anchor, ctx).taint_of(expr) if readable else None
    if taint is not None and taint.reaches(sink_class) and _counts(taint, local, files):
        return None if validated(anchor, expr, ctx) else taint
    if function is None:
        return None
    callers = _callers(function, ctx)
    if callers and (depth >= _MAX_CALLER_DEPTH or not any(_caller_may_pass_source(c, ctx) for c in callers)):
        return None  # the chain is too long, or no caller can hand over source data
    if not callers and not parameters:
        return None  # the parameter path is not wanted
    through = parameter_flow(function, ctx).taint_of(expr)
    if through is None or not through.params or sink_class in through.sanitised or validated(anchor, expr, ctx):
        return None
    if not callers:
        return through
    for call in callers:
        for param in sorted(through.params):
            arg = _argument_for(call, function, param)
            if arg is None:
                continue
            outer = _sink_taint(arg, call, ctx, sink_class, local, depth + 1, files=files)
            if outer is not None and outer.source:
                return replace(outer, path=(*outer.path, call, *through.path[1:]))
    return None


def _caller_may_pass_source(call: Node, ctx: FileContext) -> bool:
    """Whether the code around a call may hold source data: module-level code, a function whose text mentions a
    source, or a function that has callers itself (the data may come from further up)."""
    if not may_be_tainted(ctx):
        return False
    function = enclosing_function(call)
    if function is None or text_may_read_source(function, ctx):
        return True
    return bool(_callers(function, ctx))


def _counts(taint: Taint, local: bool, files: bool) -> bool:
    """Whether a sink cares about the taint's kind of source."""
    if taint.source == taint_spec.FILE_READ:
        return files
    return local or taint.source not in LOCAL_SOURCES


def _callers(function: Node, ctx: FileContext) -> list[Node]:
    """The calls of the file that may call ``function``: ``f(...)`` for a plain function, ``obj.f(...)``
    (not ``module.f(...)`` of an imported module) for a method; never the calls inside it."""
    name = node_text(function.child_by_field_name("name"))
    method = enclosing_class(function) is not None
    found: list[Node] = []
    for call in _calls_by_name(ctx).get(name, ()):
        if _inside(call, function):
            continue
        callee = call.child_by_field_name("function")
        if callee is None:
            continue
        if callee.type == "identifier":
            if not method:
                found.append(call)
        elif method:
            receiver = callee.child_by_field_name("object")
            root = receiver
            while root is not None and root.type == "attribute":
                root = root.child_by_field_name("object")
            if root is None or root.type != "identifier" or node_text(root) not in imports(ctx):
                found.append(call)
    return found


def _inside(node: Node, function: Node) -> bool:
    return function.start_byte <= node.start_byte and node.end_byte <= function.end_byte


def parameter_message(sink: str, what: str, taint: Taint) -> str:
    """The message for a sink fed from a parameter of a function no caller in the file is known for."""
    params = ", ".join(f"`{p}`" for p in sorted(taint.params)) or "a parameter"
    return f"`{sink}` receives {what} from parameter {params}; callers must never pass untrusted data."


def parameter_flow_steps(taint: Taint, sink: Node, display: str, ctx: FileContext) -> tuple[FlowStep, ...]:
    """The flow of a parameter taint: from the parameter (its path starts there) to the sink."""
    params = ", ".join(f"`{p}`" for p in sorted(taint.params)) or "a parameter"
    return flow_steps(replace(taint, source=f"parameter {params}"), sink, display, ctx)
