"""Go rules that follow untrusted data to a sink: path traversal, reflected XSS, SSRF and open redirect.

Each query selects candidate sinks by shape and name; the check asks the generic taint engine
(``reviewlab.engine.taint.generic``) whether the value the sink receives comes from the request: on an
``*http.Request`` ``r.URL.Query()``, ``r.FormValue``, ``r.Form``, ``r.Header``, ``r.Body``,
``r.Cookie``..., ``mux.Vars(r)``, ``chi.URLParam``, gin's and echo's context getters and binders.
Findings carry the flow from the source. Command and SQL sinks stay in the ``go`` pack, which attaches
the same flows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import GO, Node, enclosing_function
from reviewlab.engine.rules.flowhelpers import cwe, flow_hit, names
from reviewlab.engine.taint import generic as taint

LANGS = ("go",)


def _args(captures: Captures) -> list[Node]:
    args = first(captures, "args")
    return [a for a in args.named_children if "comment" not in a.type] if args is not None else []


def _label(captures: Captures, ctx: FileContext) -> str:
    """``os.ReadFile``: the package (or receiver) and the function a sink capture names."""
    return ".".join(ctx.text(node) for node in (first(captures, "pkg"), first(captures, "fn")) if node is not None)


# --- GO-S008 path traversal ----------------------------------------------------------------------

_OS_ONE_PATH = (
    "Open",
    "OpenFile",
    "ReadFile",
    "WriteFile",
    "Create",
    "Remove",
    "RemoveAll",
    "Mkdir",
    "MkdirAll",
    "ReadDir",
    "Truncate",
    "Chmod",
    "OpenInRoot",
)
_OS_TWO_PATHS = ("Rename", "Symlink", "Link")


def _check_path(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn = first(captures, "call"), first(captures, "fn")
    args = _args(captures)
    if call is None or fn is None or not args:
        return
    name = ctx.text(fn)
    if name == "ServeFile":
        paths = args[2:3]
    elif name in _OS_TWO_PATHS:
        paths = args[:2]
    else:
        paths = args[:1]
    hit = flow_hit(call, paths, ctx, taint.PATH, _label(captures, ctx), "a file path")
    if hit is not None:
        yield hit


PATH_TRAVERSAL = Rule(
    id="GO-S008",
    title="Path traversal: file path from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=22,
    languages=LANGS,
    message="A file path built from request data reaches a file operation; `../` in it escapes the directory.",
    docs=RuleDocs(
        what="Follows request data (`r.URL.Query().Get`, `r.FormValue`, `mux.Vars(r)`, gin's `c.Param`...) "
        "through assignments, `filepath.Join`, string building, slices and same-file helpers, and flags the "
        "file operations that receive it: `os.Open/OpenFile/ReadFile/WriteFile/Create/Remove/RemoveAll/"
        "Mkdir/ReadDir/Rename/...`, their `ioutil` twins and `http.ServeFile`. `filepath.Base`, `strconv.Atoi`, "
        "a containment check (`if !strings.HasPrefix(full, base) { return }`) or an allowlist lookup stop "
        "the flow.",
        why="A name such as `../../etc/passwd` makes the server read, overwrite or delete files outside the "
        "directory it meant to serve (`filepath.Join` cleans the path but keeps the `..`).",
        example="func download(w http.ResponseWriter, r *http.Request) {\n"
        '\tdata, _ := os.ReadFile(filepath.Join("/srv/files", r.URL.Query().Get("name")))\n\tw.Write(data)\n}',
        use_instead="func download(w http.ResponseWriter, r *http.Request) {\n"
        '\troot, _ := os.OpenRoot("/srv/files")  // Go 1.24: no path can leave the root\n'
        '\tf, err := root.Open(r.URL.Query().Get("name"))\n\t// ...\n}',
    ),
    query=f"""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#any-of? @pkg "os" "ioutil")
  (#any-of? @fn {names(*_OS_ONE_PATH, *_OS_TWO_PATHS)})) @call
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @pkg "http")
  (#eq? @fn "ServeFile")) @call
""",
    check=_check_path,
    references=(
        cwe(22),
        "https://owasp.org/www-community/attacks/Path_Traversal",
        "https://go.dev/blog/osroot",
    ),
)


# --- GO-S009 reflected XSS -----------------------------------------------------------------------

_RESPONSE_WRITER = "http.ResponseWriter"
_NOT_HTML = re.compile(r"application/json|text/plain|text/csv|application/octet-stream")
_UNESCAPED_TYPES = ("HTML", "HTMLAttr", "JS", "JSStr", "CSS", "URL", "Srcset")


def _writer(node: Node | None, ctx: FileContext) -> bool:
    """Whether ``node`` names a parameter declared as an ``http.ResponseWriter``."""
    return node is not None and node.type == "identifier" and taint.parameter_type(node, ctx) == _RESPONSE_WRITER


def _check_reflected(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn = first(captures, "call"), first(captures, "fn")
    pkg, receiver = first(captures, "pkg"), first(captures, "receiver")
    args = _args(captures)
    if call is None or fn is None or not args:
        return
    name = ctx.text(fn)
    label = _label(captures, ctx)
    if receiver is not None:  # w.Write(...) / w.WriteString(...)
        if not _writer(receiver, ctx):
            return
        label, values = f"{ctx.text(receiver)}.{name}", args[:1]
    elif pkg is not None and ctx.text(pkg) == "template":
        values = args[:1]
    elif not _writer(args[0], ctx):
        return
    elif name == "Fprintf" and len(args) > 1:
        template = taint.literal(args[1], ctx)
        values = taint.printed_args(template, args[2:]) if template is not None else args[1:]
    else:
        values = args[1:]
    if not label.startswith("template."):
        function = enclosing_function(GO, call, ctx)
        if function is not None and _NOT_HTML.search(ctx.text(function)):
            return  # the handler answers JSON or plain text
    what = "an unescaped HTML value" if label.startswith("template.") else "a response body"
    hit = flow_hit(call, values, ctx, taint.HTML, label, what)
    if hit is not None:
        yield hit


REFLECTED_XSS = Rule(
    id="GO-S009",
    title="Reflected XSS: request data written to the response",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=79,
    languages=LANGS,
    message="Request data is written into the response unescaped; the browser runs script it contains.",
    docs=RuleDocs(
        what="Follows request data to `w.Write` / `w.WriteString`, `fmt.Fprintf/Fprint/Fprintln(w, ...)` and "
        "`io.WriteString(w, ...)` on a parameter declared as `http.ResponseWriter`, and to html/template's "
        "escaping bypasses `template.HTML(...)`, `template.JS(...)`, `template.HTMLAttr(...)`... Values passed "
        "through `html.EscapeString` / `template.HTMLEscapeString`, numbers (`strconv.Atoi`), arguments "
        "printed with a numeric verb (`%d`), and handlers that declare a JSON or `text/plain` content type are "
        "not flagged.",
        why="Go sniffs the content type of a response without one: markup in a parameter (`<script>...`) "
        "echoed into it runs in the site's origin for whoever follows the attacker's link. `template.HTML` "
        "tells html/template to trust the value as markup.",
        example="func hello(w http.ResponseWriter, r *http.Request) {\n"
        '\tfmt.Fprintf(w, "<h1>Hello %s</h1>", r.URL.Query().Get("name"))\n}',
        use_instead='var page = template.Must(template.New("hello").Parse("<h1>Hello {{.}}</h1>"))\n\n'
        "func hello(w http.ResponseWriter, r *http.Request) {\n"
        '\tpage.Execute(w, r.URL.Query().Get("name"))  // html/template escapes it\n}',
    ),
    query=f"""
(call_expression
  function: (selector_expression operand: (identifier) @receiver field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#any-of? @fn "Write" "WriteString")) @call
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @pkg "fmt")
  (#any-of? @fn "Fprintf" "Fprint" "Fprintln")) @call
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @pkg "io")
  (#eq? @fn "WriteString")) @call
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @pkg "template")
  (#any-of? @fn {names(*_UNESCAPED_TYPES)})) @call
""",
    check=_check_reflected,
    references=(
        cwe(79),
        "https://pkg.go.dev/html/template#HTML",
        "https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html",
    ),
)


# --- GO-S010 SSRF --------------------------------------------------------------------------------

# The argument holding the URL, by function.
_URL_ARGUMENT = {"Get": 0, "Head": 0, "Post": 0, "PostForm": 0, "NewRequest": 1, "NewRequestWithContext": 2}


def _check_ssrf(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn = first(captures, "call"), first(captures, "fn")
    args = _args(captures)
    if call is None or fn is None:
        return
    index = _URL_ARGUMENT.get(ctx.text(fn))
    if index is None or index >= len(args):
        return
    hit = flow_hit(call, [args[index]], ctx, taint.URL, _label(captures, ctx), "a URL")
    if hit is not None:
        yield hit


SSRF = Rule(
    id="GO-S010",
    title="Server-side request forgery: URL from the request",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=918,
    languages=LANGS,
    message="A URL built from request data reaches an HTTP client; the server can be made to call any host.",
    docs=RuleDocs(
        what="Follows request data to `http.Get/Head/Post/PostForm`, `http.NewRequest(...)` and "
        "`http.NewRequestWithContext(...)`, and to the same methods on `http.DefaultClient` or a variable named "
        'like a client. A URL whose scheme and host are a literal prefix (`"https://api.example.com/items/" + '
        "id`) is not flagged: the input only picks a path. A host allowlist check stops the flow.",
        why="A server that fetches any URL a client names can be pointed at internal services, cloud metadata "
        "endpoints (`169.254.169.254`) and admin interfaces that the client cannot reach itself.",
        example="func preview(w http.ResponseWriter, r *http.Request) {\n"
        '\tresp, err := http.Get(r.URL.Query().Get("url"))\n\t// ...\n}',
        use_instead="func preview(w http.ResponseWriter, r *http.Request) {\n"
        '\ttarget, err := url.Parse(r.URL.Query().Get("url"))\n'
        "\tif err != nil || !allowedHosts[target.Hostname()] {\n"
        '\t\thttp.Error(w, "forbidden", http.StatusForbidden)\n\t\treturn\n\t}\n'
        "\tresp, err := http.Get(target.String())\n\t// ...\n}",
    ),
    query=f"""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @pkg "http")
  (#any-of? @fn {names(*_URL_ARGUMENT)})) @call
(call_expression
  function: (selector_expression
    operand: [(identifier) @pkg (selector_expression) @pkg]
    field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#match? @pkg "(?i)client$")
  (#any-of? @fn "Get" "Head" "Post" "PostForm")) @call
""",
    check=_check_ssrf,
    references=(
        cwe(918),
        "https://owasp.org/Top10/A10_2021-Server-Side_Request_Forgery_%28SSRF%29/",
        "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html",
    ),
)


# --- GO-S011 open redirect -----------------------------------------------------------------------

_CONTEXTS = frozenset({"*gin.Context", "echo.Context", "*fiber.Ctx"})


def _check_redirect(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, pkg = first(captures, "call"), first(captures, "pkg")
    args = _args(captures)
    if call is None or pkg is None:
        return
    if ctx.text(pkg) == "http":
        values = args[2:3]
    elif pkg.type == "identifier" and taint.parameter_type(pkg, ctx) in _CONTEXTS:
        values = args[-1:]  # c.Redirect(http.StatusFound, target)
    else:
        return
    hit = flow_hit(call, values, ctx, taint.REDIRECT, _label(captures, ctx), "a redirect target")
    if hit is not None:
        yield hit


OPEN_REDIRECT = Rule(
    id="GO-S011",
    title="Open redirect: redirect target from the request",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=601,
    languages=LANGS,
    message="The redirect target comes from the request; attackers can send users to any site from yours.",
    docs=RuleDocs(
        what="Follows request data to `http.Redirect(w, r, target, code)` and to `c.Redirect(code, target)` on "
        'a gin, echo or fiber context. A target with a literal scheme and host or a literal same-site path (`"/'
        'orders/" + id`), and an allowlist check, stop the flow.',
        why="A link on your domain that forwards to an attacker's page lends it your credibility (phishing) and "
        "can leak tokens carried in the URL.",
        example="func login(w http.ResponseWriter, r *http.Request) {\n\t// ...\n"
        '\thttp.Redirect(w, r, r.FormValue("next"), http.StatusFound)\n}',
        use_instead='func login(w http.ResponseWriter, r *http.Request) {\n\t// ...\n\tnext := r.FormValue("next")\n'
        '\tif !allowedPaths[next] {\n\t\tnext = "/"\n\t}\n\thttp.Redirect(w, r, next, http.StatusFound)\n}',
    ),
    query="""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @fn "Redirect")) @call
""",
    check=_check_redirect,
    references=(
        cwe(601),
        "https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
    ),
)


RULES: tuple[Rule, ...] = (PATH_TRAVERSAL, REFLECTED_XSS, SSRF, OPEN_REDIRECT)
