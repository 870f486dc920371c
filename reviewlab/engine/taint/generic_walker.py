"""The forward walk of one function: the taint of every name before every statement.

The same walk serves JavaScript/TypeScript, Java and Go; an :class:`~.generic_adapter.Adapter` tells it what
each node is. Semantics follow the Python engine (``taint.python``):

* a binding replaces what a name held (a name overwritten by a constant is clean); ``x += v`` and
  stores (``items.push(v)``, ``sb.append(v)``, ``obj[k] = v``) add to it;
* both arms of a branch are walked and merged; an arm ending in ``return``/``throw``/``break``/an
  exit call does not reach the code after it; a literal ``false`` condition skips its arm, and an
  allowlist, prefix or pattern check (``if (!ALLOWED.includes(x)) return``) vouches for its name;
* loop bodies are walked until the facts at the loop head are stable (at most four passes);
* calls are sources, sanitisers (per sink class), propagators, stores, or same-file functions whose
  summary says which parameters reach the result; any other call returns clean data.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from reviewlab.engine.rules.common import string_parts
from reviewlab.engine.taint.core import Taint, union
from reviewlab.engine.taint.generic_adapter import (
    ALL,
    BINARY,
    BIND,
    BLOCK,
    CALL,
    EXIT,
    EXPR,
    FIXED_HOST,
    HOST_FIXED,
    IF,
    INDEX,
    INNER,
    JUMP,
    LOOP,
    MEMBER,
    NAME,
    RETURN,
    SKIP,
    SWITCH,
    TEMPLATE,
    TERNARY,
    TRY,
    UNARY,
    UNION,
    VALUE,
    WRAP,
    Adapter,
    Call,
    Guard,
    Node,
    Scope,
    named,
    text,
)

Env = Mapping[str, Taint]
Summarise = Callable[[str], "Summary | None"]

_MAX_DEPTH = 40  # expression nesting beyond this is taken as clean rather than recursed into
_LOOP_PASSES = 4
_MAX_KEYS = 8  # names a guard can vouch for at once
_NAME_TARGETS = frozenset({"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"})


@dataclass(frozen=True, slots=True)
class Summary:
    """What a same-file function returns: the parameter positions that reach it, and a source it reads."""

    params: frozenset[int]
    sanitised: frozenset[str]
    own: Taint | None
    rest: int | None  # the position of a rest parameter, which takes every later argument


def merge(a: Env | None, b: Env | None) -> Env | None:
    if a is None:
        return b
    if b is None or a is b:
        return a
    merged = dict(a)
    for name, taint in b.items():
        merged[name] = union(merged.get(name), taint) or taint
    return merged


def sanitise(taint: Taint | None, classes: frozenset[str]) -> Taint | None:
    if taint is None or classes >= ALL:
        return None
    return replace(taint, sanitised=taint.sanitised | classes)


def _fixes_host(prefix: str) -> bool:
    """Whether constant text fixes scheme and host; a printf verb (``https://%s/``) fixes nothing after it."""
    return bool(FIXED_HOST.match(prefix.split("%", 1)[0]))


def _facts(env: Env) -> dict[str, tuple[bool, frozenset[str], frozenset[str]]]:
    return {name: (bool(t.source), t.sanitised, t.params) for name, t in env.items()}


class Walker:
    """The facts of one function (or a module's top level), computed on construction."""

    def __init__(
        self,
        adapter: Adapter,
        function: Node,
        scope: Scope,
        entry: Env,
        summarise: Summarise,
    ) -> None:
        self.adapter = adapter
        self.function = function
        self.scope = scope
        self.summarise = summarise
        self.at: dict[int, Env] = {}
        self.unreachable: set[int] = set()
        self.returns: Taint | None = None
        body = function if function.parent is None else adapter.body(function)
        if body is None:
            return
        with contextlib.suppress(RecursionError):  # absurdly deep nesting: keep what was found
            if body.type in adapter.statement_kinds or body.parent is None:
                self.block(body, entry)
            else:  # an arrow function's or a lambda's expression body
                self.at[body.id] = entry
                self.returns = self.eval(body, entry)

    # -- statements ----------------------------------------------------------------------------

    def block(self, block: Node, env: Env | None) -> Env | None:
        for statement in self.adapter.statements(block):
            if env is None:
                self.dead(statement)
                continue
            env = self.statement(statement, env)
        return env

    def dead(self, node: Node | None) -> None:
        """Mark code that never runs: nothing flows into it."""
        if node is not None:
            self.at[node.id] = {}
            self.unreachable.add(node.id)

    def statement(self, node: Node, env: Env) -> Env | None:
        kind = self.adapter.statement_kinds.get(node.type)
        if kind == SKIP or node.type in self.adapter.functions:
            return env
        self.at[node.id] = env
        if kind == BLOCK:
            return self.block(node, env)
        if kind == BIND:
            return self.bind_all(node, env)
        if kind == EXPR:
            for expression in self.adapter.expressions(node):
                env = self.expression(expression, env)
                if self._exits(expression):
                    return None
            return env
        if kind == RETURN:
            for value in named(node):
                self.returns = union(self.returns, self.eval(value, env))
            return None
        if kind in (EXIT, JUMP):
            return None
        if kind == IF:
            return self.branch(node, env)
        if kind == LOOP:
            return self.loop(node, env)
        if kind == TRY:
            return self.try_statement(node, env)
        if kind == SWITCH:
            return self.switch(node, env)
        if kind == WRAP:
            after: Env | None = env
            for inner in self.adapter.wrapped(node):
                if after is None:
                    self.dead(inner)
                elif self.adapter.statement_kinds.get(inner.type) is not None:
                    after = self.statement(inner, after)
                else:
                    after = self.expression(inner, after)
            return after
        return env

    def expression(self, node: Node, env: Env) -> Env:
        """An expression evaluated for its effects: assignments inside it, stores, filled arguments."""
        adapter = self.adapter
        kind = adapter.statement_kinds.get(node.type)
        if kind == BIND:
            return self.bind_all(node, env)
        expression_kind = adapter.expression_kinds.get(node.type)
        if expression_kind == INNER:
            inner = adapter.inner(node)
            return self.expression(inner, env) if inner is not None else env
        if expression_kind == VALUE and node.type.startswith("sequence"):
            for child in named(node):
                env = self.expression(child, env)
            return env
        if expression_kind == CALL:
            return self.effects(node, env)
        return env

    def bind_all(self, node: Node, env: Env) -> Env:
        for binding in self.adapter.bindings(node):
            value = binding.value
            taint: Taint | None = None
            if value is not None:
                self.at[value.id] = env
                env = self.expression(value, env)  # a = b = value; stores and filled arguments in a call
                taint = self.eval(value, env)
            if binding.augmented:
                taint = union(self.eval(binding.target, env), taint)
            if binding.clean:
                taint = None
            env = self.assign(binding.target, taint.through(binding.target) if taint is not None else None, env)
        return env

    def assign(self, target: Node, taint: Taint | None, env: Env) -> Env:
        adapter = self.adapter
        kind = adapter.expression_kinds.get(target.type)
        if kind in (NAME, MEMBER) or target.type in _NAME_TARGETS:
            key = self.key(target)
            if key is None:
                return env
            if taint is None:
                if key not in env and not any(k.startswith(key + ".") for k in env):
                    return env
                return {k: v for k, v in env.items() if k != key and not k.startswith(key + ".")}
            return {**env, key: taint}
        if kind == INDEX:  # d[k] = tainted taints d; a clean store keeps what d had
            obj = adapter.index_object(target)
            key = self.key(obj) if obj is not None else None
            if key is None or taint is None:
                return env
            return {**env, key: union(env.get(key), taint) or taint}
        if kind == INNER:
            inner = adapter.inner(target)
            return self.assign(inner, taint, env) if inner is not None else env
        for name in adapter.bound(target):  # destructuring: every name gets the whole value
            env = self.assign(name, taint, env)
        return env

    def key(self, node: Node) -> str | None:
        """The env key of a name or a ``obj.field`` chain on a name."""
        adapter = self.adapter
        for _ in range(_MAX_DEPTH):
            kind = adapter.expression_kinds.get(node.type)
            if kind == INNER:
                inner = adapter.inner(node)
                if inner is None:
                    return None
                node = inner
                continue
            break
        if node.type in adapter.this_names or node.type in _NAME_TARGETS:
            return text(node)
        if adapter.expression_kinds.get(node.type) == MEMBER:
            obj, prop = adapter.member(node)
            base = self.key(obj) if obj is not None else None
            return None if base is None or not prop else f"{base}.{prop}"
        return None

    def effects(self, node: Node, env: Env) -> Env:
        """``items.push(x)`` taints ``items``; ``json.Unmarshal(body, &v)`` taints ``v``."""
        call = self.adapter.call(node)
        if call is None:
            return env
        if call.method in self.adapter.store_methods and call.receiver is not None and call.args:
            taint = self._union_all(list(call.args), env, 0)
            receiver = call.receiver
            while True:  # sb.append(a).append(b): the builder at the root takes both
                inner = (
                    self.adapter.call(receiver) if self.adapter.expression_kinds.get(receiver.type) == CALL else None
                )
                if inner is None or inner.method not in self.adapter.store_methods or inner.receiver is None:
                    break
                taint = union(taint, self._union_all(list(inner.args), env, 0))
                receiver = inner.receiver
            key = self.key(receiver)
            if key is not None and taint is not None:
                env = {**env, key: union(env.get(key), taint.through(node)) or taint}
        for target, origin in self.adapter.into(call, self.scope):
            if isinstance(origin, str):
                filled: Taint | None = Taint(origin, (node,))
            else:
                filled = self.eval(origin, env)
                filled = filled.through(node) if filled is not None else None
            if filled is not None:
                env = self.assign(target, union(self.eval(target, env), filled), env)
        return env

    def _exits(self, expression: Node) -> bool:
        call = self.adapter.call(expression) if self.adapter.expression_kinds.get(expression.type) == CALL else None
        return call is not None and call.name in self.adapter.exits

    def branch(self, node: Node, env: Env) -> Env | None:
        initialiser, condition, consequence, alternative = self.adapter.if_parts(node)
        if initialiser is not None:
            env = self.statement(initialiser, env) or env
        if condition is not None:
            self.at[condition.id] = env
        truth = self.adapter.truth(condition)
        then_env: Env = env
        else_env: Env = env
        guard = self.guard(condition) if condition is not None else None
        if guard is not None and any(key in env for key in guard.keys):
            checked = dict(env)
            for key in guard.keys:
                safe = sanitise(checked.get(key), guard.classes)
                if safe is None:
                    checked.pop(key, None)
                else:
                    checked[key] = safe
            if guard.when:
                then_env = checked
            else:
                else_env = checked
        then_out: Env | None = None
        if truth is False:
            self.dead(consequence)
        elif consequence is not None:
            then_out = self.statement(consequence, then_env)
        else_out: Env | None = else_env
        if truth is True:
            self.dead(alternative)
            else_out = None
        elif alternative is not None:
            else_out = self.statement(alternative, else_env)
        if truth is False:
            return else_out
        return merge(then_out, else_out)

    def guard(self, condition: Node) -> Guard | None:
        adapter = self.adapter
        negate = False
        for _ in range(8):
            kind = adapter.expression_kinds.get(condition.type)
            if kind == INNER:
                inner = adapter.inner(condition)
                if inner is None:
                    return None
                condition = inner
            elif kind == UNARY and adapter.operator(condition) == "!":
                operand = adapter.unary_operand(condition)
                if operand is None:
                    return None
                condition, negate = operand, not negate
            else:
                break
        checked: tuple[Node, frozenset[str]] | None = None
        if adapter.expression_kinds.get(condition.type) == CALL:
            call = adapter.call(condition)
            checked = adapter.guard_of(call) if call is not None else None
        else:
            checked = adapter.extra_guard(condition)
        if checked is None:
            return None
        return Guard(tuple(self.root_keys(checked[0])), checked[1], not negate)

    def root_keys(self, node: Node) -> list[str]:
        """The names a checked value derives from: ``p`` in ``path.resolve(BASE, p)`` or ``file.getCanonicalPath()``."""
        adapter = self.adapter
        keys: list[str] = []
        stack = [node]
        while stack and len(keys) < _MAX_KEYS:
            current = stack.pop()
            key = self.key(current)
            if key is not None:
                keys.append(key)
                continue
            kind = adapter.expression_kinds.get(current.type)
            if kind == CALL:
                call = adapter.call(current)
                if call is not None and call.name not in adapter.sanitisers:
                    stack.extend(call.args)
                    if call.receiver is not None:
                        stack.append(call.receiver)
            elif kind == MEMBER:
                obj = adapter.member(current)[0]
                stack.extend([obj] if obj is not None else [])
            elif kind in (INNER, INDEX, BINARY, TEMPLATE):
                stack.extend(named(current))
        return keys

    def loop(self, node: Node, env: Env) -> Env | None:
        parts = self.adapter.loop(node)
        for setup in parts.setup:
            env = self.statement(setup, env) or env
        if parts.condition is not None and self.adapter.truth(parts.condition) is False:
            self.dead(parts.body)
            return env
        entry: Env = env
        for _ in range(_LOOP_PASSES):
            current = entry
            if parts.target is not None and parts.iterable is not None:
                taint = self.eval(parts.iterable, current)
                current = self.assign(parts.target, taint.through(parts.target) if taint is not None else None, current)
            if parts.condition is not None:
                self.at[parts.condition.id] = current
            out: Env | None = self.statement(parts.body, current) if parts.body is not None else current
            for update in parts.update:
                if out is None:
                    break
                if update.type in self.adapter.statement_kinds:
                    out = self.statement(update, out)
                else:
                    out = self.expression(update, out)
            merged = merge(entry, out) or entry
            if _facts(merged) == _facts(entry):
                break
            entry = merged
        return entry

    def try_statement(self, node: Node, env: Env) -> Env | None:
        resources, body, handlers, final = self.adapter.try_parts(node)
        for resource in resources:
            env = self.bind_all(resource, env)
        body_out = self.statement(body, env) if body is not None else env
        anywhere = merge(env, body_out) or env
        results: Env | None = body_out
        for caught, handler in handlers:
            handler_env = self.assign(caught, None, anywhere) if caught is not None else anywhere
            results = merge(results, self.statement(handler, handler_env))
        if final is not None:
            after = self.statement(final, results or anywhere)
            return after if results is not None else None
        return results

    def switch(self, node: Node, env: Env) -> Env | None:
        subject, arms = self.adapter.arms(node)
        if subject is not None:
            self.at[subject.id] = env
        result: Env | None = env  # no arm may match
        for arm in arms:
            current: Env | None = env
            for statement in arm:
                if current is None:
                    self.dead(statement)
                elif statement.type == "break_statement" and not named(statement):
                    self.at[statement.id] = current
                    break
                else:
                    current = self.statement(statement, current)
            result = merge(result, current)
        return result

    # -- expressions ---------------------------------------------------------------------------

    def eval(self, node: Node, env: Env, depth: int = 0) -> Taint | None:
        if depth > _MAX_DEPTH:
            return None
        adapter = self.adapter
        kind = adapter.expression_kinds.get(node.type)
        deeper = depth + 1
        if kind == NAME:
            name = text(node)
            if name in env:
                return env[name]
            label = adapter.name_source(node, self.scope)
            return self._source(label, node) if label is not None else None
        if kind == MEMBER:
            return self._member(node, env, deeper)
        if kind == CALL:
            return self._call(node, env, deeper)
        if kind == INDEX:
            obj = adapter.index_object(node)
            return self.eval(obj, env, deeper) if obj is not None else None
        if kind == BINARY:
            if adapter.operator(node) not in adapter.concat:
                return None
            result = self._union_all(self._operands(node), env, deeper)
            return self._fix_host(result, node, env, deeper)
        if kind == TEMPLATE:
            result = self._union_all(list(adapter.template_parts(node)), env, deeper)
            return self._fix_host(result, node, env, deeper)
        if kind == INNER:
            inner = adapter.inner(node)
            return self.eval(inner, env, deeper) if inner is not None else None
        if kind == UNION:
            return self._union_all(adapter.union_parts(node), env, deeper)
        if kind == VALUE:
            value = adapter.value_of(node)
            return self.eval(value, env, deeper) if value is not None else None
        if kind == TERNARY:
            condition = node.child_by_field_name("condition")
            consequence = node.child_by_field_name("consequence")
            alternative = node.child_by_field_name("alternative")
            truth = adapter.truth(condition)
            then = self.eval(consequence, env, deeper) if consequence is not None and truth is not False else None
            other = self.eval(alternative, env, deeper) if alternative is not None and truth is not True else None
            return union(then, other)
        if kind == UNARY:
            if adapter.operator(node) not in adapter.unary_carries:
                return None
            operand = adapter.unary_operand(node)
            return self.eval(operand, env, deeper) if operand is not None else None
        return None

    def _source(self, label: str, node: Node) -> Taint:
        return Taint(label, (node,), self.adapter.source_safe_for(label))

    def _operands(self, node: Node) -> list[Node]:
        """The operands of ``a + b + c`` (iteratively: long chains nest deeply to the left)."""
        operator = self.adapter.operator(node)
        operands: list[Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
            same = (
                self.adapter.expression_kinds.get(current.type) == BINARY and self.adapter.operator(current) == operator
            )
            if same and left is not None and right is not None:
                stack.append(right)
                stack.append(left)
            else:
                operands.append(current)
        return operands

    def _union_all(self, nodes: list[Node], env: Env, depth: int) -> Taint | None:
        result: Taint | None = None
        for child in nodes:
            result = union(result, self.eval(child, env, depth))
        return result

    def _fix_host(self, taint: Taint | None, node: Node, env: Env, depth: int) -> Taint | None:
        """A URL that starts with constant ``scheme://host/`` (or ``/path``) text: the data only picks a path."""
        if taint is None or self.adapter.dialect is None:
            return taint
        lead = self.adapter.leading_operand(node)
        if lead is not None and self.eval(lead, env, depth) is not None:
            return taint  # the start itself is untrusted
        parts = string_parts(self.adapter.dialect, node, self.scope.ctx)
        known = list(itertools.takewhile(lambda part: part is not None, parts))
        prefix = "".join(part for part in known if part is not None)
        return sanitise(taint, HOST_FIXED) if _fixes_host(prefix) else taint

    def _member(self, node: Node, env: Env, depth: int) -> Taint | None:
        key = self.key(node)
        if key is not None and key in env:
            return env[key]
        obj, prop = self.adapter.member(node)
        if obj is None:
            return None
        label = self.adapter.member_source(obj, prop, self.scope)
        if label is not None:
            return self._source(label, node)
        if prop in self.adapter.clean_members:
            return None
        return self.eval(obj, env, depth)

    def _call(self, node: Node, env: Env, depth: int) -> Taint | None:
        adapter = self.adapter
        call = adapter.call(node)
        if call is None:
            return None
        label = adapter.call_source(call, self.scope)
        if label is not None:
            return self._source(label, node)
        classes = adapter.sanitisers.get(call.name)
        if classes is None:
            classes = adapter.sanitiser_methods.get(call.method)
        if classes is not None:
            receiver = self.eval(call.receiver, env, depth) if call.receiver is not None else None
            return sanitise(union(receiver, self._union_all(list(call.args), env, depth)), classes)
        if self._is_own(call):
            found = self.summarise(call.method)
            if found is not None:
                return self._summarised(found, call, env, depth)
        if call.name in adapter.propagators or (call.constructor and call.method in adapter.propagators):
            formatted = adapter.format_template(call) if call.name in adapter.format_calls else None
            if formatted is not None:
                template, printed = formatted
                result = self._union_all(printed, env, depth)
                return sanitise(result, HOST_FIXED) if _fixes_host(template) else result
            return self._union_all(list(call.args), env, depth)
        if call.receiver is None:
            return None
        if call.method in adapter.mapping_methods and call.args:
            return self._mapped(call, env, depth)
        if call.method in adapter.joining_methods:
            result = union(self.eval(call.receiver, env, depth), self._union_all(list(call.args), env, depth))
            return self._fix_host(result, call.receiver, env, depth)
        if call.method in adapter.receiver_methods or (
            adapter.getters is not None and adapter.getters.match(call.method)
        ):
            return self.eval(call.receiver, env, depth)
        return None

    def _is_own(self, call: Call) -> bool:
        """Whether a call may reach a function of this file: ``f(x)``, ``this.f(x)``, Go's ``s.f(x)``."""
        if call.constructor:
            return False
        if call.receiver is None:
            return True
        own = self.adapter.self_name(self.function)
        return own is not None and text(call.receiver) in (own, "this")

    def _summarised(self, found: Summary, call: Call, env: Env, depth: int) -> Taint | None:
        result = found.own.through(call.node) if found.own is not None else None
        for index, arg in enumerate(call.args):
            position = min(index, found.rest) if found.rest is not None else index
            if position not in found.params:
                continue
            taint = self.eval(arg, env, depth)
            if taint is not None:
                taint = sanitise(taint, found.sanitised) if found.sanitised else taint
                result = union(result, taint.through(call.node) if taint is not None else None)
        return result

    def _mapped(self, call: Call, env: Env, depth: int) -> Taint | None:
        """``items.map(cb)``: the callback's result for a tainted item; a sanitiser callback cleans it."""
        assert call.receiver is not None  # noqa: S101 - only called for method calls
        items = self.eval(call.receiver, env, depth)
        if items is None:
            return None
        callback = call.args[0]
        classes = self.adapter.sanitisers.get(text(callback).replace("::", "."))
        if classes is not None:
            return sanitise(items, classes)
        if callback.type not in self.adapter.functions:
            return items
        body = self.adapter.body(callback)
        params = self.adapter.params(callback)
        if body is None or not params or body.type in self.adapter.statement_kinds:
            return items
        inner = dict(env)
        for name in params[0].names:
            inner[text(name)] = items
        return self.eval(body, inner, depth)
