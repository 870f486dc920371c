"""What the generic taint walker needs from one language: its syntax as a few kinds, and its taint model.

An :class:`Adapter` maps a grammar's node types onto the statement and expression kinds the walker
knows (a binding, a branch, a loop, a call...) and holds the model as tables: which calls sanitise
which sink classes, which propagate their arguments or their receiver, which store into their
receiver. Its hooks cover what tables cannot: where a grammar nests things differently (Go's
``a, b := f()``, Java's typed declarators) and which expressions are sources in which framework.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import tree_sitter

from reviewlab.engine.rules.common import Dialect
from reviewlab.engine.taint import spec

if TYPE_CHECKING:
    from reviewlab.engine.rules.base import FileContext

Node = tree_sitter.Node

# Sink classes a sanitiser can protect.
SQL = "sql"
COMMAND = spec.SHELL
CODE = "code"
PATH = spec.PATH
HTML = spec.HTML
URL = spec.URL
REDIRECT = "redirect"
LDAP = "ldap"
XPATH = "xpath"
ALL: frozenset[str] = frozenset({SQL, COMMAND, CODE, PATH, HTML, URL, REDIRECT, LDAP, XPATH})
PREFIX_CHECKED: frozenset[str] = frozenset({PATH, URL, REDIRECT})
"""What ``value.startsWith(BASE)`` vouches for: the value stays under a known directory or origin."""
HOST_FIXED: frozenset[str] = frozenset({URL, REDIRECT})
"""What a literal ``https://host/`` (or ``/path``) prefix protects: the input only picks path and query."""
LOCAL_SINKS: frozenset[str] = frozenset({SQL, COMMAND, CODE})
"""Sink classes local sources (the program's own arguments and environment) are reported for."""

# A literal prefix that fixes scheme and host (or a same-origin path): ``https://api.example.com/``,
# ``/account?next=``, Spring's ``redirect:/home/``. A lone ``/`` does not: ``"/" + "/evil.example"``.
FIXED_HOST = re.compile(r"^\s*(?:redirect:|forward:)?(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+[/?#]|/[^/\\\s])")

# Statement kinds.
BLOCK = "block"  # a sequence of statements
BIND = "bind"  # declarations and assignments: ``bindings()``
EXPR = "expr"  # an expression evaluated for its effects: ``expressions()``
RETURN = "return"
EXIT = "exit"  # throw / raise: the path ends
JUMP = "jump"  # break / continue: the path leaves the block
IF = "if"
LOOP = "loop"
TRY = "try"
SWITCH = "switch"
WRAP = "wrap"  # labelled statements, ``export``, ``synchronized``...: walk ``wrapped()``
SKIP = "skip"  # nested functions and classes, imports, comments

# Expression kinds.
NAME = "name"
MEMBER = "member"
INDEX = "index"
CALL = "call"
TEMPLATE = "template"
BINARY = "binary"
TERNARY = "ternary"
INNER = "inner"  # the value of its one operand: parentheses, casts, ``await``
UNION = "union"  # made of all its parts: arrays, objects, composite literals
VALUE = "value"  # the value of one part: ``a = b`` is ``b``, ``(a, b)`` is ``b``
UNARY = "unary"


_VERB = re.compile(r"%(?:(\[\d+\]|\d+\$))?[-+# 0,(]*\d*(?:\.\d+)?([a-zA-Z%])")
_NUMERIC_VERBS = frozenset("dxXobeEfgGtcU")


def printed_args(template: str, args: tuple[Node, ...] | list[Node]) -> list[Node]:
    """The arguments a printf-style template prints as text: one printed with ``%d`` carries no syntax.

    When verbs and arguments cannot be paired (explicit indexes, a count mismatch) every argument counts.
    """
    verbs = [m for m in _VERB.finditer(template) if m.group(2) != "%"]
    if len(verbs) != len(args) or any(m.group(1) for m in verbs):
        return list(args)
    return [arg for verb, arg in zip(verbs, args, strict=True) if verb.group(2) not in _NUMERIC_VERBS]


def text(node: Node | None) -> str:
    """A node's source text ('' for None)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def named(node: Node) -> list[Node]:
    """The named children of a node that are not comments."""
    return [child for child in node.named_children if "comment" not in child.type]


@dataclass(frozen=True, slots=True)
class Call:
    """A call or construction, whatever the grammar calls it."""

    node: Node
    name: str  # the callee as written, without spaces: ``path.join``, ``Integer.parseInt``, ``exec``
    method: str  # its last name: ``join``, ``parseInt``, ``exec``
    receiver: Node | None
    args: tuple[Node, ...]
    constructor: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """One declared parameter: the names it binds (several for a pattern), its type and annotations."""

    node: Node
    names: tuple[Node, ...]
    type: str = ""
    annotations: tuple[str, ...] = ()
    rest: bool = False


@dataclass(frozen=True, slots=True)
class Binding:
    """One ``target = value``. ``value`` None binds nothing known (a declaration without a value)."""

    target: Node
    value: Node | None
    augmented: bool = False  # ``x += v``: the old value stays
    clean: bool = False  # the declared type cannot carry text (``int``, ``boolean``)


@dataclass(frozen=True, slots=True)
class Loop:
    """The parts of a loop; ``target`` is bound from ``iterable`` on every pass."""

    body: Node | None
    condition: Node | None = None
    target: Node | None = None
    iterable: Node | None = None
    setup: tuple[Node, ...] = ()
    update: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Guard:
    """A check on a name that vouches for it: ``ALLOWED.includes(x)``, ``p.startsWith(BASE)``."""

    keys: tuple[str, ...]  # the names the checked value is made of
    classes: frozenset[str]
    when: bool  # the names are safe in the arm where the condition has this truth value


@dataclass(slots=True)
class Scope:
    """What a function's sources depend on: which names hold the client request, which names are local."""

    function: Node
    ctx: FileContext
    adapter: Adapter = field(repr=False)
    contexts: dict[str, str] = field(default_factory=dict)  # request-like names -> framework ("express"...)
    declared: set[str] | None = None  # computed on first use: names the function or its outer ones declare

    def declares(self, name: str) -> bool:
        """Whether ``name`` is a local of the function (or of a function around it), not a global."""
        if self.declared is None:
            self.declared = set()
            for function in self.adapter.function_chain(self.function):
                self.declared.update(self.adapter.declared_names(function))
        return name in self.declared


@dataclass(frozen=True, slots=True)
class GuardSpec:
    """Which operand of a checking call is vouched for: ``receiver`` or an argument index."""

    operand: str | int
    classes: frozenset[str]
    pattern: str | int | None = None  # where a regular expression is, when the check is a match


class Adapter:
    """The syntax and taint model of one language family. Subclasses fill the tables and hooks."""

    family: str = ""
    functions: frozenset[str] = frozenset()
    module_scope: bool = False  # whether top-level statements run (and define names functions can read)
    statement_kinds: Mapping[str, str] = {}
    expression_kinds: Mapping[str, str] = {}
    loop_types: frozenset[str] = frozenset()
    declarations: frozenset[str] = frozenset()  # BIND statements that declare names (not mere assignments)
    strings: frozenset[str] = frozenset()
    falsy: frozenset[str] = frozenset({"false"})
    truthy: frozenset[str] = frozenset({"true"})
    concat: frozenset[str] = frozenset({"+"})
    unary_carries: frozenset[str] = frozenset()
    clean_members: frozenset[str] = frozenset()
    this_names: frozenset[str] = frozenset({"this"})
    definitions_query: str = ""  # captures @function and its @name, for same-file summaries
    dialect: Dialect | None = None  # what ``rules.common`` knows of the syntax: constant strings
    # The model.
    sanitisers: Mapping[str, frozenset[str]] = {}
    sanitiser_methods: Mapping[str, frozenset[str]] = {}
    propagators: frozenset[str] = frozenset()
    format_calls: frozenset[str] = frozenset()  # propagators whose first argument is a printf template
    receiver_methods: frozenset[str] = frozenset()
    getters: re.Pattern[str] | None = None  # method names that also carry the receiver: Java's ``getX()``
    joining_methods: frozenset[str] = frozenset()  # carry the receiver and the arguments
    store_methods: frozenset[str] = frozenset()
    mapping_methods: frozenset[str] = frozenset()  # ``items.map(cb)``: the callback's result
    iteration_methods: Mapping[str, int] = {}  # ``items.forEach(cb)``: which callback parameter is the item
    exits: frozenset[str] = frozenset()
    guards: Mapping[str, GuardSpec] = {}  # by full callee name, else by method
    local_sources: frozenset[str] = frozenset()

    # -- syntax hooks ------------------------------------------------------------------------------

    def body(self, function: Node) -> Node | None:
        return function.child_by_field_name("body")

    def params(self, function: Node) -> list[Param]:
        raise NotImplementedError

    def function_name(self, function: Node) -> str | None:
        name = function.child_by_field_name("name")
        return text(name) if name is not None else None

    def self_name(self, function: Node) -> str | None:
        """The name a method calls its siblings through (``this``; Go's receiver)."""
        return "this"

    def statements(self, block: Node) -> list[Node]:
        return named(block)

    def bindings(self, node: Node) -> list[Binding]:
        raise NotImplementedError

    def expressions(self, node: Node) -> list[Node]:
        """The expressions an expression statement evaluates."""
        return named(node)

    def wrapped(self, node: Node) -> list[Node]:
        """The statements (or expressions) inside a WRAP statement."""
        return named(node)

    def if_parts(self, node: Node) -> tuple[Node | None, Node | None, Node | None, Node | None]:
        """(initialiser, condition, consequence, alternative statement)."""
        alternative = node.child_by_field_name("alternative")
        if alternative is not None and alternative.type == "else_clause":
            inner = named(alternative)
            alternative = inner[0] if inner else None
        condition, consequence = node.child_by_field_name("condition"), node.child_by_field_name("consequence")
        return node.child_by_field_name("initializer"), condition, consequence, alternative

    def loop(self, node: Node) -> Loop:
        raise NotImplementedError

    def try_parts(self, node: Node) -> tuple[list[Node], Node | None, list[tuple[Node | None, Node]], Node | None]:
        """(resource statements, body, [(caught name, handler)], finally block)."""
        raise NotImplementedError

    def arms(self, node: Node) -> tuple[Node | None, list[list[Node]]]:
        """A switch's subject and the statements of each arm."""
        raise NotImplementedError

    def member(self, node: Node) -> tuple[Node | None, str]:
        """(object, property name) of a member access."""
        raise NotImplementedError

    def index_object(self, node: Node) -> Node | None:
        return node.child_by_field_name("object")

    def call(self, node: Node) -> Call | None:
        raise NotImplementedError

    def inner(self, node: Node) -> Node | None:
        """The operand of an INNER expression."""
        children = named(node)
        return children[0] if children else None

    def union_parts(self, node: Node) -> list[Node]:
        """The parts of a UNION expression whose values it holds (not keys, not types)."""
        if node.type == "pair":
            value = node.child_by_field_name("value")
            return [value] if value is not None else []
        return named(node)

    def value_of(self, node: Node) -> Node | None:
        """The part of a VALUE expression it evaluates to."""
        right = node.child_by_field_name("right")
        if right is not None:
            return right
        children = named(node)
        return children[-1] if children else None

    def operator(self, node: Node) -> str:
        operator = node.child_by_field_name("operator")
        return operator.type if operator is not None else ""

    def template_parts(self, node: Node) -> Iterator[Node]:
        """The interpolated expressions of a template string."""
        return iter(())

    def literal_text(self, node: Node) -> str | None:
        """The value of a plain string literal, else None."""
        if node.type not in self.strings:
            return None
        raw = text(node)
        quote = 3 if raw.startswith(('"""', "'''")) else 1
        return raw[quote:-quote] if len(raw) >= 2 * quote else ""

    def leading_operand(self, node: Node) -> Node | None:
        """The value a string expression starts with, None when it starts with literal text.

        ``base + "/items/" + id`` starts with ``base``; ``"https://x/" + id`` and `` `https://x/${id}` ``
        start with literal text.
        """
        while True:
            kind = self.expression_kinds.get(node.type)
            inner: Node | None = None
            if node.type in self.strings:
                return None
            if kind == BINARY and self.operator(node) == "+":
                inner = node.child_by_field_name("left")
            elif kind == INNER:
                inner = self.inner(node)
            elif kind == TEMPLATE:
                first = next(iter(named(node)), None)
                if first is None or first.type not in self.expression_kinds:
                    return None  # literal text first
                inner = self.inner(first)
            else:
                return node
            if inner is None:
                return None
            node = inner

    def truth(self, condition: Node | None) -> bool | None:
        """True/False when a condition is a literal constant, else None."""
        for _ in range(8):
            if condition is None:
                return None
            kind = self.expression_kinds.get(condition.type)
            constant = self.constant_truth(condition)
            if constant is not None:
                return constant
            if kind == INNER:
                condition = self.inner(condition)
                continue
            if kind == UNARY and self.operator(condition) == "!":
                operand = self.unary_operand(condition)
                inner = self.truth(operand)
                return None if inner is None else not inner
            return None
        return None

    def constant_truth(self, node: Node) -> bool | None:
        """The truth of a literal, else None."""
        if node.type in self.falsy:
            return False
        if node.type in self.truthy:
            return True
        return None

    def unary_operand(self, node: Node) -> Node | None:
        return node.child_by_field_name("argument") or node.child_by_field_name("operand")

    def declared_names(self, function: Node) -> set[str]:
        """Names declared in a function (parameters and local declarations, not nested functions)."""
        names = {text(name) for param in self.params(function) for name in param.names}
        body = self.body(function)
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            for child in node.named_children:
                if child.type in self.functions:
                    continue
                if child.type in self.declarations:
                    names.update(text(target) for b in self.bindings(child) for target in self.bound(b.target))
                stack.append(child)
        return names

    def bound(self, target: Node) -> list[Node]:
        """The identifiers a binding target (a name or a destructuring pattern) binds."""
        if target.type == "identifier":
            return [target]
        if self.expression_kinds.get(target.type) in (MEMBER, INDEX):
            return []
        found: list[Node] = []
        for child in named(target):
            if child.type.endswith("identifier") or child.type.endswith("identifier_pattern"):
                found.append(child)
            elif child.type not in ("property_identifier",):
                found.extend(self.bound(child))
        return found

    def function_chain(self, function: Node) -> list[Node]:
        """The function and every function around it, innermost first."""
        chain = [function]
        current = function.parent
        while current is not None:
            if current.type in self.functions:
                chain.append(current)
            current = current.parent
        return chain

    # -- model hooks -------------------------------------------------------------------------------

    def contexts(self, function: Node, ctx: FileContext) -> dict[str, str]:
        """Names holding the client request (or a framework context) in a function: name -> framework."""
        return {}

    def param_source(self, param: Param, function: Node, name: str) -> str | None:
        """The source label of a parameter the framework fills from the request, else None."""
        return None

    def name_source(self, node: Node, scope: Scope) -> str | None:
        return None

    def member_source(self, obj: Node, prop: str, scope: Scope) -> str | None:
        return None

    def call_source(self, call: Call, scope: Scope) -> str | None:
        return None

    def into(self, call: Call, scope: Scope) -> list[tuple[Node, Node | str]]:
        """Calls that fill an argument: (target, the expression whose taint it takes, or a source label)."""
        return []

    def format_template(self, call: Call) -> tuple[str, list[Node]] | None:
        """A format call's constant template and the arguments it prints as text (numeric verbs dropped)."""
        return None

    def guard_of(self, call: Call) -> tuple[Node, frozenset[str]] | None:
        """The operand a checking call vouches for, and for which sink classes."""
        spec_ = self.guards.get(call.name) or self.guards.get(call.method)
        if spec_ is None:
            return None
        if spec_.pattern is not None and not self.anchored(spec_.pattern, call):
            return None  # a pattern that may match part of the value vouches for nothing
        if spec_.operand == "receiver":
            return (call.receiver, spec_.classes) if call.receiver is not None else None
        assert isinstance(spec_.operand, int)  # noqa: S101 - GuardSpec holds "receiver" or an index
        index = spec_.operand
        if -len(call.args) <= index < len(call.args):
            return call.args[index], spec_.classes
        return None

    def anchored(self, where: str | int, call: Call) -> bool:
        """Whether a pattern check matches the whole value: a literal pattern must read ``^...$``.

        A pattern held elsewhere (a constant, a compiled regexp) is taken on trust.
        """
        node: Node | None = call.receiver if where == "receiver" else None
        if isinstance(where, int):
            node = call.args[where] if -len(call.args) <= where < len(call.args) else None
        for _ in range(4):  # regexp.MustCompile("^...$").MatchString(x): the literal inside
            inner = self.call(node) if node is not None and self.expression_kinds.get(node.type) == CALL else None
            if inner is None or not inner.args:
                break
            node = inner.args[0]
        if node is None:
            return True
        pattern = self.literal_text(node) if node.type in self.strings else None
        if pattern is None and node.type == "regex":
            pattern = text(node.child_by_field_name("pattern"))
        return pattern is None or (pattern.startswith("^") and pattern.endswith("$"))

    def extra_guard(self, condition: Node) -> tuple[Node, frozenset[str]] | None:
        """A check that is not a call (Go's ``allowed[x]``)."""
        return None

    def source_safe_for(self, label: str) -> frozenset[str]:
        """Sink classes a source cannot attack: the page's own URL as a redirect target starts with its origin."""
        return frozenset()

    def is_local(self, label: str) -> bool:
        return label in self.local_sources
