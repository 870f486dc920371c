"""Taint-based Python rules: open redirect, reflected XSS, header injection, log injection, session trust.

Like PY-S012/PY-S013, each rule's query only selects candidate sinks by shape and name; the check
resolves the called name through the file's imports and only then asks the taint engine
(``reviewlab.engine.taint``) whether the argument carries client data. These rules report only data a
remote client controls (web request inputs and route parameters): ``os.environ``, ``sys.argv``,
``input()`` and stdin are chosen by whoever runs the program, and a redirect, page, header, log line
or session entry built from them attacks no one else. Dead branches (``if False:``) and values passed to a
validator in the same function (``is_safe_url(url)``, ``is_allowed_origin(origin)``, ``validate_x(x)``) are
not reported either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    any_of,
    argument,
    arguments,
    bindings,
    built_by,
    calls_named,
    cwe_url,
    enclosing_function,
    function_tail,
    imports_module,
    keyword_arg,
    literal_prefix,
    node_text,
    qualified_name,
    string_value,
    unwrap,
)
from reviewlab.engine.rules.pytaint import (
    OWASP_INJECTION,
    crlf_neutralised,
    resolved_call,
    taint_message,
    tainted,
)
from reviewlab.engine.taint import spec as taint_spec
from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.steps import flow_steps

Node = tree_sitter.Node
PY = ("python",)

# Sink classes of these rules. The engine's universal sanitisers (``int()``, allowlist membership
# tests...) clean data for every class; the ones below are protected by nothing narrower.
REDIRECT = taint_spec.URL  # a host allowlist check or a literal ``https://host/`` prefix protects both
HEADER = taint_spec.HEADER
LOG = taint_spec.LOG
SESSION = taint_spec.SESSION

# ---------------------------------------------------------------------------------------------
# PY-S014 open redirect
# ---------------------------------------------------------------------------------------------

_REDIRECTS: dict[str, tuple[int, str]] = {
    "flask.redirect": (0, "location"),
    "werkzeug.utils.redirect": (0, "location"),
    "quart.redirect": (0, "location"),
    "django.shortcuts.redirect": (0, "to"),
    "django.http.HttpResponseRedirect": (0, "redirect_to"),
    "django.http.HttpResponsePermanentRedirect": (0, "redirect_to"),
    "django.http.response.HttpResponseRedirect": (0, "redirect_to"),
    "starlette.responses.RedirectResponse": (0, "url"),
    "fastapi.responses.RedirectResponse": (0, "url"),
}
_REDIRECT_NAMES = frozenset(_REDIRECTS)
# A literal start that pins the target to this site: ``/account/...``, ``?next=...``, ``#top``.
_SAME_SITE_PREFIX = re.compile(r"^(?:/[^/\\]|[?#])")


def _same_site(node: Node, ctx: FileContext, depth: int = 0) -> bool:
    """Whether a URL expression (or every value a local name holds) starts with a same-site literal."""
    node = unwrap(node)
    if node.type == "identifier" and depth < 3:
        values = bindings(node, ctx)
        return bool(values) and all(
            value is not None and value.type != "augmented_assignment" and _same_site(value, ctx, depth + 1)
            for value in values
        )
    prefix = literal_prefix(node)
    return prefix is not None and bool(_SAME_SITE_PREFIX.match(prefix))


def _check_open_redirect(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    name = resolved_call(call, ctx, _REDIRECT_NAMES)
    if name is None:
        return
    index, keyword = _REDIRECTS.get(name) or next(
        spec for full, spec in _REDIRECTS.items() if full.endswith("." + name.rsplit(".", 1)[-1])
    )
    url = argument(call, index, keyword)
    if url is None or _same_site(url, ctx):
        return
    taint = tainted(url, call, ctx, REDIRECT)
    if taint is None:
        return
    label = name.rsplit(".", 1)[-1]
    yield Hit(call, message=taint_message(label, "a redirect target", taint), flow=flow_steps(taint, call, label, ctx))


OPEN_REDIRECT = Rule(
    id="PY-S014",
    title="Open redirect: redirect target from user input",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=601,
    languages=PY,
    message="A redirect target built from user input lets a link on this site send visitors to any other site.",
    docs=RuleDocs(
        what="Follows data from the client request (Flask/Werkzeug `request.*`, Django `request.GET/POST/...`, "
        "Starlette `request.query_params`, route handler parameters) through assignments, string building and "
        "helper functions of the same file, and flags `redirect(...)` (Flask, Werkzeug, Quart, Django), "
        "`HttpResponseRedirect`/`HttpResponsePermanentRedirect` and Starlette/FastAPI `RedirectResponse` "
        "whose target it controls. Not flagged: a constant target, `url_for(...)`, a target starting with a "
        'literal same-site path (`f"/profile/{name}"`) or a literal `https://host/` prefix, a target checked '
        "with Django's `url_has_allowed_host_and_scheme`/`is_safe_url`, with a host allowlist "
        "(`if urlparse(url).hostname not in ALLOWED_HOSTS: abort(400)`) or with a membership test on the "
        "value itself (`if target in ALLOWED_TARGETS:`). Values from the environment, `sys.argv` or `input()` "
        "are not reported: whoever runs the program chooses them.",
        why="A link such as `https://shop.example.com/login?next=https://evil.example` looks trustworthy, but "
        "sends the visitor to a phishing page after login; it is also a building block for stealing OAuth "
        "tokens passed along with the redirect.",
        example="@app.route('/login', methods=['POST'])\ndef login():\n    ...\n"
        "    return redirect(request.args.get('next', '/'))",
        use_instead="@app.route('/login', methods=['POST'])\ndef login():\n    ...\n"
        "    target = request.args.get('next', '/')\n"
        "    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.host}):\n"
        "        target = url_for('index')\n"
        "    return redirect(target)",
    ),
    query=calls_named("redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect", "RedirectResponse"),
    check=_check_open_redirect,
    references=(
        cwe_url(601),
        "https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
        "https://docs.djangoproject.com/en/stable/ref/utils/#django.utils.http.url_has_allowed_host_and_scheme",
    ),
)


# ---------------------------------------------------------------------------------------------
# PY-S015 reflected XSS
# ---------------------------------------------------------------------------------------------

_HTML_SINKS: dict[str, tuple[int, str]] = {
    "flask.make_response": (0, ""),
    "flask.Response": (0, "response"),
    "flask.wrappers.Response": (0, "response"),
    "werkzeug.wrappers.Response": (0, "response"),
    "werkzeug.Response": (0, "response"),
    "quart.make_response": (0, ""),
    "quart.Response": (0, "response"),
    "django.http.HttpResponse": (0, "content"),
    "django.http.response.HttpResponse": (0, "content"),
    "starlette.responses.HTMLResponse": (0, "content"),
    "fastapi.responses.HTMLResponse": (0, "content"),
    "starlette.responses.Response": (0, "content"),
    "fastapi.responses.Response": (0, "content"),
    "fastapi.Response": (0, "content"),
    "markupsafe.Markup": (0, "base"),
    "flask.Markup": (0, "base"),
    "jinja2.Markup": (0, "base"),
    "django.utils.safestring.mark_safe": (0, "s"),
}
_HTML_SINK_NAMES = frozenset(_HTML_SINKS)
_CONTENT_TYPE_KEYWORDS = ("mimetype", "content_type", "media_type")
_WEB_MODULES = ("flask", "quart")


def _non_html_type(call: Node) -> bool:
    """Whether the call declares a literal content type that browsers do not render as HTML."""
    for keyword in _CONTENT_TYPE_KEYWORDS:
        value = keyword_arg(call, keyword)
        if value is not None:
            text = string_value(value)
            return text is not None and "html" not in text.lower() and "xml" not in text.lower()
    return False


def _check_xss_call(call: Node, ctx: FileContext) -> Iterator[Hit]:
    name = resolved_call(call, ctx, _HTML_SINK_NAMES)
    if name is None:
        return
    tail = name.rsplit(".", 1)[-1]
    index, keyword = _HTML_SINKS.get(name) or next(
        spec for full, spec in _HTML_SINKS.items() if full.endswith("." + tail)
    )
    content = argument(call, index, keyword) if keyword else argument(call, index)
    if content is None or _non_html_type(call):
        return
    taint = tainted(content, call, ctx, taint_spec.HTML)
    if taint is not None:
        what = "HTML"
        yield Hit(call, message=taint_message(tail, what, taint), flow=flow_steps(taint, call, tail, ctx))


def _flask_route(function: Node, ctx: FileContext) -> bool:
    """Whether a function is a Flask/Quart route handler, whose returned string is served as HTML."""
    parent = function.parent
    if parent is None or parent.type != "decorated_definition":
        return False
    if not imports_module(ctx, _WEB_MODULES):
        return False
    if imports_module(ctx, ("fastapi", "starlette")):
        return False  # FastAPI serialises a returned string as JSON
    for decorator in parent.named_children:
        expression = decorator.named_children[0] if decorator.type == "decorator" and decorator.named_children else None
        callee = (
            expression.child_by_field_name("function") if expression is not None and expression.type == "call" else None
        )
        if (
            callee is not None
            and callee.type == "attribute"
            and node_text(callee.child_by_field_name("attribute")) in taint_spec.ROUTE_DECORATORS
        ):
            return True
    return False


def _built_as_text(name: Node, ctx: FileContext) -> bool:
    """Whether a returned name holds text: some binding of it is a string literal, f-string, ``+``/``%``
    building, ``.format``/``.join``, or it is extended with ``+=``."""
    for value in bindings(name, ctx):
        if value is None:
            continue
        value = unwrap(value)
        if value.type == "augmented_assignment" or value.type in ("string", "concatenated_string"):
            return True
        if value.type == "binary_operator" and node_text(value.child_by_field_name("operator")) in ("+", "%"):
            return True
        if value.type == "call" and function_tail(value) in ("format", "join"):
            return True
    return False


def _check_xss(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is not None:
        yield from _check_xss_call(call, ctx)
        return
    returned = first(captures, "returned")
    statement = first(captures, "return")
    if returned is None or statement is None:
        return
    function = enclosing_function(statement)
    if function is None or not _flask_route(function, ctx):
        return
    if returned.type == "expression_list":  # ``return body, 200``
        parts = [c for c in returned.named_children if c.type != "comment"]
        returned = parts[0] if parts else returned
    if returned.type == "binary_operator" and node_text(returned.child_by_field_name("operator")) not in ("+", "%"):
        return
    if returned.type == "identifier" and not _built_as_text(returned, ctx):
        return  # a dict or list is served as JSON; only text a handler builds is served as HTML
    taint = tainted(returned, statement, ctx, taint_spec.HTML)
    if taint is not None:
        yield Hit(
            returned,
            message=f"The route handler returns HTML built from {taint.source} (line {taint.line}) without escaping.",
            flow=flow_steps(taint, statement, "return", ctx),
        )


REFLECTED_XSS = Rule(
    id="PY-S015",
    title="Reflected cross-site scripting: user input in an HTML response",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=79,
    languages=PY,
    message="User input is written into an HTML response without escaping; a script in it runs in the visitor's "
    "browser.",
    docs=RuleDocs(
        what="Follows data from the client request (Flask/Werkzeug `request.*`, Django `request.GET/POST/...`, "
        "Starlette `request.query_params`, route handler parameters) through assignments, string building and "
        "helper functions of the same file, and flags it where it becomes HTML unescaped: `make_response(...)`, "
        "`Response(...)`, Django `HttpResponse(...)`, Starlette/FastAPI `HTMLResponse(...)`, "
        "(`render_template_string(...)` of a template source built from input is PY-S024, template injection), "
        "`Markup(...)`/`mark_safe(...)`, and an f-string, `+` or `%` string or `.format(...)` returned from a "
        "Flask/Quart route handler, or a variable holding text built that way (`body += ...; return body`; a "
        "returned dict or list is JSON and not flagged). `html.escape`, `markupsafe.escape`, project helpers "
        "named like `escape_html`/`escape_for_html`, and `render_template('page.html', "
        "name=name)` (autoescaped) are safe, as is a response declaring a non-HTML `mimetype`/`content_type`/"
        "`media_type` (`text/plain`, `application/json`). Values from the environment, `sys.argv` or `input()` "
        "are not reported.",
        why="A link carrying `<script>` in a parameter makes the page run the attacker's script with the "
        "visitor's session: it can read the page, act on the user's behalf and steal tokens.",
        example="@app.route('/hello')\ndef hello():\n    name = request.args.get('name', '')\n"
        "    return f'<h1>Hello {name}</h1>'",
        use_instead="@app.route('/hello')\ndef hello():\n    name = request.args.get('name', '')\n"
        "    return render_template('hello.html', name=name)  # or f'<h1>Hello {escape(name)}</h1>'",
    ),
    query="\n".join(
        (
            calls_named(
                "make_response",
                "Response",
                "HttpResponse",
                "HTMLResponse",
                "Markup",
                "mark_safe",
            ),
            "(return_statement [(string (interpolation)) (binary_operator) (identifier) (expression_list)] @returned) "
            "@return",
            "((return_statement (call function: (attribute object: (string) attribute: (identifier) @format)) "
            '@returned) @return (#eq? @format "format"))',
        )
    ),
    check=_check_xss,
    references=(
        cwe_url(79),
        "https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html",
        "https://flask.palletsprojects.com/en/latest/security/#cross-site-scripting-xss",
    ),
)


# ---------------------------------------------------------------------------------------------
# PY-S016 HTTP response header injection
# ---------------------------------------------------------------------------------------------

_HEADER_METHODS = ("add", "set", "setdefault", "add_header")


def _request_object(node: Node) -> bool:
    """Whether ``node`` is the incoming request (``request`` or ``self.request``): its headers are read, not sent."""
    node = unwrap(node)
    if node.type == "attribute":
        node = node.child_by_field_name("attribute") or node
    return node_text(node) == "request"


def _header_taint(expr: Node, ctx: FileContext, anchor: Node) -> Taint | None:
    taint = tainted(expr, anchor, ctx, HEADER)
    if taint is None or crlf_neutralised(expr, taint):
        return None
    return taint


_RESPONSES = frozenset(
    {
        "django.http.HttpResponse",
        "django.http.JsonResponse",
        "django.http.FileResponse",
        "django.http.HttpResponseRedirect",
    }
    | {
        "django.http.StreamingHttpResponse",
        "django.http.response.HttpResponse",
        "flask.make_response",
        "flask.Response",
    }
    | {"HttpResponse", "JsonResponse", "FileResponse", "StreamingHttpResponse", "make_response", "Response"}
)
_HANDLER_HEADER_METHODS = ("send_header", "set_header", "add_header")


def _other_header_sinks(
    captures: Captures, ctx: FileContext
) -> Iterator[tuple[Node, list[tuple[Node | None, str]], str]]:
    """http.server/Tornado ``self.send_header(name, value)``, WSGI ``start_response(status, headers)`` and
    Django ``response[name] = value``: (anchor, candidate values with what they are, display)."""
    call = first(captures, "hcall")
    if call is not None:
        method = function_tail(call)
        yield (
            call,
            [(argument(call, 1, "value"), "a header value"), (argument(call, 0, "name", "keyword"), "a header name")],
            method,
        )
    wsgi = first(captures, "wsgi")
    if wsgi is not None:
        yield wsgi, [(argument(wsgi, 1, "response_headers", "headers"), "a response header")], "start_response"
    item = first(captures, "item")
    response = first(captures, "response")
    if item is not None and response is not None and built_by(response, ctx, _RESPONSES):
        target = item.child_by_field_name("left")
        key = target.child_by_field_name("subscript") if target is not None else None
        yield item, [(item.child_by_field_name("right"), "a header value"), (key, "a header name")], "response[...]"


def _check_header_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    for anchor, candidates, display in _other_header_sinks(captures, ctx):
        for candidate, what in candidates:
            if candidate is None:
                continue
            taint = _header_taint(candidate, ctx, anchor)
            if taint is not None:
                yield Hit(
                    anchor, message=taint_message(display, what, taint), flow=flow_steps(taint, anchor, display, ctx)
                )
                return
    headers = first(captures, "headers")
    if headers is None:
        return
    owner = headers.child_by_field_name("object")
    if owner is None or _request_object(owner):
        return
    assign = first(captures, "assign")
    if assign is not None:
        target = assign.child_by_field_name("left")
        key = target.child_by_field_name("subscript") if target is not None else None
        value = assign.child_by_field_name("right")
        candidates = [(value, "a header value"), (key, "a header name")]
        anchor, display = assign, "headers[...]"
    else:
        call = first(captures, "call")
        if call is None:
            return
        candidates = [
            (argument(call, 1, "_value", "value"), "a header value"),
            (argument(call, 0, "_key", "key"), "a header name"),
        ]
        anchor, display = call, f"headers.{function_tail(call)}"
    for candidate, what in candidates:
        if candidate is None:
            continue
        taint = _header_taint(candidate, ctx, anchor)
        if taint is not None:
            yield Hit(anchor, message=taint_message(display, what, taint), flow=flow_steps(taint, anchor, display, ctx))
            return


HEADER_INJECTION = Rule(
    id="PY-S016",
    title="HTTP response header injection: header from user input",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=113,
    languages=PY,
    message="A response header is set from user input; a line break in it adds headers or splits the response.",
    docs=RuleDocs(
        what="Follows data from the client request (Flask/Werkzeug `request.*`, Django `request.GET/POST/...`, "
        "Starlette `request.query_params`, route handler parameters) through assignments, string building and "
        "helper functions of the same file, and flags response headers it names or fills: "
        "`response.headers[name] = value`, `response.headers.add/set/setdefault/add_header(name, value)`, "
        "Django `response[name] = value` on an `HttpResponse`, `http.server`/Tornado `self.send_header/"
        "set_header/add_header(name, value)` and WSGI `start_response(status, headers)`. Request handler "
        "inputs (`self.path`, `self.headers`, `self.get_argument(...)`) and the WSGI `environ` are client data. "
        "Not flagged: numbers (`int(...)`), values checked against an allowlist or passed to a validator in the "
        "same function (`if is_allowed_origin(origin):`), values whose line breaks are "
        "removed or escaped on the way (`.replace('\\n', '')`, `repr()`, `urllib.parse.quote`), and the "
        "request's own `request.headers`. `set_cookie(...)` is left alone: Werkzeug, Django and Starlette "
        "quote cookie values, so a line break cannot leave the cookie; storing user input in a cookie is a "
        "different question. Redirect targets are PY-S014's. Values from the environment, `sys.argv` or "
        "`input()` are not reported.",
        why="`\\r\\n` in a header value ends the header: the client can add its own headers (`Set-Cookie`), or "
        "on servers that do not reject it, a whole second response (response splitting, cache poisoning). "
        "Current Werkzeug and Django refuse such values at runtime, which turns the attack into a server error "
        "instead; either way, the header's content is the client's choice.",
        example="@app.route('/download')\ndef download():\n    response = make_response(data())\n"
        "    response.headers['Content-Disposition'] = f\"attachment; filename={request.args['name']}\"\n"
        "    return response",
        use_instead="@app.route('/download')\ndef download():\n    response = make_response(data())\n"
        "    name = secure_filename(request.args['name'])\n"
        "    response.headers['Content-Disposition'] = f'attachment; filename={quote(name)}'\n"
        "    return response",
    ),
    query="\n".join(
        (
            "((assignment left: (subscript value: (attribute attribute: (identifier) @name) @headers)) @assign "
            '(#eq? @name "headers"))',
            "((call function: (attribute object: (attribute attribute: (identifier) @name) @headers "
            "attribute: (identifier) @method)) @call "
            f'(#eq? @name "headers") (#any-of? @method {any_of(*_HEADER_METHODS)}))',
            "((call function: (attribute object: (identifier) attribute: (identifier) @hmethod)) @hcall "
            f"(#any-of? @hmethod {any_of(*_HANDLER_HEADER_METHODS)}))",
            '((call function: (identifier) @fn) @wsgi (#eq? @fn "start_response"))',
            "(assignment left: (subscript value: (identifier) @response)) @item",
        )
    ),
    check=_check_header_injection,
    references=(
        cwe_url(113),
        "https://owasp.org/www-community/attacks/HTTP_Response_Splitting",
        OWASP_INJECTION,
    ),
)


# ---------------------------------------------------------------------------------------------
# PY-S017 log injection
# ---------------------------------------------------------------------------------------------

# ``logger``, ``log``, ``_logger``, ``audit_log``, ``access_logger``, ``log_sink``; not ``catalog``, ``dialog``.
_LOGGER_NAME = re.compile(r"(?:^|_)log(?:ger)?s?$|^_*log(?:ger)?_")
# A ``%`` conversion in a log template: its type letter.
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([a-zA-Z%])")
_LOG_METHODS = ("debug", "info", "warning", "warn", "error", "critical", "exception", "fatal", "log")


def _logger(receiver: Node, ctx: FileContext) -> bool:
    """Whether a method's receiver is the ``logging`` module or a logger (``logger``, ``self.log``, ``getLogger()``)."""
    receiver = unwrap(receiver)
    if receiver.type == "call":
        return function_tail(receiver) in ("getLogger", "get_logger", "getChild")
    name = qualified_name(receiver, ctx)
    if name in ("logging", "logging.root"):
        return True
    if receiver.type == "attribute":
        receiver = receiver.child_by_field_name("attribute") or receiver
    return receiver.type == "identifier" and bool(_LOGGER_NAME.search(node_text(receiver).lower()))


def _check_log_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None or function.type != "attribute":
        return
    receiver = function.child_by_field_name("object")
    if receiver is None or not _logger(receiver, ctx):
        return
    first_index = 1 if function_tail(call) == "log" else 0
    message = argument(call, first_index, "msg")
    if message is None:
        return
    label = f"{node_text(receiver)}.{function_tail(call)}"
    for value, what in _logged_values(call, message, first_index, ctx):
        taint = tainted(value, call, ctx, LOG)
        if taint is not None and not crlf_neutralised(value, taint):
            yield Hit(call, message=taint_message(label, what, taint), flow=flow_steps(taint, call, label, ctx))
            return


def _logged_values(call: Node, message: Node, first_index: int, ctx: FileContext) -> Iterator[tuple[Node, str]]:
    """The message, then each lazy ``%`` argument the template writes as text (not ``%r``, not numbers)."""
    yield message, "a log message"
    template = string_value(message)
    if template is None:
        return
    conversions = [c for c in _CONVERSION.findall(template) if c != "%"]
    positional = [a for a in arguments(call) if a.type not in ("keyword_argument", "list_splat", "dictionary_splat")]
    for conversion, value in zip(conversions, positional[first_index + 1 :], strict=False):
        if conversion in ("s", "a"):
            yield value, "a logged value"


LOG_INJECTION = Rule(
    id="PY-S017",
    title="Log injection: user input written to the log",
    category=Category.SECURITY,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=117,
    languages=PY,
    message="User input is written into a log line; a line break in it forges log entries.",
    docs=RuleDocs(
        what="Follows data from the client request (Flask/Werkzeug `request.*`, Django `request.GET/POST/...`, "
        "Starlette `request.query_params`, route handler parameters) through assignments, string building and "
        "helper functions of the same file, and flags `logging.*` and logger calls (`debug`, `info`, "
        "`warning`, `error`, `critical`, `exception`, `log`) whose *message* it is or is formatted into: "
        "an f-string, `+`, `%` or `.format(...)` building the message, the value itself as the message, or a "
        "lazy argument the template writes as text (`logger.info('user %s', name)`: the standard formatter "
        "writes it just as raw). Arguments written with `%r` or as numbers (`%d`), values whose line breaks are "
        "removed or escaped (`.replace('\\n', '')`, `repr()`, `!r`, `json.dumps`), numbers and values from "
        "the environment, `sys.argv` or `input()` are not flagged.",
        why="A value such as `bob\\nINFO login succeeded user=admin` writes a second, forged line into the "
        "log, which misleads whoever investigates an incident and can hide an attack; control sequences can "
        "also attack the terminal or log viewer that displays it.",
        example="@app.post('/login')\ndef login():\n    user = request.form['user']\n"
        "    logger.warning(f'failed login for {user}')",
        use_instead="@app.post('/login')\ndef login():\n    user = request.form['user']\n"
        "    logger.warning('failed login for %r', user)  # repr escapes line breaks",
    ),
    query=(
        "((call function: (attribute attribute: (identifier) @fn) arguments: (argument_list . (_))) @call "
        f"(#any-of? @fn {any_of(*_LOG_METHODS)}))"
    ),
    check=_check_log_injection,
    references=(
        cwe_url(117),
        "https://owasp.org/www-community/attacks/Log_Injection",
        "https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html",
    ),
)


# ---------------------------------------------------------------------------------------------
# PY-S018 trust boundary violation
# ---------------------------------------------------------------------------------------------

_SESSIONS = frozenset({"flask.session", "quart.session"})


def _session_object(node: Node, ctx: FileContext) -> bool:
    """Flask/Quart ``session`` (imported), or a Django ``request.session`` / ``self.request.session``."""
    node = unwrap(node)
    if node.type == "attribute":
        obj = node.child_by_field_name("object")
        if obj is not None and _request_object(obj):
            return True
    return qualified_name(node, ctx) in _SESSIONS


def _check_trust_boundary(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    session = first(captures, "session")
    if session is None or not _session_object(session, ctx):
        return
    assign = first(captures, "assign")
    if assign is not None:
        target = assign.child_by_field_name("left")
        key = target.child_by_field_name("subscript") if target is not None else None
        candidates = [assign.child_by_field_name("right"), key]
        anchor, display = assign, "session[...]"
    else:
        call = first(captures, "call")
        if call is None:
            return
        args = call.child_by_field_name("arguments")
        candidates = list(args.named_children) if args is not None else []
        anchor, display = call, f"session.{function_tail(call)}"
    for candidate in candidates:
        if candidate is None or candidate.type == "comment":
            continue
        taint = tainted(candidate, anchor, ctx, SESSION)
        if taint is not None:
            yield Hit(
                anchor,
                message=taint_message(display, "unvalidated data", taint),
                flow=flow_steps(taint, anchor, display, ctx),
            )
            return


TRUST_BOUNDARY = Rule(
    id="PY-S018",
    title="Trust boundary violation: user input stored in the session",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=501,
    languages=PY,
    message="Unvalidated user input is stored in the session, where later code trusts it as the server's own data.",
    docs=RuleDocs(
        what="Follows data from the client request (Flask/Werkzeug `request.*`, Django `request.GET/POST/...`, "
        "Starlette `request.query_params`, route handler parameters) through assignments, string building and "
        "helper functions of the same file, and flags it stored unvalidated in the session: Flask/Quart "
        "`session[key] = value`, `session.update(...)`/`session.setdefault(...)`, and Django "
        "`request.session[key] = value`. Validated data is not flagged: converted to a number (`int(...)`), "
        "checked against an allowlist (`if role not in ROLES: abort(400)`), passed to a validator in the same "
        "function (`validate_role(role)`, `is_valid_name(name)`), or replaced by a constant. "
        "Values from the environment, `sys.argv` or `input()` are not reported.",
        why="Code that reads the session assumes the server put the value there after checking it (a user id "
        "after login, a role, a price). Copying request data in unchecked mixes trusted and untrusted data, so "
        "a later check on the session can be satisfied by whatever the client sent.",
        example="@app.post('/prefs')\ndef prefs():\n    session['role'] = request.form['role']\n    return 'ok'",
        use_instead="@app.post('/prefs')\ndef prefs():\n    role = request.form['role']\n"
        "    if role not in ALLOWED_ROLES:\n        abort(400)\n    session['role'] = role\n    return 'ok'",
    ),
    query="\n".join(
        (
            "((assignment left: (subscript value: [(identifier) @name (attribute attribute: (identifier) @name)] "
            '@session)) @assign (#eq? @name "session"))',
            "((call function: (attribute object: [(identifier) @name (attribute attribute: (identifier) @name)] "
            "@session attribute: (identifier) @method)) @call "
            '(#eq? @name "session") (#any-of? @method "update" "setdefault"))',
        )
    ),
    check=_check_trust_boundary,
    references=(
        cwe_url(501),
        "https://owasp.org/Top10/A04_2021-Insecure_Design/",
        "https://flask.palletsprojects.com/en/latest/api/#sessions",
    ),
)


RULES: tuple[Rule, ...] = (OPEN_REDIRECT, REFLECTED_XSS, HEADER_INJECTION, LOG_INJECTION, TRUST_BOUNDARY)
