"""Java rules that follow untrusted data to a sink: path traversal, reflected XSS, SSRF, open redirect,
LDAP and XPath injection.

Each query selects candidate sinks by shape and name; the check asks the generic taint engine
(``reviewlab.engine.taint.generic``) whether the value the sink receives comes from the request: a
servlet request's ``getParameter`` / ``getHeader`` / ``getCookies`` / ``getInputStream``..., or a
parameter annotated ``@RequestParam`` / ``@PathVariable`` / ``@RequestBody`` / ``@RequestHeader``.
Findings carry the flow from the source. Command, SQL and script-engine sinks stay in the ``java``
pack, which attaches the same flows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import JAVA, Node, enclosing_function, local_values
from reviewlab.engine.rules.flowhelpers import cwe, flow_hit, names
from reviewlab.engine.taint import generic as taint

LANGS = ("java",)
OWASP_INJECTION = "https://owasp.org/Top10/A03_2021-Injection/"


def _args(captures: Captures) -> list[Node]:
    args = first(captures, "args")
    return [a for a in args.named_children if "comment" not in a.type] if args is not None else []


# --- JAVA-S012 path traversal --------------------------------------------------------------------

_FILE_STREAMS = ("FileInputStream", "FileOutputStream", "FileReader", "FileWriter", "RandomAccessFile")
_FILES_ONE_PATH = (
    "readAllBytes",
    "readAllLines",
    "readString",
    "lines",
    "newInputStream",
    "newOutputStream",
    "newBufferedReader",
    "newBufferedWriter",
    "newByteChannel",
    "write",
    "writeString",
    "delete",
    "deleteIfExists",
    "createFile",
    "createDirectory",
    "createDirectories",
    "list",
    "walk",
)
_FILES_TWO_PATHS = ("copy", "move")


def _check_path(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, kind = first(captures, "call"), first(captures, "kind")
    args = _args(captures)
    if call is None or kind is None or not args:
        return
    name = ctx.text(kind)
    if call.type == "object_creation_expression":
        label, paths = f"new {name}", args[:1]
    else:
        label = f"Files.{name}"
        paths = args[:2] if name in _FILES_TWO_PATHS else args[:1]
    hit = flow_hit(call, paths, ctx, taint.PATH, label, "a file path")
    if hit is not None:
        yield hit


PATH_TRAVERSAL = Rule(
    id="JAVA-S012",
    title="Path traversal: file path from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=22,
    languages=LANGS,
    message="A file path built from request data reaches a file operation; `../` in it escapes the directory.",
    docs=RuleDocs(
        what="Follows request data (`getParameter`, `getHeader`, `@RequestParam`, `@PathVariable`...) through "
        "assignments, string building, `new File(...)` / `Paths.get(...)`, collections and same-file helpers, "
        "and flags the file operations that receive it: `new FileInputStream/FileOutputStream/FileReader/"
        "FileWriter/RandomAccessFile(...)` and `Files.readAllBytes/readString/lines/newInputStream/write/"
        "delete/copy/move/...`. `FilenameUtils.getName`, `Path.getFileName()`, `File.getName()`, a "
        "containment check (`if (!path.normalize().startsWith(BASE)) throw ...`) or an allowlist test stop "
        "the flow.",
        why="A name such as `../../etc/passwd` or an absolute path makes the server read, overwrite or delete "
        "files outside the directory it meant to serve.",
        example='@GetMapping("/files")\nbyte[] download(@RequestParam String name) throws IOException {\n'
        '    return Files.readAllBytes(Paths.get("/srv/files", name));\n}',
        use_instead='@GetMapping("/files")\nbyte[] download(@RequestParam String name) throws IOException {\n'
        "    Path file = BASE.resolve(name).normalize();\n    if (!file.startsWith(BASE)) {\n"
        "        throw new ResponseStatusException(HttpStatus.BAD_REQUEST);\n    }\n"
        "    return Files.readAllBytes(file);\n}",
    ),
    query=f"""
(object_creation_expression
  type: (type_identifier) @kind
  arguments: (argument_list) @args
  (#any-of? @kind {names(*_FILE_STREAMS)})) @call
(method_invocation
  object: (identifier) @files
  name: (identifier) @kind
  arguments: (argument_list) @args
  (#eq? @files "Files")
  (#any-of? @kind {names(*_FILES_ONE_PATH, *_FILES_TWO_PATHS)})) @call
""",
    check=_check_path,
    references=(
        cwe(22),
        "https://owasp.org/www-community/attacks/Path_Traversal",
        "https://cheatsheetseries.owasp.org/cheatsheets/Input_Validation_Cheat_Sheet.html",
    ),
)


# --- JAVA-S013 reflected XSS ---------------------------------------------------------------------

_WRITER_GETTERS = frozenset({"getWriter", "getOutputStream"})
_NOT_HTML = re.compile(r"application/json|text/plain|text/csv|application/octet-stream|APPLICATION_JSON|TEXT_PLAIN")


def _is_response_writer(receiver: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """``response.getWriter()`` / ``getOutputStream()``, also through a local variable."""
    if receiver is None or depth > 2:
        return False
    if receiver.type == "method_invocation":
        getter = receiver.child_by_field_name("name")
        return getter is not None and ctx.text(getter) in _WRITER_GETTERS
    if receiver.type == "identifier":
        values = local_values(JAVA, receiver, ctx)
        return bool(values) and all(_is_response_writer(v, ctx, depth + 1) for v in values or ())
    return False


def _check_reflected(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, method = first(captures, "call"), first(captures, "method")
    if call is None or method is None or not _is_response_writer(first(captures, "receiver"), ctx):
        return
    function = enclosing_function(JAVA, call, ctx)
    if function is not None and _NOT_HTML.search(ctx.text(function)):
        return  # the handler answers JSON or plain text
    hit = flow_hit(call, _args(captures), ctx, taint.HTML, f"PrintWriter.{ctx.text(method)}", "a response body")
    if hit is not None:
        yield hit


REFLECTED_XSS = Rule(
    id="JAVA-S013",
    title="Reflected XSS: request data written to the servlet response",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=79,
    languages=LANGS,
    message="Request data is written into the response unescaped; the browser runs script it contains.",
    docs=RuleDocs(
        what="Follows request data to `print` / `println` / `write` / `format` / `printf` / `append` on "
        "`response.getWriter()` or `response.getOutputStream()` (also through a local variable such as "
        "`PrintWriter out = response.getWriter()`). Values encoded with OWASP Encoder (`Encode.forHtml`), "
        "ESAPI `encodeForHTML`, `StringEscapeUtils.escapeHtml4`, Spring `HtmlUtils.htmlEscape`, numbers "
        "(`Integer.parseInt`), and handlers that set a JSON or `text/plain` content type are not flagged.",
        why="Markup in a parameter (`<script>...</script>`, `<img onerror=...>`) echoed into the page runs in "
        "the site's origin for whoever follows the attacker's link, with access to their session.",
        example="protected void doGet(HttpServletRequest request, HttpServletResponse response)\n"
        "        throws IOException {\n"
        '    response.getWriter().println("<h1>Hello " + request.getParameter("name") + "</h1>");\n}',
        use_instead="protected void doGet(HttpServletRequest request, HttpServletResponse response)\n"
        "        throws IOException {\n"
        '    String name = Encode.forHtml(request.getParameter("name"));\n'
        '    response.getWriter().println("<h1>Hello " + name + "</h1>");\n}',
    ),
    query="""
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method "print" "println" "write" "format" "printf" "append")) @call
""",
    check=_check_reflected,
    references=(
        cwe(79),
        "https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html",
        "https://owasp.org/www-project-java-encoder/",
    ),
)


# --- JAVA-S014 SSRF ------------------------------------------------------------------------------

_REST_METHODS = (
    "getForObject",
    "getForEntity",
    "postForObject",
    "postForEntity",
    "postForLocation",
    "patchForObject",
    "headForHeaders",
    "optionsForAllow",
)
_GENERIC_REST_METHODS = ("exchange", "execute", "put", "delete")
_HTTP_REQUESTS = ("HttpGet", "HttpPost", "HttpPut", "HttpDelete", "HttpPatch", "HttpHead", "HttpOptions")
_REST_RECEIVER = re.compile(r"(?i)rest|template|webclient")
# Factories that open a connection, by the class they are called on.
_FACTORIES = {"newBuilder": "HttpRequest", "connect": "Jsoup", "create": "WebClient"}


def _client_call(method: str, receiver: Node | None, ctx: FileContext) -> bool:
    """Whether a call with a generic name is made on an HTTP client (``restTemplate.exchange``, ``Jsoup.connect``)."""
    receiver_text = ctx.text(receiver) if receiver is not None else ""
    if method in _GENERIC_REST_METHODS:
        return bool(_REST_RECEIVER.search(receiver_text))
    if method in _FACTORIES:
        return receiver_text == _FACTORIES[method]
    return True


def _check_ssrf(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, method = first(captures, "call"), first(captures, "method")
    receiver = first(captures, "receiver")
    args = _args(captures)
    if call is None or method is None:
        return
    name = ctx.text(method)
    if name in ("openConnection", "openStream"):
        values, label = [receiver], f"URL.{name}"
    elif not args or not _client_call(name, receiver, ctx):
        return
    else:
        values = [args[0]]
        label = f"new {name}" if call.type == "object_creation_expression" else name
        if receiver is not None and receiver.type == "identifier":
            label = f"{ctx.text(receiver)}.{name}"
    hit = flow_hit(call, values, ctx, taint.URL, label, "a URL")
    if hit is not None:
        yield hit


SSRF = Rule(
    id="JAVA-S014",
    title="Server-side request forgery: URL from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=918,
    languages=LANGS,
    message="A URL built from request data reaches an HTTP client; the server can be made to call any host.",
    docs=RuleDocs(
        what="Follows request data to `URL.openConnection()` / `openStream()` (through `new URL(...)`), "
        "`RestTemplate.getForObject/getForEntity/postForObject/exchange/...`, `HttpRequest.newBuilder(...)` and "
        "`.uri(...)`, `WebClient.create(...)`, `Jsoup.connect(...)` and Apache HttpClient's `new HttpGet(...)` "
        "and friends. A URL whose scheme and host are a literal prefix "
        '(`"https://api.example.com/items/" + id`) is not flagged: the input only picks a path. An allowlist '
        "check (`if (!ALLOWED.contains(host)) throw ...`) stops the flow.",
        why="A server that fetches any URL a client names can be pointed at internal services, cloud metadata "
        "endpoints (`169.254.169.254`) and admin interfaces that the client cannot reach itself.",
        example='@GetMapping("/preview")\nString preview(@RequestParam String url) {\n'
        "    return restTemplate.getForObject(url, String.class);\n}",
        use_instead='@GetMapping("/preview")\nString preview(@RequestParam String url) {\n'
        "    URI target = URI.create(url);\n    if (!ALLOWED_HOSTS.contains(target.getHost())) {\n"
        "        throw new ResponseStatusException(HttpStatus.BAD_REQUEST);\n    }\n"
        "    return restTemplate.getForObject(target, String.class);\n}",
    ),
    query=f"""
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  (#any-of? @method "openConnection" "openStream")) @call
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method {names(*_REST_METHODS, *_GENERIC_REST_METHODS, "uri", "newBuilder", "connect", "create")})) @call
(object_creation_expression
  type: (type_identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method {names(*_HTTP_REQUESTS)})) @call
""",
    check=_check_ssrf,
    references=(
        cwe(918),
        "https://owasp.org/Top10/A10_2021-Server-Side_Request_Forgery_%28SSRF%29/",
        "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html",
    ),
)


# --- JAVA-S015 open redirect ---------------------------------------------------------------------


def _check_redirect(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    sink = first(captures, "sink")
    if sink is None:
        return
    if "view" in captures:  # "redirect:" + target, a Spring MVC view name
        while sink.parent is not None and sink.parent.type in ("binary_expression", "parenthesized_expression"):
            sink = sink.parent
        if sink.type != "binary_expression" or sink.start_byte != (first(captures, "view") or sink).start_byte:
            return
        values, label = [sink], '"redirect:" + …'
    else:
        args, method = _args(captures), first(captures, "method")
        if method is None or not args:
            return
        name = ctx.text(method)
        if name in ("setHeader", "addHeader"):
            if len(args) < 2 or ctx.text(args[0]).strip('"').lower() != "location":
                return
            values = [args[1]]
        else:
            values = [args[0]]
        label = name if sink.type == "method_invocation" else f"new {name}"
    hit = flow_hit(sink, values, ctx, taint.REDIRECT, label, "a redirect target")
    if hit is not None:
        yield hit


OPEN_REDIRECT = Rule(
    id="JAVA-S015",
    title="Open redirect: redirect target from the request",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=601,
    languages=LANGS,
    message="The redirect target comes from the request; attackers can send users to any site from yours.",
    docs=RuleDocs(
        what='Follows request data to `response.sendRedirect(...)`, `response.setHeader("Location", ...)`, '
        'Spring\'s `new RedirectView(...)` and `"redirect:" + ...` view names. A target with a literal scheme '
        'and host or a literal same-site path (`"redirect:/orders/" + id`) and an allowlist check stop the flow.',
        why="A link on your domain that forwards to an attacker's page lends it your credibility (phishing) and "
        "can leak tokens carried in the URL.",
        example='@GetMapping("/login/done")\nString done(@RequestParam String next) {\n'
        '    return "redirect:" + next;\n}',
        use_instead='@GetMapping("/login/done")\nString done(@RequestParam String next) {\n'
        '    return ALLOWED_PATHS.contains(next) ? "redirect:" + next : "redirect:/";\n}',
    ),
    query="""
(method_invocation
  name: (identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method "sendRedirect" "setHeader" "addHeader")) @sink
(object_creation_expression
  type: (type_identifier) @method
  arguments: (argument_list) @args
  (#eq? @method "RedirectView")) @sink
((string_literal) @view @sink
  (#match? @view "^\\"redirect:"))
""",
    check=_check_redirect,
    references=(
        cwe(601),
        "https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
    ),
)


# --- JAVA-S016 LDAP injection / JAVA-S017 XPath injection ----------------------------------------

_LDAP_MARKERS = (b"javax.naming", b"DirContext", b"LdapContext", b"LdapTemplate")
_XPATH_MARKERS = (b"javax.xml.xpath", b"XPath")


def _check_ldap(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, args = first(captures, "call"), _args(captures)
    if call is None or len(args) < 2 or not any(marker in ctx.source for marker in _LDAP_MARKERS):
        return
    hit = flow_hit(call, [args[1]], ctx, taint.LDAP, "search", "an LDAP filter")
    if hit is not None:
        yield hit


LDAP_INJECTION = Rule(
    id="JAVA-S016",
    title="LDAP injection: search filter from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=90,
    languages=LANGS,
    message="An LDAP search filter is built from request data; `*`, `(` or `)` in it rewrite the query.",
    docs=RuleDocs(
        what="Follows request data to the filter (second argument) of `search(...)` on a JNDI `DirContext` / "
        "`LdapContext` or a Spring `LdapTemplate`, in files that use them. Values passed through ESAPI "
        "`encodeForLDAP` / `encodeForDN`, and filters with `{0}` placeholders whose values are passed as "
        "filter arguments, are not flagged.",
        why="A user name such as `*)(uid=*))(|(uid=*` turns `(&(uid=NAME)(userPassword=...))` into a filter that "
        "matches every entry: authentication bypass and directory disclosure.",
        example='String filter = "(&(uid=" + request.getParameter("user") + ")(objectClass=person))";\n'
        'NamingEnumeration<SearchResult> found = ctx.search("ou=people,dc=example,dc=com", filter, controls);',
        use_instead='String filter = "(&(uid={0})(objectClass=person))";\n'
        'NamingEnumeration<SearchResult> found = ctx.search("ou=people,dc=example,dc=com", filter,\n'
        '    new Object[] {request.getParameter("user")}, controls);',
    ),
    query="""
(method_invocation
  name: (identifier) @method
  arguments: (argument_list) @args
  (#eq? @method "search")) @call
""",
    check=_check_ldap,
    references=(
        cwe(90),
        "https://cheatsheetseries.owasp.org/cheatsheets/LDAP_Injection_Prevention_Cheat_Sheet.html",
    ),
)


def _check_xpath(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, method, args = first(captures, "call"), first(captures, "method"), _args(captures)
    receiver = first(captures, "receiver")
    if call is None or method is None or not args or receiver is None or ctx.text(receiver) == "Pattern":
        return
    if not any(marker in ctx.source for marker in _XPATH_MARKERS):
        return
    hit = flow_hit(call, [args[0]], ctx, taint.XPATH, f"XPath.{ctx.text(method)}", "an XPath expression")
    if hit is not None:
        yield hit


XPATH_INJECTION = Rule(
    id="JAVA-S017",
    title="XPath injection: expression from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=643,
    languages=LANGS,
    message="An XPath expression is built from request data; quotes in it rewrite the query.",
    docs=RuleDocs(
        what="Follows request data to the expression of `XPath.evaluate(...)` and `XPath.compile(...)` in files "
        "that use `javax.xml.xpath`. Values passed through ESAPI `encodeForXPath`, and expressions that read "
        "the input through an `XPathVariableResolver` (`$name`), are not flagged.",
        why="A value such as `' or '1'='1` changes `//user[name='NAME']` into a query that selects every node, "
        "bypassing checks or exposing the whole document.",
        example='String expr = "//user[name=\'" + request.getParameter("name") + "\']";\n'
        "Node user = (Node) xpath.evaluate(expr, document, XPathConstants.NODE);",
        use_instead='xpath.setXPathVariableResolver(name -> request.getParameter("name"));\n'
        'Node user = (Node) xpath.evaluate("//user[name=$name]", document, XPathConstants.NODE);',
    ),
    query="""
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method "evaluate" "compile" "evaluateExpression")) @call
""",
    check=_check_xpath,
    references=(
        cwe(643),
        "https://owasp.org/www-community/attacks/XPATH_Injection",
    ),
)


RULES: tuple[Rule, ...] = (PATH_TRAVERSAL, REFLECTED_XSS, SSRF, OPEN_REDIRECT, LDAP_INJECTION, XPATH_INJECTION)
