"""PY-P008: expensive work redone with the same arguments on every loop iteration.

PY-P008 shares the loop model of :mod:`pyperf` (:func:`per_item_loops`) and adds what that rule needs on
top: what a loop binds and mutates (computed once per loop and file), whether an expression is invariant
in it, and whether hoisting the call would change what the program does — a fresh object that the loop
mutates or keeps, state outside the program that the loop changes, a call that runs once before a
``break``. Each of those is a false-positive trap the fixture spells out, and together they are why this
module is longer than most: a rule that only checked the arguments' names would mostly report code that
is right. PY-P009 recognises uploads with the request conventions of :mod:`reviewlab.engine.taint.spec`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    LITERAL_TYPES,
    PY,
    Node,
    argument,
    arguments,
    bindings,
    call_name,
    calls_named,
    cwe_url,
    enclosing_scope,
    function_tail,
    node_text,
    positional_arg,
    read_identifiers,
    scope_table,
    string_value,
    unwrap,
)
from reviewlab.engine.rules.pyperf import fixed_count, per_item_loops

# ---------------------------------------------------------------------------------------------
# PY-P008 expensive call with loop-invariant arguments inside a loop
# ---------------------------------------------------------------------------------------------

# What a call returns decides whether hoisting it is safe. VALUE: an immutable value (str, bytes, bool,
# number, datetime, module), always safe. FRESH: a new list or iterator of shared items; safe unless the
# loop mutates or keeps that container. DEEP: a new tree of objects (parsed JSON, a deep copy); safe
# unless the loop mutates or keeps any part of it.
VALUE, FRESH, DEEP = "value", "fresh", "deep"


@dataclass(frozen=True, slots=True)
class _Cost:
    result: str
    io: bool = False  # observes files, network or processes: state the loop itself may change


# Known-expensive functions, by qualified name. Not here: ``re.compile`` (PY-P003 and the ``re`` cache);
# ``json.load`` / ``pickle.load`` (each call reads the next value of a stream: a loop over them is how a
# stream of records is read); ``subprocess.run`` / ``call`` (run for their effect, which the loop wants
# each time); ``copy.copy`` (shallow, cheap).
EXPENSIVE: dict[str, _Cost] = {
    "sorted": _Cost(FRESH),
    "json.loads": _Cost(DEEP),
    **{f"yaml.{name}": _Cost(DEEP) for name in ("safe_load", "load", "full_load", "unsafe_load")},
    "pickle.loads": _Cost(DEEP),
    "tomllib.loads": _Cost(DEEP),
    "copy.deepcopy": _Cost(DEEP),
    "ast.parse": _Cost(DEEP),
    "ast.literal_eval": _Cost(DEEP),
    "xml.etree.ElementTree.fromstring": _Cost(DEEP),
    "xml.etree.ElementTree.parse": _Cost(DEEP, io=True),
    "datetime.datetime.strptime": _Cost(VALUE),
    "datetime.strptime": _Cost(VALUE),  # ``datetime`` taken at its word when the file does not import it
    "time.strptime": _Cost(VALUE),
    "importlib.import_module": _Cost(VALUE, io=True),  # the import lock and finders; reads ``sys.modules``
    **{f"inspect.{name}": _Cost(VALUE) for name in ("getsource", "getsourcelines", "signature", "getfullargspec")},
    "os.listdir": _Cost(FRESH, io=True),
    "os.scandir": _Cost(FRESH, io=True),
    "os.walk": _Cost(DEEP, io=True),  # yields the ``dirs`` lists callers prune in place
    "glob.glob": _Cost(FRESH, io=True),
    "glob.iglob": _Cost(FRESH, io=True),
    "os.stat": _Cost(VALUE, io=True),
    **{f"os.path.{name}": _Cost(VALUE, io=True) for name in ("exists", "isfile", "isdir", "getsize", "getmtime")},
    "socket.gethostbyname": _Cost(VALUE, io=True),
    "socket.getaddrinfo": _Cost(FRESH, io=True),
    "subprocess.check_output": _Cost(VALUE, io=True),
    "subprocess.getoutput": _Cost(VALUE, io=True),
}
# Methods of a ``pathlib.Path`` built from an invariant path, and of ``open(...)`` / ``hashlib.<algo>(...)``.
PATH_METHODS: dict[str, _Cost] = {
    **{name: _Cost(VALUE, io=True) for name in ("read_text", "read_bytes", "exists", "is_file", "is_dir", "stat")},
    **{name: _Cost(FRESH, io=True) for name in ("glob", "rglob", "iterdir")},
}
FILE_METHODS: dict[str, _Cost] = {"read": _Cost(VALUE, io=True), "readlines": _Cost(FRESH, io=True)}
# Loaders given a file opened in place: ``json.load(open(PATH))`` reads the same file each time.
FILE_LOADERS = frozenset(
    {"json.load", "pickle.load", "tomllib.load", "yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load"}
)
DIGEST_METHODS: dict[str, _Cost] = {"hexdigest": _Cost(VALUE), "digest": _Cost(VALUE)}
_PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path"})
_OPENERS = frozenset({"open", "io.open"})
_TAILS = frozenset(name.rsplit(".", 1)[-1] for name in EXPENSIVE.keys() | FILE_LOADERS) | PATH_METHODS.keys()

# Calls that may appear inside an invariant expression: results that depend only on their arguments.
PURE_CALLS = frozenset(
    {"len", "str", "int", "float", "bool", "bytes", "tuple", "list", "set", "frozenset", "dict", "repr", "abs"}
    | {"min", "max", "sum", "any", "all", "reversed", "enumerate", "zip", "range", "isinstance", "ord", "chr"}
    | {"round", "hex", "operator.itemgetter", "operator.attrgetter", "functools.cmp_to_key", "os.fspath"}
    | {f"os.path.{name}" for name in ("join", "dirname", "basename", "splitext", "normpath", "expanduser")}
    | _PATHS
)
# Methods that read their receiver without changing it (``d.items()``, ``name.lower()``).
PURE_METHODS = frozenset(
    {"items", "keys", "values", "get", "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit"}
    | {"splitlines", "join", "format", "encode", "decode", "replace", "startswith", "endswith", "count"}
    | {"index", "find", "copy"}
)
# Methods that change a list, dict or set in place.
MUTATORS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "sort", "reverse", "update"}
    | {"setdefault", "add", "discard", "difference_update", "intersection_update", "appendleft", "extendleft"}
    | {"symmetric_difference_update", "rotate", "__setitem__", "__delitem__"}
)
# Calls that change files, processes or time, after which a file-system or network call may answer
# differently: the loop creates what it checks for, or polls.
_WRITES = frozenset(
    {f"os.{name}" for name in ("makedirs", "mkdir", "remove", "unlink", "rename", "replace", "rmdir", "chdir")}
    | {f"os.{name}" for name in ("removedirs", "symlink", "link", "chmod", "utime", "system", "truncate")}
)
_WRITE_MODULES = ("shutil.", "subprocess.", "tempfile.", "importlib.")
_STATE_MODULES = frozenset({"sys", "os"})  # interpreter state: ``sys.path``, ``sys.modules``, ``os.environ``
_WRITE_METHODS = frozenset(
    {"write", "writelines", "write_text", "write_bytes", "mkdir", "touch", "unlink", "rmdir", "rename"}
    | {"symlink_to", "hardlink_to", "extractall", "save", "dump", "sleep", "flush"}
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})
_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
_STOPS = frozenset({"break_statement", "return_statement", "raise_statement"})
_MAX_DEPTH = 3


@dataclass(slots=True)
class _LoopFacts:
    """What one loop binds, mutates and changes outside the program, over all its iterations."""

    bound: dict[str, list[Node | None]] = field(default_factory=dict)  # name -> ``name = value`` values
    mutated: set[str] = field(default_factory=set)  # roots of ``x.append()``, ``x[i] = ``, ``f(x)``
    writes: bool = False
    opaque: bool = False  # calls a function that may change module state (``register(x)``, ``self.load()``)
    reads: dict[str, int] = field(default_factory=dict)  # how often each name appears

    def bind(self, name: str, value: Node | None = None) -> None:
        self.bound.setdefault(name, []).append(value)

    def mutate(self, root: Node) -> None:
        name = node_text(root)
        self.mutated.add(name)
        if name in _STATE_MODULES:  # ``sys.path.insert``, ``del sys.modules[k]``, ``os.environ[k] = v``
            self.writes = True


def _root(node: Node) -> Node:
    """``items`` for ``items``, ``items[0]``, ``self.items.data``."""
    node = unwrap(node)
    while node.type in ("attribute", "subscript"):
        inner = node.child_by_field_name("object" if node.type == "attribute" else "value")
        if inner is None:
            break
        node = unwrap(inner)
    return node


def _bind_target(target: Node, facts: _LoopFacts, value: Node | None = None) -> None:
    target = unwrap(target)
    if target.type == "identifier":
        facts.bind(node_text(target), value)
    elif target.type in ("attribute", "subscript"):
        facts.mutate(_root(target))
    else:  # tuples, lists, starred targets, ``with ... as (a, b)``
        for child in target.named_children:
            _bind_target(child, facts)


def _opens_for_writing(call: Node, ctx: FileContext) -> bool:
    mode = argument(call, 1, "mode")
    text = string_value(mode) if mode is not None else "r"
    return text is None or any(c in text for c in "wax+")


def _record_call(call: Node, facts: _LoopFacts, ctx: FileContext) -> None:
    name, tail = call_name(call, ctx) or "", function_tail(call)
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None else None
    method = receiver is not None
    reads = tail in PURE_METHODS or tail in PATH_METHODS or tail in DIGEST_METHODS
    if receiver is not None and not reads and (not name or tail in MUTATORS):  # not ``os.listdir(...)``
        facts.mutate(_root(receiver))
    keeps = _keeps_arguments(name) or (method and (reads or tail in _LOG_METHODS))
    if not keeps and not (method and (reads or tail in MUTATORS or tail in FILE_METHODS)):
        facts.opaque = True
    if not keeps:
        for arg in arguments(call):  # a callee may change what it is given
            value = arg.child_by_field_name("value") if arg.type == "keyword_argument" else arg
            if value is not None and unwrap(_root(value)).type == "identifier":
                facts.mutate(_root(value))
    if name not in EXPENSIVE and (
        name in _WRITES
        or name.startswith(_WRITE_MODULES)
        or tail in _WRITE_METHODS
        or (name in _OPENERS and _opens_for_writing(call, ctx))
    ):
        facts.writes = True


def _keeps_arguments(name: str) -> bool:
    """Whether a function leaves its arguments as they were: the pure and expensive calls above, ``open``,
    ``print`` and the ``hashlib`` constructors."""
    return (
        name in PURE_CALLS
        or name in EXPENSIVE
        or name in FILE_LOADERS
        or name in _OPENERS
        or name == "print"
        or name.startswith("hashlib.")
    )


def _loop_facts(loop: Node, ctx: FileContext) -> _LoopFacts:
    """The loop's facts, collected once per loop and file by one walk that skips nested scopes' bodies."""
    cache: dict[tuple[int, int], _LoopFacts] = ctx.state.setdefault("pycosts.loops", {})
    key = (loop.start_byte, loop.end_byte)
    if key in cache:
        return cache[key]
    facts = cache[key] = _LoopFacts()
    stack = [loop]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in _SCOPES:
            if kind != "lambda":
                facts.bind(node_text(node.child_by_field_name("name")))
            continue
        if kind == "assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                _bind_target(left, facts, right if unwrap(left).type == "identifier" else None)
        elif kind == "augmented_assignment":  # ``items += [x]`` rebinds and extends in place
            left = node.child_by_field_name("left")
            if left is not None:
                _bind_target(left, facts)
                facts.mutate(_root(left))
        elif kind in ("for_statement", "for_in_clause"):
            left = node.child_by_field_name("left")
            if left is not None:
                _bind_target(left, facts)
        elif kind == "named_expression":
            facts.bind(node_text(node.child_by_field_name("name")))
        elif kind in ("as_pattern_target", "delete_statement", "case_pattern"):
            _bind_target(node, facts)
        elif kind in ("global_statement", "nonlocal_statement", "import_statement", "import_from_statement"):
            for child in node.named_children:
                for identifier in _identifiers(child):
                    facts.bind(node_text(identifier))
        elif kind == "call":
            _record_call(node, facts, ctx)
        elif kind == "identifier":
            facts.reads[node_text(node)] = facts.reads.get(node_text(node), 0) + 1
        stack.extend(node.named_children)
    return facts


def _identifiers(node: Node) -> Iterator[Node]:
    """The names an expression reads, without attribute and keyword names. Names that a lambda or
    comprehension inside it binds are included: if the loop binds them too, the expression counts as varying."""
    return read_identifiers(node)


def _invariant(node: Node, loop: Node, facts: _LoopFacts, ctx: FileContext, depth: int = 0) -> bool:
    """Whether ``node`` has the same value on every iteration: no name it reads is bound or mutated by the
    loop (except a name bound once, before, to an invariant value), and every call in it is pure."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("await", "yield"):
            return False
        if current.type == "call":
            function = current.child_by_field_name("function")
            pure_method = (
                function is not None and function.type == "attribute" and function_tail(current) in PURE_METHODS
            )
            if not pure_method and call_name(current, ctx) not in PURE_CALLS:
                return False
        stack.extend(current.named_children)
    for identifier in _identifiers(node):
        name = node_text(identifier)
        if name in facts.mutated or _alias_mutated(name, loop, facts, ctx):
            return False
        values = facts.bound.get(name)
        if values is None:
            if facts.opaque and _mutable_global(identifier, ctx):
                return False
            continue
        value = values[0]
        if (
            len(values) != 1
            or value is None
            or depth >= _MAX_DEPTH
            or value.start_byte > node.start_byte
            or not _invariant(value, loop, facts, ctx, depth + 1)
        ):
            return False
    return True


def _alias_mutated(name: str, loop: Node, facts: _LoopFacts, ctx: FileContext) -> bool:
    """Whether the loop mutates another name for the same object: ``alias = name`` or ``name = alias``."""
    if not facts.mutated:
        return False
    table = scope_table(enclosing_scope(loop), ctx).values

    def aliases(a: str, b: str) -> bool:
        return any(v is not None and node_text(unwrap(v)) == b for v in table.get(a, ()))

    return any(aliases(m, name) or aliases(name, m) for m in facts.mutated)


def _mutable_global(identifier: Node, ctx: FileContext) -> bool:
    """Whether a name is a module-level list, dict, set or object (not a string, number, tuple or path),
    which a function the loop calls may change."""
    name, scope = node_text(identifier), enclosing_scope(identifier)
    if scope.type != "module" and name in scope_table(scope, ctx).values:
        return False
    while scope.parent is not None:
        scope = scope.parent
    values = scope_table(scope, ctx).values.get(name, [])  # None: an import, ``def`` or ``class``
    return any(v is not None and not _immutable(v, ctx) for v in values)


def _immutable(value: Node, ctx: FileContext) -> bool:
    value = unwrap(value)
    if value.type in LITERAL_TYPES or value.type in ("string", "concatenated_string"):
        return True
    if value.type in ("tuple", "binary_operator"):
        return all(_immutable(c, ctx) for c in value.named_children if c.type != "comment")
    if value.type == "attribute":  # ``Path(__file__).parent``
        obj = value.child_by_field_name("object")
        return obj is not None and _immutable(obj, ctx)
    return value.type == "call" and call_name(value, ctx) in PURE_CALLS - {"list", "set", "dict"}


def _repeats(loop: Node, facts: _LoopFacts) -> bool:
    """Whether the loop only repeats its body: ``for _ in range(n)`` with targets it never reads
    (benchmarks, warm-ups, stress tests mean to redo the work)."""
    if loop.type == "while_statement":
        return False
    clauses = [loop] if loop.type == "for_statement" else [c for c in loop.named_children if c.type == "for_in_clause"]
    for clause in clauses:
        right, left = clause.child_by_field_name("right"), clause.child_by_field_name("left")
        if right is None or left is None or right.type != "call" or function_tail(right) != "range":
            return False
        if any(facts.reads.get(node_text(t), 0) > 1 for t in _identifiers(left)):
            return False
    return True


def _in_try(call: Node, loop: Node) -> bool:
    """Whether a ``try`` inside the loop guards the call: a retry, or a skip of what failed this time."""
    node = call.parent
    while node is not None and node != loop:
        if node.type == "try_statement":
            return True
        node = node.parent
    return False


@dataclass(frozen=True, slots=True)
class _Candidate:
    label: str
    cost: _Cost
    parts: tuple[Node, ...]  # the expressions that must not change: arguments and receiver


def _path_receiver(receiver: Node, ctx: FileContext, follow: bool = True) -> Node | None:
    """The ``Path(...)`` a receiver is built from: ``Path(p)``, ``Path(p) / "x"``, ``Path(p).parent``,
    or a local name bound to one of those; returns the receiver expression to check for invariance."""
    node = unwrap(receiver)
    base = node
    while base.type in ("binary_operator", "attribute"):
        if base.type == "binary_operator":
            operator = base.child_by_field_name("operator")
            if operator is None or operator.type != "/":
                return None
            base = unwrap(base.child_by_field_name("left") or base)
        elif node_text(base.child_by_field_name("attribute")) in ("parent", "parents"):
            base = unwrap(base.child_by_field_name("object") or base)
        else:
            return None
    if base.type == "call" and call_name(base, ctx) in _PATHS:
        return node
    if base.type == "identifier" and follow:
        values = [v for v in bindings(base, ctx) if v is None or v.type != "augmented_assignment"]
        if values and all(v is not None and _path_receiver(v, ctx, follow=False) is not None for v in values):
            return node
    return None


def _candidate(call: Node, ctx: FileContext) -> _Candidate | None:
    args = tuple(arguments(call))
    name = call_name(call, ctx)
    stream = positional_arg(call, 0)
    if name in FILE_LOADERS and stream is not None and stream.type == "call" and call_name(stream, ctx) in _OPENERS:
        rest = tuple(a for a in args if a != stream)
        return _Candidate(f"{name}(open(...))", _Cost(DEEP, io=True), (*rest, *arguments(stream)))
    if name in EXPENSIVE:
        return _Candidate(f"{name}()", EXPENSIVE[name], args)
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    receiver = unwrap(function.child_by_field_name("object") or function)
    tail = function_tail(call)
    if tail in FILE_METHODS and receiver.type == "call" and call_name(receiver, ctx) in _OPENERS:
        return _Candidate(f"open(...).{tail}()", FILE_METHODS[tail], (*args, *arguments(receiver)))
    if tail in DIGEST_METHODS and receiver.type == "call" and positional_arg(receiver, 0) is not None:
        algorithm = call_name(receiver, ctx) or ""
        if algorithm.startswith("hashlib."):
            return _Candidate(f"{algorithm}(...).{tail}()", DIGEST_METHODS[tail], tuple(arguments(receiver)))
    if tail in PATH_METHODS:
        path = _path_receiver(receiver, ctx)
        if path is not None:
            return _Candidate(f"Path.{tail}()", PATH_METHODS[tail], (*args, path))
    return None


def _runs_once(call: Node, loop: Node) -> bool:
    """Whether the call sits in a ``return`` / ``raise``, or before a ``break`` / ``return`` / ``raise`` of
    its block: it runs at most once per pass of the loop (a search that stops at the first match)."""
    node = call
    while node != loop and node.parent is not None:
        if node.type in ("return_statement", "raise_statement"):
            return True
        sibling = node.next_named_sibling if node.parent.type == "block" else None
        while sibling is not None:
            if sibling.type in _STOPS:
                return True
            sibling = sibling.next_named_sibling
        node = node.parent
    return False


def _escapes(node: Node, result: str, loop: Node, ctx: FileContext, depth: int = 0) -> bool:
    """Whether the fresh object ``node`` evaluates to (or for DEEP, any part of it) may be mutated or kept
    past the iteration: then each iteration needs its own, and hoisting would share one."""
    while True:
        parent = node.parent
        if parent is None or depth > _MAX_DEPTH:
            return True
        kind = parent.type
        if kind in ("parenthesized_expression", "conditional_expression", "boolean_operator"):
            node = parent  # the value flows through
            continue
        if kind == "attribute" and parent.child_by_field_name("object") == node:
            call = parent.parent
            if call is not None and call.type == "call" and call.child_by_field_name("function") == parent:
                if node_text(parent.child_by_field_name("attribute")) in MUTATORS:
                    return True
                if result == DEEP:  # ``data.get("items")`` may be a part of the tree
                    node = call
                    continue
                return False
            if result == DEEP:
                node = parent
                continue
            return False
        if kind == "subscript" and parent.child_by_field_name("value") == node:
            if result == DEEP:
                node = parent
                continue
            return _assigned_to(parent)
        if kind in ("comparison_operator", "not_operator", "binary_operator", "unary_operator", "interpolation"):
            return False
        if kind in ("expression_statement", "return_statement", "assert_statement"):
            return False
        if kind in ("if_statement", "elif_clause", "while_statement", "if_clause"):
            return parent.child_by_field_name("condition") != node and kind != "if_clause"
        if kind == "argument_list":
            return _escapes_into_call(parent, node, result, loop, ctx, depth)
        if kind in ("for_statement", "for_in_clause") and parent.child_by_field_name("right") == node:
            if result == FRESH:
                return False  # the items are not the loop's to keep apart
            left = parent.child_by_field_name("left")
            return kind == "for_in_clause" or left is None or _names_escape(left, result, loop, ctx, depth)
        if kind == "assignment" and parent.child_by_field_name("right") == node:
            left = unwrap(parent.child_by_field_name("left") or parent)
            if left.type == "identifier" or result == DEEP:
                return _names_escape(left, result, loop, ctx, depth)
            return left.type in ("attribute", "subscript")  # unpacking a fresh list keeps no list
        return True


def _assigned_to(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type in ("assignment", "augmented_assignment", "delete_statement")


def _escapes_into_call(args: Node, node: Node, result: str, loop: Node, ctx: FileContext, depth: int) -> bool:
    call = args.parent
    if call is None or call.type != "call":
        return True
    name = call_name(call, ctx)
    if name in ("list", "tuple", "set", "frozenset", "sorted", "reversed", "enumerate", "zip"):
        return result == DEEP and _escapes(call, result, loop, ctx, depth + 1)  # a new container, shared items
    return name not in PURE_CALLS and name != "print"


def _names_escape(target: Node, result: str, loop: Node, ctx: FileContext, depth: int) -> bool:
    """Whether a name bound to the fresh object is mutated or kept anywhere in the loop (a use inside a
    nested function or lambda keeps it)."""
    names = {node_text(i) for i in _identifiers(target) if i.type == "identifier"}
    if not names or unwrap(target).type not in ("identifier", "pattern_list", "tuple_pattern", "tuple"):
        return True
    stack = [loop]
    while stack:
        node = stack.pop()
        if (
            node.type == "identifier"
            and node_text(node) in names
            and not _is_target(node)
            and (_in_nested_scope(node, loop) or _escapes(node, result, loop, ctx, depth + 1))
        ):
            return True
        stack.extend(node.named_children)
    return False


def _is_target(identifier: Node) -> bool:
    """Whether an identifier is the name being bound (``x = ...``, ``for x in``), not a read."""
    node, parent = identifier, identifier.parent
    while parent is not None and parent.type in ("pattern_list", "tuple_pattern", "tuple", "list_pattern"):
        node, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type in ("assignment", "for_statement", "for_in_clause"):
        return parent.child_by_field_name("left") == node
    return (
        parent.type in ("keyword_argument", "as_pattern_target", "named_expression")
        and parent.named_children[0] == node
    )


def _in_nested_scope(node: Node, loop: Node) -> bool:
    current = node.parent
    while current is not None and current != loop:
        if current.type in _SCOPES:
            return True
        current = current.parent
    return False


def _check_invariant_call(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    loops = per_item_loops(call) if call is not None else []
    if call is None or not loops:
        return
    candidate = _candidate(call, ctx)
    if candidate is None:
        return
    loop = loops[0]
    if candidate.cost.io and loop.type == "while_statement":
        return  # polling and retries ask the same question until the answer changes
    facts = _loop_facts(loop, ctx)
    if candidate.cost.io and (facts.writes or _in_try(call, loop)):
        return
    if fixed_count(loop) or _repeats(loop, facts):
        return  # a count fixed in the source does not grow with the data
    if _runs_once(call, loop) or not all(_invariant(part, loop, facts, ctx) for part in candidate.parts):
        return
    if candidate.cost.result != VALUE and _escapes(call, candidate.cost.result, loop, ctx):
        return
    yield Hit(
        call,
        message=f"`{candidate.label}` runs on every iteration with the same arguments; hoist it above the loop.",
    )


INVARIANT_CALL = Rule(
    id="PY-P008",
    title="Expensive call with loop-invariant arguments inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=PY,
    message="Expensive call repeated with the same arguments on every iteration; hoist it above the loop.",
    docs=RuleDocs(
        what="Flags, in the body of a loop or comprehension, a known-expensive call whose arguments and receiver "
        "do not change during the loop: `sorted`, `json.loads`, `yaml.*load`, `pickle.loads`, `tomllib.loads`, "
        "`copy.deepcopy`, `ast.parse` / `literal_eval`, `ElementTree.fromstring` / `parse`, `strptime`, "
        "`importlib.import_module`, `inspect.getsource` / `signature`; `os.listdir` / `scandir` / `walk` / "
        "`stat`, `os.path.exists` / `isfile` / `isdir` / `getsize` / `getmtime`, `glob.glob`, "
        "`socket.gethostbyname`, `subprocess.check_output`; `open(p).read()`, `json.load(open(p))`, "
        "`Path(p).read_text()` / `exists()` / `glob()`..., and `hashlib.sha256(data).hexdigest()`. Invariant "
        "means no name in them is bound in the loop (targets, assignments, `+=`, walrus, `with`/`except ... as`, "
        "`del`, `global`, imports; a name assigned once in the loop, before the call, from an invariant value "
        "counts as invariant) or mutated in it (a method call on it or on an alias, `x[i] = ...`, `x.a = ...`, "
        "passing it to a function; a module-level list, dict or object when the loop calls a function that may "
        "change it), and every call inside them is pure (`len`, `str`, `tuple`, `os.path.join`, `Path`, "
        "`d.items()`...). Not flagged: calls using the loop variable; calls in a `return` / `raise` or followed "
        "by `break` / `return` / `raise` in their block (they run once per search); calls in a nested `def` or "
        "lambda, or in the loop's first iterable; loops whose count is fixed in the source (`for ext in ('.json', "
        "'.yaml')`, `range(3)`) or that only repeat (`for _ in range(n)`: benchmarks, warm-ups); file-system, "
        "network, process and import calls in a `while` loop, under a `try` in the loop (polling, retries), or "
        "in a loop that writes files, runs processes, sleeps or changes `sys` / `os` state (the answer may "
        "change); and fresh objects the loop mutates or keeps (`row = copy.deepcopy(TEMPLATE); row['id'] = i; "
        "rows.append(row)`), which need one copy per iteration. `json.load(f)` / `pickle.load(f)` on an open "
        "stream read its next record and are not flagged.",
        why="The call computes the same result on every iteration, so all but the first are wasted: parsing, "
        "sorting, hashing or a system call repeated n times instead of once.",
        example="for user in users:\n    config = json.loads(CONFIG_TEXT)\n"
        "    if os.path.exists(FLAG_FILE) and user.name in sorted(admins):\n"
        "        print(f\"{config['greeting']}, {user.name}\")",
        use_instead="config = json.loads(CONFIG_TEXT)\nflagged = os.path.exists(FLAG_FILE)\n"
        "admin_names = set(admins)\nfor user in users:\n    if flagged and user.name in admin_names:\n"
        "        print(f\"{config['greeting']}, {user.name}\")",
    ),
    query=calls_named(*sorted(_TAILS | FILE_METHODS.keys() | DIGEST_METHODS.keys())),
    check=_check_invariant_call,
    references=(cwe_url(1050), "https://docs.python.org/3/faq/programming.html#performance"),
)

RULES: tuple[Rule, ...] = (INVARIANT_CALL,)
