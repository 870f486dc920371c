"""Weak hash (PY-S006) and weak randomness (PY-S007), judged by where the value goes.

Both rules follow a value forward within its function (and one level into same-file helpers and back to
their callers) with a small walker: a digest compared, stored or made from a password is security use, a
cache key or ETag is not; a random number that ends up in a token, a cookie or the session is a secret,
one that picks a colour is not.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import tree_sitter

from reviewlab.engine.languages import ts_language
from reviewlab.engine.model import Category, Confidence, FlowStep, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pycookies import is_preference_cookie
from reviewlab.engine.rules.pyhelpers import (
    GENERATED_SECRET_NOUNS,
    OWASP_CRYPTO,
    PY,
    argument,
    arguments,
    bindings,
    bound_text,
    built_by,
    call_name,
    calls_named,
    cwe_url,
    enclosing_function,
    enclosing_scope,
    function_tail,
    keyword_arg,
    literal_text,
    name_words,
    node_text,
    positional_arg,
    secret_noun,
    string_value,
    target_name,
    unwrap,
)
from reviewlab.engine.taint.python import enclosing_flow

# ---------------------------------------------------------------------------------------------
# Following a value forward within a function (shared by PY-S006 and PY-S007)
# ---------------------------------------------------------------------------------------------

_DEFINITIONS = frozenset({"function_definition", "lambda", "class_definition"})
# The value flows on through these as it is...
_CARRIERS = frozenset(
    {"parenthesized_expression", "await", "boolean_operator", "expression_list", "tuple", "list", "set"}
    | {"dictionary", "list_splat", "dictionary_splat", "keyword_argument", "interpolation", "attribute"}
    | {"conditional_expression", "pair", "subscript", "call", "named_expression"}
)
# ...and through these combined with other values (``"".join(...)``, ``prefix + value``, f-strings).
_COMBINERS = frozenset(
    {"binary_operator", "string", "concatenated_string", "for_in_clause"}
    | {"generator_expression", "list_comprehension", "set_comprehension", "dictionary_comprehension"}
)
# Calls whose result says nothing about the value's content, or that return nothing.
_OPAQUE_CALLS = frozenset(
    {"len", "bool", "range", "isinstance", "print", "sleep", "type", "id", "hasattr", "callable", "sorted"}
    | {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "assertEqual"}
)
_OPAQUE_METHODS = frozenset(
    {"startswith", "endswith", "count", "find", "rfind", "index", "isdigit", "isalpha", "isalnum", "bit_length"}
)
_APPENDERS = frozenset({"append", "extend", "insert", "add", "appendleft", "update"})
_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern"})
_FLOW_ITEMS = 96  # expressions followed per value: handlers are short, and this bounds the cost


@dataclass(frozen=True, slots=True)
class _Step:
    """The value reaches ``node`` through its part ``child``; ``pure`` while it is still one element
    picked from a collection (``random.choice(items)``, ``items[i]``) rather than something built."""

    node: tree_sitter.Node
    child: tree_sitter.Node
    pure: bool


@dataclass(slots=True)
class _Flow:
    ctx: FileContext
    through_index: bool
    queue: deque[tuple[tree_sitter.Node, bool, int]] = field(default_factory=deque)
    seen: set[tuple[int, int, str]] = field(default_factory=set)

    def push(self, expression: tree_sitter.Node, pure: bool, depth: int) -> None:
        key = (expression.start_byte, expression.end_byte, expression.type)
        if key not in self.seen:
            self.seen.add(key)
            self.queue.append((expression, pure, depth))

    def bind(self, name: tree_sitter.Node, after: int, pure: bool, depth: int) -> None:
        """Follow the later uses of a name the value was stored in."""
        scope = enclosing_scope(name)
        for use in _loads(scope, self.ctx).get(node_text(name), ()):
            if use.start_byte >= after:
                self.push(use, pure, depth)


def _follow(
    start: tree_sitter.Node, ctx: FileContext, *, pure: bool = False, through_index: bool = True, after: int = -1
) -> Iterator[_Step]:
    """Every place the value of ``start`` reaches in its function: the expressions around it, the
    names it is stored in and their later uses, the parameter of a local helper it is passed to, and
    the call sites of the local function that returns it. Not flow-sensitive; bounded.

    With ``after``, ``start`` is a name and the value is what it holds from that byte on
    (the list ``random.shuffle(chars)`` shuffled)."""
    flow = _Flow(ctx, through_index)
    if after >= 0:
        flow.bind(start, after, pure, 0)
    else:
        flow.push(start, pure, 0)
    followed = 0
    while flow.queue and followed < _FLOW_ITEMS:
        expression, pure, depth = flow.queue.popleft()
        followed += 1
        yield from _climb(flow, expression, pure, depth)


def _climb(flow: _Flow, expression: tree_sitter.Node, pure: bool, depth: int) -> Iterator[_Step]:
    child, node = expression, expression.parent
    while node is not None:
        if node.type == "argument_list" and node.parent is not None:
            node = node.parent  # the call, with ``child`` one of its arguments
        kind = node.type
        if kind in ("assignment", "augmented_assignment") and child != node.child_by_field_name("right"):
            return
        yield _Step(node, child, pure)
        if kind == "call":
            if not _through_call(flow, node, child, depth):
                return
            pure = pure and function_tail(node) not in ("join", "format")
        elif kind == "subscript" and child != node.child_by_field_name("value"):
            if not flow.through_index:
                return
            pure = True
        elif (kind == "conditional_expression" and _is_condition(child)) or (
            kind == "pair" and child == node.child_by_field_name("key")
        ):
            return
        elif kind == "named_expression":
            name = node.child_by_field_name("name")
            if name is not None:
                flow.bind(name, node.end_byte, pure, depth)
        elif kind in ("assignment", "augmented_assignment"):
            _bind_targets(flow, node, pure and kind == "assignment", depth)
            return
        elif kind == "return_statement":
            if depth == 0:
                _to_callers(flow, node, pure)
            return
        elif kind in _COMBINERS:
            pure = False
        elif kind not in _CARRIERS:
            return
        child, node = node, node.parent


def _is_condition(child: tree_sitter.Node) -> bool:
    """Whether ``child`` is the test of the conditional expression around it (``a if child else b``)."""
    previous = child.prev_sibling
    return previous is not None and previous.type == "if"


def _through_call(flow: _Flow, call: tree_sitter.Node, child: tree_sitter.Node, depth: int) -> bool:
    """Whether the call's result still carries the value; follows appends and local helpers."""
    function = call.child_by_field_name("function")
    tail = function_tail(call)
    if function is None:
        return False
    if child == function:  # a method of the value itself: ``value.hex()``
        return tail not in _OPAQUE_METHODS
    if tail in _OPAQUE_CALLS:
        return False
    receiver = unwrap(function.child_by_field_name("object") or function) if function.type == "attribute" else None
    if tail in _APPENDERS and receiver is not None and receiver.type == "identifier":
        flow.bind(receiver, call.end_byte, False, depth)
        return False
    if depth == 0:
        _into_helper(flow, call, child)
    return True


def _targets(target: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    target = unwrap(target)
    if target.type in _PATTERNS:
        for part in target.named_children:
            yield from _targets(part)
    else:
        yield target


def _assignment_targets(assignment: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Every target of ``a = b = value`` (the value's assignment and the ones it is nested in)."""
    node: tree_sitter.Node | None = assignment
    while node is not None and node.type in ("assignment", "augmented_assignment"):
        left = node.child_by_field_name("left")
        if left is not None:
            yield from _targets(left)
        parent = node.parent
        node = parent if parent is not None and parent.child_by_field_name("right") == node else None


def _bind_targets(flow: _Flow, assignment: tree_sitter.Node, pure: bool, depth: int) -> None:
    for target in _assignment_targets(assignment):
        if target.type == "identifier":
            flow.bind(target, assignment.end_byte, pure, depth)


def _is_load(identifier: tree_sitter.Node) -> bool:
    parent = identifier.parent
    if parent is None:
        return False
    if parent.type == "attribute":
        return parent.child_by_field_name("attribute") != identifier
    if parent.type == "keyword_argument":
        return parent.child_by_field_name("name") != identifier
    if parent.type in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        return parent.child_by_field_name("left") != identifier
    return parent.type not in _PATTERNS and parent.type not in ("parameters", "default_parameter", "typed_parameter")


def _loads(scope: tree_sitter.Node, ctx: FileContext) -> dict[str, list[tree_sitter.Node]]:
    """Per name, the identifiers that read it in ``scope`` (not in nested functions), in source order."""
    cache: dict[tuple[int, int], dict[str, list[tree_sitter.Node]]] = ctx.state.setdefault("python.loads", {})
    key = (scope.start_byte, scope.end_byte)
    found = cache.get(key)
    if found is None:
        found = cache[key] = {}
        body = scope if scope.type == "module" else scope.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            if node.type == "identifier" and _is_load(node):
                found.setdefault(node_text(node), []).append(node)
            stack.extend(c for c in reversed(node.named_children) if c.type not in _DEFINITIONS)
        for uses in found.values():
            uses.sort(key=lambda n: n.start_byte)
    return found


@dataclass(slots=True)
class _FileIndex:
    functions: dict[str, list[tree_sitter.Node]] = field(default_factory=dict)
    calls: dict[str, list[tree_sitter.Node]] = field(default_factory=dict)


_INDEX_QUERY = """
(function_definition name: (identifier) @name) @function
(call function: (identifier) @name) @call
((call function: (attribute object: (identifier) @receiver attribute: (identifier) @name)) @call
 (#any-of? @receiver "self" "cls"))
"""


@cache
def _index_query() -> tree_sitter.Query:
    return tree_sitter.Query(ts_language("python"), _INDEX_QUERY)


def _file_index(ctx: FileContext) -> _FileIndex:
    """The file's function definitions, and its calls of plain or ``self.`` names, by name."""
    index: _FileIndex | None = ctx.state.get("python.index")
    if index is None:
        index = ctx.state["python.index"] = _FileIndex()
        for _, captures in tree_sitter.QueryCursor(_index_query()).matches(ctx.tree.root_node):
            name, function, call = first(captures, "name"), first(captures, "function"), first(captures, "call")
            if name is not None and function is not None:
                index.functions.setdefault(node_text(name), []).append(function)
            elif name is not None and call is not None:
                index.calls.setdefault(node_text(name), []).append(call)
    return index


def _local_callee(call: tree_sitter.Node) -> bool | None:
    """For a call of a plain name, False; of ``self.name``/``cls.name``, True (a method); else None."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "identifier":
        return False
    receiver = function.child_by_field_name("object") if function.type == "attribute" else None
    return True if receiver is not None and node_text(receiver) in ("self", "cls") else None


def _to_callers(flow: _Flow, statement: tree_sitter.Node, pure: bool) -> None:
    function = enclosing_function(statement)
    if function is None:
        return
    for call in _file_index(flow.ctx).calls.get(node_text(function.child_by_field_name("name")), ()):
        flow.push(call, pure, 0)


def _parameters(function: tree_sitter.Node) -> list[str]:
    names: list[str] = []
    for param in (function.child_by_field_name("parameters") or function).named_children:
        if param.type == "identifier":
            names.append(node_text(param))
        elif param.type in ("default_parameter", "typed_default_parameter", "typed_parameter"):
            name = param.child_by_field_name("name") or (param.named_children[0] if param.named_children else None)
            names.append(node_text(name))
        else:
            names.append("")  # *args, **kwargs, / and *: positions past these are not followed
    return names


def _into_helper(flow: _Flow, call: tree_sitter.Node, argument: tree_sitter.Node) -> None:
    """Follow an argument into the parameter of the file's (unique) function of that name."""
    method = _local_callee(call)
    definitions = _file_index(flow.ctx).functions.get(function_tail(call), []) if method is not None else []
    if len(definitions) != 1:
        return
    function = definitions[0]
    params = _parameters(function)[1 if method else 0 :]
    if argument.type == "keyword_argument":
        wanted = node_text(argument.child_by_field_name("name"))
    else:
        positional = [
            a for a in arguments(call) if a.type not in ("keyword_argument", "list_splat", "dictionary_splat")
        ]
        index = next((i for i, a in enumerate(positional) if a == argument), len(params))
        wanted = params[index] if index < len(params) else ""
    if not wanted or wanted not in params:
        return
    for use in _loads(function, flow.ctx).get(wanted, ()):
        flow.push(use, False, 1)


# ---------------------------------------------------------------------------------------------
# PY-S006 weak hash
# ---------------------------------------------------------------------------------------------

_WEAK_HASH_NAMES = frozenset({"md5", "sha1", "md4", "md2", "sha-1", "md-5"})
_WEAK_HASH_CALLS = frozenset(
    {"hashlib.md5", "hashlib.sha1"}
    | {f"{pkg}.Hash.{alg}.new" for pkg in ("Crypto", "Cryptodome") for alg in ("MD5", "SHA1", "MD4", "MD2", "SHA")}
    | {"cryptography.hazmat.primitives.hashes.MD5", "cryptography.hazmat.primitives.hashes.SHA1"}
)
_HMAC_CONSTRUCTORS = frozenset({"cryptography.hazmat.primitives.hmac.HMAC", "hmac.new", "hmac.HMAC"})
# Words that say a hash protects something: what is hashed, where the digest goes, what the code is for.
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "credential", "credentials", "salt"})
_SECURITY_WORDS = _PASSWORD_WORDS | frozenset(
    {"token", "signature", "sign", "signed", "signing", "auth", "authenticate", "authentication", "session"}
    | {"nonce", "apikey", "hmac", "otp", "verify", "verification", "login", "signin", "integrity", "tamper"}
)
# Words that say it does not: caches, ETags, fingerprints, deduplication, sharding.
_NON_SECURITY_WORDS = frozenset(
    {"cache", "cached", "caching", "etag", "fingerprint", "checksum", "dedup", "dedupe", "duplicate", "duplicates"}
    | {"shard", "sharding", "bucket", "partition", "color", "colour", "gravatar", "avatar", "filename", "slug"}
)
_STORE_CALLS = frozenset(
    {"write", "writelines", "execute", "executemany", "set_cookie", "save", "insert_one", "update_one", "put"}
)
_PATH_CALLS = frozenset({"open", "os.path.join", "os.path.exists", "os.makedirs", "pathlib.Path", "Path"})


def _hash_algorithms(node: tree_sitter.Node, ctx: FileContext) -> set[str]:
    """The algorithm names an argument may hold: a literal, or a local name's or parameter default's literals."""
    node = unwrap(node)
    values = [node]
    if node.type == "identifier":
        values = [v for v in bindings(node, ctx) + _parameter_defaults(node) if v is not None]
    found: set[str] = set()
    for value in values:
        branches = value.named_children if value.type == "conditional_expression" else [value]
        found.update(s.lower() for s in (string_value(b) for b in branches) if s is not None)
    return found


def _parameter_defaults(name: tree_sitter.Node) -> list[tree_sitter.Node | None]:
    function = enclosing_function(name)
    params = function.child_by_field_name("parameters") if function is not None else None
    return [
        p.child_by_field_name("value")
        for p in (params.named_children if params is not None else ())
        if p.type in ("default_parameter", "typed_default_parameter")
        and node_text(p.child_by_field_name("name")) == node_text(name)
    ]


def _weak_hash_label(call: tree_sitter.Node, ctx: FileContext) -> str | None:
    name = call_name(call, ctx)
    if name in ("hashlib.new", "hashlib.file_digest"):
        algorithm = argument(call, 0, "name") if name == "hashlib.new" else argument(call, 1, "digest")
        weak = _hash_algorithms(algorithm, ctx) & _WEAK_HASH_NAMES if algorithm is not None else set()
        return f"{name}({min(weak)!r})" if weak else None
    if name not in _WEAK_HASH_CALLS:
        return None
    parent = call.parent.parent if call.parent is not None and call.parent.type == "argument_list" else None
    if parent is not None and parent.type == "call" and call_name(parent, ctx) in _HMAC_CONSTRUCTORS:
        return None  # cryptography's HMAC(key, hashes.SHA1()): HMAC-SHA1 is not broken
    return name


def _store(receiver: tree_sitter.Node | None) -> str:
    """The last name of a subscripted or called object: ``session``, ``mysession``, ``cookies``, ``headers``."""
    return node_text(receiver).rpartition(".")[2].lower()


def _words(text: str) -> set[str]:
    words = name_words(text)
    return set(words) | {a + b for a, b in itertools.pairwise(words)}  # ``api_key`` -> ``apikey``


@dataclass(slots=True)
class _HashEvidence:
    """What the code around a hash says about its purpose, one clause per kind: ``secret`` (a password
    or secret is hashed), ``security`` (compared, signed, named for security), ``stored`` (written
    out), ``benign`` (a cache key, ETag, fingerprint, bucket, file name)."""

    clauses: dict[str, str] = field(default_factory=dict)
    hashed: list[tree_sitter.Node] = field(default_factory=list)

    def note(self, kind: str, clause: str) -> None:
        self.clauses.setdefault(kind, clause)

    def name(self, name: str, clause: str) -> None:
        words = _words(name)
        if words & _SECURITY_WORDS:
            self.note("security", clause)
        elif words & _NON_SECURITY_WORDS:
            self.note("benign", clause)


def _hash_step(step: _Step, evidence: _HashEvidence, ctx: FileContext) -> None:
    node, child, kind = step.node, step.child, step.node.type
    if kind in ("assignment", "augmented_assignment"):
        for target in _assignment_targets(node):
            receiver = target.child_by_field_name("value") if target.type == "subscript" else None
            if receiver is not None and ("session" in _store(receiver) or _store(receiver) == "cookies"):
                evidence.note("stored", f"the digest is stored in `{node_text(receiver)}`")
            name = target_name(target) or node_text(receiver)
            evidence.name(name, f"the digest is stored in `{node_text(target)}`")
    elif kind in ("keyword_argument", "pair") and child != node.child_by_field_name("key"):
        key = node.child_by_field_name("name" if kind == "keyword_argument" else "key")
        name = (target_name(key) or "") if key is not None else ""
        evidence.name(name, f"the digest is passed as `{name}`")
    elif kind == "call":
        _hash_call_step(node, child, evidence, ctx)
    elif kind == "comparison_operator":
        operators = {node_text(c) for c in node.children if not c.is_named}
        other = next((c for c in node.named_children if c != child), None)
        if operators & {"==", "!="}:
            evidence.note("security", f"the digest is compared with `{node_text(other)}`")
        elif operators & {"in", "not in"}:
            evidence.note("benign", "the digest is looked up in a collection")
    elif (kind == "subscript" and child != node.child_by_field_name("value")) or kind == "pair":
        evidence.note("benign", "the digest is a lookup key")  # ``cache[digest]``, ``{digest: ...}``
    elif kind == "binary_operator" and child == node.child_by_field_name("left"):
        if node_text(node.child_by_field_name("operator")) == "%" and unwrap(child).type != "string":
            evidence.note("benign", "the digest picks a bucket")
    elif kind == "return_statement":
        function = enclosing_function(node)
        if function is not None:
            name = node_text(function.child_by_field_name("name"))
            evidence.name(name, f"the digest is returned by `{name}()`")


def _hash_call_step(call: tree_sitter.Node, child: tree_sitter.Node, evidence: _HashEvidence, ctx: FileContext) -> None:
    function = call.child_by_field_name("function")
    tail = function_tail(call)
    if function is None or child == function:
        if tail == "update":
            evidence.hashed.extend(arguments(call))
        return
    receiver = function.child_by_field_name("object") if function.type == "attribute" else None
    if tail in ("compare_digest", "sign", "verify"):
        evidence.note("security", f"the digest is passed to `{node_text(function)}()`")
    elif receiver is not None and _words(node_text(receiver)) & _NON_SECURITY_WORDS:
        evidence.note("benign", f"the digest is passed to `{node_text(function)}()`")
    elif tail in _STORE_CALLS:
        evidence.note("stored", f"the digest is written out with `{node_text(function)}()`")
    elif (call_name(call, ctx) or tail) in _PATH_CALLS or tail == "joinpath":
        evidence.note("benign", "the digest names a file")


def _hash_evidence(call: tree_sitter.Node, ctx: FileContext) -> _HashEvidence:
    evidence = _HashEvidence(hashed=[a for a in arguments(call) if a.type != "keyword_argument"])
    for step in _follow(call, ctx, through_index=False):
        _hash_step(step, evidence, ctx)
    for data in evidence.hashed:
        texts = [node_text(data)]
        texts += [node_text(v) for n in _identifiers(data) for v in bindings(n, ctx) if v is not None]
        words = set().union(*(_words(t) for t in texts))
        if words & _PASSWORD_WORDS:
            evidence.note("secret", f"`{node_text(data)}`")
        elif words & _SECURITY_WORDS:
            evidence.note("security", f"it hashes `{node_text(data)}`")
    return evidence


def _identifiers(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            yield current
        stack.extend(current.named_children)


def _check_weak_hash(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    label = _weak_hash_label(call, ctx) if call is not None else None
    if call is None or label is None or not enclosing_flow(call, ctx).reachable(call):
        return  # code that never runs (``if False:``, after ``return``) hashes nothing
    used_for_security = keyword_arg(call, "usedforsecurity")
    if used_for_security is not None and unwrap(used_for_security).type == "false":
        return
    clauses = _hash_evidence(call, ctx).clauses
    broken = "MD5/SHA-1 collisions are practical; use SHA-256 or better"
    if "secret" in clauses:
        message = (
            f"`{label}` hashes a secret ({clauses['secret']}): MD5/SHA-1 are broken and fast; "
            "passwords need a slow KDF (hashlib.scrypt, argon2, bcrypt)."
        )
    elif "security" in clauses:
        message = f"`{label}` is used for security ({clauses['security']}): {broken}."
    elif "benign" in clauses:
        return  # a cache key, ETag, fingerprint, bucket or file name: not a security use
    elif "stored" in clauses:
        message = f"`{label}` may protect stored data ({clauses['stored']}): {broken}."
    else:
        message = f"`{label}` is a broken hash: {broken}, or pass usedforsecurity=False if not for security."
    yield Hit(call, message=message)


WEAK_HASH = Rule(
    id="PY-S006",
    title="Weak hash algorithm (MD5, SHA-1)",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    cwe=328,
    languages=PY,
    message="MD5 and SHA-1 are broken; use SHA-256 or better, or mark non-security use with usedforsecurity=False.",
    docs=RuleDocs(
        what="Flags calls of `hashlib.md5()`, `hashlib.sha1()`, `hashlib.new(name)` and "
        "`hashlib.file_digest(f, name)` with `name` 'md5', 'sha1', 'md4' or 'md2' (a literal, or a local "
        "name, module constant or parameter default bound to one), and the MD5/SHA-1 constructors of "
        "PyCryptodome and `cryptography`. The hash object and digest are followed through the function "
        "(`.update()`, `.hexdigest()`, assignments, a local helper's parameter, the callers of a local "
        "function returning it) to judge the use. Flagged with the reason when the code shows a security "
        "use: the hashed data (arguments, `.update()` arguments, what their names are bound to) mentions a "
        "password, secret, credential, salt, token, signature, auth, session, nonce, API key, OTP or login; "
        "the digest is compared (`==`, `!=`, `hmac.compare_digest`), signed or verified, or stored in or "
        "returned by a security-named variable or function; or it is written out (file, database, session, "
        "cookie). Not flagged: `usedforsecurity=False`; a digest whose only evidence is non-security "
        "(named or used as a cache key, ETag, fingerprint, checksum, dedup set member, shard or bucket, "
        "file name or path, Gravatar URL) unless it is also compared or hashes a secret; HMAC "
        "(`hmac.new(key, msg, hashlib.md5)`, `cryptography`'s `HMAC(key, hashes.SHA1())`); references that "
        "are not calls; an algorithm the rule cannot resolve. With no evidence either way the call is still "
        "flagged (the rule's confidence is low). There is no automatic fix: another algorithm changes "
        "every digest already stored or published.",
        why="Collisions for MD5 and SHA-1 can be computed cheaply, so they cannot protect integrity "
        "(signatures, certificates, file verification) and are far too fast for passwords.",
        example="import hashlib\n\ndigest = hashlib.md5(password.encode()).hexdigest()\n"
        "if digest == user.password_hash: ...",
        use_instead="import hashlib\n\ndigest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)\n"
        "# a cache key, not security:\nkey = hashlib.md5(payload, usedforsecurity=False).hexdigest()",
    ),
    query=calls_named("md5", "sha1", "new", "MD5", "SHA1", "file_digest"),
    check=_check_weak_hash,
    references=(cwe_url(328), cwe_url(327), OWASP_CRYPTO),
)

# ---------------------------------------------------------------------------------------------
# PY-S007 weak random for secrets
# ---------------------------------------------------------------------------------------------

_RANDOM_FUNCS = frozenset(
    {"random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "uniform", "randbytes"}
    | {"shuffle", "gauss", "normalvariate", "triangular", "betavariate", "expovariate", "gammavariate"}
    | {"lognormvariate", "vonmisesvariate", "paretovariate", "weibullvariate", "binomialvariate"}
)
_NUMPY_RANDOM_FUNCS = frozenset(
    {"randint", "choice", "bytes", "rand", "random", "random_sample", "random_integers", "integers", "shuffle"}
    | {"permutation", "randn", "normal", "uniform"}
)
_RANDOM_CONSTRUCTORS = frozenset({"random.Random"})
_NUMPY_CONSTRUCTORS = frozenset({"numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator"})
_SESSION_METHODS = frozenset({"set", "update", "setdefault", "__setitem__"})
_HEADER_METHODS = frozenset({"add", "set", "add_header", "set_header", "__setitem__", "append", "setdefault"})
_SECRET_HEADER = re.compile(r"(?i)token|auth|key|secret|session|csrf|xsrf|nonce|signature|otp|password")
_URL_PARAM = re.compile(r"[?&;#]([A-Za-z_][\w.-]*)=$")
_URL_SECRET_PARAMS = frozenset({"code", "state", "sig", "key", "auth", "sid", "session"})
# Where a random value becomes a key: the call, and the argument position or keyword of the key.
_KEY_SINKS: dict[str, tuple[int, str, str]] = {
    "hmac.new": (0, "key", "an HMAC key"),
    "hmac.digest": (0, "key", "an HMAC key"),
    "jwt.encode": (1, "key", "a JWT signing key"),
    "cryptography.fernet.Fernet": (0, "key", "an encryption key"),
    "cryptography.hazmat.primitives.hmac.HMAC": (0, "key", "an HMAC key"),
} | {
    f"{pkg}.Cipher.{alg}.new": (0, "key", "an encryption key")
    for pkg in ("Crypto", "Cryptodome")
    for alg in ("AES", "DES", "DES3", "ChaCha20", "Blowfish", "ARC4")
}
_SIGNERS = re.compile(r"(Serializer|Signer)$")
_GENERATED_SECRETS = GENERATED_SECRET_NOUNS | frozenset({"sid", "sessionid", "sessid", "rememberme", "captcha"})


def _random_source(call: tree_sitter.Node, ctx: FileContext) -> tuple[str, str] | None:
    """``(label, function)`` for a call into the non-cryptographic generators, else None."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    name = call_name(call, ctx) or ""
    module, _, func = name.rpartition(".")
    if (module == "random" and func in _RANDOM_FUNCS) or (module == "numpy.random" and func in _NUMPY_RANDOM_FUNCS):
        return name, func
    receiver = function.child_by_field_name("object") if function.type == "attribute" else None
    func = function_tail(call)
    if receiver is not None and func in _RANDOM_FUNCS and built_by(receiver, ctx, _RANDOM_CONSTRUCTORS):
        return f"random.Random.{func}", func
    if receiver is not None and func in _NUMPY_RANDOM_FUNCS and built_by(receiver, ctx, _NUMPY_CONSTRUCTORS):
        return f"numpy.random.Generator.{func}", func
    return None


def _secret_name(name: str) -> bool:
    words = name_words(name)
    remember_me = "remember" in words and words[-1] in ("me", "token", "key", "cookie", "value", "id")
    return remember_me or secret_noun(name, _GENERATED_SECRETS) is not None


def _secret_target(target: tree_sitter.Node, ctx: FileContext) -> str | None:
    """Where a stored random value is security-relevant: a secret-named variable, attribute or key,
    the session, a cookie jar, a security header."""
    target = unwrap(target)
    if target.type in ("identifier", "attribute"):
        name = target_name(target) or ""
        return f"`{node_text(target)}`" if _secret_name(name) else None
    if target.type != "subscript":
        return None
    key = bound_text(target.child_by_field_name("subscript"), ctx)
    store = _store(target.child_by_field_name("value"))
    if "session" in store and not is_preference_cookie(key):
        return f"the session (`{node_text(target)}`)"
    if store == "cookies":
        return f"cookie `{key}`" if key else "a cookie"
    if store == "headers":
        return _secret_header(key)
    return f"`{node_text(target)}`" if key and _secret_name(key) else None


def _secret_header(header: str) -> str | None:
    if header.lower() == "set-cookie":
        return "a Set-Cookie header"
    return f"header `{header}`" if _SECRET_HEADER.search(header) else None


def _secret_call(call: tree_sitter.Node, child: tree_sitter.Node, ctx: FileContext) -> str | None:
    """Where an argument of a call is security-relevant: a cookie value, the session, a key."""
    function = call.child_by_field_name("function")
    if function is None or child == function:
        return None
    tail = function_tail(call)
    value = child.child_by_field_name("value") if child.type == "keyword_argument" else child
    if tail in ("set_cookie", "set_signed_cookie", "set_secure_cookie"):
        if value == argument(call, 1, "value"):
            cookie = bound_text(argument(call, 0, "key", "name"), ctx)
            return None if is_preference_cookie(cookie) else f"cookie `{cookie}`" if cookie else "a cookie"
        return None
    store = _store(function.child_by_field_name("object") if function.type == "attribute" else None)
    if "session" in store and tail in _SESSION_METHODS:
        return f"the session (`{node_text(function)}()`)"
    if tail in _HEADER_METHODS and (store == "headers" or tail.endswith("_header")) and value != argument(call, 0):
        return _secret_header(bound_text(argument(call, 0), ctx))
    name = call_name(call, ctx) or tail
    sink = _KEY_SINKS.get(name)
    if sink is not None and value == argument(call, sink[0], sink[1]):
        return sink[2]
    if _SIGNERS.search(tail) and value == argument(call, 0, "secret_key"):
        return "a signing key"
    return None


def _url_parameter(text: str) -> str | None:
    match = _URL_PARAM.search(text)
    if match is None:
        return None
    param = match.group(1)
    return param if param.lower() in _URL_SECRET_PARAMS or _secret_name(param) else None


def _secret_use(step: _Step, ctx: FileContext) -> str | None:
    """Where the random value reaching ``step`` becomes security-relevant, or None."""
    node, child, kind = step.node, step.child, step.node.type
    if step.pure:
        return None  # one element picked from a collection is selection, not generation
    if kind in ("assignment", "augmented_assignment"):
        return next((w for w in (_secret_target(t, ctx) for t in _assignment_targets(node)) if w), None)
    if kind == "named_expression":
        return _secret_target(node.child_by_field_name("name") or node, ctx)
    if kind == "keyword_argument":
        name = node_text(node.child_by_field_name("name"))
        return f"`{name}=`" if _secret_name(name) else None
    if kind == "pair":
        key = bound_text(node.child_by_field_name("key"), ctx)
        return f"the `{key}` entry" if key and _secret_name(key) else None
    if kind == "call":
        return _secret_call(node, child, ctx)
    if kind == "return_statement":
        function = enclosing_function(node)
        name = node_text(function.child_by_field_name("name")) if function is not None else ""
        return f"the return value of `{name}()`" if name and _secret_name(name) else None
    if kind == "string" and child.type == "interpolation":
        before = "".join(
            node_text(c) for c in node.named_children if c.type == "string_content" and c.end_byte <= child.start_byte
        )
        param = _url_parameter(before)
        return f"URL parameter `{param}`" if param else None
    if kind == "binary_operator" and child == node.child_by_field_name("right"):
        param = _url_parameter(literal_text(node.child_by_field_name("left")).rstrip())
        return f"URL parameter `{param}`" if param else None
    return None


def _check_weak_random(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    source = _random_source(call, ctx) if call is not None else None
    if call is None or source is None or not enclosing_flow(call, ctx).reachable(call):
        return
    label, func = source
    shuffled = unwrap(positional_arg(call, 0) or call) if func == "shuffle" else call
    if shuffled.type == "identifier":  # random.shuffle(chars): the list is what comes out
        steps = _follow(shuffled, ctx, after=call.end_byte)
    else:
        steps = _follow(call, ctx, pure=func == "choice")
    found = next(((step.node, where) for step in steps if (where := _secret_use(step, ctx))), None)
    if found is None:
        return
    sink, where = found
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and function.type == "attribute" else None
    fix = None
    if function is not None and receiver is not None and label == f"random.{func}" and receiver.type == "identifier":
        fix = ctx.replace(
            function,
            f"{node_text(receiver)}.SystemRandom().{func}",
            "Use the OS CSPRNG (random.SystemRandom, as the secrets module does)",
        )
    yield Hit(
        call,
        message=f"`{label}()` is predictable and its value ends up in {where}; use the `secrets` module.",
        fix=fix,
        flow=(FlowStep(ctx.span(call), f"source: {label}()"), FlowStep(ctx.span(sink), f"sink: {where}")),
    )


WEAK_RANDOM = Rule(
    id="PY-S007",
    title="Predictable random value used as a secret",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=330,
    languages=PY,
    message="A secret is generated with the `random` module, which is predictable; use `secrets`.",
    docs=RuleDocs(
        what="Flags a call into `random` (module functions, `random.Random(seed)` instances) or "
        "`numpy.random` (functions, `default_rng()`/`RandomState()` generators) whose value, followed "
        "through the function (assignments, `str()`/`hex()`/f-strings/`+`/`%`/slicing/`''.join(...)`, "
        "appends, the list `random.shuffle(chars)` shuffled, a local helper's parameter, the callers of a "
        "local function returning it), reaches a security-relevant use: a name, attribute, keyword or dict "
        "key whose head noun is a secret (`token`, `password`, `api_key`, `nonce`, `salt`, `otp`, `pin`, "
        "`captcha`, `session_id`, `sid`, `reset_code`, `remember_me`...); a cookie value "
        "(`set_cookie(name, value)`, `response.cookies[...] =`); the session (`session[...] =`, "
        "`request.session[...] =`, `session.update(...)`, any store whose name contains `session`); a "
        "security header (`X-Auth-Token`, `Set-Cookie`...); the return value of a function so named "
        "(`generate_token()`); an HMAC, JWT, cipher, Fernet or itsdangerous key; or a URL parameter such as "
        "`?token=`, `?code=`, `?state=`. Reported once, at the random call, naming where the value ends up. "
        "Not flagged: values that never reach such a use (delays, sampling, `if random.random() < p`, "
        "`X-Request-ID`); one element picked with `random.choice(items)` or `items[random.randrange(n)]` "
        "and passed on unchanged; `token_count`/`pad_token`-style names; preference cookies and session "
        "keys (`theme`, `ab_variant`); `random.SystemRandom()` and `secrets`. Any other value stored in the "
        "session counts, so a dice roll kept in `session['roll']` is flagged. "
        "The fix switches a `random.f(...)` call to `random.SystemRandom().f(...)`.",
        why="`random` is a Mersenne Twister: after 624 outputs an observer can predict every future "
        "value, and seeds are often guessable. Tokens, passwords and nonces made with it can be forged.",
        example="import random\n\n"
        "value = str(random.random())[2:]\n"
        "response.set_cookie('rememberMe', value, secure=True, httponly=True)",
        use_instead="import secrets\n\n"
        "value = secrets.token_urlsafe(32)\n"
        "response.set_cookie('rememberMe', value, secure=True, httponly=True)",
    ),
    query=calls_named(*sorted(_RANDOM_FUNCS | _NUMPY_RANDOM_FUNCS)),
    check=_check_weak_random,
    references=(cwe_url(330), cwe_url(338), "https://docs.python.org/3/library/secrets.html"),
)


RULES: tuple[Rule, ...] = (WEAK_HASH, WEAK_RANDOM)
