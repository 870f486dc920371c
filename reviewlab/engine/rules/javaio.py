"""Java performance rules for I/O: a database query or HTTP request per loop iteration (N+1), and a
request or socket stream read whole with no size limit.

Both recognise I/O by the receiver's declared type or, when it is unknown, its name (``customerRepository``,
``jdbcTemplate``, ``request``); :mod:`javamodel` resolves the declarations and tells loops over data from
fixed counts and polling loops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import JAVA, Node, enclosing_function
from reviewlab.engine.rules.flowhelpers import cwe, n_plus_one_check
from reviewlab.engine.rules.javamodel import (
    LANGS,
    call_args,
    created_type,
    declared_type_of,
    iterates_data,
    method_name,
    per_item_loops,
    receiver_name,
    resolve,
    unwrap,
)
from reviewlab.engine.secrets.paths import is_test_path

# --- JAVA-P003 N+1: query or HTTP request per loop iteration --------------------------------------

_JDBC_ALWAYS = frozenset({"executeQuery", "executeUpdate", "executeLargeUpdate", "getResultList", "getSingleResult"})
_STATEMENT_TYPES = frozenset({"Statement", "PreparedStatement", "CallableStatement"})
_STATEMENT_NAME = re.compile(r"(?i)^(?:stmt|statement|ps|pst|pstmt|preparedStatement|st|cs|call)$")
_JDBC_TEMPLATE_METHODS = frozenset(
    {"query", "queryForObject", "queryForList", "queryForMap", "queryForRowSet", "queryForStream", "update"}
)
_JDBC_TEMPLATE = re.compile(r"(?i)jdbc|template")
_REPOSITORY = re.compile(r"(?i)(?:repository|repo|dao)$")
_REPOSITORY_METHOD = re.compile(
    r"^(?:(?:find|read|get|query|search|stream|count|exists)(?:First|Top|Distinct|All)?\w*By\w+|"
    r"findById|existsById|findAll|findAllById|findOne|getById|getOne)$"
)
_REST_METHODS = frozenset(
    {"getForObject", "getForEntity", "postForObject", "postForEntity", "exchange", "patchForObject", "headForHeaders"}
)
_REST = re.compile(r"(?i)rest|template")
_HTTP_CLIENT_TYPES = frozenset({"HttpClient", "CloseableHttpClient"})
_HTTP_CLIENT_NAME = re.compile(r"(?i)client$")
_ENTITY_MANAGER = re.compile(r"(?i)^(?:em|entityManager)$|EntityManager$")


_W = "[A-Za-z0-9_]"
_ROUND_TRIP_NAMES = (
    f"^(?:execute|executeQuery|executeUpdate|executeLargeUpdate|getResultList|getSingleResult|find|query{_W}*|update"
    "|send|openConnection|openStream|getForObject|getForEntity|postForObject|postForEntity|exchange|patchForObject"
    f"|headForHeaders|findById|existsById|findAll{_W}*|findOne|getById|getOne"
    f"|(?:find|read|get|query|search|stream|count|exists){_W}*By{_W}+)$"
)
"""A pre-filter for the query: the method names :func:`_round_trip` may accept."""


def _round_trip(call: Node, ctx: FileContext) -> str | None:
    """``"query"`` / ``"request"`` when the call is a database query or an HTTP request, else None."""
    method = method_name(call, ctx)
    receiver = call.child_by_field_name("object")
    name, kind = receiver_name(receiver, ctx), declared_type_of(receiver, ctx)
    if method in _JDBC_ALWAYS:
        return "query" if receiver is not None else None
    if method == "execute" and receiver is not None:
        if kind in _STATEMENT_TYPES or _STATEMENT_NAME.match(name):
            return "query"
        if name == "newCall" or kind in _HTTP_CLIENT_TYPES:
            return "request"  # OkHttp `client.newCall(request).execute()`, Apache `httpClient.execute(request)`
        return None
    if method in _JDBC_TEMPLATE_METHODS and (_JDBC_TEMPLATE.search(name) or kind.endswith("JdbcTemplate")):
        return "query"
    if method == "find" and (_ENTITY_MANAGER.search(name) or kind == "EntityManager"):
        return "query"
    if _REPOSITORY_METHOD.match(method) and (_REPOSITORY.search(name) or _REPOSITORY.search(kind)):
        return "query"
    if method in _REST_METHODS and (_REST.search(name) or kind == "RestTemplate"):
        return "request"
    if method == "send" and (
        kind == "HttpClient" or (not kind and _HTTP_CLIENT_NAME.search(name) and "BodyHandler" in ctx.text(call))
    ):
        return "request"
    if method in ("openConnection", "openStream") and not call_args(call) and _built_url(receiver, ctx):
        return "request"
    return None


def _built_url(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """A URL made from a string here (``new URL(s)``, ``URI.create(s).toURL()``), not a class-path resource."""
    if node is None or depth > 2:
        return False
    node = unwrap(node)
    if node.type == "object_creation_expression":
        return created_type(node, ctx) == "URL"
    if node.type == "method_invocation":
        return method_name(node, ctx) == "toURL" and "getResource" not in ctx.text(node)
    if node.type == "identifier":
        declaration = resolve(node, ctx)
        return declaration is not None and _built_url(declaration.value, ctx, depth + 1)
    return False


_check_n_plus_one = n_plus_one_check(
    per_item_loops,
    iterates_data,
    _round_trip,
    query_advice="fetch the rows in one query (`IN (...)`, a join, `findAllById`) or batch the updates.",
    request_advice="use a batch endpoint or send the requests concurrently.",
)


N_PLUS_ONE = Rule(
    id="JAVA-P003",
    title="Database query or HTTP request inside a loop (N+1)",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="Query or request inside a loop: one round trip per item (N+1).",
    docs=RuleDocs(
        what="Flags, in the body of a loop over data or a per-element lambda (`forEach`, `map`...): JDBC "
        "`executeQuery` / `executeUpdate` and `execute` on a statement, JPA `getResultList` / `getSingleResult` "
        "and `entityManager.find`, `JdbcTemplate` queries and updates, Spring Data repository reads "
        "(`findById`, `findByX`, `existsByX`, `countByX`... on a receiver named or declared `...Repository` / "
        "`...Dao`), `RestTemplate` calls, `HttpClient.send`, OkHttp `newCall(...).execute()`, Apache "
        "`httpClient.execute(...)` and `URL.openConnection()` / `openStream()`. A `while` loop counts only when "
        "it walks a result set or iterator (`while (rs.next())`). Not flagged: other `while` loops (paging, "
        "polling, retries), loops with a count fixed in the source (`for (int i = 0; i < 3; i++)`, an array "
        "or `List.of(...)` literal, an enum's `values()`), `addBatch` / `executeBatch`, `sendAsync`, and calls "
        "in a loop's iterable or in lambdas run later (`executor.submit(() -> ...)`), and test files (parameterised "
        "tests call once per case by design).",
        why="Each iteration pays a full network round trip, so the cost grows with the data: a page listing "
        "500 orders makes 501 queries. The database or API could answer all of them in one request.",
        example="for (Order order : orders) {\n"
        "    Customer customer = customerRepository.findById(order.getCustomerId()).orElseThrow();\n"
        "    order.setCustomerName(customer.getName());\n}",
        use_instead="Map<Long, Customer> customers = customerRepository\n"
        "    .findAllById(orders.stream().map(Order::getCustomerId).toList())\n"
        "    .stream().collect(Collectors.toMap(Customer::getId, c -> c));\nfor (Order order : orders) {\n"
        "    order.setCustomerName(customers.get(order.getCustomerId()).getName());\n}",
    ),
    query=f"""
(method_invocation
  name: (identifier) @method
  (#match? @method "{_ROUND_TRIP_NAMES}")) @call
""",
    check=_check_n_plus_one,
    references=(cwe(1050), "https://vladmihalcea.com/n-plus-1-query-problem/"),
)


# --- JAVA-P006 unbounded read of a request or socket stream ---------------------------------------

_REQUEST_TYPES = frozenset({"HttpServletRequest", "ServletRequest", "HttpExchange", "Socket", "SSLSocket"})
_REQUEST_NAME = re.compile(r"(?i)^(?:req|request|httpRequest|servletRequest|exchange|socket|sock|clientSocket)$")
_STREAM_WRAPPERS = frozenset({"BufferedInputStream", "DataInputStream", "PushbackInputStream"})
_BOUNDS = re.compile(r"getContentLength|readNBytes|BoundedInputStream|LimitInputStream|ByteStreams\.limit|MaxBytes")


def _request_stream(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """``request.getInputStream()``, ``exchange.getRequestBody()``, ``socket.getInputStream()``, wrapped in a
    buffering stream or held in a local variable."""
    if node is None or depth > 3:
        return False
    node = unwrap(node)
    if node.type == "method_invocation":
        method = method_name(node, ctx)
        receiver = node.child_by_field_name("object")
        if method == "getRequestBody":
            return receiver is not None
        return method == "getInputStream" and (
            declared_type_of(receiver, ctx) in _REQUEST_TYPES or bool(_REQUEST_NAME.match(receiver_name(receiver, ctx)))
        )
    if node.type == "object_creation_expression" and created_type(node, ctx) in _STREAM_WRAPPERS:
        args = call_args(node)
        return bool(args) and _request_stream(args[0], ctx, depth + 1)
    if node.type == "identifier":
        declaration = resolve(node, ctx)
        return declaration is not None and not declaration.field and _request_stream(declaration.value, ctx, depth + 1)
    return False


def _check_unbounded_read(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, stream = first(captures, "call"), first(captures, "stream")
    if call is None or stream is None or is_test_path(ctx.path):
        return
    method = method_name(call, ctx)
    if method == "readAllBytes" and call_args(call):
        return  # Files.readAllBytes(path)
    if not _request_stream(stream, ctx):
        return
    function = enclosing_function(JAVA, call, ctx)
    if function is not None and _BOUNDS.search(ctx.text(function)):
        return
    yield Hit(
        call,
        message=f"`{method}` reads the whole request body into memory with no size limit; check the "
        "content length or read with `readNBytes(MAX + 1)`.",
    )


UNBOUNDED_READ = Rule(
    id="JAVA-P006",
    title="Request or socket stream read without a size limit",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=400,
    languages=LANGS,
    message="The whole request body is read into memory with no size limit.",
    docs=RuleDocs(
        what="Flags `readAllBytes()` and `IOUtils.toByteArray/toString`, `StreamUtils.copyToByteArray/"
        "copyToString`, `ByteStreams.toByteArray` and `CharStreams.toString` on a servlet request's "
        "`getInputStream()`, an `HttpExchange`'s `getRequestBody()` or a socket's `getInputStream()` (directly, "
        "wrapped in a `BufferedInputStream` / `DataInputStream`, or through a local variable). Not flagged: "
        "methods that check `getContentLength()` or read with `readNBytes`, a `BoundedInputStream` or "
        "`ByteStreams.limit`, streams of files or outgoing connections, and test files.",
        why="Whoever sends the request chooses how much the server buffers: one multi-gigabyte body, or many "
        "large ones at once, exhausts the heap and takes the service down (uncontrolled resource "
        "consumption). Servlet containers do not cap request bodies read this way.",
        example="protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {\n"
        "    byte[] body = request.getInputStream().readAllBytes();\n    ...\n}",
        use_instead="private static final int MAX_BODY = 1 << 20;\n\n"
        "protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {\n"
        "    if (request.getContentLengthLong() > MAX_BODY) {\n"
        "        response.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);\n        return;\n    }\n"
        "    byte[] body = request.getInputStream().readNBytes(MAX_BODY + 1);\n    ...\n}",
    ),
    query="""
(method_invocation
  object: (_) @stream
  name: (identifier) @method
  (#eq? @method "readAllBytes")) @call
(method_invocation
  object: (identifier) @util
  name: (identifier) @method
  arguments: (argument_list . (_) @stream)
  (#any-of? @util "IOUtils" "StreamUtils" "ByteStreams" "CharStreams")
  (#any-of? @method "toByteArray" "toString" "copyToByteArray" "copyToString")) @call
""",
    check=_check_unbounded_read,
    references=(cwe(400), "https://cheatsheetseries.owasp.org/cheatsheets/Denial_of_Service_Cheat_Sheet.html"),
)


RULES: tuple[Rule, ...] = (
    N_PLUS_ONE,
    UNBOUNDED_READ,
)
