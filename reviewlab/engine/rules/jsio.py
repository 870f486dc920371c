"""JavaScript / TypeScript network and database I/O: a request or query per loop iteration (N+1,
JS-P002), and request bodies buffered without a size limit (JS-P007).

:func:`round_trip` tells HTTP requests (``fetch``, ``axios``, Node's ``http``...) and database queries (SQL
clients, Sequelize and Mongoose models, Prisma, TypeORM repositories, MongoDB collections) from other calls;
JS-P001 (:mod:`jsasync`) uses it too, to leave them to JS-P002.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    JAVASCRIPT,
    Node,
    enclosing_function,
    is_upper_constant_name,
    looks_like_sql,
    name_words,
)
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.javascript import module_bindings
from reviewlab.engine.rules.jsmodel import LANGS, arguments, growing_loops, method_of, unwrap

# --- round trips: HTTP requests and database queries (JS-P001, JS-P002) --------------------------

_HTTP_FUNCTIONS = frozenset({"fetch", "axios", "got", "ky", "needle", "superagent", "nodeFetch", "ofetch", "$fetch"})
_HTTP_CLIENTS = frozenset({"axios", "got", "ky", "needle", "superagent", "http", "https", "httpClient", "$http"})
# Short names that are as often a local function (or a minifier's name) as the client: only when imported.
_IMPORTED_CLIENTS = {name: name for name in ("got", "ky", "needle", "superagent", "ofetch")} | {
    "nodeFetch": "node-fetch"
}
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_GLOBALS = frozenset({"window", "globalThis", "self", "global"})
# Receivers by the last word of their name (`db`, `this.pgPool`, `trx`, `userRepository`): `ctx` is not `tx`.
_DB_WORDS = frozenset(
    {"db", "database", "conn", "connection", "pool", "knex", "trx", "tx", "transaction", "sequelize", "pg"}
    | {"mysql", "sqlite", "sql", "cursor"}
)
_QUERY_WORDS = frozenset({"client", "manager", "queryrunner", "datasource", "session"})
_NONE: frozenset[str] = frozenset()
_REPOSITORY_WORDS = frozenset({"repo", "repository"})
_COLLECTION_WORDS = frozenset({"collection", "coll"})
_SQL_METHODS = frozenset({"query", "execute", "raw", "all", "get", "run", "each"})
_MODEL_METHODS = frozenset(  # Sequelize and Mongoose model statics, distinctive enough on a CapWords name
    {"findOne", "findAll", "findByPk", "findById", "findOrCreate", "findAndCountAll", "findByIdAndUpdate"}
    | {"findByIdAndDelete", "findOneAndUpdate", "findOneAndDelete", "findOneAndReplace", "countDocuments"}
    | {"updateOne", "updateMany", "deleteOne", "deleteMany", "insertMany", "bulkCreate"}
)
_PRISMA_METHODS = frozenset(
    {"findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "create", "createMany"}
    | {"update", "updateMany", "upsert", "delete", "deleteMany", "count", "aggregate", "groupBy"}
)
_REPOSITORY_METHODS = frozenset(  # TypeORM / MikroORM repositories and entity managers
    {"find", "findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "findBy", "findAndCount", "save"}
    | {"insert", "update", "upsert", "delete", "remove", "softDelete", "count", "countBy", "exists", "existsBy"}
    | {"increment", "decrement", "preload"}
)
_COLLECTION_METHODS = frozenset(  # the MongoDB driver
    {"find", "findOne", "insertOne", "insertMany", "updateOne", "updateMany", "replaceOne", "deleteOne"}
    | {"deleteMany", "countDocuments", "estimatedDocumentCount", "aggregate", "distinct", "bulkWrite"}
    | {"findOneAndUpdate", "findOneAndDelete", "findOneAndReplace"}
)
_ROUND_TRIP_METHODS = (
    _HTTP_VERBS
    | _SQL_METHODS
    | _MODEL_METHODS
    | _PRISMA_METHODS
    | _REPOSITORY_METHODS
    | _COLLECTION_METHODS
    | {"fetch"}
)
HTTP, DB = "HTTP request", "database query"


def _sql_text(args: list[Node], ctx: FileContext) -> bool:
    """Whether the first argument is a string or template literal of SQL."""
    return bool(args) and args[0].type in ("string", "template_string") and looks_like_sql(ctx.text(args[0]))


def _is_model(node: Node, ctx: FileContext) -> bool:
    """A model class: a ``CapWords`` identifier (``User``, not ``USER`` or ``Promise``)."""
    name = ctx.text(node)
    return node.type == "identifier" and name[:1].isupper() and not is_upper_constant_name(name)


def _last_word(name: str, words: frozenset[str]) -> bool:
    """Whether the name ends with one of ``words`` (``pgPool`` -> pool; ``queryRunner`` -> queryrunner)."""
    parts = name_words(name)
    return bool(parts) and (parts[-1] in words or "".join(parts[-2:]) in words)


def _client_name(name: str, ctx: FileContext) -> bool:
    """``fetch``, ``axios``, ``http``...; ``got`` / ``ky`` / ``needle``... only when imported from that package."""
    package = _IMPORTED_CLIENTS.get(name)
    return package is None or module_bindings(ctx).get(name, ("", None))[0] == package


def _last_name(node: Node | None, ctx: FileContext) -> str:
    """``db`` for ``db`` and ``this.db``, ``collection`` for ``db.collection("users")``."""
    if node is None:
        return ""
    node = unwrap(node)
    if node.type == "identifier":
        return ctx.text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return ctx.text(prop) if prop is not None else ""
    if node.type == "call_expression":
        return method_of(node, ctx)[1]
    return ""


def round_trip(call: Node, ctx: FileContext) -> str | None:
    """``HTTP`` or ``DB`` when the call is an HTTP request or a database query, else None."""
    receiver, method = method_of(call, ctx)
    if receiver is None:
        return HTTP if method in _HTTP_FUNCTIONS and _client_name(method, ctx) else None
    last = _last_name(receiver, ctx)
    if method == "fetch":
        return HTTP if ctx.text(receiver) in _GLOBALS else None
    if method in _HTTP_VERBS and last in _HTTP_CLIENTS and _client_name(last, ctx):
        return HTTP
    if method in ("query", "execute") and _last_word(last, _DB_WORDS | (_QUERY_WORDS if method == "query" else _NONE)):
        return DB
    if method in _SQL_METHODS and _sql_text(arguments(call), ctx):
        return DB
    if method in _MODEL_METHODS and _is_model(receiver, ctx):
        return DB
    if method in _PRISMA_METHODS and receiver.type == "member_expression":
        client = _last_name(receiver.child_by_field_name("object"), ctx)
        if name_words(client)[:1] == ["prisma"] or client in ("db", "tx", "trx"):
            return DB
    if method in _REPOSITORY_METHODS and (
        _last_word(last, _REPOSITORY_WORDS) or last in ("getRepository", "getCustomRepository")
    ):
        return DB
    if method in _COLLECTION_METHODS and _last_word(last, _COLLECTION_WORDS):
        return DB
    return None


def _names(*items: Iterable[str]) -> str:
    return " ".join(f'"{name}"' for name in sorted(set().union(*items)))


_ROUND_TRIP_QUERY = f"""
(call_expression
  function: (identifier) @method
  (#any-of? @method {_names(_HTTP_FUNCTIONS)})) @call
(call_expression
  function: (member_expression property: (property_identifier) @method)
  (#any-of? @method {_names(_ROUND_TRIP_METHODS)})) @call
"""


# --- JS-P002 N+1: a request or query per loop iteration ------------------------------------------

_PER_ITEM_KINDS = frozenset({"for", "for-of", "for-in", "for-await", "callback"})


def _check_n_plus_one(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    what = round_trip(call, ctx) if call is not None else None
    if call is None or what is None or not growing_loops(call, ctx, _PER_ITEM_KINDS):
        return
    if what == HTTP:
        message = "HTTP request inside a loop: one round trip per item; use a batch endpoint or cache the answers."
    else:
        message = "Database query inside a loop: one round trip per item (N+1); fetch them in one query."
    yield Hit(call, message=message)


N_PLUS_ONE = Rule(
    id="JS-P002",
    title="Database query or HTTP request inside a loop (N+1)",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="Query or request inside a loop: one round trip per item (N+1).",
    docs=RuleDocs(
        what="Flags, in the body of a `for`, `for...of`, `for...in` or `for await` loop or in the callback "
        "of `forEach` / `map` / `filter` / `reduce` / `some` / `every` / `flatMap` / `find`: `fetch(...)` "
        "(also `window.fetch`), `axios` / `got` / `ky` / `superagent` / `needle` calls and their verbs, "
        "Node's `http(s).get/request` and Angular's `this.http.get(...)`; `.query(...)` / `.execute(...)` "
        "on a receiver named like a connection, pool, transaction or client (`db`, `pgPool`, `trx`, "
        "`dataSource`, `queryRunner`); `query` / `execute` / `all` / `get` / `run` given SQL text; "
        "Sequelize and Mongoose model statics on a `CapWords` name (`User.findOne`, `Order.findByPk`, "
        "`Post.countDocuments`); Prisma (`prisma.user.findUnique`); TypeORM repositories (`userRepository."
        "findOneBy`, `getRepository(User).find`); and MongoDB collections (`users.findOne`, "
        '`db.collection("users").updateOne`). `Promise.all(ids.map(id => db.query(...)))` is flagged too: '
        "concurrent, but still one round trip per item. Not flagged: calls in the loop's iterable (run "
        "once), in `while` / `do` loops (pagination, polling, retries), in loops over an array literal or "
        "with a literal / `ALL_CAPS` bound, and in other nested functions (event handlers, `.then` "
        "callbacks), which do not run once per iteration.",
        why="Each iteration pays a full network round trip and the cost grows with the data: a page "
        "listing 500 orders makes 501 queries, and a batch of requests hits rate limits. The database or "
        "API could usually answer all of them in one request.",
        example="for (const order of orders) {\n  order.customer = await Customer.findByPk(order.customerId);\n}",
        use_instead="const customers = await Customer.findAll({\n"
        "  where: { id: orders.map((order) => order.customerId) },\n});\n"
        "const byId = new Map(customers.map((c) => [c.id, c]));\n"
        "for (const order of orders) {\n  order.customer = byId.get(order.customerId);\n}",
    ),
    query=_ROUND_TRIP_QUERY,
    check=_check_n_plus_one,
    references=(
        cwe(1050),
        "https://sequelize.org/docs/v6/core-concepts/assocs/#fetching-associations---eager-loading-vs-lazy-loading",
    ),
)


# --- JS-P007 request body buffered without a limit -----------------------------------------------

_REQUESTS = ("req", "request", "ctx.req", "this.req")
# Anything that looks like a size check or a way out: the rule only reports handlers with none of them.
_LIMITED = re.compile(r"(?i)length|size|limit|max|destroy|abort|413|pause")
_ACCUMULATES = re.compile(r"\+=|\.push\s*\(|\.concat\s*\(|\.write\s*\(")


def _check_unbounded_body(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    finding, handler = first(captures, "finding"), first(captures, "handler")
    if finding is None or handler is None or not _ACCUMULATES.search(ctx.text(handler)):
        return
    scope = enclosing_function(JAVASCRIPT, finding, ctx)
    if _LIMITED.search(ctx.text(scope if scope is not None else handler)):
        return
    yield Hit(finding)


UNBOUNDED_BODY = Rule(
    id="JS-P007",
    title="Request body buffered without a size limit",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=770,
    languages=LANGS,
    message="The request body is accumulated in memory with no size limit; a large or endless body exhausts memory.",
    docs=RuleDocs(
        what='Flags `req.on("data", ...)` handlers (also `request`, `ctx.req`) that append each chunk '
        "(`body += chunk`, `chunks.push(chunk)`), and `for await (const chunk of req)` loops that do the "
        "same, when the enclosing function has no sign of a limit: no `length` / `size` / `limit` / `max` "
        "check, no `destroy` / `abort` / `pause`, no 413 answer. Not flagged: body parsers such as "
        "`express.json()` (limited to 100 kB by default), handlers that stream the chunks elsewhere without "
        "keeping them, and reads of other streams (files, HTTP client responses).",
        why="Whoever sends the request decides how big the body is. Without a cap a client can send "
        "gigabytes, or trickle a body that never ends, and the server keeps every byte in memory until it "
        "runs out (denial of service).",
        example='const server = http.createServer((req, res) => {\n  let body = "";\n'
        '  req.on("data", (chunk) => {\n    body += chunk;\n  });\n'
        '  req.on("end", () => handle(JSON.parse(body), res));\n});',
        use_instead="const MAX_BODY = 1 << 20;\n\nconst server = http.createServer((req, res) => {\n"
        '  let body = "";\n  req.on("data", (chunk) => {\n    body += chunk;\n'
        "    if (body.length > MAX_BODY) {\n      res.writeHead(413).end();\n      req.destroy();\n    }\n"
        '  });\n  req.on("end", () => handle(JSON.parse(body), res));\n});',
    ),
    query=f"""
(call_expression
  function: (member_expression object: (_) @request property: (property_identifier) @on)
  arguments: (arguments
    . (string (string_fragment) @event)
    . [(arrow_function) (function_expression)] @handler .)
  (#any-of? @request {_names(_REQUESTS)})
  (#any-of? @on "on" "addListener")
  (#eq? @event "data")) @finding
(for_in_statement
  "await"
  right: (_) @request
  body: (_) @handler
  (#any-of? @request {_names(_REQUESTS)})) @finding
""",
    check=_check_unbounded_body,
    references=(cwe(770), "https://nodejs.org/en/learn/modules/anatomy-of-an-http-transaction#request-body"),
)


RULES: tuple[Rule, ...] = (
    N_PLUS_ONE,
    UNBOUNDED_BODY,
)
