"""Intra-procedural taint analysis of Python functions over the tree-sitter tree.

One forward walk per function body (or the module's top level) keeps a map from local names (and
``obj.attr`` stores) to :class:`Taint`, recording the map in force before every statement. A rule
then asks :meth:`FunctionFlow.taint_of` about the argument of a sink it found; the answer carries
the source's label and the nodes the value went through, in source -> sink order.

* Branches are walked both ways and merged; an arm ending in ``return``/``raise``/``abort()``/
  ``continue``/``break`` does not reach the code after it, so ``if x not in ALLOWED: return`` leaves
  ``x`` clean. A condition that is a falsy (truthy) literal skips the ``if`` (``else``) arm.
* Loop bodies are walked until the facts at the loop head are stable (usually twice, at most four times).
* Calls to functions defined in the same file apply a summary: which parameters reach the return
  value, and any source the function reads itself. Summaries are computed on demand, once per file.
* Unknown calls return clean data, except the string/path building in ``spec.PROPAGATORS``.

What it does not do: aliasing through mutable objects beyond ``obj.attr`` stores on a name,
``break`` edges out of loops, closures, ``global`` state, and calls into other modules.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import tree_sitter

from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.rules.pyhelpers import imports, literal_prefix, node_text, qualified_name, string_value, unwrap
from reviewlab.engine.taint import spec
from reviewlab.engine.taint.core import Taint, union

Node = tree_sitter.Node
Env = Mapping[str, "Taint"]

_STATE_FLOWS = "taint.python.flows"
_STATE_SUMMARIES = "taint.python.summaries"
_STATE_DEFS = "taint.python.defs"
_STATE_CLASSES = "taint.python.classes"
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
    merged = dict(a)
    for name, taint in b.items():
        merged[name] = union(merged.get(name), taint) or taint
    return merged


def _facts(env: Env) -> dict[str, tuple[bool, frozenset[str], frozenset[str]]]:
    """What a loop's fixpoint compares: per name, a real source or not, the sanitised sinks, the params."""
    return {name: (bool(t.source), t.sanitised, t.params) for name, t in env.items()}


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

    __slots__ = ("_at", "_ctx", "_walker", "node", "returns")

    def __init__(self, node: Node, ctx: FileContext, summary_mode: bool = False) -> None:
        self.node = node
        self._ctx = ctx
        self._walker = _Walker(node, ctx, summary_mode)
        self._at = self._walker.at
        self.returns = self._walker.returns

    def taint_of(self, expr: Node) -> Taint | None:
        """The taint of an expression of this function where it stands, or None when it is clean.

        Code that never runs (a branch whose condition folds to false, code after ``return``) is clean
        even when it reads a source itself.
        """
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
        env = self._walker.comprehension_env(expr, statement, env)
        try:
            return self._walker.eval(expr, env)
        except RecursionError:  # pragma: no cover - absurdly deep expressions
            return None


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
    defs: list[Node] | None = ctx.state.get(_STATE_DEFS)
    if defs is None:
        defs = []
        stack = [ctx.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type == "function_definition":
                defs.append(node)
            stack.extend(reversed(node.named_children))
        ctx.state[_STATE_DEFS] = defs
    return defs


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
    for function in _functions(ctx):
        if node_text(function.child_by_field_name("name")) != name:
            continue
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


def _enclosing_class(function: Node) -> Node | None:
    """The class a function is a method of (directly in its body), or None."""
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    if parent is None or parent.type != "block":
        return None
    owner = parent.parent
    return owner if owner is not None and owner.type == "class_definition" else None


def _classes(ctx: FileContext) -> dict[str, list[Node]]:
    classes: dict[str, list[Node]] | None = ctx.state.get(_STATE_CLASSES)
    if classes is None:
        classes = {}
        stack = [ctx.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type == "class_definition":
                classes.setdefault(node_text(node.child_by_field_name("name")), []).append(node)
            stack.extend(node.named_children)
        ctx.state[_STATE_CLASSES] = classes
    return classes


def _is_view_class(cls: Node, ctx: FileContext, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a class has a base named like a view (``spec.VIEW_BASE_SUFFIXES``), or a same-file base that is one."""
    bases = cls.child_by_field_name("superclasses")
    for base in bases.named_children if bases is not None else ():
        if base.type == "attribute":
            base = base.child_by_field_name("attribute") or base
        if base.type != "identifier":
            continue  # ``metaclass=...`` and other keyword arguments
        name = node_text(base)
        if name.endswith(spec.VIEW_BASE_SUFFIXES):
            return True
        if name not in seen and any(_is_view_class(c, ctx, seen | {name}) for c in _classes(ctx).get(name, ())):
            return True
    return False


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


@dataclass(slots=True)
class _Guard:
    name: str
    classes: frozenset[str]
    when: bool  # the name is sanitised in the arm where the condition has this truth value


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
    drf: bool = False  # a DRF view (class-based or ``@api_view``): ``request.data`` is labelled ``drf``

    def __post_init__(self) -> None:
        env: dict[str, Taint] = {}
        if self.function.type == "function_definition":
            route = _is_route(self.function)
            owner = _enclosing_class(self.function)
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
            body = self.function.child_by_field_name("body")
        else:
            body = self.function
        if body is not None:
            with contextlib.suppress(RecursionError):  # absurdly deep nesting: keep what was found
                self.block(body, env)

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
        return self.generic(node, env)

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
            taint = union(self.eval(left, env), self.eval(right, env))
            return self.bind(left, taint.through(node) if taint is not None else None, env, node)
        if node.type == "call":
            return self.store_call(node, env)
        return env

    def store_call(self, call: Node, env: Env) -> Env:
        """``parts.append(x)`` taints ``parts``."""
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "attribute":
            return env
        if node_text(callee.child_by_field_name("attribute")) not in spec.STORE_METHODS:
            return env
        receiver = callee.child_by_field_name("object")
        key = self._key(receiver) if receiver is not None else None
        if key is None:
            return env
        taint = self._args_taint(call, env)
        if taint is None:
            return env
        return {**env, key: union(env.get(key), taint.through(call)) or taint}

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
                for one_target, one_value in zip(targets, values, strict=True):
                    taint = self.eval(one_value, env)
                    env = self.bind(one_target, taint.through(node) if taint is not None else None, env, node)
                return env
        taint = self.eval(right, env)
        return self.bind(left, taint.through(node) if taint is not None else None, env, node)

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

    def bind(self, target: Node, taint: Taint | None, env: Env, node: Node) -> Env:
        target = unwrap(target)
        kind = target.type
        if kind in ("identifier", "attribute"):
            key = self._key(target)
            if key is None:
                return env
            if taint is None:
                if key not in env and not any(k.startswith(key + ".") for k in env):
                    return env
                return {k: v for k, v in env.items() if k != key and not k.startswith(key + ".")}
            return {**env, key: taint}
        if kind == "subscript":  # d[k] = tainted taints d; a clean store keeps what d had
            value = target.child_by_field_name("value")
            key = self._key(value) if value is not None else None
            if key is None or taint is None:
                return env
            return {**env, key: union(env.get(key), taint) or taint}
        if kind in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern"):
            for child in target.named_children:
                env = self.bind(child, taint, env, node)
            return env
        return env

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
        truth = _literal_truth(condition)
        if condition is not None:
            env = self._walrus(condition, env)
        guard = self._guard(condition) if condition is not None else None
        then_env: Env = env
        else_env: Env = env
        if guard is not None:
            sanitised = {**env}
            if guard.name in sanitised:
                taint = _sanitise(sanitised[guard.name], guard.classes)
                if taint is None:
                    del sanitised[guard.name]
                else:
                    sanitised[guard.name] = taint
            if guard.when:
                then_env = sanitised
            else:
                else_env = sanitised
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

    def _guard(self, condition: Node) -> _Guard | None:
        """An allowlist or containment check on a name: ``x in ALLOWED``, ``not p.startswith(BASE)``."""
        condition = unwrap(condition)
        negate = False
        while condition.type == "not_operator":
            argument = condition.child_by_field_name("argument")
            if argument is None:
                return None
            condition = unwrap(argument)
            negate = not negate
        guard: _Guard | None = None
        if condition.type == "comparison_operator":
            operators = [c.type for c in condition.children if not c.is_named]
            operands = [c for c in condition.named_children if c.type != "comment"]
            if len(operands) == 2 and operators in (["in"], ["not", "in"], ["not in"]):
                guard = self._membership(operands[0], positive=operators == ["in"])
        elif condition.type == "call":
            callee = condition.child_by_field_name("function")
            if callee is not None and callee.type == "attribute":
                method = node_text(callee.child_by_field_name("attribute"))
                receiver = callee.child_by_field_name("object")
                name = _root_name(receiver) if receiver is not None else None
                if method in spec.CONTAINMENT_METHODS and name is not None:
                    guard = _Guard(name, frozenset({spec.PATH}), True)
        if guard is not None and negate:
            guard.when = not guard.when
        return guard

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
            if _literal_truth(condition) is False:
                self.dead(body)
                alternative = node.child_by_field_name("alternative")
                return self._else_body(alternative, env)
        entry: Env = env
        for _ in range(_LOOP_PASSES):  # usually stable after the second pass
            current = self._loop_entry(node, entry)
            out = self.block(body, current) if body is not None else current
            merged = _merge(entry, out) or entry
            if _facts(merged) == _facts(entry):
                break
            entry = merged
        result = entry
        return self._else_body(node.child_by_field_name("alternative"), result)

    def _else_body(self, alternative: Node | None, env: Env) -> Env | None:
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
            return env.get(node_text(node))
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
            result = union(left_taint, right_taint)
            if result is not None and left is not None and _fixes_host(left):
                result = _sanitise(result, frozenset({spec.URL}))
            return result
        if kind == "subscript":
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
                truth = _literal_truth(branches[1])
                if truth is True:
                    return self.eval(branches[0], env, deeper)
                if truth is False:
                    return self.eval(branches[2], env, deeper)
                return union(self.eval(branches[0], env, deeper), self.eval(branches[2], env, deeper))
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

    def _request_attribute_source(self, obj: Node, attribute: str) -> str | None:
        """The label of ``self.request.<attribute>`` in a view method, or ``flask.request.<attribute>``
        (``fl.request...`` after ``import flask as fl``): the root of ``obj`` must be imported."""
        owner = obj.child_by_field_name("object")
        if owner is None or node_text(obj.child_by_field_name("attribute")) != "request":
            return None
        owner = unwrap(owner)
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

    def _attribute(self, node: Node, env: Env, depth: int) -> Taint | None:
        key = self._key(node)
        if key is not None and key in env:
            return env[key]
        obj = node.child_by_field_name("object")
        attribute = node_text(node.child_by_field_name("attribute"))
        if obj is None:
            return None
        label = self._request_source(obj, attribute)
        if label is None and unwrap(obj).type in ("identifier", "attribute"):
            qualified = qualified_name(node, self.ctx)
            label = spec.SOURCE_ATTRIBUTES.get(qualified or "")
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
            label = spec.SOURCE_CALLS.get(name)
            if label is not None:
                return Taint(label, (call,))
            classes = spec.SANITISERS.get(name)
            if classes is None and callee.type in ("identifier", "attribute"):
                tail = node_text(callee.child_by_field_name("attribute")) if callee.type == "attribute" else name
                classes = spec.SANITISER_TAILS.get(tail)
            if classes is not None:
                return _sanitise(self._args_taint(call, env, depth), classes)
            if name in spec.PROPAGATORS:
                return self._args_taint(call, env, depth)
        if callee.type == "identifier":
            return self._summarised(node_text(callee), call, env, depth, skip_self=False)
        if callee.type != "attribute":
            return None
        obj = callee.child_by_field_name("object")
        method = node_text(callee.child_by_field_name("attribute"))
        if obj is None:
            return None
        label = self._request_source(obj, method)
        if label is not None and method in spec.FLASK_REQUEST_METHODS:
            return Taint(f"{label}()", (call,))
        if method in spec.STR_METHODS:
            receiver = self.eval(obj, env, depth)
            if method in ("join", "format", "format_map"):
                result = union(receiver, self._args_taint(call, env, depth))
                if result is not None and method == "format" and _fixes_host(obj):
                    result = _sanitise(result, frozenset({spec.URL}))
                return result
            return receiver
        if unwrap(obj).type == "identifier" and node_text(unwrap(obj)) in ("self", "cls"):
            return self._summarised(method, call, env, depth, skip_self=True)
        return None

    def _summarised(self, name: str, call: Node, env: Env, depth: int, skip_self: bool) -> Taint | None:
        found = summary(name, self.ctx)
        if found is None:
            return None
        result = found.own.through(call) if found.own is not None else None
        if not found.params:
            return result
        positional = [param for param, _, _ in _parameters_of(name, self.ctx)]
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


def _parameters_of(name: str, ctx: FileContext) -> list[tuple[str, Node, Node | None]]:
    for function in _functions(ctx):
        if node_text(function.child_by_field_name("name")) == name:
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


def _literal_truth(condition: Node | None) -> bool | None:
    """True/False when a condition is a literal constant, else None."""
    if condition is None:
        return None
    condition = unwrap(condition)
    kind = condition.type
    if kind in _FALSY_LITERALS:
        return False
    if kind == "true":
        return True
    if kind == "integer":
        text = node_text(condition).replace("_", "")
        try:
            return int(text, 0) != 0
        except ValueError:
            return None
    if kind == "string":
        value = string_value(condition)
        return None if value is None else bool(value)
    if kind == "not_operator":
        argument = condition.child_by_field_name("argument")
        truth = _literal_truth(argument)
        return None if truth is None else not truth
    return None


def _fixes_host(node: Node) -> bool:
    """Whether a string template starts with a literal ``scheme://host/``."""
    prefix = literal_prefix(node)
    return prefix is not None and bool(spec.FIXED_HOST.match(prefix))
