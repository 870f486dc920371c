"""Intra-procedural taint analysis of Python functions over the tree-sitter tree.

One forward walk per function body (or the module's top level) keeps a map from local names (and
``obj.attr`` stores) to a fact (``values``: a :class:`Taint`, a constant, or a list/dict tracked
element by element), recording the map in force before every statement. A rule then asks
:meth:`FunctionFlow.taint_of` about the argument of a sink it found; the answer carries the
source's label and the nodes the value went through, in source -> sink order.

* Constants are propagated and folded (``folding``): ``num = 86`` then ``if (7 * 42) - num > 200:``
  runs only one arm, a ternary or ``match`` on a constant picks one branch, and a name the module binds
  to a constant (``DEBUG = False``) is known inside its functions unless some function rebinds it.
* Lists and dicts (and ``configparser`` parsers) filled at constant keys are tracked per element, so
  ``values.pop(0); values[1]`` or ``conf.get("s", "keyA")`` read the element that is really there.
* Branches are walked both ways and merged; an arm ending in ``return``/``raise``/``abort()`` does not
  reach the code after it, so ``if x not in ALLOWED: return`` leaves ``x`` clean. Checks combine with
  ``and``/``or``, and ``if x == "admin":`` makes ``x`` that constant in its arm.
* Loop bodies are walked until the facts at the loop head are stable (usually twice, at most four times);
  ``continue`` goes back to the head, ``break`` to the code after the loop (skipping its ``else``), and
  code after ``while True:`` is reached only through a ``break``.
* Calls to functions defined in the same file apply a summary: which parameters reach the return
  value, and any source the function reads itself. Summaries are computed on demand, once per file.
* Unknown calls return clean data, except the string/path building in ``spec.PROPAGATORS``.

What it does not do: aliasing through mutable objects beyond ``obj.attr`` stores on a name, closures,
and ``global`` state.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import tree_sitter

from reviewlab.engine.project import Project, current_project
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.pyhelpers import (
    imports,
    literal_prefix,
    node_text,
    numeric_format,
    qualified_name,
    string_value,
    unwrap,
)
from reviewlab.engine.taint import spec
from reviewlab.engine.taint.core import Taint, union
from reviewlab.engine.taint.folding import (
    FOLDABLE_BUILTINS,
    FOLDABLE_STR_METHODS,
    LITERAL_TYPES,
    MAX_FOLDED,
    MAX_FOLDED_TEXT,
    NOT_STRUCTURED,
    TABLE_READS,
    UNKNOWN,
    apply,
    binary,
    compare,
    hashable,
    index_in,
    literal,
    unary,
)
from reviewlab.engine.taint.index import file_index
from reviewlab.engine.taint.values import Const, Fact, Seq, Table, bounded, summary_key
from reviewlab.engine.taint.values import merge as merge_facts
from reviewlab.engine.taint.values import taint_of as fact_taint

Node = tree_sitter.Node
Env = Mapping[str, Fact]

_STATE_FLOWS = "taint.python.flows"
_STATE_SUMMARIES = "taint.python.summaries"
_STATE_DEFS = "taint.python.defs"
_STATE_CLASSES = "taint.python.classes"
_STATE_BASES = "taint.python.bases"
_STATE_PROJECT_MODULES = "taint.python.project_modules"
_STATE_MAY_READ = "taint.python.may_read_source"
_STATE_MAY_TAINT = "taint.python.may_be_tainted"
_STATE_PROJECT_READS = "taint.python.project_reads"
_STATE_CONSTANTS = "taint.python.constants"
_STATE_METHODS = "taint.python.methods"
_STATE_PROJECT = "taint.python.project"
TAINT_OPTIONS = "taint"  # the key of the project's ``[reviewlab.taint]`` among the rule options
_MAX_DEPTH = 40  # expression nesting beyond this is taken as clean rather than recursed into
_COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension"})
_COMPREHENSIONS_AND_GENERATORS = _COMPREHENSIONS | {"generator_expression"}
_CONTAINERS = frozenset({"list", "tuple", "set", "expression_list", "concatenated_string", "pattern_list"})
_TERMINATORS = frozenset({"return_statement", "raise_statement", "continue_statement", "break_statement"})
_NESTED_SCOPES = frozenset({"function_definition", "class_definition", "decorated_definition"})
_FALSY_LITERALS = frozenset({"false", "none"})
_LOOP_PASSES = 4  # a loop body is walked until its facts are stable, at most this many times


def _merge(a: Env | None, b: Env | None) -> Env | None:
    if a is None:
        return b
    if b is None or a is b:
        return a
    merged: dict[str, Fact] = {}
    for name in a.keys() | b.keys():
        fact = merge_facts(a.get(name), b.get(name))
        if fact is not None:
            merged[name] = fact
    return merged


def _facts(env: Env) -> dict[str, object]:
    """What a loop's fixpoint compares: a summary of every name's fact."""
    return {name: summary_key(fact) for name, fact in env.items()}


def _sanitise(taint: Taint | None, classes: frozenset[str]) -> Taint | None:
    if taint is None or classes >= spec.ALL:
        return None
    return replace(taint, sanitised=taint.sanitised | classes)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a same-file function returns: the parameters that reach it, and a source it reads itself."""

    params: tuple[str, ...]
    sanitised: frozenset[str]
    own: Taint | None


class FunctionFlow:
    """The taint facts of one function (or the module's top level)."""

    __slots__ = ("_at", "_ctx", "_walker", "final", "node", "returns")

    def __init__(self, node: Node, ctx: FileContext, summary_mode: bool = False) -> None:
        self.node = node
        self._ctx = ctx
        self._walker = _Walker(node, ctx, summary_mode)
        self._at = self._walker.at
        self.returns = self._walker.returns
        self.final = self._walker.final

    def taint_of(self, expr: Node) -> Taint | None:
        """The taint of an expression of this function where it stands, or None when it is clean.

        Code that never runs (a branch whose condition folds to false, code after ``return``) is clean
        even when it reads a source itself.
        """
        env = self._env_at(expr)
        if env is None:
            return None
        try:
            return self._walker.eval(expr, env)
        except RecursionError:  # pragma: no cover - absurdly deep expressions
            return None

    def fact_of(self, expr: Node) -> Fact | None:
        """What the analysis knows of an expression where it stands: its taint, constant value or elements."""
        env = self._env_at(expr)
        if env is None:
            return None
        try:
            return self._walker.value(expr, env)
        except RecursionError:  # pragma: no cover - absurdly deep expressions
            return None

    def reachable(self, node: Node) -> bool:
        """Whether ``node`` can run: not in a branch whose condition folds to false, nor after ``return``."""
        return self._env_at(node) is not None

    def constant(self, expr: Node) -> object:
        """The value of an expression where it stands when it folds to a constant, else None."""
        env = self._env_at(expr)
        if env is None:
            return None
        try:
            value = self._walker.fold(expr, env)
        except RecursionError:  # pragma: no cover - absurdly deep expressions
            return None
        return None if value is UNKNOWN else value

    def _env_at(self, expr: Node) -> Env | None:
        """The facts in force where ``expr`` stands, or None in code that never runs."""
        if self._walker.unreachable:
            ancestor: Node | None = expr
            while ancestor is not None and ancestor.id != self.node.id:
                if ancestor.id in self._walker.unreachable:
                    return None
                ancestor = ancestor.parent
        statement: Node | None = expr
        while statement is not None and statement.id not in self._at:
            if statement.id == self.node.id:
                statement = None
                break
            statement = statement.parent
        env: Env = self._at[statement.id] if statement is not None else {}
        return self._walker.comprehension_env(expr, statement, env)


def flow_for(function: Node, ctx: FileContext) -> FunctionFlow:
    """The flow of a ``function_definition`` or ``module`` node, analysed once per file."""
    flows: dict[int, FunctionFlow] = ctx.state.setdefault(_STATE_FLOWS, {})
    flow = flows.get(function.id)
    if flow is None:
        flow = flows[function.id] = FunctionFlow(function, ctx)
    return flow


def enclosing_flow(node: Node, ctx: FileContext) -> FunctionFlow:
    """The flow of the function (else the module) containing ``node``."""
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            return flow_for(current, ctx)
        if current.type == "module":
            return flow_for(current, ctx)
        current = current.parent
    return flow_for(node, ctx)


def _functions(ctx: FileContext) -> list[Node]:
    return file_index(ctx).functions


def module_flows(ctx: FileContext) -> dict[int, FunctionFlow]:
    """Every function of the file and its top level, analysed once per file (keyed by node id)."""
    for function in (ctx.tree.root_node, *_functions(ctx)):
        flow_for(function, ctx)
    flows: dict[int, FunctionFlow] = ctx.state[_STATE_FLOWS]
    return flows


def summary(name: str, ctx: FileContext) -> Summary | None:
    """The summary of the same-file function(s) called ``name``, or None when there is none."""
    summaries: dict[str, Summary | None] = ctx.state.setdefault(_STATE_SUMMARIES, {})
    if name in summaries:
        return summaries[name]
    summaries[name] = None  # recursion guard: a recursive call contributes nothing
    params: list[str] = []
    own: Taint | None = None
    sanitised: frozenset[str] | None = None
    found = False
    for function in file_index(ctx).functions_by_name.get(name, ()):
        found = True
        returns = FunctionFlow(function, ctx, summary_mode=True).returns
        if returns is None:
            continue
        params.extend(p for p in sorted(returns.params) if p not in params)
        if returns.source:
            own = union(own, replace(returns, params=frozenset()))
        sanitised = returns.sanitised if sanitised is None else sanitised & returns.sanitised
    result = Summary(tuple(params), sanitised or frozenset(), own) if found else None
    summaries[name] = result
    return result


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


def _parameters(function: Node) -> Iterator[tuple[str, Node, Node | None]]:
    """(name, node, default) of each parameter, ``*args``/``**kwargs`` included."""
    params = function.child_by_field_name("parameters")
    if params is None:
        return
    for param in params.named_children:
        if param.type == "identifier":
            yield node_text(param), param, None
        elif param.type in ("default_parameter", "typed_default_parameter"):
            name = param.child_by_field_name("name")
            if name is not None:
                yield node_text(name), name, param.child_by_field_name("value")
        elif param.type in ("typed_parameter", "list_splat_pattern", "dictionary_splat_pattern"):
            for child in param.named_children:
                if child.type == "identifier":
                    yield node_text(child), child, None
                    break


def parameter_names(function: Node) -> list[str]:
    """The names of a function's parameters, in order (``*args``/``**kwargs`` included)."""
    return [name for name, _, _ in _parameters(function)]


def _is_route(function: Node) -> bool:
    parent = function.parent
    if parent is None or parent.type != "decorated_definition":
        return False
    for decorator in parent.named_children:
        if decorator.type != "decorator":
            continue
        expression = decorator.named_children[0] if decorator.named_children else None
        if expression is None or expression.type != "call":
            continue
        callee = expression.child_by_field_name("function")
        if callee is not None and callee.type == "attribute":
            attribute = node_text(callee.child_by_field_name("attribute"))
            if attribute in spec.ROUTE_DECORATORS:
                return True
    return False


def _decorator_names(function: Node) -> Iterator[str]:
    """The last name of each decorator of a function: ``api_view`` for ``@decorators.api_view(["GET"])``."""
    parent = function.parent
    if parent is None or parent.type != "decorated_definition":
        return
    for decorator in parent.named_children:
        expression = decorator.named_children[0] if decorator.type == "decorator" and decorator.named_children else None
        if expression is not None and expression.type == "call":
            expression = expression.child_by_field_name("function")
        if expression is not None and expression.type == "attribute":
            expression = expression.child_by_field_name("attribute")
        if expression is not None and expression.type == "identifier":
            yield node_text(expression)


def enclosing_class(function: Node) -> Node | None:
    """The class a function is a method of (directly in its body), or None."""
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    if parent is None or parent.type != "block":
        return None
    owner = parent.parent
    return owner if owner is not None and owner.type == "class_definition" else None


def _classes(ctx: FileContext) -> dict[str, list[Node]]:
    return file_index(ctx).classes


def _is_view_class(cls: Node, ctx: FileContext) -> bool:
    """Whether a class has a base named like a view (``spec.VIEW_BASE_SUFFIXES``), or a same-file base that is one."""
    return _derives_from(cls, ctx, spec.VIEW_BASE_SUFFIXES)


def _is_handler_class(cls: Node, ctx: FileContext) -> bool:
    """Whether a class derives (directly or through a class of this file) from a ``...RequestHandler``."""
    return _derives_from(cls, ctx, spec.HANDLER_BASE_SUFFIXES)


def _derives_from(cls: Node, ctx: FileContext, suffixes: tuple[str, ...]) -> bool:
    """Whether a base of ``cls`` (or of a same-file base class, transitively) has a name ending with ``suffixes``.

    Memoised per file; a class being decided counts as not deriving, which ends base-class cycles."""
    known: dict[tuple[int, tuple[str, ...]], bool] = ctx.state.setdefault(_STATE_BASES, {})
    key = (cls.id, suffixes)
    if key in known:
        return known[key]
    known[key] = False
    bases = cls.child_by_field_name("superclasses")
    result = False
    for base in bases.named_children if bases is not None else ():
        if base.type == "attribute":
            base = base.child_by_field_name("attribute") or base
        if base.type != "identifier":
            continue  # ``metaclass=...`` and other keyword arguments
        name = node_text(base)
        if name.endswith(suffixes) or any(_derives_from(c, ctx, suffixes) for c in _classes(ctx).get(name, ())):
            result = True
            break
    known[key] = result
    return result


def _injected(default: Node | None) -> bool:
    if default is None or default.type != "call":
        return False
    callee = default.child_by_field_name("function")
    if callee is not None and callee.type == "attribute":
        callee = callee.child_by_field_name("attribute")
    return node_text(callee) in spec.INJECTED_DEFAULTS


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Guard:
    name: str
    classes: frozenset[str]
    when: bool  # the name is sanitised in the arm where the condition has this truth value
    value: Const | None = None  # ``x == "a"``: the name is this constant there


def _guarded(env: Env, guard: _Guard) -> Env:
    """The facts where ``guard`` holds: its name sanitised, or bound to the constant it was compared with."""
    if guard.value is not None:
        return {**env, guard.name: guard.value}
    if guard.name not in env:
        return env
    taint = _sanitise(fact_taint(env[guard.name]), guard.classes)
    rest = {k: v for k, v in env.items() if k != guard.name}
    return {**rest, guard.name: taint} if taint is not None else rest


@dataclass(slots=True)
class _Walker:
    function: Node
    ctx: FileContext
    summary_mode: bool
    at: dict[int, Env] = field(default_factory=dict)
    unreachable: set[int] = field(default_factory=set)  # dead branches and code after return/raise
    returns: Taint | None = None
    parsed: dict[str, str] = field(default_factory=dict)  # ``parts = urlparse(url)``: parts -> url
    request_params: set[str] = field(default_factory=set)
    view_self: str | None = None  # the ``self`` of a method of a class-based view
    handler_self: str | None = None  # the ``self`` of a method of a request handler class
    drf: bool = False  # a DRF view (class-based or ``@api_view``): ``request.data`` is labelled ``drf``
    final: Env | None = None  # the facts at the end of the body (None when it always returns)
    loops: list[tuple[list[Env], list[Env]]] = field(default_factory=list)  # per open loop: breaks, continues

    def __post_init__(self) -> None:
        env: dict[str, Fact] = {}
        if self.function.type == "function_definition":
            names = set(parameter_names(self.function))
            env.update((k, v) for k, v in _module_constants(self.ctx).items() if k not in names)
            route = _is_route(self.function)
            owner = enclosing_class(self.function)
            first_param = next(_parameters(self.function), None)
            if owner is not None and first_param is not None and _is_handler_class(owner, self.ctx):
                self.handler_self = first_param[0]  # http.server / Tornado / socketserver request handler
            if owner is not None and _is_view_class(owner, self.ctx):
                self.drf = True
                first = next(_parameters(self.function), None)
                if first is not None and first[0] == "self":
                    self.view_self = "self"
            elif any(name in spec.DRF_FUNCTION_DECORATORS for name in _decorator_names(self.function)):
                self.drf = True
            for name, node, default in _parameters(self.function):
                if name == "request":
                    self.request_params.add(name)
                if self.summary_mode:
                    if name not in ("self", "cls"):
                        env[name] = Taint("", (node,), params=frozenset({name}))
                elif route and name not in ("self", "cls", "request") and not _injected(default):
                    env[name] = Taint(f"route parameter `{name}`", (node,))
                elif name == "environ" and "start_response" in names:
                    env[name] = Taint("wsgi environ", (node,))  # a WSGI application
            body = self.function.child_by_field_name("body")
        else:
            body = self.function
        if body is not None:
            with contextlib.suppress(RecursionError):  # absurdly deep nesting: keep what was found
                self.final = self.block(body, env)

    # -- statements ----------------------------------------------------------------------------

    def block(self, block: Node, env: Env | None) -> Env | None:
        for statement in block.named_children:
            if env is None:
                self.at[statement.id] = {}  # unreachable after return/raise: nothing flows here
                self.unreachable.add(statement.id)
                continue
            env = self.statement(statement, env)
        return env

    def dead(self, node: Node | None) -> None:
        """Mark a branch that never runs: nothing flows into it."""
        if node is not None:
            self.at[node.id] = {}
            self.unreachable.add(node.id)

    def statement(self, node: Node, env: Env) -> Env | None:
        kind = node.type
        if kind in _NESTED_SCOPES or kind == "comment":
            return env
        self.at[node.id] = env
        if kind == "expression_statement":
            for child in node.named_children:
                env = self.expression_statement(child, env)
                if self._exits(child):
                    return None
            return env
        if kind == "return_statement":
            value = node.named_children[0] if node.named_children else None
            if value is not None:
                self.returns = union(self.returns, self.eval(value, env))
            return None
        if kind in ("break_statement", "continue_statement") and self.loops:
            exits, continues = self.loops[-1]
            (exits if kind == "break_statement" else continues).append(env)
            return None
        if kind in _TERMINATORS:
            return None
        if kind == "if_statement":
            return self.if_statement(node, env)
        if kind in ("for_statement", "while_statement"):
            return self.loop(node, env)
        if kind == "with_statement":
            return self.with_statement(node, env)
        if kind == "try_statement":
            return self.try_statement(node, env)
        if kind == "delete_statement":
            return self.delete(node, env)
        if kind == "match_statement":
            return self.match(node, env)
        return self.generic(node, env)

    def match(self, node: Node, env: Env) -> Env | None:
        """``match``: with a subject that folds to a constant, only the first case it matches runs."""
        subject = node.child_by_field_name("subject")
        value = self.fold(subject, env) if subject is not None else UNKNOWN
        body = node.child_by_field_name("body")
        clauses = [c for c in body.named_children if c.type == "case_clause"] if body is not None else []
        if value is UNKNOWN or not clauses:
            return self.generic(node, env)
        result: Env | None = None
        chosen = False
        for clause in clauses:
            consequence = clause.child_by_field_name("consequence")
            if chosen:
                self.dead(consequence)
                continue
            matches = self._case_matches(clause, value, env)
            if matches is False:
                self.dead(consequence)
                continue
            out = self.block(consequence, env) if consequence is not None else env
            result = _merge(result, out) if result is not None or out is None else out
            if matches is True:
                chosen = True
        if not chosen:
            result = _merge(result, env)  # no case matched: the statement does nothing
        return result

    def _case_matches(self, clause: Node, value: object, env: Env) -> bool | None:
        """True/False when a case's pattern is a literal (or ``_``) that does or does not match ``value``."""
        if clause.child_by_field_name("guard") is not None:
            return None if self._case_matches_pattern(clause, value, env) is not False else False
        return self._case_matches_pattern(clause, value, env)

    def _case_matches_pattern(self, clause: Node, value: object, env: Env) -> bool | None:
        patterns = [c for c in clause.named_children if c.type == "case_pattern"]
        if len(patterns) != 1:
            return None
        pattern = patterns[0]
        if node_text(pattern).strip() == "_":
            return True
        inner = pattern.named_children[0] if pattern.named_children else None
        if inner is None:
            return None
        alternatives = inner.named_children if inner.type == "union_pattern" else [inner]
        for alternative in alternatives:
            literal = self.fold(alternative, env) if alternative.type != "identifier" else UNKNOWN
            if literal is UNKNOWN:
                return None
            if literal == value and type(literal) is type(value):
                return True
        return False

    def generic(self, node: Node, env: Env) -> Env | None:
        """Unknown compound statements (``match``...): every block may run, from the same state."""
        result: Env | None = None
        reached = False
        for child in node.named_children:
            for block in self._blocks(child):
                reached = True
                result = _merge(result, self.block(block, env))
        return env if not reached else _merge(result, env)

    def _blocks(self, node: Node) -> Iterator[Node]:
        if node.type == "block":
            yield node
            return
        if node.type in ("case_clause", "block") or node.type.endswith("_clause"):
            for child in node.named_children:
                yield from self._blocks(child)

    def expression_statement(self, node: Node, env: Env) -> Env:
        if node.type == "assignment":
            return self.assignment(node, env)
        if node.type == "augmented_assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                return env
            folded = self._fold_augmented(node, left, right, env)
            if folded is not UNKNOWN:
                return self.bind(left, Const(folded), env, node)
            taint = union(self.eval(left, env), self.eval(right, env))
            return self.bind(left, taint.through(node) if taint is not None else None, env, node)
        if node.type == "call":
            return self.mutate(node, env)
        return env

    def _fold_augmented(self, node: Node, left: Node, right: Node, env: Env) -> object:
        operator = next((c.type for c in node.children if not c.is_named), "")
        if not operator.endswith("="):
            return UNKNOWN
        a, b = self.fold(left, env), self.fold(right, env)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        return binary(operator[:-1], a, b)

    def mutate(self, call: Node, env: Env) -> Env:
        """What a method call does to its receiver: ``values.append(x)``, ``conf.set("s", "k", v)``, ``d.pop("k")``."""
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "attribute":
            return env
        method = node_text(callee.child_by_field_name("attribute"))
        receiver = callee.child_by_field_name("object")
        key = self._key(receiver) if receiver is not None else None
        if key is None:
            return env
        container = env.get(key)
        args = _positional(call)
        if isinstance(container, Seq):
            items = self._seq_mutation(container, method, args, call, env)
            if items is not None:
                return {**env, key: bounded(Seq(items)) or Seq(())}
        elif isinstance(container, Table):
            table = self._table_mutation(container, method, args, call, env)
            if table is not None:
                return {**env, key: bounded(table) or Table()}
        elif method not in spec.STORE_METHODS:
            return env
        taint = self._args_taint(call, env)
        if isinstance(container, Seq):  # the list's shape is no longer known: keep what it carries
            collapsed = union(fact_taint(container), taint.through(call) if taint is not None else None)
            rest = {k: v for k, v in env.items() if k != key}
            return {**rest, key: collapsed} if collapsed is not None else rest
        if taint is None:
            return env
        if isinstance(container, Table):
            return {**env, key: container.with_other(taint.through(call))}
        return {**env, key: union(fact_taint(container), taint.through(call)) or taint}

    def _seq_mutation(
        self, seq: Seq, method: str, args: list[Node], call: Node, env: Env
    ) -> tuple[Fact | None, ...] | None:
        """The elements after ``method``, or None when the list's shape is no longer known."""
        items = list(seq.items)
        if method == "append" and len(args) == 1:
            items.append(self._element_fact(args[0], call, env))
        elif method == "insert" and len(args) == 2:
            index = self.fold(args[0], env)
            if not isinstance(index, int) or isinstance(index, bool):
                return None
            items.insert(index, self._element_fact(args[1], call, env))
        elif method == "extend" and len(args) == 1:
            added = self.value(args[0], env)
            if isinstance(added, Seq):
                items.extend(added.items)
            elif isinstance(added, Const) and isinstance(added.value, tuple | str):
                items.extend(Const(v) for v in added.value)
            else:
                return None
        elif method == "pop" and len(args) <= 1:
            index = self.fold(args[0], env) if args else -1
            if not index_in(index, len(items)):
                return None
            items.pop(index)
        elif method == "remove" and len(args) == 1:
            position = self._removed(seq, args[0], call, env)
            if position is None:
                return None
            items.pop(position)
        elif method == "clear" and not args:
            items = []
        elif method == "reverse" and not args:
            items.reverse()
        elif method in ("sort", "__setitem__", "__delitem__"):
            return None
        else:
            return tuple(items) if method not in spec.STORE_METHODS else None
        return tuple(items)

    def _removed(self, seq: Seq, arg: Node, call: Node, env: Env) -> int | None:
        """The index ``values.remove(arg)`` removes: the first element equal to a constant, or ``values[i]``."""
        value = self.fold(arg, env)
        if value is not UNKNOWN:
            for position, item in enumerate(seq.items):
                if isinstance(item, Const) and item.value == value:
                    return position
            return None
        arg = unwrap(arg)
        removed = env.get(node_text(arg)) if arg.type == "identifier" else None
        if isinstance(removed, Taint):  # ``values.remove(param)`` removes the element appended from it
            for position, item in enumerate(seq.items):
                if (
                    isinstance(item, Taint)
                    and item.source == removed.source
                    and item.path[: len(removed.path)] == (removed.path)
                ):
                    return position
        callee = call.child_by_field_name("function")
        receiver = callee.child_by_field_name("object") if callee is not None else None
        if arg.type == "subscript" and receiver is not None:
            container = arg.child_by_field_name("value")
            index = arg.child_by_field_name("subscript")
            if container is not None and index is not None and node_text(container) == node_text(receiver):
                folded = self.fold(index, env)
                if index_in(folded, len(seq.items)):
                    return folded % len(seq.items)
        return None

    def _table_mutation(self, table: Table, method: str, args: list[Node], call: Node, env: Env) -> Table | None:
        """The table after ``method``, or None when the method is not one that stores or removes."""
        if method == "set" and len(args) == 3:  # configparser: set(section, option, value)
            section, option = self.fold(args[0], env), self.fold(args[1], env)
            if section is UNKNOWN or option is UNKNOWN:
                return None
            return table.put((section, option), self._element_fact(args[2], call, env))
        if method == "update":
            updated = table
            for arg in _arguments(call):
                if arg.type == "keyword_argument":
                    name = arg.child_by_field_name("name")
                    value = arg.child_by_field_name("value")
                    if name is not None and value is not None:
                        updated = updated.put(node_text(name), self._element_fact(value, call, env))
                    continue
                added = self.value(arg, env)
                if isinstance(added, Table):
                    for stored, fact in added.entries:
                        updated = updated.put(stored, fact)
                    updated = updated.with_other(added.other)
                elif (taint := fact_taint(added)) is not None:
                    updated = updated.with_other(taint.through(call))
            return updated
        if method in ("pop", "setdefault") and args:
            stored = self.fold(args[0], env)
            if stored is UNKNOWN:
                return None
            if method == "pop":
                return table.drop(stored)
            if table.has(stored) or len(args) < 2:
                return table
            return table.put(stored, self._element_fact(args[1], call, env))
        if method == "clear" and not args:
            return Table(sections=table.sections)
        if method in ("remove_option",) and len(args) == 2:
            section, option = self.fold(args[0], env), self.fold(args[1], env)
            return None if section is UNKNOWN or option is UNKNOWN else table.drop((section, option))
        return table if method not in spec.STORE_METHODS else None

    def _element_fact(self, node: Node, call: Node, env: Env) -> Fact | None:
        fact = self.value(node, env)
        return fact.through(call) if isinstance(fact, Taint) else fact

    def assignment(self, node: Node, env: Env) -> Env:
        right = node.child_by_field_name("right")
        left = node.child_by_field_name("left")
        if right is None or left is None:
            return env
        if right.type == "assignment":  # a = b = value
            env = self.assignment(right, env)
            value = right
            while value.type == "assignment" and value.child_by_field_name("right") is not None:
                value = value.child_by_field_name("right") or value
            right = value
        self._note_parse(left, right)
        target = unwrap(left)
        value = unwrap(right)
        if target.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list") and value.type in (
            "expression_list",
            "tuple",
            "list",
        ):
            targets = [t for t in target.named_children if t.type != "comment"]
            values = [v for v in value.named_children if v.type != "comment"]
            if len(targets) == len(values) and not any(t.type == "list_splat_pattern" for t in targets):
                facts = [self._element_fact(one_value, node, env) for one_value in values]
                for one_target, fact in zip(targets, facts, strict=True):
                    env = self.bind(one_target, fact, env, node)
                return env
        fact = self._element_fact(right, node, env)
        if value.type == "call":
            env = self.mutate(value, env)  # ``x = values.pop(0)`` also removes the element
        return self.bind(left, fact, env, node)

    def _note_parse(self, left: Node, right: Node) -> None:
        left, right = unwrap(left), unwrap(right)
        if left.type != "identifier" or right.type != "call":
            return
        callee = right.child_by_field_name("function")
        if callee is not None and callee.type == "attribute":
            callee = callee.child_by_field_name("attribute")
        args = right.child_by_field_name("arguments")
        first_arg = args.named_children[0] if args is not None and args.named_children else None
        if node_text(callee) in spec.URL_PARSERS and first_arg is not None and first_arg.type == "identifier":
            self.parsed[node_text(left)] = node_text(first_arg)

    def bind(self, target: Node, fact: Fact | None, env: Env, node: Node) -> Env:
        target = unwrap(target)
        kind = target.type
        if kind in ("identifier", "attribute"):
            key = self._key(target)
            if key is None:
                return env
            if fact is None:
                if key not in env and not any(k.startswith(key + ".") for k in env):
                    return env
                return {k: v for k, v in env.items() if k != key and not k.startswith(key + ".")}
            stored = bounded(fact)
            rest = {k: v for k, v in env.items() if not k.startswith(key + ".")}
            return {**rest, key: stored} if stored is not None else {k: v for k, v in rest.items() if k != key}
        if kind == "subscript":  # d[k] = tainted taints d; a clean store keeps what d had
            return self._bind_item(target, fact, env)
        taint = fact_taint(fact)
        if kind in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern"):
            for child in target.named_children:
                env = self.bind(child, taint, env, node)
            return env
        return env

    def _bind_item(self, target: Node, fact: Fact | None, env: Env) -> Env:
        """``d[k] = value``: a table or list at a constant key stores the fact there; else the container is tainted."""
        value = target.child_by_field_name("value")
        key = self._key(value) if value is not None else None
        if key is None:
            return env
        container = env.get(key)
        index = target.child_by_field_name("subscript")
        stored = self.fold(index, env) if index is not None and isinstance(container, Seq | Table) else UNKNOWN
        if isinstance(container, Table) and stored is not UNKNOWN:
            return {**env, key: bounded(container.put(stored, fact)) or Table()}
        if isinstance(container, Seq) and index_in(stored, len(container.items)):
            items = list(container.items)
            items[stored] = fact
            return {**env, key: Seq(tuple(items))}
        taint = fact_taint(fact)
        if taint is None:
            return env
        if isinstance(container, Table):
            return {**env, key: container.with_other(taint)}
        return {**env, key: union(fact_taint(container), taint) or taint}

    def _key(self, node: Node) -> str | None:
        """The env key of a name or an ``obj.attr`` chain on a name."""
        node = unwrap(node)
        if node.type == "identifier":
            return node_text(node)
        if node.type == "attribute":
            obj = node.child_by_field_name("object")
            base = self._key(obj) if obj is not None else None
            return None if base is None else f"{base}.{node_text(node.child_by_field_name('attribute'))}"
        return None

    def delete(self, node: Node, env: Env) -> Env:
        for target in node.named_children:
            for child in target.named_children if target.type == "expression_list" else (target,):
                env = self.bind(child, None, env, node)
        return env

    def _exits(self, expression: Node) -> bool:
        if expression.type != "call":
            return False
        callee = expression.child_by_field_name("function")
        if callee is None:
            return False
        return qualified_name(callee, self.ctx) in spec.EXIT_CALLS

    def _ends(self, block: Node | None) -> bool:
        """Whether a block always leaves (its last statement returns, raises, aborts...)."""
        if block is None or not block.named_children:
            return False
        last = block.named_children[-1]
        if last.type in _TERMINATORS:
            return True
        if last.type == "expression_statement":
            return any(self._exits(child) for child in last.named_children)
        return False

    def if_statement(self, node: Node, env: Env) -> Env | None:
        condition = node.child_by_field_name("condition")
        consequence = node.child_by_field_name("consequence")
        alternatives = node.children_by_field_name("alternative")
        return self._branch(condition, consequence, alternatives, env)

    def _branch(self, condition: Node | None, consequence: Node | None, rest: list[Node], env: Env) -> Env | None:
        truth = self.truth(condition, env)
        if condition is not None:
            env = self._walrus(condition, env)
        then_env: Env = env
        else_env: Env = env
        for guard in self._guards(condition, env) if condition is not None else ():
            if guard.when:
                then_env = _guarded(then_env, guard)
            else:
                else_env = _guarded(else_env, guard)
        then_out: Env | None = None
        if truth is not False and consequence is not None:
            then_out = self.block(consequence, then_env)
        elif truth is False:
            self.dead(consequence)
        else_out: Env | None = else_env
        if truth is not True and rest:
            head, tail = rest[0], rest[1:]
            if head.type == "elif_clause":
                else_out = self._branch(
                    head.child_by_field_name("condition"), head.child_by_field_name("consequence"), tail, else_env
                )
            else:
                body = head.child_by_field_name("body")
                else_out = self.block(body, else_env) if body is not None else else_env
        elif truth is True:
            else_out = None
            for clause in rest:
                self.dead(clause)
        if truth is False:
            return else_out
        return _merge(then_out, else_out) if (then_out is not None or else_out is not None) else None

    def _walrus(self, condition: Node, env: Env) -> Env:
        condition = unwrap(condition)
        if condition.type == "named_expression":
            name, value = condition.child_by_field_name("name"), condition.child_by_field_name("value")
            if name is not None and value is not None:
                taint = self.eval(value, env)
                return self.bind(name, taint.through(condition) if taint is not None else None, env, condition)
        return env

    def _guards(self, condition: Node, env: Env) -> list[_Guard]:
        """The checks a condition makes on names, each holding in the arm where the condition is ``when``.

        ``A and B``: the checks of both hold where it is true; ``A or B``: the checks of both hold where it
        is false (``if x not in ALLOWED or y not in ALLOWED: return`` leaves both clean after it).
        """
        condition = unwrap(condition)
        if condition.type == "not_operator":
            argument = condition.child_by_field_name("argument")
            guards = self._guards(argument, env) if argument is not None else []
            return [replace(g, when=not g.when) for g in guards]
        if condition.type == "boolean_operator":
            operator_text = node_text(condition.child_by_field_name("operator"))
            left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
            both = [*(self._guards(left, env) if left else ()), *(self._guards(right, env) if right else ())]
            return [g for g in both if g.when == (operator_text == "and")]
        guard = self._guard(condition, env)
        return [guard] if guard is not None else []

    def _guard(self, condition: Node, env: Env) -> _Guard | None:
        """An allowlist, equality or containment check on a name: ``x in ALLOWED``, ``x == "a"``,
        ``p.startswith(BASE)``."""
        guard: _Guard | None = None
        if condition.type == "comparison_operator":
            operators = [c.type for c in condition.children if not c.is_named]
            operands = [c for c in condition.named_children if c.type != "comment"]
            if len(operands) == 2 and operators in (["in"], ["not", "in"], ["not in"]):
                if self.eval(operands[1], env) is None:  # ``x in request.args`` checks nothing
                    guard = self._membership(operands[0], positive=operators == ["in"])
            elif len(operands) == 2 and operators in (["=="], ["!="]):
                guard = self._common_path(operands, positive=operators == ["=="])
                if guard is None:
                    guard = self._equality(operands[0], operands[1], env, positive=operators == ["=="])
        elif condition.type == "call":
            callee = condition.child_by_field_name("function")
            if callee is not None and callee.type == "attribute":
                method = node_text(callee.child_by_field_name("attribute"))
                receiver = callee.child_by_field_name("object")
                name = _root_name(receiver) if receiver is not None else None
                if method in spec.CONTAINMENT_METHODS and name is not None:
                    guard = _Guard(name, frozenset({spec.PATH}), True)
            if guard is None:
                guard = self._pattern_match(condition, env)
        return guard

    def _common_path(self, operands: list[Node], positive: bool) -> _Guard | None:
        """``os.path.commonpath([full, ROOT]) == ROOT``: where it holds, ``full`` lies under ``ROOT``."""
        for side in operands:
            side = unwrap(side)
            if side.type != "call" or qualified_name(side.child_by_field_name("function") or side, self.ctx) not in (
                spec.COMMON_PATH
            ):
                continue
            paths = _positional(side)
            items = unwrap(paths[0]).named_children if paths and unwrap(paths[0]).type in ("list", "tuple") else []
            names = [node_text(unwrap(item)) for item in items if unwrap(item).type == "identifier"]
            if names:
                return _Guard(names[0], frozenset({spec.PATH}), positive)
        return None

    def _pattern_match(self, call: Node, env: Env) -> _Guard | None:
        """``PATTERN.fullmatch(x)`` / ``re.fullmatch(p, x)`` (or an anchored ``match``): where it holds, ``x``
        is made only of what the pattern allows."""
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "attribute":
            return None
        method = node_text(callee.child_by_field_name("attribute"))
        if method not in ("fullmatch", "match", "search"):
            return None
        receiver = unwrap(callee.child_by_field_name("object") or callee)
        args = _positional(call)
        if qualified_name(receiver, self.ctx) == "re":
            pattern: object = self.fold(args[0], env) if args else UNKNOWN
            checked = args[1] if len(args) > 1 else None
        else:
            pattern = self._compiled_pattern(receiver, env)
            checked = args[0] if args else None
        if checked is None or unwrap(checked).type != "identifier":
            return None
        anchored = isinstance(pattern, str) and pattern.rstrip().endswith(("$", "\\Z", "\\z"))
        if method == "search" and not (anchored and isinstance(pattern, str) and pattern.startswith(("^", "\\A"))):
            return None
        if method != "fullmatch" and not anchored:
            return None
        return _Guard(node_text(unwrap(checked)), spec.ALL, True)

    def _compiled_pattern(self, receiver: Node, env: Env) -> object:
        """The pattern text of ``re.compile("...")`` bound to a name, when it is a literal; else ``UNKNOWN``
        (a compiled pattern of unknown text still validates through ``fullmatch``)."""
        if receiver.type != "identifier":
            return UNKNOWN
        for binding in _module_bindings(node_text(receiver), self.ctx):
            callee = binding.child_by_field_name("function") if binding.type == "call" else None
            if callee is not None and qualified_name(callee, self.ctx) == "re.compile":
                args = _positional(binding)
                return self.fold(args[0], env) if args else UNKNOWN
        return UNKNOWN

    def _equality(self, left: Node, right: Node, env: Env, positive: bool) -> _Guard | None:
        """``x == "admin"``: where it holds, ``x`` is that constant."""
        for name_node, value_node in ((left, right), (right, left)):
            name_node = unwrap(name_node)
            if name_node.type != "identifier":
                continue
            value = self.fold(value_node, env)
            if value is not UNKNOWN:
                return _Guard(node_text(name_node), spec.ALL, positive, Const(value))
        return None

    def _membership(self, member: Node, positive: bool) -> _Guard | None:
        member = unwrap(member)
        if member.type == "identifier":
            return _Guard(node_text(member), spec.ALL, positive)
        if member.type == "attribute" and node_text(member.child_by_field_name("attribute")) in spec.HOST_ATTRIBUTES:
            obj = unwrap(member.child_by_field_name("object") or member)
            name: str | None = None
            if obj.type == "identifier":
                name = self.parsed.get(node_text(obj))
            elif obj.type == "call":
                name = _root_name(obj)
            if name is not None:
                return _Guard(name, frozenset({spec.URL}), positive)
        return None

    def loop(self, node: Node, env: Env) -> Env | None:
        body = node.child_by_field_name("body")
        if node.type == "while_statement":
            condition = node.child_by_field_name("condition")
            if self.truth(condition, env) is False:
                self.dead(body)
                alternative = node.child_by_field_name("alternative")
                return self._else_body(alternative, env)
        entry: Env = env
        breaks: list[Env] = []
        continues: list[Env] = []
        self.loops.append((breaks, continues))
        try:
            for _ in range(_LOOP_PASSES):  # usually stable after the second pass
                breaks.clear()
                continues.clear()
                current = self._loop_entry(node, entry)
                out = self.block(body, current) if body is not None else current
                for state in continues:
                    out = _merge(out, state)
                merged = _merge(entry, out) or entry
                if _facts(merged) == _facts(entry):
                    break
                entry = merged
        finally:
            self.loops.pop()
        forever = node.type == "while_statement" and self.truth(node.child_by_field_name("condition"), env) is True
        result = self._else_body(node.child_by_field_name("alternative"), None if forever else entry)
        for state in breaks:  # ``break`` skips the ``else`` clause
            result = _merge(result, state)
        return result

    def _else_body(self, alternative: Node | None, env: Env | None) -> Env | None:
        if env is None:
            self.dead(alternative.child_by_field_name("body") if alternative is not None else None)
            return None
        if alternative is None:
            return env
        body = alternative.child_by_field_name("body")
        return self.block(body, env) if body is not None else env

    def _loop_entry(self, node: Node, env: Env) -> Env:
        if node.type == "for_statement":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                taint = self.eval(right, env)
                return self.bind(left, taint.through(node) if taint is not None else None, env, node)
        condition = node.child_by_field_name("condition")
        return self._walrus(condition, env) if condition is not None else env

    def with_statement(self, node: Node, env: Env) -> Env | None:
        for child in node.named_children:
            if child.type != "with_clause":
                continue
            for item in child.named_children:
                value = item.child_by_field_name("value")
                if value is not None and value.type == "as_pattern":
                    source = value.named_children[0] if value.named_children else None
                    alias = value.child_by_field_name("alias")
                    if source is not None and alias is not None:
                        taint = self.eval(source, env)
                        targets = alias.named_children or [alias]
                        for target in targets:
                            env = self.bind(target, taint.through(item) if taint is not None else None, env, item)
        body = node.child_by_field_name("body")
        return self.block(body, env) if body is not None else env

    def try_statement(self, node: Node, env: Env) -> Env | None:
        body = node.child_by_field_name("body")
        body_out = self.block(body, env) if body is not None else env
        anywhere = _merge(env, body_out) or env
        results: Env | None = None
        final: Node | None = None
        else_clause: Node | None = None
        for child in node.named_children:
            if child.type in ("except_clause", "except_group_clause"):
                handler = next((c for c in child.named_children if c.type == "block"), None)
                results = _merge(results, self.block(handler, anywhere) if handler is not None else anywhere)
            elif child.type == "else_clause":
                else_clause = child
            elif child.type == "finally_clause":
                final = child
        if else_clause is not None and body_out is not None:
            body_out = self._else_body(else_clause, body_out)
        results = _merge(results, body_out)
        if final is not None:
            block = next((c for c in final.named_children if c.type == "block"), None)
            if block is not None:
                after = self.block(block, results or anywhere)
                return after if results is not None else None
        return results

    # -- expressions ---------------------------------------------------------------------------

    def truth(self, condition: Node | None, env: Env) -> bool | None:
        """True/False when a condition folds to a constant (``if (7 * 42) - num > 200:``), else None."""
        if condition is None:
            return None
        value = self.fold(condition, env)
        if value is UNKNOWN:
            return None
        return bool(value)

    def fold(self, node: Node, env: Env, depth: int = 0) -> object:
        """The value of an expression made of literals and names bound to constants, else ``UNKNOWN``."""
        if depth > _MAX_DEPTH:
            return UNKNOWN
        node = unwrap(node)
        kind = node.type
        deeper = depth + 1
        if kind in LITERAL_TYPES:
            return literal(node)
        if kind in ("string", "concatenated_string"):
            return self._fold_string(node, env, deeper)
        if kind in ("identifier", "attribute"):
            key = self._key(node)
            fact = env.get(key) if key is not None else None
            return fact.value if isinstance(fact, Const) else UNKNOWN
        if kind == "unary_operator":
            operand = node.child_by_field_name("argument")
            value = self.fold(operand, env, deeper) if operand is not None else UNKNOWN
            operator = next((c.type for c in node.children if not c.is_named), "")
            return unary(operator, value)
        if kind == "not_operator":
            operand = node.child_by_field_name("argument")
            value = self.fold(operand, env, deeper) if operand is not None else UNKNOWN
            return UNKNOWN if value is UNKNOWN else not value
        if kind == "boolean_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value = self.fold(left, env, deeper) if left is not None else UNKNOWN
            if value is UNKNOWN or right is None:
                return UNKNOWN
            operator = node_text(node.child_by_field_name("operator"))
            if (operator == "and") == bool(value):
                return self.fold(right, env, deeper)
            return value
        if kind == "binary_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            a = self.fold(left, env, deeper) if left is not None else UNKNOWN
            b = self.fold(right, env, deeper) if right is not None and a is not UNKNOWN else UNKNOWN
            if b is UNKNOWN:
                return UNKNOWN
            return binary(node_text(node.child_by_field_name("operator")), a, b)
        if kind == "comparison_operator":
            return self._fold_comparison(node, env, deeper)
        if kind == "conditional_expression":
            parts = [c for c in node.named_children if c.type != "comment"]
            if len(parts) != 3:
                return UNKNOWN
            value = self.fold(parts[1], env, deeper)
            if value is UNKNOWN:
                return UNKNOWN
            return self.fold(parts[0] if value else parts[2], env, deeper)
        if kind in ("tuple", "list", "expression_list"):
            items = [self.fold(c, env, deeper) for c in node.named_children if c.type != "comment"]
            return UNKNOWN if any(item is UNKNOWN for item in items) or len(items) > MAX_FOLDED else tuple(items)
        if kind in ("subscript", "call"):
            element = self.structured(node, env)
            if element is not NOT_STRUCTURED:
                return element.value if isinstance(element, Const) else UNKNOWN
            if kind == "subscript":
                return self._fold_subscript(node, env, deeper)
            return self._fold_call(node, env, deeper)
        return UNKNOWN

    def _fold_string(self, node: Node, env: Env, depth: int) -> object:
        if node.type == "concatenated_string":
            parts = [self._fold_string(c, env, depth) for c in node.named_children if c.type != "comment"]
            if any(not isinstance(part, str) for part in parts):
                return UNKNOWN
            return "".join(part for part in parts if isinstance(part, str))
        pieces: list[str] = []
        for child in node.named_children:
            if child.type in ("string_content", "escape_sequence"):
                pieces.append(node_text(child))
            elif child.type == "interpolation":
                if any(c.type in ("format_specifier", "type_conversion") for c in child.named_children):
                    return UNKNOWN
                expression = child.child_by_field_name("expression")
                value = self.fold(expression, env, depth) if expression is not None else UNKNOWN
                if value is UNKNOWN or not isinstance(value, str | int | float | bool | None):
                    return UNKNOWN
                pieces.append(str(value))
        text = "".join(pieces)
        return text if len(text) <= MAX_FOLDED_TEXT else UNKNOWN

    def _fold_comparison(self, node: Node, env: Env, depth: int) -> object:
        operands: list[Node] = []
        operators: list[str] = []
        pending: list[str] = []
        for child in node.children:
            if child.is_named and child.type != "comment":
                if operands:
                    operators.append(" ".join(pending))
                operands.append(child)
                pending = []
            elif not child.is_named:
                pending.append(child.type)
        if not operands or len(operators) != len(operands) - 1:
            return UNKNOWN
        left = self.fold(operands[0], env, depth)
        for comparison, operand in zip(operators, operands[1:], strict=True):
            right = self.fold(operand, env, depth)
            outcome = compare(comparison, left, right)
            if outcome is UNKNOWN or not outcome:
                return outcome
            left = right
        return True

    def _fold_subscript(self, node: Node, env: Env, depth: int) -> object:
        value_node = node.child_by_field_name("value")
        index = node.child_by_field_name("subscript")
        if value_node is None or index is None:
            return UNKNOWN
        value = self.fold(value_node, env, depth)
        if not isinstance(value, str | bytes | tuple):
            return UNKNOWN
        if index.type == "slice":
            folded = [None if part is None else self.fold(part, env, depth) for part in slice_parts(index)]
            if any(part is not None and (not isinstance(part, int) or isinstance(part, bool)) for part in folded):
                return UNKNOWN
            start, stop, step = (part if isinstance(part, int) else None for part in folded)
            if step == 0:
                return UNKNOWN
            return value[start:stop:step]
        key = self.fold(index, env, depth)
        if not isinstance(key, int) or isinstance(key, bool) or not -len(value) <= key < len(value):
            return UNKNOWN
        return value[key]

    def _fold_call(self, call: Node, env: Env, depth: int) -> object:
        callee = call.child_by_field_name("function")
        if callee is None:
            return UNKNOWN
        callee = unwrap(callee)
        args = _arguments(call)
        if any(a.type in ("keyword_argument", "list_splat", "dictionary_splat") for a in args) or len(args) > 3:
            return UNKNOWN
        values = [self.fold(a, env, depth) for a in args]
        if any(v is UNKNOWN for v in values):
            return UNKNOWN
        if callee.type == "identifier":
            builtin = FOLDABLE_BUILTINS.get(node_text(callee))
            if builtin is None or node_text(callee) in env:
                return UNKNOWN
            return apply(builtin, values)
        if callee.type != "attribute":
            return UNKNOWN
        method = node_text(callee.child_by_field_name("attribute"))
        receiver_node = callee.child_by_field_name("object")
        receiver = self.fold(receiver_node, env, depth) if receiver_node is not None else UNKNOWN
        if not isinstance(receiver, str) or method not in FOLDABLE_STR_METHODS:
            return UNKNOWN
        if (
            method == "replace"
            and len(values) >= 2
            and isinstance(values[1], str)
            and len(receiver) * max(1, len(values[1])) > MAX_FOLDED_TEXT
        ):
            return UNKNOWN
        return apply(getattr(receiver, method), values)

    def value(self, node: Node, env: Env) -> Fact | None:
        """The fact an expression gives a name it is assigned to: a constant, a container's parts, or its taint."""
        node = unwrap(node)
        kind = node.type
        if kind not in ("list", "dictionary"):  # a list literal is a ``Seq`` even when its items are constants
            folded = self.fold(node, env)
            if folded is not UNKNOWN:
                return Const(folded)
        if kind == "identifier":
            return env.get(node_text(node))
        if kind == "attribute":
            key = self._key(node)
            if key is not None and key in env:
                return env[key]
        elif kind == "list":
            items = [c for c in node.named_children if c.type != "comment"]
            if not any(c.type == "list_splat" for c in items):
                return bounded(Seq(tuple(self.value(c, env) for c in items)))
        elif kind == "dictionary":
            return self._table_literal(node, env)
        elif kind in ("subscript", "call"):
            element = self.structured(node, env)
            if element is not NOT_STRUCTURED:
                return element  # type: ignore[return-value]
            if kind == "call":
                made = self._constructed(node, env)
                if made is not None:
                    return made
        return self.eval(node, env)

    def _table_literal(self, node: Node, env: Env) -> Fact | None:
        table = Table()
        for child in node.named_children:
            if child.type == "pair":
                key_node, value_node = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key_node is None or value_node is None:
                    continue
                stored = self.fold(key_node, env)
                if stored is UNKNOWN or not hashable(stored):
                    table = table.with_other(fact_taint(self.value(value_node, env)))
                else:
                    table = table.put(stored, self.value(value_node, env))
            elif child.type != "comment":
                table = table.with_other(self.eval(child, env))
        return bounded(table)

    def _constructed(self, call: Node, env: Env) -> Fact | None:
        """An empty (or copied) container made by a constructor call: ``[]``-like ``list()``, ``dict()``, parsers."""
        callee = call.child_by_field_name("function")
        if callee is None or unwrap(callee).type not in ("identifier", "attribute"):
            return None
        name = qualified_name(unwrap(callee), self.ctx)
        args = _arguments(call)
        if name in spec.CONFIG_PARSERS:
            return Table(sections=True)
        if name in ("list", "tuple") and len(args) <= 1:
            if not args:
                return Seq(())
            copied = self.value(args[0], env)
            return copied if isinstance(copied, Seq) else None
        if name in ("dict", "collections.OrderedDict") and all(a.type == "keyword_argument" for a in args):
            table = Table()
            for arg in args:
                key, value = arg.child_by_field_name("name"), arg.child_by_field_name("value")
                if key is not None and value is not None:
                    table = table.put(node_text(key), self.value(value, env))
            return table
        return None

    def structured(self, node: Node, env: Env) -> Fact | object | None:
        """What reading a tracked container gives (``values[1]``, ``d.get("k")``, ``conf.get("s", "k")``,
        ``values.pop(0)``), or ``NOT_STRUCTURED`` when the expression is not such a read."""
        node = unwrap(node)
        if node.type == "subscript":
            value_node, index = node.child_by_field_name("value"), node.child_by_field_name("subscript")
            container = self._container(value_node, env) if value_node is not None else None
            if container is None or index is None or index.type == "slice":
                return NOT_STRUCTURED
            subscript = self.fold(index, env)
            if subscript is UNKNOWN or not hashable(subscript):
                return NOT_STRUCTURED
            return _lookup(container, subscript)
        if node.type != "call":
            return NOT_STRUCTURED
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "attribute":
            return NOT_STRUCTURED
        receiver = callee.child_by_field_name("object")
        container = self._container(receiver, env) if receiver is not None else None
        if container is None:
            return NOT_STRUCTURED
        method = node_text(callee.child_by_field_name("attribute"))
        args = _positional(node)
        if method == "copy" and not args:
            return container
        if isinstance(container, Seq):
            if method != "pop" or len(args) > 1:
                return NOT_STRUCTURED
            position = self.fold(args[0], env) if args else -1
            return _lookup(container, position) if position is not UNKNOWN else NOT_STRUCTURED
        if method not in TABLE_READS or not args:
            return NOT_STRUCTURED
        if container.sections:
            if len(args) < 2:
                return NOT_STRUCTURED
            key: object = (self.fold(args[0], env), self.fold(args[1], env))
            default = _keyword(node, "fallback")
        else:
            key = self.fold(args[0], env)
            default = args[1] if len(args) > 1 else None
        if key is UNKNOWN or (isinstance(key, tuple) and UNKNOWN in key) or not hashable(key):
            return NOT_STRUCTURED
        if container.has(key) or default is None:
            return _lookup(container, key)
        return merge_facts(container.other, self.value(default, env)) if container.other else self.value(default, env)

    def _container(self, node: Node, env: Env) -> Seq | Table | None:
        key = self._key(node)
        fact = env.get(key) if key is not None else None
        return fact if isinstance(fact, Seq | Table) else None

    def comprehension_env(self, expr: Node, statement: Node | None, env: Env) -> Env:
        """Bind the loop variables of the comprehensions around ``expr`` (outermost first)."""
        around: list[Node] = []
        current = expr.parent
        while current is not None and (statement is None or current.id != statement.id):
            if current.type in _COMPREHENSIONS_AND_GENERATORS:
                around.append(current)
            if current.type in ("function_definition", "lambda"):
                break
            current = current.parent
        for comprehension in reversed(around):
            env = self._bind_clauses(comprehension, env)
        return env

    def _bind_clauses(self, comprehension: Node, env: Env) -> Env:
        for clause in comprehension.named_children:
            if clause.type != "for_in_clause":
                continue
            left, right = clause.child_by_field_name("left"), clause.child_by_field_name("right")
            if left is not None and right is not None:
                taint = self.eval(right, env)
                env = self.bind(left, taint.through(clause) if taint is not None else None, env, clause)
        return env

    def eval(self, node: Node, env: Env, depth: int = 0) -> Taint | None:
        if depth > _MAX_DEPTH:
            return None
        node = unwrap(node)
        kind = node.type
        deeper = depth + 1
        if kind == "identifier":
            name = node_text(node)
            if name in env:
                return fact_taint(env[name])
            return self._imported_source(node) if name in imports(self.ctx) else None
        if kind == "attribute":
            return self._attribute(node, env, deeper)
        if kind == "call":
            return self._call(node, env, deeper)
        if kind == "string":
            return self._fstring(node, env, deeper)
        if kind in _CONTAINERS:
            return self._union_all(node.named_children, env, deeper)
        if kind == "binary_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            left_taint = self.eval(left, env, deeper) if left is not None else None
            right_taint = self.eval(right, env, deeper) if right is not None else None
            operator_node = node.child_by_field_name("operator")
            if operator_node is not None and operator_node.type == "%" and left is not None and numeric_format(left):
                return left_taint  # ``"kill %d" % pid``: whatever is formatted in comes out as a number
            result = union(left_taint, right_taint)
            if result is not None and left is not None and _fixes_host(left):
                result = _sanitise(result, frozenset({spec.URL}))
            return result
        if kind == "subscript":
            element = self.structured(node, env)
            if element is not NOT_STRUCTURED:
                return fact_taint(element)  # type: ignore[arg-type]
            value = node.child_by_field_name("value")
            return self.eval(value, env, deeper) if value is not None else None
        if kind in ("dictionary",):
            return self._union_all(node.named_children, env, deeper)
        if kind in ("pair", "boolean_operator", "await", "unary_operator", "keyword_argument", "list_splat"):
            targets = [c for c in node.named_children if c.type != "comment"]
            if kind in ("pair", "keyword_argument"):
                targets = targets[1:]
            return self._union_all(targets, env, deeper)
        if kind in ("dictionary_splat", "parenthesized_expression", "named_expression"):
            value = node.child_by_field_name("value") if kind == "named_expression" else None
            children = [value] if value is not None else node.named_children
            return self._union_all(children, env, deeper)
        if kind == "conditional_expression":
            branches = [c for c in node.named_children if c.type != "comment"]
            if len(branches) == 3:
                truth = self.truth(branches[1], env)
                if truth is True:
                    return self.eval(branches[0], env, deeper)
                if truth is False:
                    return self.eval(branches[2], env, deeper)
                when_true, when_false = env, env  # ``x if x in ALLOWED else "pdf"`` checks x where it is used
                for guard in self._guards(branches[1], env):
                    if guard.when:
                        when_true = _guarded(when_true, guard)
                    else:
                        when_false = _guarded(when_false, guard)
                return union(self.eval(branches[0], when_true, deeper), self.eval(branches[2], when_false, deeper))
            return None
        if kind in _COMPREHENSIONS_AND_GENERATORS:
            inner = self._bind_clauses(node, env)
            body = node.child_by_field_name("body")
            return self.eval(body, inner, deeper) if body is not None else None
        return None

    def _union_all(self, nodes: list[Node], env: Env, depth: int) -> Taint | None:
        result: Taint | None = None
        for child in nodes:
            if child.type != "comment":
                result = union(result, self.eval(child, env, depth))
        return result

    def _fstring(self, node: Node, env: Env, depth: int) -> Taint | None:
        result: Taint | None = None
        for child in node.named_children:
            if child.type == "interpolation":
                expression = child.child_by_field_name("expression")
                if expression is not None:
                    result = union(result, self.eval(expression, env, depth))
        if result is not None and _fixes_host(node):
            result = _sanitise(result, frozenset({spec.URL}))
        return result

    def _request_source(self, obj: Node, attribute: str) -> str | None:
        """The label of ``request.<attribute>`` when ``request`` is the client request here."""
        obj = unwrap(obj)
        if obj.type == "attribute":
            return self._request_attribute_source(obj, attribute)
        if obj.type != "identifier":
            return None
        name = node_text(obj)
        if name in self.request_params:
            if self.drf and attribute in spec.DRF_REQUEST_ATTRS:
                return f"drf request.{attribute}"
            if attribute in spec.DJANGO_REQUEST_ATTRS:
                return f"django request.{attribute}"
            if attribute in spec.STARLETTE_REQUEST_ATTRS:
                return f"starlette request.{attribute}"
            if attribute in spec.FLASK_REQUEST_ATTRS or attribute in spec.FLASK_REQUEST_METHODS:
                return f"request.{attribute}"
            return None
        origin = imports(self.ctx).get(name, "")
        if (
            origin.endswith(".request")
            and origin.startswith(spec.REQUEST_MODULES)
            and (attribute in spec.FLASK_REQUEST_ATTRS or attribute in spec.FLASK_REQUEST_METHODS)
        ):
            return f"{origin.split('.', 1)[0]} request.{attribute}"
        return None

    def _is_handler_self(self, node: Node) -> bool:
        node = unwrap(node)
        return self.handler_self is not None and node.type == "identifier" and node_text(node) == self.handler_self

    def _request_attribute_source(self, obj: Node, attribute: str) -> str | None:
        """The label of ``self.request.<attribute>`` in a view method, or ``flask.request.<attribute>``
        (``fl.request...`` after ``import flask as fl``): the root of ``obj`` must be imported."""
        owner = obj.child_by_field_name("object")
        if owner is None or node_text(obj.child_by_field_name("attribute")) != "request":
            return None
        owner = unwrap(owner)
        if self._is_handler_self(owner) and attribute in spec.TORNADO_REQUEST_ATTRS:
            return f"tornado request.{attribute}"
        if self.view_self is not None and owner.type == "identifier" and node_text(owner) == self.view_self:
            if attribute in spec.DRF_REQUEST_ATTRS:
                return f"drf request.{attribute}"
            if attribute in spec.DJANGO_REQUEST_ATTRS:
                return f"django request.{attribute}"
            return None
        if attribute not in spec.FLASK_REQUEST_ATTRS and attribute not in spec.FLASK_REQUEST_METHODS:
            return None
        root = owner
        while root.type == "attribute":
            inner = root.child_by_field_name("object")
            if inner is None:
                return None
            root = unwrap(inner)
        if root.type != "identifier" or node_text(root) not in imports(self.ctx):
            return None
        origin = qualified_name(obj, self.ctx) or ""
        if origin.startswith(spec.REQUEST_MODULES):
            return f"{origin.split('.', 1)[0]} request.{attribute}"
        return None

    def _imported_source(self, node: Node) -> Taint | None:
        """An imported name that is a source itself: ``from sys import argv``, a project source."""
        qualified = qualified_name(node, self.ctx)
        label = spec.SOURCE_ATTRIBUTES.get(qualified or "") or _project_source(qualified, self.ctx)
        return Taint(label, (node,)) if label is not None else None

    def _attribute(self, node: Node, env: Env, depth: int) -> Taint | None:
        key = self._key(node)
        if key is not None and key in env:
            return fact_taint(env[key])
        obj = node.child_by_field_name("object")
        attribute = node_text(node.child_by_field_name("attribute"))
        if obj is None:
            return None
        label = self._request_source(obj, attribute)
        if label is None and self._is_handler_self(obj) and attribute in spec.HANDLER_ATTRS:
            label = f"request handler self.{attribute}"
        if label is None and unwrap(obj).type in ("identifier", "attribute"):
            qualified = qualified_name(node, self.ctx)
            label = spec.SOURCE_ATTRIBUTES.get(qualified or "") or _project_source(qualified, self.ctx)
        if label is not None:
            return Taint(label, (node,))
        return self.eval(obj, env, depth)

    def _args_taint(self, call: Node, env: Env, depth: int = 0) -> Taint | None:
        args = call.child_by_field_name("arguments")
        if args is None:
            return None
        return self._union_all(list(args.named_children), env, depth)

    def _call(self, call: Node, env: Env, depth: int) -> Taint | None:
        callee = call.child_by_field_name("function")
        if callee is None:
            return None
        callee = unwrap(callee)
        name = qualified_name(callee, self.ctx) if callee.type in ("identifier", "attribute") else None
        if name is not None:
            label = spec.SOURCE_CALLS.get(name) or _project_source(name, self.ctx, call=True)
            if label is not None:
                return Taint(label, (call,))
            classes = spec.SANITISERS.get(name) or _project_sanitiser(name, self.ctx)
            if classes is None and callee.type in ("identifier", "attribute"):
                tail = node_text(callee.child_by_field_name("attribute")) if callee.type == "attribute" else name
                classes = spec.SANITISER_TAILS.get(tail)
                if classes is None and spec.HTML_ESCAPER.match(tail):
                    classes = frozenset({spec.HTML})
            if classes is not None:
                return _sanitise(self._args_taint(call, env, depth), classes)
            if name in spec.PROPAGATORS:
                return self._args_taint(call, env, depth)
            if name in spec.FILE_OPENERS:
                path = argument_at(call, 0)
                return None if path is None or self.fold(path, env) is not UNKNOWN else Taint(spec.FILE_READ, (call,))
        if callee.type == "identifier":
            local = node_text(callee)
            if name is not None and local in imports(self.ctx):
                return self._foreign(name, call, env, depth, skip_self=False)
            return self._summarised(local, call, env, depth, skip_self=False)
        if callee.type != "attribute":
            return None
        obj = callee.child_by_field_name("object")
        method = node_text(callee.child_by_field_name("attribute"))
        if obj is None:
            return None
        element = self.structured(call, env)
        if element is not NOT_STRUCTURED:
            return fact_taint(element)  # type: ignore[arg-type]
        label = self._request_source(obj, method)
        if label is not None and method in spec.FLASK_REQUEST_METHODS:
            return Taint(f"{label}()", (call,))
        if method in spec.SOURCE_METHODS:
            return Taint(spec.SOURCE_METHODS[method], (call,))
        if method in spec.HANDLER_METHODS and self._is_handler_self(obj):
            return Taint(f"request handler self.{method}()", (call,))
        if method == "replace" and _removes_line_breaks(call):
            return _sanitise(self.eval(obj, env, depth), spec.CRLF)
        if method in spec.STR_METHODS:
            receiver = self.eval(obj, env, depth)
            if method in ("join", "format", "format_map"):
                result = union(receiver, self._args_taint(call, env, depth))
                if result is not None and method == "format" and _fixes_host(obj):
                    result = _sanitise(result, frozenset({spec.URL}))
                return result
            return receiver
        owner = unwrap(obj)
        if owner.type == "identifier" and node_text(owner) in ("self", "cls"):
            return self._summarised(method, call, env, depth, skip_self=True)
        root = _root_identifier(owner)
        if name is not None and root is not None and node_text(root) in imports(self.ctx):
            return self._foreign(name, call, env, depth, skip_self=False)  # ``helpers.build(x)``
        if owner.type in ("identifier", "attribute", "call") and _is_method(method, self.ctx):
            # ``thing.do_something(x)`` where a class of this file defines ``do_something``
            return self._summarised(method, call, env, depth, skip_self=True)
        if owner.type in ("identifier", "attribute", "call"):
            return self._foreign_method(method, call, env, depth)
        return None

    def _foreign(self, qualified: str, call: Node, env: Env, depth: int, skip_self: bool) -> Taint | None:
        """Apply the summary of a function another module of the reviewed project defines.

        What that needs is kept per review on the project (``_Foreign``: no syntax tree), so a module that many
        files import is parsed and summarised once, not again each time the parse cache dropped it."""
        project = current_project()
        target = project.resolve(self.ctx.path, qualified) if project is not None else None
        if project is None or target is None or target in project.in_progress:
            return None
        foreign: _Foreign | None = project.memo.get(("summary", target))
        if foreign is None:
            other = project.context(target[0])
            if other is None:
                return None
            foreign = project.memo[("summary", target)] = _Foreign(target, _may_read_source(other))
        project.in_progress.add(target)
        try:
            if not foreign.may_read and self._args_taint(call, env, depth) is None:
                return None  # no argument carries anything and the module reads no source: nothing to return
            found = foreign.summary(project)
            if found is None:
                return None
            # a source read in another module: its nodes are not this file's, so the path starts at the call
            result = None if found.own is None else Taint(found.own.source, (call,), found.own.sanitised)
            return self._through_params(found, list(foreign.positional), call, env, depth, skip_self, result)
        finally:
            project.in_progress.discard(target)

    def _foreign_method(self, method: str, call: Node, env: Env, depth: int) -> Taint | None:
        """``thing.do_something(x)`` where a class of a project module this file imports defines the method."""
        project = current_project()
        if project is None or self._args_taint(call, env, depth) is None:
            return None  # a method found by name alone is followed only for the data passed into it
        for module, relpath in _project_modules(self.ctx, project):
            if project.defines_method(relpath, method) and method in _class_methods(project, relpath):
                return self._foreign(f"{module}.{method}", call, env, depth, skip_self=True)
        return None

    def _summarised(
        self, name: str, call: Node, env: Env, depth: int, skip_self: bool, ctx: FileContext | None = None
    ) -> Taint | None:
        """Apply the summary of function ``name`` of this file (or of ``ctx``, another module) to ``call``."""
        home = ctx if ctx is not None else self.ctx
        if not _may_read_source(home) and self._args_taint(call, env, depth) is None:
            return None  # no argument carries anything and the module reads no source: nothing to return
        found = summary(name, home)
        if found is None:
            return None
        result: Taint | None = None
        if found.own is not None:
            # a source read in another module: its nodes are not this file's, so the path starts at the call
            result = (
                found.own.through(call) if home is self.ctx else Taint(found.own.source, (call,), found.own.sanitised)
            )
        positional = [param for param, _, _ in _parameters_of(name, home)] if found.params else []
        return self._through_params(found, positional, call, env, depth, skip_self, result)

    def _through_params(
        self,
        found: Summary,
        positional: list[str],
        call: Node,
        env: Env,
        depth: int,
        skip_self: bool,
        result: Taint | None,
    ) -> Taint | None:
        """``result`` joined with the taint of each argument ``call`` passes to a parameter that reaches the
        summarised function's return value (``positional``: its parameter names in order)."""
        if not found.params:
            return result
        if skip_self and positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        args = call.child_by_field_name("arguments")
        index = 0
        for arg in args.named_children if args is not None else ():
            if arg.type == "keyword_argument":
                param = node_text(arg.child_by_field_name("name"))
                value = arg.child_by_field_name("value")
            elif arg.type in ("list_splat", "dictionary_splat"):
                param, value = "", arg
            elif arg.type == "comment":
                continue
            else:
                param = positional[index] if index < len(positional) else ""
                value = arg
                index += 1
            if value is None or (param and param not in found.params):
                continue
            taint = self.eval(value, env, depth)
            if taint is not None:
                taint = _sanitise(taint, found.sanitised) if found.sanitised else taint
                result = union(result, taint.through(call) if taint is not None else None)
        return result


class _Foreign:
    """What applying a function of another project module needs, kept on the project for the rest of the review
    without the module's syntax tree: whether the module reads a source, and (once a call needs it) the
    function's summary, its source's path dropped, and its parameter names."""

    __slots__ = ("_summary", "may_read", "positional", "summarised", "target")

    def __init__(self, target: tuple[str, str], may_read: bool) -> None:
        self.target = target
        self.may_read = may_read
        self.summarised = False
        self._summary: Summary | None = None
        self.positional: tuple[str, ...] = ()

    def summary(self, project: Project) -> Summary | None:
        if not self.summarised:
            relpath, name = self.target
            ctx = project.context(relpath)
            found = None if ctx is None else summary(name, ctx)
            if ctx is not None and found is not None:
                self.positional = tuple(param for param, _, _ in _parameters_of(name, ctx))
                own = found.own
                found = replace(found, own=None if own is None else Taint(own.source, (), own.sanitised))
            self._summary, self.summarised = found, True
        return self._summary


def _class_methods(project: Project, relpath: str) -> frozenset[str]:
    """The methods the classes of project module ``relpath`` define (parsed once per review, kept without the
    tree)."""
    methods: frozenset[str] | None = project.memo.get(("methods", relpath))
    if methods is None:
        other = project.context(relpath)
        methods = frozenset() if other is None else _methods_of(other)
        project.memo[("methods", relpath)] = methods
    return methods


def _may_read_source(ctx: FileContext) -> bool:
    """Whether the file's text mentions anything a source is made of (a cheap test, once per file)."""
    known: bool | None = ctx.state.get(_STATE_MAY_READ)
    if known is None:
        known = spec.mentions_source(ctx.source) or bool(_project_spec(ctx)[0])
        ctx.state[_STATE_MAY_READ] = known
    return known


def text_may_read_source(node: Node, ctx: FileContext) -> bool:
    """Whether a function's text (with its decorators) mentions something a source is made of."""
    owner = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
    return spec.mentions_source(owner.text or b"") or bool(_project_spec(ctx)[0])


def _project_may_read(ctx: FileContext, project: Project | None) -> bool:
    known: bool | None = ctx.state.get(_STATE_PROJECT_READS)
    if known is None:
        known = project is not None and any(project.mentions_source(relpath) for relpath in project.closure(ctx.path))
        ctx.state[_STATE_PROJECT_READS] = known
    return known


def may_be_tainted(ctx: FileContext) -> bool:
    """Whether data from a real source can appear in this file: it mentions one itself, or a project module it
    imports (directly or through others) does. When not, only parameters carry anything into its sinks."""
    known: bool | None = ctx.state.get(_STATE_MAY_TAINT)
    if known is None:
        known = _may_read_source(ctx) or _project_may_read(ctx, current_project())
        ctx.state[_STATE_MAY_TAINT] = known
    return known


def _project_modules(ctx: FileContext, project: Project) -> list[tuple[str, str]]:
    """The project modules this file imports: (module name as imported, project-relative path), once per file."""
    found: list[tuple[str, str]] | None = ctx.state.get(_STATE_PROJECT_MODULES)
    if found is None:
        found = []
        seen: set[str] = set()
        for origin in imports(ctx).values():
            for module in (origin, origin.rpartition(".")[0]):
                if not module.strip("."):
                    continue
                relpath = project.module_file(ctx.path, module.lstrip("."), len(module) - len(module.lstrip(".")))
                if relpath is not None and relpath not in seen and relpath != ctx.path:
                    seen.add(relpath)
                    found.append((module, relpath))
        ctx.state[_STATE_PROJECT_MODULES] = found
    return found


def _project_spec(ctx: FileContext) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """The project's own sources and sanitisers (``[reviewlab.taint]`` in ``.reviewlab.toml``)."""
    cached: tuple[frozenset[str], dict[str, frozenset[str]]] | None = ctx.state.get(_STATE_PROJECT)
    if cached is None:
        raw = ctx.options.get(TAINT_OPTIONS) or {}
        sanitisers: dict[str, frozenset[str]] = {}
        for sink_class, names in dict(raw.get("sanitizers") or {}).items():
            classes = spec.ALL if sink_class == "all" else frozenset({sink_class})
            for name in names:
                sanitisers[name] = sanitisers.get(name, frozenset()) | classes
        cached = (frozenset(raw.get("sources") or ()), sanitisers)
        ctx.state[_STATE_PROJECT] = cached
    return cached


def _configured(name: str | None, names: frozenset[str] | dict[str, frozenset[str]]) -> str | None:
    """The configured entry ``name`` matches: the same dotted name, or a bare entry naming its last part."""
    if not name or not names:
        return None
    if name in names:
        return name
    tail = name.rsplit(".", 1)[-1]
    return tail if tail in names else None


def _project_source(name: str | None, ctx: FileContext, call: bool = False) -> str | None:
    entry = _configured(name, _project_spec(ctx)[0])
    return None if entry is None else f"project source {entry}{'()' if call else ''}"


def _project_sanitiser(name: str, ctx: FileContext) -> frozenset[str] | None:
    sanitisers = _project_spec(ctx)[1]
    entry = _configured(name, sanitisers)
    return None if entry is None else sanitisers[entry]


def _root_identifier(node: Node) -> Node | None:
    """The name an attribute chain starts from: ``helpers`` in ``helpers.utils``."""
    while node.type == "attribute":
        inner = node.child_by_field_name("object")
        if inner is None:
            return None
        node = unwrap(inner)
    return node if node.type == "identifier" else None


def _removes_line_breaks(call: Node) -> bool:
    """``value.replace("\\n", "")`` or ``.replace("\\n", "\\\\n")``: a line break (or CR) replaced by text that
    has none (the escaped ``\\n`` written out is two ordinary characters)."""
    args = _positional(call)
    if len(args) < 2:
        return False
    old, new = _string_literal(args[0]), _string_literal(args[1])
    return old in ("\n", "\r", "\r\n") and new is not None and "\n" not in new and "\r" not in new


def _string_literal(node: Node) -> str | None:
    """The value of a plain string literal with its escapes decoded (``"\\\\n"`` is backslash, n)."""
    node = unwrap(node)
    if node.type != "string" or string_value(node) is None:
        return None
    try:
        value = ast.literal_eval(node_text(node))
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _module_bindings(name: str, ctx: FileContext) -> list[Node]:
    """The values a module-level assignment binds ``name`` to."""
    found: list[Node] = []
    for statement in ctx.tree.root_node.named_children:
        if statement.type != "expression_statement" or not statement.named_children:
            continue
        assignment = statement.named_children[0]
        if assignment.type != "assignment":
            continue
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier" and node_text(left) == name:
            found.append(unwrap(right))
    return found


def _is_method(name: str, ctx: FileContext) -> bool:
    """Whether a class of this file defines a method called ``name``."""
    return name in _methods_of(ctx)


def _methods_of(ctx: FileContext) -> frozenset[str]:
    """The names of the methods the classes of this file define (once per file)."""
    methods: frozenset[str] | None = ctx.state.get(_STATE_METHODS)
    if methods is None:
        methods = frozenset(
            node_text(function.child_by_field_name("name"))
            for function in _functions(ctx)
            if enclosing_class(function) is not None
        )
        ctx.state[_STATE_METHODS] = methods
    return methods


def _parameters_of(name: str, ctx: FileContext) -> list[tuple[str, Node, Node | None]]:
    for function in file_index(ctx).functions_by_name.get(name, ()):
        return list(_parameters(function))
    return []


def _root_name(node: Node) -> str | None:
    """The local name an expression is derived from: ``x`` in ``realpath(x)`` or ``urlparse(x).hostname``."""
    for _ in range(_MAX_DEPTH):
        node = unwrap(node)
        if node.type == "identifier":
            return node_text(node)
        if node.type == "attribute":
            obj = node.child_by_field_name("object")
            if obj is None:
                return None
            node = obj
        elif node.type == "call":
            args = node.child_by_field_name("arguments")
            positional = [a for a in args.named_children if a.type != "comment"] if args is not None else []
            if positional and positional[0].type not in ("keyword_argument", "list_splat", "dictionary_splat"):
                node = positional[0]
            else:
                callee = node.child_by_field_name("function")
                if callee is None or callee.type != "attribute":
                    return None
                node = callee
        else:
            return None
    return None


def _lookup(container: Seq | Table, key: object) -> Fact | object | None:
    if isinstance(container, Table):
        return container.lookup(key)
    if not isinstance(key, int) or isinstance(key, bool):
        return NOT_STRUCTURED
    if not index_in(key, len(container.items)):
        return None  # IndexError at run time: nothing flows
    return container.items[key]


def slice_parts(node: Node) -> tuple[Node | None, Node | None, Node | None]:
    """The start, stop and step expressions of a slice (None where omitted)."""
    parts: list[Node | None] = [None, None, None]
    position = 0
    for child in node.children:
        if child.type == ":":
            position += 1
        elif child.is_named and child.type != "comment" and position < 3:
            parts[position] = child
    return parts[0], parts[1], parts[2]


def _arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "argument_list":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def argument_at(call: Node, index: int) -> Node | None:
    """The ``index``-th positional argument, or None."""
    positional = _positional(call)
    return positional[index] if index < len(positional) else None


def _positional(call: Node) -> list[Node]:
    """The positional arguments, or none at all once a ``*splat`` hides their positions."""
    args = _arguments(call)
    if any(a.type == "list_splat" for a in args):
        return []
    return [a for a in args if a.type not in ("keyword_argument", "dictionary_splat")]


def _keyword(call: Node, name: str) -> Node | None:
    for arg in _arguments(call):
        if arg.type == "keyword_argument" and node_text(arg.child_by_field_name("name")) == name:
            return arg.child_by_field_name("value")
    return None


def _module_constants(ctx: FileContext) -> dict[str, Fact]:
    """Names the module binds to a constant (``DEBUG = False``) that no function rebinds with ``global``."""
    constants: dict[str, Fact] | None = ctx.state.get(_STATE_CONSTANTS)
    if constants is not None:
        return constants
    ctx.state[_STATE_CONSTANTS] = {}  # while the module itself is analysed, functions see none
    final = flow_for(ctx.tree.root_node, ctx).final or {}
    rebound = file_index(ctx).globals
    constants = {name: fact for name, fact in final.items() if isinstance(fact, Const) and name not in rebound}
    ctx.state[_STATE_CONSTANTS] = constants
    return constants


def _fixes_host(node: Node) -> bool:
    """Whether a string template starts with a literal ``scheme://host/``."""
    prefix = literal_prefix(node)
    return prefix is not None and bool(spec.FIXED_HOST.match(prefix))
