"""Python performance rules: work repeated once per loop iteration, and blocking calls in ``async def``.

Every rule here is about *where* a call or statement runs. :func:`per_item_loops` answers that
once for all of them: the loops (``for``, ``while``, comprehensions) whose body runs the node once
per iteration, up to the enclosing function. A ``for`` iterable, a ``while`` condition, an ``else``
clause and a comprehension's first iterable run once and do not count; a nested ``def``, lambda or
class is another scope whose body runs when it is called, so the search stops there.

The module is longer than most packs because each rule's docs spell out exactly what is and is not
flagged; the rules share that one loop model, so they stay together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    PY,
    Node,
    argument,
    bindings,
    built_by,
    call_name,
    calls_named,
    cwe_url,
    enclosing_function,
    function_tail,
    is_constant_name,
    is_trusted,
    node_text,
    positional_arg,
    string_value,
    unwrap,
)

_LOOPS = frozenset({"for_statement", "while_statement"})
_COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
_BOUNDARIES = frozenset({"function_definition", "lambda", "class_definition", "module"})


def per_item_loops(node: Node) -> list[Node]:
    """The loops that run ``node`` once per iteration, innermost first, within its function."""
    loops: list[Node] = []
    child, current = node, node.parent
    while current is not None and current.type not in _BOUNDARIES:
        if current.type in _LOOPS and child == current.child_by_field_name("body"):
            loops.append(current)
        elif current.type in _COMPREHENSIONS and child.type != "comment":
            clauses = [c for c in current.named_children if c.type == "for_in_clause"]
            if clauses and child != clauses[0]:  # the first iterable is evaluated once
                loops.append(current)
        child, current = current, current.parent
    return loops


def _receiver(call: Node) -> Node | None:
    function = call.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    obj = function.child_by_field_name("object")
    return None if obj is None else unwrap(obj)


def _last_name(node: Node | None) -> str:
    """``db`` for ``self.db``, ``cursor`` for ``conn.cursor()``, the name itself for a name."""
    if node is None:
        return ""
    node = unwrap(node)
    if node.type == "identifier":
        return node_text(node)
    if node.type == "attribute":
        return node_text(node.child_by_field_name("attribute"))
    if node.type == "call":
        return function_tail(node)
    return ""


def _plain_bindings(identifier: Node, ctx: FileContext) -> list[Node | None]:
    """The name's bindings other than ``+=`` and friends (None for an unknown value)."""
    return [v for v in bindings(identifier, ctx) if v is None or v.type != "augmented_assignment"]


# ---------------------------------------------------------------------------------------------
# PY-P001 N+1: a database query or HTTP call per loop iteration
# ---------------------------------------------------------------------------------------------

_DB_RECEIVER = re.compile(
    r"(?i)(?:\w*_)?(?:cur|cursor|conn|connection|con|connect|session|db|database|engine|tx|txn|transaction)"
)
_DB_METHODS = frozenset({"execute", "query", "scalars", "scalar"})
_DJANGO_METHODS = frozenset(
    {"get", "filter", "exclude", "all", "count", "exists", "first", "last", "create", "get_or_create"}
    | {"update_or_create", "values", "values_list", "aggregate", "annotate", "update", "delete"}
)
_FLASK_SQLALCHEMY_METHODS = frozenset(
    {"get", "filter", "filter_by", "first", "all", "one", "one_or_none", "count", "get_or_404", "first_or_404"}
)
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_HTTP_FUNCTIONS = frozenset(
    {f"{module}.{verb}" for module in ("requests", "httpx") for verb in _HTTP_VERBS}
    | {"urllib.request.urlopen", "urllib2.urlopen"}
)
_HTTP_CLIENTS = frozenset({"requests.Session", "requests.session", "httpx.Client", "httpx.AsyncClient"})
_HTTP_METHODS = frozenset({*_HTTP_VERBS, "send", "stream"})


def _is_http_call(call: Node, ctx: FileContext) -> bool:
    if call_name(call, ctx) in _HTTP_FUNCTIONS:
        return True
    receiver = _receiver(call)
    return receiver is not None and function_tail(call) in _HTTP_METHODS and built_by(receiver, ctx, _HTTP_CLIENTS)


def _is_db_query(call: Node) -> bool:
    receiver, method = _receiver(call), function_tail(call)
    if receiver is None:
        return False
    if method in _DB_METHODS:
        return bool(_DB_RECEIVER.fullmatch(_last_name(receiver)))
    if method == "get" and _DB_RECEIVER.fullmatch(_last_name(receiver)):
        model = positional_arg(call, 0)  # SQLAlchemy ``session.get(User, pk)``, not ``flask.session.get(key)``
        return model is not None and _is_model(model)
    if receiver.type != "attribute":
        return False
    manager = node_text(receiver.child_by_field_name("attribute"))
    model = unwrap(receiver.child_by_field_name("object") or receiver)
    if manager == "objects":  # Django ``Order.objects.filter(...)``: the first call of the chain
        return method in _DJANGO_METHODS and _is_model(model)
    return manager == "query" and method in _FLASK_SQLALCHEMY_METHODS and _is_model(model)  # ``User.query.get``


def _is_model(node: Node) -> bool:
    """A model class: a ``CapWords`` name, ``self.model``, or ``get_user_model()``."""
    node = unwrap(node)
    name = _last_name(node)
    if node.type == "identifier":
        return name[:1].isupper() and not is_constant_name(name)
    return (node.type == "attribute" and name == "model") or (node.type == "call" and name == "get_user_model")


def fixed_count(loop: Node) -> bool:
    """Whether a ``for`` loop or comprehension iterates a count fixed in the source:
    a literal list, tuple or set, or ``range()`` of integer literals and ``ALL_CAPS`` constants."""
    if loop.type == "for_statement":
        iterable = loop.child_by_field_name("right")
    else:
        clauses = [c for c in loop.named_children if c.type == "for_in_clause"]
        iterable = clauses[0].child_by_field_name("right") if clauses else None
    if iterable is None:
        return False
    iterable = unwrap(iterable)
    if iterable.type in ("list", "tuple", "set"):
        return True
    if iterable.type != "call" or node_text(iterable.child_by_field_name("function")) != "range":
        return False
    args = iterable.child_by_field_name("arguments")
    return args is not None and all(
        a.type == "integer" or (a.type == "identifier" and is_constant_name(node_text(a))) for a in args.named_children
    )


def _check_n_plus_one(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    loops = [loop for loop in per_item_loops(call) if loop.type != "while_statement"]
    if not loops or all(fixed_count(loop) for loop in loops):
        return
    if _is_http_call(call, ctx):
        yield Hit(call, message="HTTP request inside a loop: one round trip per item; batch or run them concurrently.")
    elif _is_db_query(call):
        yield Hit(call, message="Database query inside a loop: one round trip per item (N+1); fetch them in one query.")


N_PLUS_ONE = Rule(
    id="PY-P001",
    title="Database query or HTTP request inside a loop (N+1)",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=PY,
    message="Query or request inside a loop: one round trip per item (N+1).",
    docs=RuleDocs(
        what="Flags, in the body of a `for` loop or a comprehension: DB-API / SQLAlchemy `execute`, `query`, "
        "`scalars`, `scalar` on a receiver named like a cursor, connection, session, db or engine; SQLAlchemy "
        "`session.get(Model, pk)`; the first call on a Django manager (`Model.objects.get/filter/create/...`, "
        "also `self.model.objects` and `get_user_model().objects`); Flask-SQLAlchemy "
        "`Model.query.get/filter/...`; `requests.*` / `httpx.*` functions, `urlopen`, and "
        "the verbs of a `requests.Session` / `httpx.Client` bound in scope. Not flagged: calls in the loop's "
        "iterable (run once), in a nested `def` or lambda (run when called), in `while` loops (pagination, "
        "polling and retries need one call per round), `executemany`, and loops whose count is fixed in the "
        "source (a literal list, tuple or set, or `range(3)` / `range(MAX_RETRIES)`), since their number of "
        "calls does not grow with the data.",
        why="Each iteration pays a full network round trip, so the cost grows with the data: a page listing "
        "500 orders makes 501 queries. The database or API could answer all of them in one request.",
        example="for order in orders:\n"
        "    customer = Customer.objects.get(pk=order.customer_id)\n"
        "    rate = requests.get(f'{API}/rates/{order.currency}', timeout=5).json()",
        use_instead="customers = Customer.objects.in_bulk({o.customer_id for o in orders})\n"
        "# or Order.objects.select_related('customer'); for HTTP, one batch endpoint or\n"
        "# asyncio.gather over an httpx.AsyncClient",
    ),
    query=calls_named(*sorted(_DB_METHODS | _DJANGO_METHODS | _FLASK_SQLALCHEMY_METHODS | _HTTP_METHODS | {"urlopen"})),
    check=_check_n_plus_one,
    references=(
        cwe_url(1050),
        "https://docs.djangoproject.com/en/stable/topics/db/optimization/",
        "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-P002 string concatenation in a loop
# ---------------------------------------------------------------------------------------------

_STRING_QUERY = "\n".join(
    (
        '(augmented_assignment left: (identifier) @name operator: "+=") @statement',
        '(assignment left: (identifier) @name right: (binary_operator operator: "+") @sum) @statement',
    )
)
_STR_METHODS = frozenset({"join", "format", "strip", "lower", "upper", "replace"})


def _leftmost(node: Node) -> Node:
    """``s`` for ``s + a + b``."""
    node = unwrap(node)
    while node.type == "binary_operator":
        left = node.child_by_field_name("left")
        if left is None:
            break
        node = unwrap(left)
    return node


def _string_initialiser(value: Node) -> bool:
    """A string literal, f-string, ``str(...)``, or a method of a string literal (``", ".join(...)``)."""
    value = unwrap(value)
    if value.type in ("string", "concatenated_string"):
        return True
    if value.type != "call":
        return False
    function = value.child_by_field_name("function")
    if function is not None and function.type == "identifier":
        return node_text(function) == "str"
    receiver = _receiver(value)
    return receiver is not None and receiver.type == "string" and function_tail(value) in _STR_METHODS


def _string_accumulator(name: Node, ctx: FileContext) -> bool:
    """Whether every binding of ``name`` is a string, or ``name + ...`` extending it."""
    values = _plain_bindings(name, ctx)
    initialised = False
    for value in values:
        if value is None:
            return False
        if value.type == "binary_operator" and node_text(_leftmost(value)) == node_text(name):
            continue
        if not _string_initialiser(value):
            return False
        initialised = True
    return initialised


def _check_string_concat(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    statement, name, total = first(captures, "statement"), first(captures, "name"), first(captures, "sum")
    if statement is None or name is None or (total is not None and node_text(_leftmost(total)) != node_text(name)):
        return
    loops = [loop for loop in per_item_loops(statement) if loop.type in _LOOPS]
    if loops and _string_accumulator(name, ctx):
        yield Hit(statement)


STRING_CONCAT = Rule(
    id="PY-P002",
    title="String built by concatenation in a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1046,
    languages=PY,
    message="String built with `+=` in a loop copies it on every iteration; collect the parts and `''.join` them.",
    docs=RuleDocs(
        what="Flags `s += x` and `s = s + x` in the body of a `for` or `while` loop when every other binding "
        "of `s` in its scope is a string: a literal, an f-string, `str(...)` or a method of a string literal "
        "such as `', '.join(...)`. Bytes literals count too. Not flagged: numbers, lists and names of unknown "
        "type (parameters, loop variables, results of calls), attributes (`self.text += ...`), and "
        "concatenation outside a loop.",
        why="Strings are immutable, so each `+` builds a new string and copies everything accumulated so far: "
        "n appends cost O(n²). CPython sometimes resizes in place, but only while no other reference exists; "
        "PEP 8 asks code not to rely on it, and other interpreters and bytes never do it.",
        example="html = ''\nfor row in rows:\n    html += f'<tr><td>{row.name}</td></tr>'",
        use_instead="parts = []\nfor row in rows:\n    parts.append(f'<tr><td>{row.name}</td></tr>')\n"
        "html = ''.join(parts)",
    ),
    query=_STRING_QUERY,
    check=_check_string_concat,
    references=(
        cwe_url(1046),
        "https://peps.python.org/pep-0008/#programming-recommendations",
        "https://docs.python.org/3/faq/programming.html#what-is-the-most-efficient-way-to-concatenate-many-strings-together",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-P003 re.compile of a constant pattern in a loop
# ---------------------------------------------------------------------------------------------


def _check_regex_in_loop(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or call_name(call, ctx) != "re.compile" or not per_item_loops(call):
        return
    pattern = argument(call, 0, "pattern")
    if pattern is not None and is_trusted(pattern, ctx):
        yield Hit(call)


REGEX_IN_LOOP = Rule(
    id="PY-P003",
    title="re.compile of a constant pattern inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=PY,
    message="`re.compile` of a constant pattern inside a loop; compile it once, outside the loop.",
    docs=RuleDocs(
        what="Flags `re.compile(pattern)` in the body of a `for` / `while` loop or a comprehension when the "
        "pattern is built only from constants (literals, `ALL_CAPS` names, local names bound only to "
        "constants). Not flagged: patterns built from the loop's data (each iteration needs its own), "
        "`re.compile` outside loops, and the module-level functions `re.match` / `re.search` / `re.sub` / "
        "`re.findall` with a literal pattern, because `re` keeps compiled patterns in a cache and those calls "
        "cost only a cache lookup.",
        why="`re.compile` exists to compile once and reuse; inside a loop it throws the result away each "
        "time. Every call pays the argument checks and the cache lookup, and the cache is bounded: in a "
        "program that uses many patterns it evicts, and the pattern is compiled again.",
        example="for line in lines:\n    if re.compile(r'^ERROR (\\d+)').match(line):\n        ...",
        use_instead="ERROR_LINE = re.compile(r'^ERROR (\\d+)')\n\nfor line in lines:\n"
        "    if ERROR_LINE.match(line):\n        ...",
    ),
    query=calls_named("compile"),
    check=_check_regex_in_loop,
    references=(cwe_url(1176), "https://docs.python.org/3/library/re.html#re.compile"),
)

# ---------------------------------------------------------------------------------------------
# PY-P004 membership test on a growing list inside a loop
# ---------------------------------------------------------------------------------------------

_LIST_BUILDERS = frozenset({"list", "sorted"})


def _dynamic_list(value: Node | None) -> bool:
    """A list whose length comes from data: ``list(...)``, ``sorted(...)``, a list comprehension, or ``[]``
    (which the code grows, or the test would be pointless). A literal with items is a fixed, short list."""
    if value is None:
        return False
    value = unwrap(value)
    if value.type == "list_comprehension":
        return True
    if value.type == "list":
        return value.named_child_count == 0
    return value.type == "call" and node_text(value.child_by_field_name("function")) in _LIST_BUILDERS


def _check_list_membership(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    test = first(captures, "test")
    if test is None:
        return
    operands = [c for c in test.named_children if c.type != "comment"]
    operators = [c.type for c in test.children if not c.is_named]
    if len(operands) != 2 or operators not in (["in"], ["not in"]) or unwrap(operands[1]).type != "identifier":
        return
    loops = per_item_loops(test)
    if not loops:
        return
    values = _plain_bindings(unwrap(operands[1]), ctx)
    inner = loops[0]
    if values and all(
        _dynamic_list(v)
        and v is not None
        and not (inner.start_byte <= v.start_byte and v.end_byte <= inner.end_byte)  # rebuilt each time: no gain
        for v in values
    ):
        yield Hit(test, message=f"`{node_text(test)}` scans the list on every iteration; test a set instead.")


LIST_MEMBERSHIP = Rule(
    id="PY-P004",
    title="Membership test on a list inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1176,
    languages=PY,
    message="`in` on a list scans it on every iteration; test a set instead.",
    docs=RuleDocs(
        what="Flags `x in items` / `x not in items` in the body of a loop or comprehension (including its "
        "`if` clause) when every binding of `items` in scope is a list whose length depends on the data: "
        "`list(...)`, `sorted(...)`, a list comprehension, or `[]` that the code then grows. Not flagged: "
        "literal lists with items (`x in ['a', 'b']`, short and fixed), sets, dicts, tuples, parameters and "
        "attributes (their type is unknown), lists rebuilt inside the same loop (a set would cost as much "
        "to build), and tests outside loops.",
        why="`in` on a list compares element by element, so n tests against an m-item list cost O(n·m); "
        "against a set each test is a hash lookup.",
        example="seen = []\nfor item in items:\n    if item.key not in seen:\n        seen.append(item.key)",
        use_instead="seen = set()\nfor item in items:\n    if item.key not in seen:\n        seen.add(item.key)",
    ),
    query="(comparison_operator) @test",
    check=_check_list_membership,
    references=(cwe_url(1176), "https://wiki.python.org/moin/TimeComplexity"),
)

# ---------------------------------------------------------------------------------------------
# PY-P005 blocking call inside async def
# ---------------------------------------------------------------------------------------------

_HTTP_ADVICE = "use an async client (`httpx.AsyncClient`, aiohttp) or `await asyncio.to_thread(...)`"
_PROCESS_ADVICE = "use `asyncio.create_subprocess_exec`"
_DB_ADVICE = "use an async driver (aiosqlite, asyncpg) or `await asyncio.to_thread(...)`"
_BLOCKING: dict[str, str] = {
    "time.sleep": "use `await asyncio.sleep(...)`",
    **{name: _HTTP_ADVICE for name in _HTTP_FUNCTIONS if not name.startswith("httpx.")},
    **{f"httpx.{verb}": _HTTP_ADVICE for verb in _HTTP_VERBS},
    **{f"subprocess.{name}": _PROCESS_ADVICE for name in ("run", "call", "check_call", "check_output")},
    **{f"subprocess.{name}": _PROCESS_ADVICE for name in ("getoutput", "getstatusoutput")},
    "os.system": _PROCESS_ADVICE,
    **{f"{driver}.connect": _DB_ADVICE for driver in ("sqlite3", "psycopg2", "pymysql")},
}
_SYNC_CLIENTS = frozenset({"requests.Session", "requests.session", "httpx.Client"})
_SYNC_CONNECTIONS = frozenset({"sqlite3.connect", "psycopg2.connect", "pymysql.connect"})
_DB_CALLS = frozenset({"execute", "executemany", "executescript", "commit"})
_FILE_CALLS = frozenset({"read", "readlines", "write"})
_BLOCKING_TAILS = frozenset(name.rsplit(".", 1)[1] for name in _BLOCKING) | _HTTP_METHODS | _DB_CALLS | _FILE_CALLS


def _is_async(function: Node | None) -> bool:
    return function is not None and any(c.type == "async" for c in function.children[:2])


def _blocking_advice(call: Node, ctx: FileContext) -> tuple[str, str] | None:
    """What the call is and what to use instead, if it blocks."""
    name = call_name(call, ctx)
    if name in _BLOCKING:
        return f"`{name}`", _BLOCKING[name]
    receiver, method = _receiver(call), function_tail(call)
    if receiver is None:
        return None
    if method in _HTTP_METHODS and built_by(receiver, ctx, _SYNC_CLIENTS):
        return f"`{node_text(receiver)}.{method}` on a synchronous client", _HTTP_ADVICE
    if method in _DB_CALLS and built_by(receiver, ctx, _SYNC_CONNECTIONS):
        return f"`{node_text(receiver)}.{method}` on a synchronous connection", _DB_ADVICE
    if method in _FILE_CALLS and receiver.type == "call" and call_name(receiver, ctx) == "open":
        return f"`open(...).{method}()`", "use aiofiles or `await asyncio.to_thread(path.read_text)`"
    return None


def _check_blocking(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or not _is_async(enclosing_function(call)):
        return
    advice = _blocking_advice(call, ctx)
    if advice is not None:
        what, instead = advice
        yield Hit(call, message=f"{what} blocks the event loop inside `async def`; {instead}.")


BLOCKING_IN_ASYNC = Rule(
    id="PY-P005",
    title="Blocking call inside async def",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=PY,
    message="Blocking call inside `async def` stalls the event loop.",
    docs=RuleDocs(
        what="Flags, in the body of an `async def` (comprehensions included, nested `def` and lambdas "
        "excluded): `time.sleep`; `requests.*`, `httpx.*` module functions and `urlopen`; the verbs of a "
        "`requests.Session` / `httpx.Client` bound in scope; `subprocess.run` / `call` / `check_call` / "
        "`check_output` / `getoutput`, `os.system`; `sqlite3` / `psycopg2` / `pymysql` `connect` and "
        "`execute` / `executemany` / `executescript` / `commit` on a connection they return; and "
        "`open(...).read()` / `.readlines()` / `.write()`. Not flagged: `await asyncio.sleep`, "
        "`httpx.AsyncClient` calls, functions passed uncalled to `run_in_executor` / `asyncio.to_thread`, "
        "lambdas and nested sync functions, and `with open(...)` blocks.",
        why="An event loop runs one callback at a time. A synchronous call holds it for the whole wait, so "
        "every other request, timer and connection on the loop stops until it returns.",
        example="async def refresh(user_id):\n    time.sleep(1)\n"
        "    profile = requests.get(f'{API}/users/{user_id}', timeout=5).json()",
        use_instead="async def refresh(user_id):\n    await asyncio.sleep(1)\n"
        "    async with httpx.AsyncClient(timeout=5) as client:\n"
        "        profile = (await client.get(f'{API}/users/{user_id}')).json()",
    ),
    query=calls_named(*sorted(_BLOCKING_TAILS)),
    check=_check_blocking,
    references=("https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code",),
)

# ---------------------------------------------------------------------------------------------
# PY-P006 list.pop(0) / list.insert(0, x) inside a loop
# ---------------------------------------------------------------------------------------------


def _list_bound(identifier: Node, ctx: FileContext) -> bool:
    values = _plain_bindings(identifier, ctx)
    return bool(values) and all(
        v is not None
        and (
            unwrap(v).type in ("list", "list_comprehension")
            or (unwrap(v).type == "call" and node_text(unwrap(v).child_by_field_name("function")) in _LIST_BUILDERS)
        )
        for v in values
    )


def _check_list_front(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    receiver = _receiver(call) if call is not None else None
    if call is None or receiver is None or receiver.type != "identifier" or not per_item_loops(call):
        return
    method = function_tail(call)
    index = positional_arg(call, 0)
    count = len([a for a in (call.child_by_field_name("arguments") or call).named_children if a.type != "comment"])
    if index is None or node_text(index) != "0" or count != (1 if method == "pop" else 2):
        return
    if _list_bound(receiver, ctx):
        replacement = "popleft()" if method == "pop" else "appendleft(x)"
        yield Hit(
            call, message=f"`{node_text(call)}` shifts every element; use a `collections.deque` and `{replacement}`."
        )


LIST_FRONT = Rule(
    id="PY-P006",
    title="list.pop(0) or list.insert(0, x) inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=PY,
    message="`pop(0)` / `insert(0, x)` on a list shifts every element; use `collections.deque`.",
    docs=RuleDocs(
        what="Flags `items.pop(0)` and `items.insert(0, x)` in the body of a loop or comprehension when every "
        "binding of `items` in scope is a list (a literal, `list(...)`, `sorted(...)` or a list "
        "comprehension). Not flagged: `pop()` / `pop(-1)` / `append`, other indexes, `deque.popleft()`, "
        "`dict.pop(0)` and names of unknown type (parameters, attributes), and calls outside loops.",
        why="A list stores its items contiguously; removing or inserting at the front moves all the others, "
        "so draining an n-item queue this way costs O(n²). A deque does both ends in O(1).",
        example="queue = [root]\nwhile queue:\n    node = queue.pop(0)\n    queue.extend(node.children)",
        use_instead="from collections import deque\n\nqueue = deque([root])\nwhile queue:\n"
        "    node = queue.popleft()\n    queue.extend(node.children)",
    ),
    query=calls_named("pop", "insert"),
    check=_check_list_front,
    references=(cwe_url(1176), "https://docs.python.org/3/library/collections.html#collections.deque"),
)


# ---------------------------------------------------------------------------------------------
# PY-P007 unbounded read of the WSGI input stream
# ---------------------------------------------------------------------------------------------


def _wsgi_input(node: Node | None, ctx: FileContext, follow: bool = True) -> bool:
    """``environ["wsgi.input"]``, ``environ.get("wsgi.input")``, or a local name bound only to them."""
    if node is None:
        return False
    node = unwrap(node)
    if node.type == "subscript":
        return string_value(node.child_by_field_name("subscript") or node) == "wsgi.input"
    if node.type == "call" and function_tail(node) == "get" and _receiver(node) is not None:
        key = positional_arg(node, 0)
        return key is not None and string_value(key) == "wsgi.input"
    if node.type == "identifier" and follow:
        values = _plain_bindings(node, ctx)
        return bool(values) and all(_wsgi_input(v, ctx, follow=False) for v in values)
    return False


def _check_unbounded_read(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    args = [a for a in (call.child_by_field_name("arguments") or call).named_children if a.type != "comment"]
    unbounded = not args or (len(args) == 1 and node_text(args[0]) in ("-1", "None"))
    if unbounded and _wsgi_input(_receiver(call), ctx):
        yield Hit(call)


UNBOUNDED_WSGI_READ = Rule(
    id="PY-P007",
    title="WSGI input stream read without a size",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=770,
    languages=PY,
    message="`wsgi.input` read without a size: the whole body lands in memory, or the read waits past its end.",
    docs=RuleDocs(
        what="Flags `.read()` and `.readlines()` with no size (or `-1` / `None`) on `environ['wsgi.input']`, "
        "`environ.get('wsgi.input')` or a local name bound only to one of them. Not flagged: reads with a "
        "size (`read(length)`, `read(65536)` in a loop), other streams, and framework request objects such "
        "as Flask's `request.stream` or `request.get_data()`, which Flask bounds by `MAX_CONTENT_LENGTH` "
        "when it is set — configuration this rule cannot see.",
        why="PEP 3333 gives `wsgi.input.read` a required size and tells applications not to read past "
        "`CONTENT_LENGTH`; a server need not signal end of input there. An unsized read either buffers a body "
        "of any size in memory or blocks the worker waiting for bytes that never come.",
        example="def app(environ, start_response):\n    body = environ['wsgi.input'].read()",
        use_instead="MAX_BODY = 1 << 20\n\n\ndef app(environ, start_response):\n"
        "    length = int(environ.get('CONTENT_LENGTH') or 0)\n    if length > MAX_BODY:\n"
        "        return too_large(start_response)\n    body = environ['wsgi.input'].read(length)",
    ),
    query=calls_named("read", "readlines"),
    check=_check_unbounded_read,
    references=(cwe_url(770), "https://peps.python.org/pep-3333/#input-and-error-streams"),
)


RULES: tuple[Rule, ...] = (
    N_PLUS_ONE,
    STRING_CONCAT,
    REGEX_IN_LOOP,
    LIST_MEMBERSHIP,
    BLOCKING_IN_ASYNC,
    LIST_FRONT,
    UNBOUNDED_WSGI_READ,
)
