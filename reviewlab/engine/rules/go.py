"""Go rule pack."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    CREDENTIAL_HINT,
    GO,
    Node,
    ancestors,
    assigned_name,
    builds_sql,
    is_credential_name,
    is_security_name,
    literal_text,
    looks_like_secret,
    statements,
    unsafe_command_element,
)
from reviewlab.engine.rules.complexity import complexity_rule
from reviewlab.engine.rules.flowhelpers import flow_hit, with_flow
from reviewlab.engine.taint import generic as taint

LANGS = ("go",)
_STRING = "[(interpreted_string_literal) (raw_string_literal)]"


# --- GO-S001 command injection -------------------------------------------------------------------


def _check_command(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    args, fn = first(captures, "args"), first(captures, "fn")
    if args is None or fn is None:
        return
    elements = args.named_children
    label = f"exec.{ctx.text(fn)}"
    if ctx.text(fn) == "CommandContext":
        elements = elements[1:]
    unsafe = unsafe_command_element(GO, elements, ctx, dynamic_program=False)
    advice = "run a fixed program with the data as separate arguments."
    if unsafe is not None:
        yield with_flow(Hit(unsafe), unsafe, ctx, taint.COMMAND, label, "a script built", advice)
    elif elements:  # a program chosen by the client is command injection without any shell
        program = elements[0]
        hit = flow_hit(program, [program], ctx, taint.COMMAND, label, "the program to run", remote=True)
        if hit is not None:
            yield hit


COMMAND = Rule(
    id="GO-S001",
    title="Shell command built from non-constant input",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=78,
    languages=LANGS,
    message="A shell runs a non-constant script here; this allows command injection.",
    docs=RuleDocs(
        what="Flags `exec.Command` / `exec.CommandContext` running a shell (`sh -c`, `bash -c`, `cmd /c`, ...) "
        "with a script that is not a constant string, and any command whose program comes from the request "
        "(`r.FormValue`, `r.URL.Query()`, gin's `c.Query`...). When the script comes from the request, "
        "`os.Args` or `os.Getenv`, the finding names the source and shows the flow from it to the call.",
        why="The shell interprets the whole script: quotes, `;`, `&&` or `$(...)` in interpolated data run "
        "extra commands with the program's privileges.",
        example='cmd := exec.Command("sh", "-c", "tar czf backup.tgz "+dir)',
        use_instead='cmd := exec.Command("tar", "czf", "backup.tgz", "--", dir)',
    ),
    query="""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list) @args
  (#eq? @pkg "exec")
  (#any-of? @fn "Command" "CommandContext"))
""",
    check=_check_command,
    references=(
        "https://cwe.mitre.org/data/definitions/78.html",
        "https://pkg.go.dev/os/exec#Command",
    ),
)


# --- GO-S002 SQL injection -----------------------------------------------------------------------


def _check_sql(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    args = first(captures, "args")
    if args is None:
        return
    method = first(captures, "method")
    label = ctx.text(method) if method is not None else "Query"
    for arg in args.named_children[:3]:  # the query follows an optional ctx and (sqlx) destination
        if arg.type not in ("interpreted_string_literal", "raw_string_literal") and builds_sql(GO, arg, ctx):
            yield with_flow(Hit(arg), arg, ctx, taint.SQL, label, "SQL built", "use placeholders (`?` / `$1`).")
            return


SQL = Rule(
    id="GO-S002",
    title="SQL query built with fmt.Sprintf or concatenation",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=89,
    languages=LANGS,
    message="SQL built with `fmt.Sprintf` or `+` from non-constant values; use placeholders (`?` / `$1`).",
    docs=RuleDocs(
        what="Flags SQL text built with `fmt.Sprintf` (string verbs such as `%s` / `%v`) or `+` from values "
        "not fixed in the source (also through a local variable) and passed to `Query`, `QueryRow`, `Exec`, "
        "their `Context` variants, `Prepare`, sqlx's `Get` / `Select` / `Queryx` or GORM's `Raw`. "
        "Numbers formatted with `%d` are not flagged. When the value comes from the request (or `os.Args`, "
        "`os.Getenv`), the finding names the source and shows the flow from it to the call.",
        why="Interpolated values become SQL syntax: a quote in the input ends the literal and the rest runs "
        "as SQL (SQL injection).",
        example="rows, err := db.QueryContext(ctx,\n\tfmt.Sprintf(\"SELECT * FROM users WHERE name = '%s'\", name))",
        use_instead='rows, err := db.QueryContext(ctx, "SELECT * FROM users WHERE name = $1", name)',
    ),
    query="""
(call_expression
  function: (selector_expression field: (field_identifier) @method)
  arguments: (argument_list) @args
  (#any-of? @method
    "Query" "QueryRow" "Exec" "QueryContext" "QueryRowContext" "ExecContext" "Prepare" "PrepareContext"
    "Raw" "Select" "Get" "SelectContext" "GetContext" "Queryx" "QueryRowx" "QueryxContext"
    "QueryRowxContext" "MustExec" "MustExecContext"))
""",
    check=_check_sql,
    references=(
        "https://cwe.mitre.org/data/definitions/89.html",
        "https://go.dev/doc/database/sql-injection",
    ),
)


# --- GO-S003 weak hash ---------------------------------------------------------------------------

WEAK_HASH = Rule(
    id="GO-S003",
    title="Weak hash algorithm (MD5 / SHA-1)",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=327,
    languages=LANGS,
    message="MD5 and SHA-1 are broken: collisions can be forged. Use crypto/sha256 or stronger.",
    docs=RuleDocs(
        what="Flags `md5.New()`, `md5.Sum(...)`, `sha1.New()`, `sha1.Sum(...)` (crypto/md5, crypto/sha1, "
        "x/crypto/md4) and the `crypto.MD5` / `crypto.SHA1` hash identifiers.",
        why="Practical collision attacks exist against MD5 and SHA-1, so their digests cannot vouch for "
        "integrity or identity, and they are far too fast for password hashing.",
        example='import "crypto/md5"\n\nsum := md5.Sum(body)',
        use_instead='import "crypto/sha256"\n\nsum := sha256.Sum256(body)',
    ),
    query="""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  (#any-of? @pkg "md5" "sha1" "md4")
  (#any-of? @fn "New" "Sum")) @finding
(selector_expression
  operand: (identifier) @pkg
  field: (field_identifier) @finding
  (#eq? @pkg "crypto")
  (#any-of? @finding "MD4" "MD5" "SHA1" "MD5SHA1"))
""",
    references=(
        "https://cwe.mitre.org/data/definitions/327.html",
        "https://pkg.go.dev/crypto/md5",
    ),
)


# --- GO-S004 insecure randomness -----------------------------------------------------------------

_RAND_FUNCTIONS = (
    "^(Int|Intn|Int31|Int31n|Int63|Int63n|Uint32|Uint64|Float32|Float64|Read|Perm|"
    "IntN|Int32|Int32N|Int64|Int64N|Uint32N|Uint64N|UintN|Uint|N)$"
)
_RAND_IMPORT = re.compile(rb'(?m)^\s*(?:import\s+)?(?:([A-Za-z_]\w*)\s+)?"math/rand(?:/v2)?"')


def _math_rand_names(ctx: FileContext) -> frozenset[str]:
    """The names math/rand is imported under in this file (usually ``rand``)."""
    names: frozenset[str] | None = ctx.state.get("go.math_rand")
    if names is None:
        names = frozenset(
            (m.group(1) or b"rand").decode() for m in _RAND_IMPORT.finditer(ctx.source) if m.group(1) != b"_"
        )
        ctx.state["go.math_rand"] = names
    return names


def _check_random(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, pkg = first(captures, "call"), first(captures, "pkg")
    if call is None or pkg is None:
        return
    packages = _math_rand_names(ctx)
    if not packages:
        return
    receiver = ctx.text(pkg)
    if receiver not in packages:
        # a generator made by math/rand: `rng := rand.New(rand.NewSource(seed))`
        made = "|".join(re.escape(p) for p in packages)
        if not re.search(rf"\b{re.escape(receiver)}\s*:?=\s*(?:{made})\.New\(".encode(), ctx.source):
            return
    name = assigned_name(GO, call, ctx)
    if name is not None and is_security_name(name):
        yield Hit(call, message=f"math/rand is predictable but its value is used for `{name}`; use crypto/rand.")


RANDOM = Rule(
    id="GO-S004",
    title="math/rand used for a security value",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=330,
    languages=LANGS,
    message="math/rand is predictable; use crypto/rand for security values.",
    docs=RuleDocs(
        what="Flags math/rand (and math/rand/v2) numbers stored in, or returned as, a value named like a "
        "token, secret, password, key, nonce, salt, session or id. crypto/rand is not flagged.",
        why="math/rand is a deterministic generator: its output can be predicted from a few observed values "
        "(or from the seed), so tokens and ids made from it can be guessed.",
        example='import "math/rand"\n\nsessionID := fmt.Sprintf("%x", rand.Int63())',
        use_instead='import "crypto/rand"\n\nsessionID := rand.Text()  // Go 1.24; or rand.Read into a []byte',
    ),
    query=f"""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  (#match? @pkg "(?i)ra?nd|rng")
  (#match? @fn "{_RAND_FUNCTIONS}")) @call
""",
    check=_check_random,
    references=(
        "https://cwe.mitre.org/data/definitions/330.html",
        "https://pkg.go.dev/math/rand",
    ),
)


# --- GO-S005 TLS verification disabled -----------------------------------------------------------


def _check_tls(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding, value = first(captures, "finding"), first(captures, "value")
    if finding is not None and value is not None:
        yield Hit(finding, fix=ctx.replace(value, "false", "Turn certificate verification back on"))


TLS = Rule(
    id="GO-S005",
    title="TLS certificate verification disabled",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=295,
    languages=LANGS,
    message="`InsecureSkipVerify: true` accepts any certificate, so any man-in-the-middle is trusted.",
    docs=RuleDocs(
        what="Flags `InsecureSkipVerify: true` in a composite literal (`tls.Config{...}`) and assignments of "
        "`true` to an `InsecureSkipVerify` field.",
        why="Without certificate verification a TLS connection is encrypted to whoever answers: an attacker "
        "on the network can impersonate the server and read or change all traffic.",
        example="client := &http.Client{Transport: &http.Transport{\n"
        "\tTLSClientConfig: &tls.Config{InsecureSkipVerify: true},\n}}",
        use_instead="pool := x509.NewCertPool()\npool.AppendCertsFromPEM(internalCA)\n"
        "client := &http.Client{Transport: &http.Transport{\n\tTLSClientConfig: &tls.Config{RootCAs: pool},\n}}",
    ),
    query="""
(keyed_element
  key: (literal_element (identifier) @key)
  value: (literal_element (true) @value)
  (#eq? @key "InsecureSkipVerify")) @finding
(assignment_statement
  left: (expression_list (selector_expression field: (field_identifier) @key))
  right: (expression_list (true) @value)
  (#eq? @key "InsecureSkipVerify")) @finding
""",
    check=_check_tls,
    references=(
        "https://cwe.mitre.org/data/definitions/295.html",
        "https://pkg.go.dev/crypto/tls#Config",
    ),
)


# --- GO-S006 hardcoded credentials ---------------------------------------------------------------


def _check_credentials(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    name_node, value = first(captures, "name"), first(captures, "value")
    if name_node is None or value is None:
        return
    name = ctx.text(name_node)
    text = literal_text(GO, value, ctx)
    if text is not None and is_credential_name(name) and looks_like_secret(text, name):
        yield Hit(value, message=f"Hard-coded credential in `{name}`; load it from the environment or a vault.")


CREDENTIALS = Rule(
    id="GO-S006",
    title="Hard-coded credential",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=798,
    languages=LANGS,
    message="Hard-coded credential; load it from the environment or a secret store.",
    docs=RuleDocs(
        what="Flags string literals given to constants, variables, struct fields or map keys named like a "
        "password, secret, token or API key (`dbPassword`, `APIKey`, `ClientSecret`). Names where the "
        "credential word is not last (`passwordEnv`), empty strings, placeholders and values that repeat "
        "the name are not flagged.",
        why="Secrets in source code end up in version control and binaries, are shared with everyone who can "
        "read the code, and cannot be rotated without a release.",
        example='const dbPassword = "S3cr3t!2024"\n\ncfg := Config{User: "app", Password: "S3cr3t!2024"}',
        use_instead='cfg := Config{User: "app", Password: os.Getenv("DB_PASSWORD")}',
    ),
    query=f"""
(const_spec
  name: (identifier) @name
  value: (expression_list . {_STRING} @value)
  (#match? @name "{CREDENTIAL_HINT}"))
(var_spec
  name: (identifier) @name
  value: (expression_list . {_STRING} @value)
  (#match? @name "{CREDENTIAL_HINT}"))
(short_var_declaration
  left: (expression_list . (identifier) @name)
  right: (expression_list . {_STRING} @value)
  (#match? @name "{CREDENTIAL_HINT}"))
(assignment_statement
  left: (expression_list . [(identifier) @name (selector_expression field: (field_identifier) @name)])
  right: (expression_list . {_STRING} @value)
  (#match? @name "{CREDENTIAL_HINT}"))
(keyed_element
  key: (literal_element [(identifier) @name (interpreted_string_literal (interpreted_string_literal_content) @name)])
  value: (literal_element {_STRING} @value)
  (#match? @name "{CREDENTIAL_HINT}"))
""",
    check=_check_credentials,
    references=(
        "https://cwe.mitre.org/data/definitions/798.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ),
)


# --- GO-S007 debug mode / profiling endpoints ----------------------------------------------------

_GIN_DEBUG = "gin debug mode is for development: it logs the route table and debug output; use `gin.ReleaseMode`."
_DEBUG_CONDITION = re.compile(r"(?i)debug|develop|\bdev\b|isDev|local")


def _guarded_by_debug_flag(node: Node, ctx: FileContext) -> bool:
    """Whether ``node`` runs only under an ``if`` whose condition mentions debug / development."""
    for parent in ancestors(node, ctx):
        if parent.type != "if_statement":
            continue
        condition = parent.child_by_field_name("condition")
        if condition is not None and _DEBUG_CONDITION.search(ctx.text(condition)):
            return True
    return False


def _check_debug(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding = first(captures, "finding")
    if finding is None:
        return
    if "mode" not in captures:
        yield Hit(finding)
    elif not _guarded_by_debug_flag(finding, ctx):
        yield Hit(finding, message=_GIN_DEBUG)


DEBUG = Rule(
    id="GO-S007",
    title="Debug endpoints or debug mode enabled (net/http/pprof, gin)",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=489,
    languages=LANGS,
    message='`import _ "net/http/pprof"` serves profiling endpoints under /debug/pprof/ on the default mux.',
    docs=RuleDocs(
        what='Flags the blank import `import _ "net/http/pprof"`, whose only purpose is its side effect of '
        "registering the /debug/pprof/ handlers on `http.DefaultServeMux`, and gin's "
        '`gin.SetMode(gin.DebugMode)` / `gin.SetMode("debug")` unless it sits under an `if` whose condition '
        "mentions debug or development (`if *debug {`). Not flagged: `runtime/pprof` (profiles written by the "
        "program itself), and a named import of net/http/pprof whose handlers (`pprof.Index`, "
        "`pprof.Profile`, ...) are mounted explicitly, typically on a separate admin mux bound to localhost. "
        "Any import of net/http/pprof still registers the handlers on `http.DefaultServeMux`, so a program "
        "that imports it must not serve the default mux publicly (`http.ListenAndServe(addr, nil)`).",
        why="The pprof endpoints expose the full command line (often with credentials), goroutine stacks, heap "
        "contents and symbol tables, and let anyone start CPU profiles and traces that slow the service "
        "down. Gin's debug mode logs the whole route table and internal debug output, and gin itself warns "
        "that it must not run in production.",
        example='import (\n\t"net/http"\n\t_ "net/http/pprof"\n)\n\n'
        'func main() {\n\tgin.SetMode(gin.DebugMode)\n\thttp.ListenAndServe(":8080", nil)\n}',
        use_instead='import (\n\t"net/http"\n\t"net/http/pprof"\n)\n\n'
        "func main() {\n\tgin.SetMode(gin.ReleaseMode)\n\tadmin := http.NewServeMux()\n"
        '\tadmin.HandleFunc("/debug/pprof/", pprof.Index)\n'
        '\tgo http.ListenAndServe("127.0.0.1:6060", admin)  // profiling on localhost only\n\t// ...\n}',
    ),
    query="""
(import_spec
  name: (blank_identifier)
  path: (interpreted_string_literal (interpreted_string_literal_content) @path)
  (#eq? @path "net/http/pprof")) @finding
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list
    . [(selector_expression operand: (identifier) field: (field_identifier) @mode)
       (interpreted_string_literal (interpreted_string_literal_content) @mode)] .)
  (#eq? @pkg "gin")
  (#eq? @fn "SetMode")
  (#any-of? @mode "DebugMode" "debug")) @finding
""",
    check=_check_debug,
    references=(
        "https://cwe.mitre.org/data/definitions/489.html",
        "https://pkg.go.dev/net/http/pprof",
        "https://gin-gonic.com/en/docs/deployment/",
    ),
)


# --- GO-Q001 empty error branch ------------------------------------------------------------------


def _check_empty_err(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding, body = first(captures, "finding"), first(captures, "body")
    if finding is not None and body is not None and not statements(body):
        yield Hit(finding)


IGNORED_ERROR = Rule(
    id="GO-Q001",
    title="Error checked but ignored (empty `if err != nil {}`)",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=390,
    languages=LANGS,
    message="`if err != nil` with an empty body: the error is checked and then ignored.",
    docs=RuleDocs(
        what="Flags `if err != nil { }` (any error-named variable, with or without an initializer) whose body "
        "has no statements; a comment alone does not handle the error. To ignore an error on purpose, "
        "assign it to `_` instead of checking it.",
        why="The check suggests the error is handled, but execution continues as if the call succeeded, "
        "typically with zero values, and the cause of the later failure is lost.",
        example="data, err := os.ReadFile(path)\nif err != nil {\n}\nreturn parse(data)",
        use_instead="data, err := os.ReadFile(path)\n"
        'if err != nil {\n\treturn fmt.Errorf("read %s: %w", path, err)\n}\nreturn parse(data)',
    ),
    query="""
(if_statement
  condition: (binary_expression left: (identifier) @err operator: "!=" right: (nil))
  consequence: (block) @body
  (#match? @err "^(e|err|[A-Za-z_]*Err(or)?[A-Za-z0-9_]*|err[A-Z_][A-Za-z0-9_]*|[a-z_]*_err)$")) @finding
""",
    check=_check_empty_err,
    references=(
        "https://go.dev/blog/error-handling-and-go",
        "https://cwe.mitre.org/data/definitions/390.html",
    ),
)


# --- GO-Q002 defer in loop -----------------------------------------------------------------------

DEFER_IN_LOOP = Rule(
    id="GO-Q002",
    title="defer inside a loop",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=772,
    languages=LANGS,
    message="`defer` in a loop runs only when the function returns: resources pile up until then.",
    docs=RuleDocs(
        what="Flags `defer` statements directly in the body of a `for` loop.",
        why="Deferred calls run when the surrounding function returns, not at the end of each iteration, so "
        "files, locks and connections opened in the loop stay open until the whole loop is done, which can "
        "exhaust file descriptors or deadlock.",
        example="for _, path := range paths {\n\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn err\n\t}\n"
        "\tdefer f.Close()\n\tprocess(f)\n}",
        use_instead="for _, path := range paths {\n"
        "\tif err := processFile(path); err != nil {\n\t\treturn err\n\t}\n}\n\n"
        "func processFile(path string) error {\n\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn err\n\t}\n"
        "\tdefer f.Close()\n\treturn process(f)\n}",
    ),
    query="""
(for_statement body: (block (statement_list (defer_statement) @finding)))
""",
    references=("https://go.dev/ref/spec#Defer_statements",),
)


# --- GO-Q003 complexity --------------------------------------------------------------------------

COMPLEXITY = complexity_rule(
    "GO-Q003",
    "go",
    "[(function_declaration) (method_declaration) (func_literal)]",
    '[(if_statement) (for_statement) (expression_case) (type_case) (communication_case) "&&" "||"]',
    example="func price(o Order) float64 {\n\tif o.VIP { ... } else if o.Coupon != nil { ... }\n"
    "\t// ...a dozen more branches and && / || conditions\n}",
    use_instead="var discounts = map[Kind]func(Order) float64{VIP: vipDiscount, Coupon: couponDiscount}\n\n"
    "func price(o Order) float64 {\n\treturn base(o) - discounts[o.Kind](o)\n}",
)


RULES: tuple[Rule, ...] = (
    COMMAND,
    SQL,
    WEAK_HASH,
    RANDOM,
    TLS,
    CREDENTIALS,
    DEBUG,
    IGNORED_ERROR,
    DEFER_IN_LOOP,
    COMPLEXITY,
)
