"""Go resources that are never released: HTTP response bodies that are not closed.

The rule follows the response variable through its function after the call (a response assigned to ``_``
is reported at once), and treats it as released when its body is closed or the response is handed to
another owner (returned, passed on, stored, sent).
"""

from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import GO, Node, ancestors, compiled_query, enclosing_function
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.gohelpers import HTTP_CLIENT, LANGS, selector
from reviewlab.engine.secrets.paths import is_test_path

# --- GO-Q007 HTTP response body not closed --------------------------------------------------------

_REQUEST_FUNCTIONS = frozenset({"Get", "Post", "PostForm", "Do"})


def _http_call(call: Node, ctx: FileContext) -> str | None:
    operand, method = selector(call, ctx)
    if operand is None or method not in _REQUEST_FUNCTIONS:
        return None
    receiver = ctx.text(operand)
    if receiver == "http" and method != "Do":
        return f"http.{method}"
    if HTTP_CLIENT.search(receiver):
        return f"{receiver}.{method}"
    return None


def _body_released(name: str, statement: Node, function: Node, ctx: FileContext) -> bool:
    """Whether the function closes ``name.Body``, or hands ``name`` on (returns it, passes it to a function,
    stores it), after ``statement``."""
    query = compiled_query("go", "(identifier) @id")
    wanted = name.encode()
    for node in tree_sitter.QueryCursor(query).captures(function).get("id", ()):
        if node.text != wanted or node.start_byte < statement.end_byte:
            continue
        chain = ancestors(node, ctx)
        parent = chain[0] if chain else None
        if parent is None:
            continue
        if parent.type == "selector_expression":
            # resp.Body.Close(), or resp.Body handed to a closer (`defer drainAndClose(resp.Body)`)
            text = ctx.text(chain[1]) if len(chain) > 1 else ""
            if text.startswith(f"{name}.Body.Close"):
                return True
            owner = next((p for p in chain[1:4] if p.type == "call_expression"), None)
            if owner is not None and "close" in ctx.text(owner.child_by_field_name("function") or owner).lower():
                return True
            if len(chain) > 2 and chain[1].type == "expression_list" and chain[2].type in _STORES:
                return True  # body := resp.Body: closed through the alias, or owned elsewhere
            continue
        if parent.type in ("argument_list", "keyed_element", "literal_element", "send_statement"):
            return True
        if parent.type == "expression_list" and len(chain) > 1 and chain[1].type in (*_STORES, "return_statement"):
            right = chain[1].child_by_field_name("right") if chain[1].type in _STORES else parent
            if right == parent:
                return True
    return False


_STORES = frozenset({"assignment_statement", "short_var_declaration"})


def _check_response_body(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, call, target = first(captures, "statement"), first(captures, "call"), first(captures, "resp")
    if statement is None or call is None or target is None:
        return
    label = _http_call(call, ctx)
    function = enclosing_function(GO, statement, ctx)
    if label is None or function is None or is_test_path(ctx.path):
        return
    name = ctx.text(target)
    if name == "_":
        yield Hit(
            call,
            message=f"The response of `{label}` is discarded, so its body is never closed and the "
            "connection never reused.",
        )
        return
    if target.type != "identifier" or _body_released(name, statement, function, ctx):
        return
    yield Hit(
        call,
        message=f"The body of the response `{name}` from `{label}` is never closed; add "
        f"`defer {name}.Body.Close()` after the error check.",
    )


UNCLOSED_BODY = Rule(
    id="GO-Q007",
    title="HTTP response body not closed",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=772,
    languages=LANGS,
    message="The HTTP response body is never closed: the connection leaks and is not reused.",
    docs=RuleDocs(
        what="Flags `resp, err := http.Get/Post/PostForm(...)` and `client.Get/Post/PostForm/Do(...)` (on "
        "`http.DefaultClient` or a receiver named like a client) when the function never calls "
        "`resp.Body.Close()` after it, and when the response is assigned to `_`. Not flagged: a "
        "`defer resp.Body.Close()` or any later `resp.Body.Close()` (also in a deferred closure), `resp.Body` "
        "given to a function with `close` in its name or stored in another variable, and a response that is "
        "returned, passed to another function, stored in a struct or sent on a channel (its new owner closes "
        "it). `http.Head` is not checked: its body is always empty. Test files are not checked.",
        why="Until the body is closed the underlying TCP connection stays open and cannot go back to the "
        "client's pool: a service that forgets it leaks a connection and a goroutine per request and "
        "eventually runs out of file descriptors.",
        example="func fetch(url string) ([]byte, error) {\n\tresp, err := http.Get(url)\n\tif err != nil {\n"
        "\t\treturn nil, err\n\t}\n\treturn io.ReadAll(resp.Body)\n}",
        use_instead="func fetch(url string) ([]byte, error) {\n\tresp, err := http.Get(url)\n\tif err != nil {\n"
        "\t\treturn nil, err\n\t}\n\tdefer resp.Body.Close()\n\treturn io.ReadAll(resp.Body)\n}",
    ),
    query="""
(short_var_declaration
  left: (expression_list . (_) @resp . (_))
  right: (expression_list . (call_expression function: (selector_expression)) @call .)) @statement
(assignment_statement
  left: (expression_list . (_) @resp . (_))
  right: (expression_list . (call_expression function: (selector_expression)) @call .)) @statement
""",
    check=_check_response_body,
    references=(cwe(772), "https://pkg.go.dev/net/http#Client.Do"),
)


RULES: tuple[Rule, ...] = (UNCLOSED_BODY,)
