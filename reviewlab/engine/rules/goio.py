"""Go performance rules for I/O: a database query or HTTP request per loop iteration (N+1), and a
request body read whole with no size limit.

Queries and requests are recognised by the receiver's name (``db``, ``s.db``, ``tx``, ``client``...) and,
for sqlx ``Get`` / ``Select``, an SQL argument; request bodies by the parameter's declared type
(``*http.Request``, a gin or echo context). :mod:`gohelpers` tells loops over data from fixed counts and
polling loops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import GO, Node, enclosing_function, looks_like_sql, string_parts
from reviewlab.engine.rules.flowhelpers import cwe, n_plus_one_check, names
from reviewlab.engine.rules.gohelpers import HTTP_CLIENT, LANGS, call_args, iterates_data, per_item_loops, selector
from reviewlab.engine.secrets.paths import is_test_path
from reviewlab.engine.taint import generic as taint

# --- GO-P003 N+1: query or HTTP request per loop iteration ----------------------------------------

_DB_RECEIVER = re.compile(r"(?i)^(?:db|tx|conn|pool|sqldb|database|stmt)$|(?:DB|Db|Tx|Conn|Pool|Stmt)$")
_DB_READS = frozenset(
    {"Query", "QueryRow", "QueryContext", "QueryRowContext", "Queryx", "QueryRowx", "QueryxContext"}
    | {"QueryRowxContext", "NamedQuery", "Get", "Select", "GetContext", "SelectContext"}
    | {"First", "Find", "Take", "Last"}
)
_DB_WRITES = frozenset({"Exec", "ExecContext", "NamedExec"})
_HTTP_FUNCTIONS = frozenset({"Get", "Post", "PostForm", "Head"})
_SQLX_QUERY_ARGUMENT = frozenset({"Get", "Select", "GetContext", "SelectContext"})


def _chain_root(node: Node) -> Node:
    """``db`` for ``db.Where(...).Order(...)``; ``s.db`` for ``s.db.Query``."""
    while node.type == "call_expression":
        function = node.child_by_field_name("function")
        operand = function.child_by_field_name("operand") if function is not None else None
        if operand is None:
            break
        node = operand
    return node


def _last_name(node: Node, ctx: FileContext) -> str:
    if node.type == "selector_expression":
        field = node.child_by_field_name("field")
        return ctx.text(field) if field is not None else ""
    return ctx.text(node) if node.type == "identifier" else ""


def _round_trip(call: Node, ctx: FileContext) -> str | None:
    operand, method = selector(call, ctx)
    if operand is None:
        return None
    receiver = ctx.text(operand)
    if receiver == "http" and method in _HTTP_FUNCTIONS:
        return "request"
    if method in ("Do", *_HTTP_FUNCTIONS) and HTTP_CLIENT.search(receiver):
        return "request"
    name = _last_name(_chain_root(operand), ctx)
    if not _DB_RECEIVER.search(name):
        return None
    if method in _DB_WRITES:
        # a prepared statement or transaction executed per row is Go's batch idiom
        return None if re.search(r"(?i)tx|stmt", name) else "query"
    if method not in _DB_READS:
        return None
    if method in _SQLX_QUERY_ARGUMENT:
        texts = ["".join(p for p in string_parts(GO, a, ctx) if p is not None) for a in call_args(call)]
        if not any(looks_like_sql(t) for t in texts):
            return None  # `cache.Get(key)`: not a query
    return "query"


_check_n_plus_one = n_plus_one_check(
    per_item_loops,
    iterates_data,
    _round_trip,
    query_advice="fetch the rows in one query (`WHERE id = ANY($1)`, a join) or batch the writes in a transaction.",
    request_advice="use a batch endpoint or send the requests concurrently (errgroup with a limit).",
)


N_PLUS_ONE = Rule(
    id="GO-P003",
    title="Database query or HTTP request inside a loop (N+1)",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="Query or request inside a loop: one round trip per item (N+1).",
    docs=RuleDocs(
        what="Flags, in the body of a loop over data (`range` over a slice or map, a three-clause loop without a "
        "fixed bound, `for rows.Next()`): `Query` / `QueryRow` and their `Context` variants, sqlx `Get` / "
        "`Select` / `Queryx` (with an SQL argument) and GORM `First` / `Find` / `Take` / `Last` on a receiver "
        "named like a database (`db`, `s.db`, `pool`, `tx`, `stmt`, `...DB`, chains starting from one), `Exec` "
        "on a database or pool, and `http.Get/Post/PostForm/Head` and `client.Do/Get/Post/...`. Not flagged: "
        "`Exec` on a transaction or prepared statement (Go's batch idiom), `for {}` and other condition "
        "loops (servers, polling, paging, retries), loops with a count fixed in the source (`range` over a "
        "literal, `i < 3`), calls in a function literal (a goroutine per item is the concurrent fix), and "
        "`Get` on a cache or map without SQL, and test files (table-driven tests call once per case by design).",
        why="Each iteration pays a full network round trip, so the cost grows with the data: a page listing "
        "500 orders makes 501 queries. The database or API could answer all of them in one request.",
        example="for _, order := range orders {\n"
        '\trow := db.QueryRowContext(ctx, "SELECT name FROM customers WHERE id = $1", order.CustomerID)\n'
        "\tif err := row.Scan(&order.CustomerName); err != nil {\n\t\treturn err\n\t}\n}",
        use_instead="rows, err := db.QueryContext(ctx,\n"
        '\t"SELECT id, name FROM customers WHERE id = ANY($1)", pq.Array(customerIDs(orders)))\n'
        "// scan into a map by id, then fill the orders",
    ),
    query=f"""
(call_expression
  function: (selector_expression field: (field_identifier) @fn)
  (#any-of? @fn {names(*sorted(_DB_READS | _DB_WRITES | _HTTP_FUNCTIONS | {"Do"}))})) @call
""",
    check=_check_n_plus_one,
    references=(cwe(1050), "https://go.dev/doc/database/querying"),
)


# --- GO-P005 unbounded read of the request body ---------------------------------------------------

_LIMITS = re.compile(r"MaxBytesReader|LimitReader|LimitedReader|ContentLength\s*>")
_MIDDLEWARE_LIMIT = re.compile(rb"MaxBytesHandler\(|MaxBytesReader\([^\n]*\)\s*\n(?:[^\n]*\n){0,3}?[^\n]*\.ServeHTTP\(")
_REQUEST_TYPES = frozenset({"*http.Request"})
_FRAMEWORK_CONTEXTS = frozenset({"*gin.Context", "echo.Context"})


def _request_body(node: Node, ctx: FileContext) -> bool:
    """``r.Body`` on an ``*http.Request`` parameter, or ``c.Request.Body`` / ``c.Request().Body`` on a gin
    or echo context."""
    if node.type != "selector_expression":
        return False
    field, operand = node.child_by_field_name("field"), node.child_by_field_name("operand")
    if field is None or operand is None or ctx.text(field) != "Body":
        return False
    if operand.type == "identifier":
        return taint.parameter_type(operand, ctx) in _REQUEST_TYPES
    root = operand
    if root.type == "call_expression":
        root = root.child_by_field_name("function") or root
    if root.type == "selector_expression":
        inner, name = root.child_by_field_name("operand"), root.child_by_field_name("field")
        return (
            inner is not None
            and name is not None
            and ctx.text(name) == "Request"
            and inner.type == "identifier"
            and taint.parameter_type(inner, ctx) in _FRAMEWORK_CONTEXTS
        )
    return False


def _check_unbounded_read(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, reader, pkg = first(captures, "call"), first(captures, "reader"), first(captures, "pkg")
    if call is None or reader is None or pkg is None or is_test_path(ctx.path) or not _request_body(reader, ctx):
        return
    function = enclosing_function(GO, call, ctx)
    if function is not None and _LIMITS.search(ctx.text(function)):
        return  # the handler limits the body (`r.Body = http.MaxBytesReader(...)`) or checks its length
    if _MIDDLEWARE_LIMIT.search(ctx.source):
        return  # a middleware of this file limits every request body
    yield Hit(
        call,
        message=f"`{ctx.text(pkg)}.ReadAll({ctx.text(reader)})` reads a request body of any size into "
        "memory; wrap it in `http.MaxBytesReader` first.",
    )


UNBOUNDED_READ = Rule(
    id="GO-P005",
    title="Request body read without a size limit",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=400,
    languages=LANGS,
    message="The whole request body is read into memory with no size limit.",
    docs=RuleDocs(
        what="Flags `io.ReadAll(r.Body)` and `ioutil.ReadAll(r.Body)` where `r` is a parameter declared "
        "`*http.Request`, and the same on `c.Request.Body` (gin) or `c.Request().Body` (echo), in a function "
        "that never mentions `http.MaxBytesReader`, `io.LimitReader` or a `ContentLength` check. Not flagged: "
        "`io.ReadAll(http.MaxBytesReader(w, r.Body, n))`, a handler that reassigns `r.Body = "
        "http.MaxBytesReader(...)` first, files with `http.MaxBytesHandler` or a middleware that limits the "
        "body before calling `next.ServeHTTP`, response bodies of outgoing calls, other readers, and test files.",
        why="`net/http` does not limit request bodies: whoever sends the request decides how much the handler "
        "buffers, and one multi-gigabyte upload, or many large ones at once, exhausts the memory of the "
        "service (uncontrolled resource consumption).",
        example="func upload(w http.ResponseWriter, r *http.Request) {\n\tbody, err := io.ReadAll(r.Body)\n\t// ...\n}",
        use_instead="const maxBody = 1 << 20\n\nfunc upload(w http.ResponseWriter, r *http.Request) {\n"
        "\tbody, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))\n"
        '\tif err != nil {\n\t\thttp.Error(w, "body too large", http.StatusRequestEntityTooLarge)\n'
        "\t\treturn\n\t}\n\t// ...\n}",
    ),
    query="""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list . (selector_expression) @reader .)
  (#any-of? @pkg "io" "ioutil")
  (#eq? @fn "ReadAll")) @call
""",
    check=_check_unbounded_read,
    references=(cwe(400), "https://pkg.go.dev/net/http#MaxBytesReader"),
)


RULES: tuple[Rule, ...] = (
    N_PLUS_ONE,
    UNBOUNDED_READ,
)
