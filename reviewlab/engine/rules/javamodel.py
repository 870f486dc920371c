"""Shared models of the Java quality and performance packs: where a node runs, and what a name is declared as.

Two questions recur across :mod:`javaquality`, :mod:`javaunused`, :mod:`javaresources`, :mod:`javaperf`,
:mod:`javainvariants` and :mod:`javaio`, and are answered once here. *Where does a node run?*
:func:`per_item_loops` gives the loops (``for``, enhanced ``for``, ``while``, ``do``, and lambdas passed to
``forEach`` / ``map`` / ``filter``...) whose body runs it once per item, up to the enclosing method: an
enhanced ``for``'s iterable and a ``for``'s initialiser run once, and any other lambda or class body is
another scope; :func:`fixed_count` and :func:`iterates_data` tell loops over data from fixed counts and
polling loops. *What is a name declared as?* :func:`resolve` finds the declaration (local, parameter, loop
variable, resource or field) a name refers to, with its type and initial value, from one query per file: no
type inference beyond the declaration, so a rule that needs a type says nothing when it is unknown. The small
call helpers (:func:`call_args`, :func:`method_name`, :func:`receiver_name`...) read calls the same way for
every rule.

This module holds no rule; it is not listed in the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from reviewlab.engine.rules.base import FileContext, first
from reviewlab.engine.rules.common import (
    COMMENTS,
    JAVA,
    Node,
    ancestors,
    compiled_query,
    concatenated,
    is_upper_constant_name,
)

LANGS = ("java",)

IDENTIFIERS = "(identifier) @id"
"""A query for every identifier under a node."""


# --- where a node runs ----------------------------------------------------------------------------

LOOPS = frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"})
_SCOPES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "compact_constructor_declaration",
        "class_body",
        "enum_body",
        "interface_body",
        "program",
    }
)
# A lambda given to one of these runs once per element of the collection or stream.
_PER_ITEM_METHODS = frozenset(
    {
        "forEach",
        "forEachOrdered",
        "map",
        "flatMap",
        "filter",
        "peek",
        "anyMatch",
        "allMatch",
        "noneMatch",
        "mapToObj",
        "mapToInt",
        "mapToLong",
        "mapToDouble",
        "removeIf",
    }
)


def unwrap(node: Node) -> Node:
    """``x`` for ``((x))``."""
    while node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    return node


def _per_item_lambda(chain: list[Node], index: int, ctx: FileContext) -> bool:
    """Whether the lambda at ``chain[index]`` is an argument of ``forEach`` / ``map`` / ``filter``..."""
    if index + 2 >= len(chain) or chain[index + 1].type != "argument_list":
        return False
    call = chain[index + 2]
    name = call.child_by_field_name("name") if call.type == "method_invocation" else None
    return name is not None and ctx.text(name) in _PER_ITEM_METHODS


def _runs_per_iteration(loop: Node, child: Node) -> bool:
    if loop.type == "enhanced_for_statement":
        return child != loop.child_by_field_name("value")
    if loop.type == "for_statement":
        return child not in loop.children_by_field_name("init")
    return True


def per_item_loops(node: Node, ctx: FileContext) -> list[Node]:
    """The loops (and per-element lambdas) that run ``node`` once per iteration, innermost first."""
    chain = ancestors(node, ctx)
    loops: list[Node] = []
    child = node
    for index, parent in enumerate(chain):
        if parent.type in _SCOPES:
            break
        if parent.type == "lambda_expression":
            if not _per_item_lambda(chain, index, ctx):
                break
            loops.append(parent)
        elif parent.type in LOOPS and _runs_per_iteration(parent, child):
            loops.append(parent)
        child = parent
    return loops


def contains(outer: Node, inner: Node) -> bool:
    """Whether ``inner`` lies within ``outer``'s source span."""
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


_FIXED_FACTORIES = re.compile(r"^(?:List|Set|Stream|EnumSet|Arrays)\.(?:of|asList)$")


def fixed_count(loop: Node, ctx: FileContext) -> bool:
    """A loop whose number of iterations is fixed in the source: an enhanced ``for`` over an array or
    ``List.of(...)`` literal or an enum's ``values()``, a ``for`` bounded by a literal or a constant."""
    if loop.type == "enhanced_for_statement":
        value = loop.child_by_field_name("value")
        if value is None:
            return False
        value = unwrap(value)
        if value.type == "identifier":
            declared = resolve(value, ctx)
            if declared is None or declared.value is None:
                return False
            value = unwrap(declared.value)
        if value.type in ("array_creation_expression", "array_initializer"):
            return value.type == "array_initializer" or value.child_by_field_name("value") is not None
        if value.type == "method_invocation":
            obj, name = value.child_by_field_name("object"), value.child_by_field_name("name")
            if obj is None or name is None:
                return False
            callee = f"{ctx.text(obj)}.{ctx.text(name)}"
            return bool(_FIXED_FACTORIES.match(callee)) or (ctx.text(name) == "values" and ctx.text(obj)[:1].isupper())
        return False
    if loop.type == "for_statement":
        condition = loop.child_by_field_name("condition")
        if condition is None or condition.type != "binary_expression":
            return False
        bounds = [condition.child_by_field_name("left"), condition.child_by_field_name("right")]
        return any(
            b is not None
            and (
                b.type == "decimal_integer_literal" or (b.type == "identifier" and is_upper_constant_name(ctx.text(b)))
            )
            for b in bounds
        )
    return False


_ITERATION_CALLS = frozenset({"next", "hasNext", "hasMoreElements", "hasMoreTokens", "readLine"})


def iterates_data(loop: Node, ctx: FileContext) -> bool:
    """Whether a loop runs once per item of data: not a fixed count, and a ``while`` only when it walks a
    result set, iterator or reader (``while (rs.next())``); other ``while`` loops poll, page or retry."""
    if loop.type == "lambda_expression":
        return True
    if loop.type in ("while_statement", "do_statement"):
        condition = loop.child_by_field_name("condition")
        if condition is None:
            return False
        return any(
            f".{call}(" in ctx.text(condition) or ctx.text(condition).startswith(f"{call}(")
            for call in _ITERATION_CALLS
        )
    return not fixed_count(loop, ctx)


# --- what a name is declared as -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Declaration:
    """A declared name: its declared type (``""`` when not written), initial value, and where it is visible."""

    name: Node
    type: str
    value: Node | None
    scope: Node
    field: bool
    modifiers: str


_DECLARATIONS = """
(local_variable_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name)) @local
(field_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name)) @field
(formal_parameter type: (_) @type name: (identifier) @name) @param
(spread_parameter (_) @type (variable_declarator name: (identifier) @name)) @param
(enhanced_for_statement type: (_) @type name: (identifier) @name) @foreach
(resource type: (_) @type name: (identifier) @name) @resource
(catch_formal_parameter name: (identifier) @name) @catch
(lambda_expression parameters: (identifier) @name) @lambda
(inferred_parameters (identifier) @name) @lambda
"""


def _scope_of(kind: str, declaration: Node) -> Node | None:
    parent = declaration.parent
    if kind == "param":
        while parent is not None and parent.type not in JAVA.functions:
            parent = parent.parent
        return parent
    if kind == "resource":
        while parent is not None and parent.type != "try_with_resources_statement":
            parent = parent.parent
        return parent
    if kind == "catch":
        return parent  # the catch clause
    if kind == "lambda":
        while parent is not None and parent.type != "lambda_expression":
            parent = parent.parent
        return parent
    if kind == "foreach":
        return declaration
    return parent  # local: the block (or the `for`); field: the class body


def _declarations(ctx: FileContext) -> dict[str, list[Declaration]]:
    table: dict[str, list[Declaration]] | None = ctx.state.get("javamodel.declarations")
    if table is not None:
        return table
    table = {}
    query = compiled_query("java", _DECLARATIONS)
    for _, captures in tree_sitter.QueryCursor(query).matches(ctx.tree.root_node):
        name = first(captures, "name")
        kind = next(k for k in ("local", "field", "param", "foreach", "resource", "catch", "lambda") if k in captures)
        declaration = first(captures, kind)
        if name is None or declaration is None:
            continue
        scope = declaration if kind == "lambda" and declaration.type == "lambda_expression" else None
        scope = scope or _scope_of(kind, declaration)
        if scope is None:
            continue
        type_node = first(captures, "type")
        value = name.parent.child_by_field_name("value") if name.parent is not None else None
        if kind == "resource":
            value = declaration.child_by_field_name("value")
        modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
        table.setdefault(ctx.text(name), []).append(
            Declaration(
                name=name,
                type=ctx.text(type_node) if type_node is not None else "",
                value=value if kind in ("local", "field", "resource") else None,
                scope=scope,
                field=kind == "field",
                modifiers=ctx.text(modifiers) if modifiers is not None else "",
            )
        )
    ctx.state["javamodel.declarations"] = table
    return table


def resolve(reference: Node, ctx: FileContext) -> Declaration | None:
    """The declaration ``reference`` (a name, or ``this.name``) refers to, by Java's scoping: the innermost
    local, parameter or loop variable declared before it, else a field of an enclosing class."""
    want_field = False
    if reference.type == "field_access":
        obj, field = reference.child_by_field_name("object"), reference.child_by_field_name("field")
        if obj is None or field is None or obj.type != "this":
            return None
        reference, want_field = field, True
    if reference.type != "identifier":
        return None
    best: Declaration | None = None
    for declaration in _declarations(ctx).get(ctx.text(reference), ()):
        scope = declaration.scope
        if not scope.start_byte <= reference.start_byte < scope.end_byte or (want_field and not declaration.field):
            continue
        if not declaration.field and declaration.name.start_byte > reference.start_byte:
            continue
        size = scope.end_byte - scope.start_byte
        if best is None or size < best.scope.end_byte - best.scope.start_byte:
            best = declaration
    return best


def base_type(declaration: Declaration | None, ctx: FileContext) -> str:
    """``List`` for ``java.util.List<String>``; for ``var`` the type of a ``new`` or string initialiser."""
    if declaration is None:
        return ""
    text = declaration.type
    if text == "var" and declaration.value is not None:
        value = unwrap(declaration.value)
        kind = value.child_by_field_name("type") if value.type == "object_creation_expression" else None
        if kind is not None:
            text = ctx.text(kind)
        elif value.type == "string_literal" or (
            value.type == "binary_expression" and any(o.type == "string_literal" for o in concatenated(value))
        ):
            text = "String"
    return re.sub(r"<.*>", "", text).strip().rsplit(".", 1)[-1]


def created_type(node: Node | None, ctx: FileContext) -> str:
    """``ArrayList`` for ``new ArrayList<>(...)``, else ``""``."""
    if node is None:
        return ""
    node = unwrap(node)
    kind = node.child_by_field_name("type") if node.type == "object_creation_expression" else None
    return re.sub(r"<.*>", "", ctx.text(kind)).rsplit(".", 1)[-1] if kind is not None else ""


def call_args(call: Node) -> list[Node]:
    """The arguments of a call or ``new`` expression, without comments."""
    arguments = call.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type not in COMMENTS] if arguments is not None else []


def method_name(call: Node, ctx: FileContext) -> str:
    """``find`` for ``repo.find(...)`` (or a method declaration's name), else ``""``."""
    name = call.child_by_field_name("name")
    return ctx.text(name) if name is not None else ""


def receiver_name(receiver: Node | None, ctx: FileContext) -> str:
    """``repo`` for ``repo`` / ``this.repo``, ``newCall`` for ``client.newCall(...)``, else ``""``."""
    if receiver is None:
        return ""
    receiver = unwrap(receiver)
    if receiver.type == "identifier":
        return ctx.text(receiver)
    if receiver.type == "field_access":
        field = receiver.child_by_field_name("field")
        return ctx.text(field) if field is not None else ""
    if receiver.type == "method_invocation":
        return method_name(receiver, ctx)
    return ""


def declared_type_of(receiver: Node | None, ctx: FileContext) -> str:
    """The declared base type of a name or ``this.name``, else ``""``."""
    if receiver is None:
        return ""
    receiver = unwrap(receiver)
    if receiver.type not in ("identifier", "field_access"):
        return ""
    return base_type(resolve(receiver, ctx), ctx)
