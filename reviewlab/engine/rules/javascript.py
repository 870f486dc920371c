"""JavaScript / TypeScript rule pack.

Every query here is compiled against the javascript, typescript and tsx grammars, so it names only
node types and fields the three share: no ``jsx_*``, and class fields (``field_definition`` in
JavaScript, ``public_field_definition`` in TypeScript) are matched as ``(class_body (_ ...))``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    CREDENTIAL_HINT,
    JAVASCRIPT,
    Node,
    ancestors,
    assigned_name,
    compiled_query,
    concatenated,
    is_constant,
    is_credential_name,
    is_security_name,
    literal_text,
    local_values,
    looks_like_secret,
)
from reviewlab.engine.rules.complexity import complexity_rule
from reviewlab.engine.rules.flowhelpers import sql_check, with_flow
from reviewlab.engine.taint import generic as taint

LANGS = ("javascript",)
OWASP_INJECTION = "https://owasp.org/Top10/A03_2021-Injection/"


# --- JS-S001 code evaluation ---------------------------------------------------------------------


def _check_eval(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    code = first(captures, "code")
    if code is not None:
        if code.type == "binary_expression" and ctx.text(code.child_by_field_name("operator") or code) != "+":
            return
        timer = first(captures, "timer")
        name = ctx.text(timer) if timer is not None else "setTimeout"
        hit = Hit(call, message=f"`{name}` with a string argument evaluates the string as code; pass a function.")
        yield with_flow(hit, code, ctx, taint.CODE, name, "code built", "pass a function instead.")
        return
    args = first(captures, "args")
    fn = first(captures, "fn")
    if args is None or fn is None or not args.named_children:
        return
    name = ctx.text(fn)
    if name == "eval":
        script = args.named_children[0]
        if not is_constant(JAVASCRIPT, script, ctx):
            yield with_flow(Hit(call), script, ctx, taint.CODE, name, "code built", "never evaluate request data.")
        return
    dynamic = [arg for arg in args.named_children if not is_constant(JAVASCRIPT, arg, ctx)]
    if dynamic:
        hit = Hit(call, message="The `Function` constructor compiles a non-constant string into code.")
        body = next((arg for arg in dynamic if taint.tainted(arg, ctx, taint.CODE) is not None), dynamic[0])
        yield with_flow(hit, body, ctx, taint.CODE, "Function", "code built", "never compile request data.")


EVAL = Rule(
    id="JS-S001",
    title="Code evaluated from a string",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=95,
    languages=LANGS,
    message="`eval` of a non-constant string runs whatever code the string holds.",
    docs=RuleDocs(
        what="Flags `eval(...)` and `new Function(...)` / `Function(...)` called with a string that is not "
        "fixed in the source, and `setTimeout` / `setInterval` called with a string instead of a function. "
        "When the string comes from the request (`req.query`, `req.body`...), the page URL (`location.*`) or "
        "`process.argv` / `process.env`, the finding names the source and shows the flow to the call.",
        why="Evaluating a string as code lets whoever influences the string run arbitrary JavaScript "
        "with the page's or the server's privileges (code injection). The timer functions evaluate a "
        "string argument exactly like `eval`.",
        example='const result = eval("(" + req.body.expr + ")");\n'
        'const getter = new Function("obj", "return obj." + field);\n'
        'setTimeout("refresh(" + id + ")", 1000);',
        use_instead="const result = JSON.parse(req.body.json);\n"
        "const getter = (obj) => obj[field];\n"
        "setTimeout(() => refresh(id), 1000);",
    ),
    query="""
(call_expression
  function: (identifier) @fn
  arguments: (arguments) @args
  (#any-of? @fn "eval" "Function")) @call
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  arguments: (arguments) @args
  (#any-of? @obj "window" "globalThis" "self" "global")
  (#eq? @fn "eval")) @call
(new_expression
  constructor: (identifier) @fn
  arguments: (arguments) @args
  (#eq? @fn "Function")) @call
(call_expression
  function: [(identifier) @timer (member_expression property: (property_identifier) @timer)]
  arguments: (arguments . [(string) (template_string) (binary_expression)] @code)
  (#any-of? @timer "setTimeout" "setInterval" "execScript")) @call
""",
    check=_check_eval,
    references=(
        "https://cwe.mitre.org/data/definitions/95.html",
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/eval#never_use_direct_eval!",
    ),
)


# --- JS-S002 command injection -------------------------------------------------------------------


def _check_exec(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    cmd = first(captures, "cmd")
    if cmd is None:
        return
    bare = "obj" not in captures and "req" not in captures
    if bare and b"child_process" not in ctx.source:
        return  # some other function called `exec`
    if not is_constant(JAVASCRIPT, cmd, ctx):
        fn = first(captures, "fn")
        label = ctx.text(fn) if fn is not None else "exec"
        advice = "pass the arguments as an array to `execFile`."
        yield with_flow(Hit(cmd), cmd, ctx, taint.COMMAND, label, "a command built", advice)


EXEC = Rule(
    id="JS-S002",
    title="Shell command built from non-constant input",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=78,
    languages=LANGS,
    message="`exec` runs this command through a shell; a non-constant command allows command injection.",
    docs=RuleDocs(
        what="Flags `child_process.exec` / `execSync` (also via `require('child_process')`, a destructured "
        "import, or shelljs' `shell.exec`) whose command is not a constant string. When the command comes "
        "from the request or `process.argv` / `process.env`, the finding names the source and shows the flow.",
        why="`exec` hands the whole string to `/bin/sh`, so quotes, `;`, `&&`, `$(...)` or backticks in "
        "interpolated data run extra commands with the server's privileges.",
        example='const { exec } = require("child_process");\nexec(`git log ${req.query.branch}`, callback);',
        use_instead='const { execFile } = require("child_process");\n'
        'execFile("git", ["log", "--", req.query.branch], callback);',
    ),
    query="""
(call_expression
  function: (identifier) @fn
  arguments: (arguments . (_) @cmd)
  (#any-of? @fn "exec" "execSync"))
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  arguments: (arguments . (_) @cmd)
  (#any-of? @fn "exec" "execSync")
  (#any-of? @obj "cp" "child_process" "childProcess" "shell" "shelljs"))
(call_expression
  function: (member_expression
    object: (call_expression
      function: (identifier) @req
      arguments: (arguments . (string (string_fragment) @module)))
    property: (property_identifier) @fn)
  arguments: (arguments . (_) @cmd)
  (#eq? @req "require")
  (#any-of? @module "child_process" "node:child_process")
  (#any-of? @fn "exec" "execSync"))
""",
    check=_check_exec,
    references=(
        "https://cwe.mitre.org/data/definitions/78.html",
        "https://nodejs.org/api/child_process.html#child_processexeccommand-options-callback",
    ),
)


# --- JS-S003 SQL injection -----------------------------------------------------------------------


SQL = Rule(
    id="JS-S003",
    title="SQL query built by string interpolation",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=89,
    languages=LANGS,
    message="SQL built from a template literal or concatenation with non-constant values; use query parameters.",
    docs=RuleDocs(
        what="Flags SQL text built with `${...}` substitutions or `+` concatenation of values not fixed in "
        "the source (also through a local variable) and passed to `.query(`, `.execute(`, `.raw(`, "
        "knex's `whereRaw` family, Prisma's `$queryRawUnsafe` / `$executeRawUnsafe` or postgres' `unsafe`. "
        "Parameterised queries and tagged templates (`sql`...``) are not flagged. When a value comes from the "
        "request (`req.query`, `req.body`, `ctx.params`...), the finding names the source and shows the flow.",
        why="Interpolated values become SQL syntax: a quote in the input ends the literal and the rest "
        "runs as SQL (SQL injection), exposing or destroying data.",
        example="const rows = await db.query(`SELECT * FROM users WHERE email = '${email}'`);",
        use_instead='const rows = await db.query("SELECT * FROM users WHERE email = $1", [email]);',
    ),
    query="""
(call_expression
  function: (member_expression property: (property_identifier) @method)
  arguments: (arguments
    . [(template_string (template_substitution)) (binary_expression operator: "+") (identifier)] @sql)
  (#any-of? @method
    "query" "execute" "raw" "whereRaw" "havingRaw" "orderByRaw" "groupByRaw" "joinRaw"
    "$queryRawUnsafe" "$executeRawUnsafe" "unsafe"))
""",
    check=sql_check(JAVASCRIPT),
    references=(
        "https://cwe.mitre.org/data/definitions/89.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html",
    ),
)


# --- JS-S004 XSS sinks ---------------------------------------------------------------------------

_SANITIZER = re.compile(r"(?i)(sanitiz|escape|purify|encode)")


def _html_safe(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """Constant markup, or values passed through a sanitiser / escaper."""
    if node is None or depth > 4:
        return False
    kind = node.type
    if kind == "call_expression":
        function = node.child_by_field_name("function")
        return function is not None and bool(_SANITIZER.search(ctx.text(function)))
    if kind == "template_string":
        return all(
            _html_safe(sub.named_children[0] if sub.named_children else None, ctx, depth + 1)
            for sub in node.named_children
            if sub.type == "template_substitution"
        )
    if kind == "binary_expression":
        operands = concatenated(node)
        return len(operands) > 1 and all(_html_safe(operand, ctx, depth + 1) for operand in operands)
    if kind == "parenthesized_expression" and node.named_children:
        return _html_safe(node.named_children[0], ctx, depth + 1)
    if kind == "identifier":
        values = local_values(JAVASCRIPT, node, ctx)
        if values:
            return all(_html_safe(value, ctx, depth + 1) for value in values)
    return is_constant(JAVASCRIPT, node, ctx)


def _check_html(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    sink, value = first(captures, "sink"), first(captures, "value")
    if sink is None or value is None or _html_safe(value, ctx):
        return
    prop = first(captures, "prop")
    name = ctx.text(prop) if prop is not None else "innerHTML"
    if sink.type == "call_expression" and name in ("write", "writeln"):
        name = f"document.{name}"
    hit = Hit(sink, message=f"Non-constant markup written with `{name}` can inject script (XSS).")
    yield with_flow(hit, value, ctx, taint.HTML, name, "markup built", "set `textContent` or sanitise the markup.")


XSS = Rule(
    id="JS-S004",
    title="Non-constant HTML written to the DOM",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=79,
    languages=LANGS,
    message="Non-constant markup written to the DOM can inject script (XSS).",
    docs=RuleDocs(
        what="Flags assignments to `innerHTML` / `outerHTML` (also `+=`), `document.write` / `writeln`, "
        "`insertAdjacentHTML` and React's `{__html: ...}` whose value is not constant markup. Values "
        "passed through a sanitiser or escaper (`DOMPurify.sanitize`, `escapeHtml`, ...) are not flagged. When "
        "the markup comes from the page URL (`location.hash`, `document.referrer`, `window.name`...) or a "
        "request, the finding names the source and shows the flow (DOM-based XSS).",
        why="The browser parses the string as HTML: data containing `<img onerror=...>` or `<script>` runs "
        "script in the page's origin and can steal sessions or act as the user (cross-site scripting).",
        example="comment.innerHTML = `<p>${message.text}</p>`;\ndocument.write(location.hash.slice(1));",
        use_instead='const p = document.createElement("p");\np.textContent = message.text;\n'
        "comment.replaceChildren(p);\n"
        "// or, when markup is required:\ncomment.innerHTML = DOMPurify.sanitize(html);",
    ),
    query="""
(assignment_expression
  left: (member_expression property: (property_identifier) @prop)
  right: (_) @value
  (#any-of? @prop "innerHTML" "outerHTML")) @sink
(augmented_assignment_expression
  left: (member_expression property: (property_identifier) @prop)
  right: (_) @value
  (#any-of? @prop "innerHTML" "outerHTML")) @sink
(call_expression
  function: (member_expression object: (identifier) @doc property: (property_identifier) @prop)
  arguments: (arguments . (_) @value)
  (#eq? @doc "document")
  (#any-of? @prop "write" "writeln")) @sink
(call_expression
  function: (member_expression property: (property_identifier) @prop)
  arguments: (arguments (_) . (_) @value .)
  (#eq? @prop "insertAdjacentHTML")) @sink
(pair
  key: (property_identifier) @prop
  value: (_) @value
  (#eq? @prop "__html")) @sink
""",
    check=_check_html,
    references=(
        "https://cwe.mitre.org/data/definitions/79.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html",
    ),
)


# --- JS-S005 weak hash ---------------------------------------------------------------------------

WEAK_HASH = Rule(
    id="JS-S005",
    title="Weak hash algorithm (MD5 / SHA-1)",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=327,
    languages=LANGS,
    message="MD5 and SHA-1 are broken: collisions can be forged. Use SHA-256 or stronger.",
    docs=RuleDocs(
        what="Flags `crypto.createHash` with `md5`, `md4`, `sha1` or a similar broken algorithm.",
        why="Practical collision attacks exist against MD5 and SHA-1, so digests made with them cannot "
        "vouch for integrity or identity, and they are far too fast for password hashing.",
        example='const digest = crypto.createHash("md5").update(body).digest("hex");',
        use_instead='const digest = crypto.createHash("sha256").update(body).digest("hex");\n'
        "// passwords: crypto.scrypt / argon2, never a bare hash",
    ),
    query="""
(call_expression
  function: [(identifier) @fn (member_expression property: (property_identifier) @fn)]
  arguments: (arguments . (string (string_fragment) @alg) @finding)
  (#eq? @fn "createHash")
  (#match? @alg "^(?i:md2|md4|md5|sha1|sha-1|rsa-md5|rsa-sha1|ripemd|ripemd160|rmd160)$"))
""",
    references=(
        "https://cwe.mitre.org/data/definitions/327.html",
        "https://nodejs.org/api/crypto.html#cryptocreatehashalgorithm-options",
    ),
)


# --- JS-S006 insecure randomness -----------------------------------------------------------------


def _check_random(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    name = assigned_name(JAVASCRIPT, call, ctx)
    if name is not None and is_security_name(name):
        yield Hit(call, message=f"`Math.random()` is predictable but its value is used for `{name}`.")


RANDOM = Rule(
    id="JS-S006",
    title="Math.random() used for a security value",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=330,
    languages=LANGS,
    message="`Math.random()` is predictable; use `crypto.randomBytes` / `crypto.getRandomValues` for secrets.",
    docs=RuleDocs(
        what="Flags `Math.random()` whose result is stored in, or returned as, a value named like a token, "
        "secret, password, key, nonce, salt, session or id.",
        why="`Math.random()` is a fast non-cryptographic generator; its output can be predicted from a "
        "few observed values, so tokens and ids made from it can be guessed.",
        example="const resetToken = Math.random().toString(36).slice(2);",
        use_instead='const resetToken = crypto.randomBytes(32).toString("hex");\n'
        "// browser: crypto.getRandomValues(new Uint8Array(32)) or crypto.randomUUID()",
    ),
    query="""
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  (#eq? @obj "Math")
  (#eq? @fn "random")) @call
""",
    check=_check_random,
    references=(
        "https://cwe.mitre.org/data/definitions/330.html",
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Math/random",
    ),
)


# --- JS-S007 TLS verification disabled -----------------------------------------------------------


def _check_tls(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding = first(captures, "finding")
    if finding is None:
        return
    false, zero = first(captures, "false"), first(captures, "zero")
    if false is not None:
        yield Hit(finding, fix=ctx.replace(false, "true", "Turn certificate verification back on"))
    elif zero is not None:
        message = "`NODE_TLS_REJECT_UNAUTHORIZED = 0` turns off certificate verification for the whole process."
        yield Hit(finding, message=message, fix=ctx.replace(zero, "1", "Turn certificate verification back on"))


TLS = Rule(
    id="JS-S007",
    title="TLS certificate verification disabled",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=295,
    languages=LANGS,
    message="TLS certificate verification is turned off, so any man-in-the-middle is trusted.",
    docs=RuleDocs(
        what="Flags `rejectUnauthorized: false` (and request's `strictSSL: false`) in options or assignments, "
        "and setting `process.env.NODE_TLS_REJECT_UNAUTHORIZED` to `0`.",
        why="Without certificate verification a TLS connection is encrypted to whoever answers: an attacker "
        "on the network can impersonate the server and read or change all traffic.",
        example="const agent = new https.Agent({ rejectUnauthorized: false });\n"
        'process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";',
        use_instead='const agent = new https.Agent({ ca: fs.readFileSync("internal-ca.pem") });\n'
        "// trust a private CA explicitly instead of trusting everyone",
    ),
    query="""
(pair
  key: [(property_identifier) @key (string (string_fragment) @key)]
  value: (false) @false
  (#any-of? @key "rejectUnauthorized" "strictSSL")) @finding
(assignment_expression
  left: (member_expression property: (property_identifier) @key)
  right: (false) @false
  (#any-of? @key "rejectUnauthorized" "strictSSL")) @finding
(assignment_expression
  left: [(member_expression property: (property_identifier) @env)
         (subscript_expression index: (string (string_fragment) @env))]
  right: [(string (string_fragment) @zero) (number) @zero]
  (#eq? @env "NODE_TLS_REJECT_UNAUTHORIZED")
  (#eq? @zero "0")) @finding
""",
    check=_check_tls,
    references=(
        "https://cwe.mitre.org/data/definitions/295.html",
        "https://nodejs.org/api/tls.html#tlsconnectoptions-callback",
    ),
)


# --- JS-S008 hardcoded credentials ---------------------------------------------------------------


def _check_credentials(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    name_node, value = first(captures, "name"), first(captures, "value")
    if name_node is None or value is None:
        return
    text = literal_text(JAVASCRIPT, value, ctx)
    name = ctx.text(name_node)
    if text is not None and is_credential_name(name) and looks_like_secret(text, name):
        yield Hit(value, message=f"Hard-coded credential in `{name}`; load it from the environment or a vault.")


CREDENTIALS = Rule(
    id="JS-S008",
    title="Hard-coded credential",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=798,
    languages=LANGS,
    message="Hard-coded credential; load it from the environment or a secret store.",
    docs=RuleDocs(
        what="Flags string literals assigned to variables, properties, class fields or object keys named "
        "like a password, secret, token or API key (`dbPassword`, `API_KEY`, `clientSecret`). Names where "
        "the credential word is not last (`passwordField`, `TOKEN_KEY`), empty strings, placeholders, prose "
        "and values that repeat the name are not flagged.",
        why="Secrets in source code end up in version control, builds and logs, are shared with everyone "
        "who can read the code, and cannot be rotated without a release.",
        example='const config = { user: "app", password: "S3cr3t!2024" };\nconst API_KEY = "sk_live_51H8...";',
        use_instead='const config = { user: "app", password: process.env.DB_PASSWORD };\n'
        "const API_KEY = process.env.API_KEY;",
    ),
    query=f"""
(variable_declarator
  name: (identifier) @name
  value: (string) @value
  (#match? @name "{CREDENTIAL_HINT}"))
(pair
  key: [(property_identifier) @name (string (string_fragment) @name)]
  value: (string) @value
  (#match? @name "{CREDENTIAL_HINT}"))
(assignment_expression
  left: [(identifier) @name (member_expression property: (property_identifier) @name)]
  right: (string) @value
  (#match? @name "{CREDENTIAL_HINT}"))
(class_body
  (_ (property_identifier) @name (string) @value
    (#match? @name "{CREDENTIAL_HINT}")))
""",
    check=_check_credentials,
    references=(
        "https://cwe.mitre.org/data/definitions/798.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ),
)


# --- module bindings (JS-S009, JS-S010) ----------------------------------------------------------

_BINDINGS_QUERY = """
(variable_declarator
  name: [(identifier) (object_pattern)] @local
  value: (call_expression
    function: (identifier) @require
    arguments: (arguments . (string (string_fragment) @module) .))
  (#eq? @require "require"))
(variable_declarator
  name: (identifier) @local
  value: (member_expression
    object: (call_expression
      function: (identifier) @require
      arguments: (arguments . (string (string_fragment) @module) .))
    property: (property_identifier) @member)
  (#eq? @require "require"))
(import_statement (import_clause) @clause source: (string (string_fragment) @module))
"""
_TS_BINDINGS_QUERY = """
(import_require_clause (identifier) @local source: (string (string_fragment) @module))
"""

Binding = tuple[str, str | None]
"""Where a local name comes from: (module, exported member), member None for the module object itself."""


def _clause_bindings(clause: Node, module: str, ctx: FileContext) -> Iterable[tuple[str, Binding]]:
    """``import a, * as b, { c, d as e } from "m"`` -> a, b: the module; c, e: its members c and d."""
    for child in clause.named_children:
        if child.type == "identifier":
            yield ctx.text(child), (module, None)  # default import: a CommonJS module's exports
        elif child.type == "namespace_import" and child.named_children:
            yield ctx.text(child.named_children[-1]), (module, None)
        elif child.type == "named_imports":
            for spec in child.named_children:
                name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                if name is None:
                    continue
                member = ctx.text(name).strip("\"'")
                yield ctx.text(alias or name), (module, None if member == "default" else member)


def _pattern_bindings(pattern: Node, module: str, ctx: FileContext) -> Iterable[tuple[str, Binding]]:
    """``const { a, b: c } = require("m")`` -> a: member a, c: member b."""
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            yield ctx.text(child), (module, ctx.text(child))
        elif child.type == "pair_pattern":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None and value.type == "identifier":
                yield ctx.text(value), (module, ctx.text(key).strip("\"'"))


def module_bindings(ctx: FileContext) -> dict[str, Binding]:
    """Names the file binds to ``require("m")`` / ``import ... from "m"`` (once per file).

    Module names lose a ``node:`` prefix. File-wide: a name shadowed in an inner scope still counts.
    """
    bindings: dict[str, Binding] | None = ctx.state.get("javascript.bindings")
    if bindings is not None:
        return bindings
    bindings = {}
    source = _BINDINGS_QUERY + (_TS_BINDINGS_QUERY if ctx.language in ("typescript", "tsx") else "")
    query = compiled_query(ctx.language, source)
    for _, captures in tree_sitter.QueryCursor(query).matches(ctx.tree.root_node):
        module_node = first(captures, "module")
        if module_node is None:
            continue
        module = ctx.text(module_node).removeprefix("node:")
        local, clause, member = first(captures, "local"), first(captures, "clause"), first(captures, "member")
        if clause is not None:
            bindings.update(_clause_bindings(clause, module, ctx))
        elif local is not None and local.type == "object_pattern":
            bindings.update(_pattern_bindings(local, module, ctx))
        elif local is not None:
            bindings[ctx.text(local)] = (module, ctx.text(member) if member is not None else None)
    ctx.state["javascript.bindings"] = bindings
    return bindings


# --- JS-S009 unsafe deserialisation --------------------------------------------------------------

_DESERIALIZERS = {"node-serialize": "unserialize", "serialize-to-js": "deserialize"}
"""Packages whose deserialiser evaluates code embedded in the data, and that function's name."""
_FULL_SCHEMA = "DEFAULT_FULL_SCHEMA"


def _deserializer(captures: Captures, ctx: FileContext) -> str | None:
    """The ``module.function`` a candidate call runs, if it is one of ``_DESERIALIZERS``."""
    fn, obj, module_node = first(captures, "fn"), first(captures, "obj"), first(captures, "module")
    if fn is None:
        return None
    name = ctx.text(fn)
    if module_node is not None:  # require("node-serialize").unserialize(...)
        module: str | None = ctx.text(module_node)
    else:
        binding = module_bindings(ctx).get(ctx.text(obj if obj is not None else fn))
        expected_member = None if obj is not None else name
        module = binding[0] if binding is not None and binding[1] == expected_member else None
    if module is None or _DESERIALIZERS.get(module) != name:
        return None
    return f"{module}.{name}"


_JS_TYPES = "js-yaml-js-types"
"""The package that gives js-yaml 4 back the ``!!js/function`` tag."""


def _extends_with_js_types(node: Node, ctx: FileContext) -> bool:
    """``yaml.DEFAULT_SCHEMA.extend(require("js-yaml-js-types").all)``, also with the types imported."""
    function, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    prop = function.child_by_field_name("property") if function is not None else None
    if prop is None or args is None or ctx.text(prop) != "extend":
        return False
    text = ctx.text(args)
    if _JS_TYPES in text:
        return True
    bindings = module_bindings(ctx)
    return any(bindings.get(name, ("", None))[0] == _JS_TYPES for name in re.findall(r"[A-Za-z_$][\w$]*", text))


def _is_full_schema(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """``yaml.DEFAULT_FULL_SCHEMA`` / ``DEFAULT_FULL_SCHEMA`` (js-yaml 3) or a schema extended with
    js-yaml-js-types (js-yaml 4), also through a local variable."""
    if node is None or depth > 3:
        return False
    if node.type == "call_expression":
        return _extends_with_js_types(node, ctx)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return prop is not None and ctx.text(prop) == _FULL_SCHEMA
    if node.type in ("identifier", "shorthand_property_identifier"):
        if ctx.text(node) == _FULL_SCHEMA:
            return True
        values = local_values(JAVASCRIPT, node, ctx)
        return bool(values) and all(_is_full_schema(value, ctx, depth + 1) for value in values or ())
    return False


def _check_deserialization(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    if "schema" in captures:
        if _is_full_schema(first(captures, "schema"), ctx):
            yield Hit(
                call,
                message="This js-yaml schema builds JavaScript functions from `!!js/function` tags; untrusted YAML "
                "runs code.",
            )
        return
    function = _deserializer(captures, ctx)
    data = first(captures, "data")
    if function is not None and not is_constant(JAVASCRIPT, data, ctx):
        yield Hit(call, message=f"`{function}` evaluates functions embedded in the data; untrusted input runs code.")


DESERIALIZATION = Rule(
    id="JS-S009",
    title="Unsafe deserialisation (node-serialize, js-yaml full schema)",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=502,
    languages=LANGS,
    message="This deserialiser evaluates code embedded in the data; untrusted input runs arbitrary code.",
    docs=RuleDocs(
        what="Flags `unserialize(...)` of the `node-serialize` package and `deserialize(...)` of "
        "`serialize-to-js` on data that is not a constant string, when the function or module object is "
        'bound in the file by `require(...)` or `import` (also `require("node-serialize").unserialize(...)`); '
        "a method of the same name on anything else is not flagged. Also flags js-yaml `load` / `loadAll` "
        "(and version 3's `safeLoad` / `safeLoadAll`) given `schema: DEFAULT_FULL_SCHEMA` (js-yaml 3) or a "
        "schema extended with the `js-yaml-js-types` package (js-yaml 4), also through a local variable. A plain "
        "`yaml.load(text)` is not flagged: since js-yaml 4 it is safe by default.",
        why="node-serialize revives values marked `_$$ND_FUNC$$_` with `eval`, and serialize-to-js's "
        "`deserialize` evaluates its input; js-yaml's full schema turns `!!js/function` tags into live "
        "functions. Whoever controls the data (a cookie, a request body, an uploaded file) runs code on "
        "the server.",
        example='const serialize = require("node-serialize");\n'
        'const profile = serialize.unserialize(Buffer.from(req.cookies.profile, "base64").toString());\n\n'
        "const config = yaml.load(req.body, { schema: yaml.DEFAULT_FULL_SCHEMA });",
        use_instead='const profile = JSON.parse(Buffer.from(req.cookies.profile, "base64").toString());\n\n'
        "const config = yaml.load(req.body);  // js-yaml 4: the default schema is safe",
    ),
    query="""
(call_expression
  function: (identifier) @fn
  arguments: (arguments . (_) @data)
  (#any-of? @fn "unserialize" "deserialize")) @call
(call_expression
  function: (member_expression object: (identifier) @obj property: (property_identifier) @fn)
  arguments: (arguments . (_) @data)
  (#any-of? @fn "unserialize" "deserialize")) @call
(call_expression
  function: (member_expression
    object: (call_expression
      function: (identifier) @req
      arguments: (arguments . (string (string_fragment) @module)))
    property: (property_identifier) @fn)
  arguments: (arguments . (_) @data)
  (#eq? @req "require")
  (#any-of? @module "node-serialize" "serialize-to-js")
  (#any-of? @fn "unserialize" "deserialize")) @call
(call_expression
  function: [(identifier) @fn (member_expression property: (property_identifier) @fn)]
  arguments: (arguments (object (pair key: (property_identifier) @key value: (_) @schema)))
  (#any-of? @fn "load" "loadAll" "safeLoad" "safeLoadAll")
  (#eq? @key "schema")) @call
(call_expression
  function: [(identifier) @fn (member_expression property: (property_identifier) @fn)]
  arguments: (arguments (object (shorthand_property_identifier) @schema))
  (#any-of? @fn "load" "loadAll" "safeLoad" "safeLoadAll")
  (#eq? @schema "schema")) @call
""",
    check=_check_deserialization,
    references=(
        "https://cwe.mitre.org/data/definitions/502.html",
        "https://nvd.nist.gov/vuln/detail/CVE-2017-5941",
        "https://github.com/nodeca/js-yaml/blob/master/migrate_v3_to_v4.md",
        "https://cheatsheetseries.owasp.org/cheatsheets/Deserialization_Cheat_Sheet.html",
    ),
)


# --- JS-S010 debug error handler -----------------------------------------------------------------

_DEV_CONDITION = re.compile(r"(?i)develop|NODE_ENV|\bdev\b|isDev|devMode|\bdebug\b")


def _guarded_by_dev_check(node: Node, ctx: FileContext) -> bool:
    """Whether ``node`` runs only under a condition that mentions development / NODE_ENV."""
    for parent in ancestors(node, ctx):
        condition = None
        if parent.type in ("if_statement", "ternary_expression"):
            condition = parent.child_by_field_name("condition")
        elif parent.type == "binary_expression":
            operator = parent.child_by_field_name("operator")
            if operator is not None and operator.type == "&&":
                condition = parent.child_by_field_name("left")
        if condition is None or condition.start_byte <= node.start_byte < condition.end_byte:
            continue
        if _DEV_CONDITION.search(ctx.text(condition)):
            return True
    return False


def _check_error_handler(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding = first(captures, "finding")
    if finding is None:
        return
    if "module" not in captures:
        handler, obj = first(captures, "handler"), first(captures, "obj")
        if handler is None:
            return
        bindings = module_bindings(ctx)
        if obj is not None:  # Express 3: express.errorHandler()
            if bindings.get(ctx.text(obj)) != ("express", None):
                return
        elif bindings.get(ctx.text(handler)) != ("errorhandler", None):
            return
    if _guarded_by_dev_check(finding, ctx):
        return
    if "obj" in captures:
        yield Hit(
            finding, message="Express's `errorHandler` sends stack traces to the client; use it only in development."
        )
    else:
        yield Hit(finding)


DEBUG_ERROR_HANDLER = Rule(
    id="JS-S010",
    title="Development error handler enabled outside development",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=489,
    languages=LANGS,
    message="`errorhandler` sends stack traces and error details to the client; install it only in development.",
    docs=RuleDocs(
        what="Flags Express middleware `app.use(errorhandler())` (any `.use(...)`) where `errorhandler` (a local "
        'name containing `err`) is bound by `require("errorhandler")` or `import ... from "errorhandler"`, '
        '`app.use(require("errorhandler")())`, and Express 3\'s `express.errorHandler()`, unless the call '
        "sits in an `if`, `? :` or `&&` whose condition mentions development or `NODE_ENV` "
        '(`process.env.NODE_ENV === "development"`, `app.get("env") === "development"`, `isDev`, `debug`).',
        why="The errorhandler middleware is a development tool: it answers every error with the full stack "
        "trace, file paths and error messages, which tell an attacker the framework, library versions and "
        "code layout, and can leak data contained in the error.",
        example='const errorhandler = require("errorhandler");\n\napp.use(errorhandler());',
        use_instead='if (process.env.NODE_ENV === "development") {\n  app.use(errorhandler());\n}\n'
        "app.use((err, req, res, next) => {\n  logger.error(err);\n  res.status(500).json({ error: "
        '"internal error" });\n});',
    ),
    query="""
(call_expression
  function: (member_expression property: (property_identifier) @use)
  arguments: (arguments (call_expression function: (identifier) @handler) @finding)
  (#eq? @use "use")
  (#match? @handler "(?i)err"))
(call_expression
  function: (member_expression property: (property_identifier) @use)
  arguments: (arguments
    (call_expression
      function: (member_expression object: (identifier) @obj property: (property_identifier) @handler)) @finding)
  (#eq? @use "use")
  (#eq? @handler "errorHandler"))
(call_expression
  function: (member_expression property: (property_identifier) @use)
  arguments: (arguments
    (call_expression
      function: (call_expression
        function: (identifier) @req
        arguments: (arguments . (string (string_fragment) @module)))) @finding)
  (#eq? @use "use")
  (#eq? @req "require")
  (#eq? @module "errorhandler"))
""",
    check=_check_error_handler,
    references=(
        "https://cwe.mitre.org/data/definitions/489.html",
        "https://github.com/expressjs/errorhandler#readme",
        "https://expressjs.com/en/advanced/best-practice-security.html",
    ),
)


# --- JS-Q001 empty catch -------------------------------------------------------------------------

EMPTY_CATCH = Rule(
    id="JS-Q001",
    title="Empty catch block swallows errors",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=390,
    languages=LANGS,
    message="Empty catch block: the error is silently swallowed.",
    docs=RuleDocs(
        what="Flags `catch` clauses and promise `.catch(...)` handlers whose body has no statements. A "
        "comment alone does not handle the error: a JavaScript `catch` catches everything, bugs included. "
        "Naming the error `_`, `_err`, `ignored` or `expected` marks the swallow as deliberate.",
        why="Swallowed errors hide failures: the program continues in a broken state and the cause is lost, "
        "which makes defects slow to find.",
        example="try {\n  config = JSON.parse(text);\n} catch (err) {}\n\nsave(doc).catch(() => {});",
        use_instead='try {\n  config = JSON.parse(text);\n} catch (err) {\n  logger.warn("bad config, using defaults", '
        'err);\n  config = DEFAULTS;\n}\n\nsave(doc).catch((err) => logger.error("save failed", err));',
    ),
    query="""
(catch_clause !parameter body: (statement_block "{" . (comment)* . "}")) @finding
(catch_clause
  parameter: (_) @param
  body: (statement_block "{" . (comment)* . "}")
  (#not-match? @param "^(_[A-Za-z0-9_]*|ignored?[A-Za-z0-9_]*|expected[A-Za-z0-9_]*)$")) @finding
(call_expression
  function: (member_expression property: (property_identifier) @method)
  arguments: (arguments
    . [(arrow_function body: (statement_block "{" . (comment)* . "}"))
       (function_expression body: (statement_block "{" . (comment)* . "}"))] @finding .)
  (#eq? @method "catch"))
""",
    references=("https://eslint.org/docs/latest/rules/no-empty", "https://cwe.mitre.org/data/definitions/390.html"),
)


# --- JS-Q002 loose equality ----------------------------------------------------------------------


def _is_typeof(node: Node | None, ctx: FileContext) -> bool:
    return node is not None and node.type == "unary_expression" and ctx.text(node).startswith("typeof")


_NULLISH = frozenset({"null", "undefined"})


def _check_equality(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    op = first(captures, "op")
    finding = op.parent if op is not None else None
    if op is None or finding is None or finding.type != "binary_expression":
        return
    left, right = finding.child_by_field_name("left"), finding.child_by_field_name("right")
    if left is None or right is None or left.type in _NULLISH or right.type in _NULLISH:
        return  # `x == null`: the idiom for "null or undefined"
    strict = ctx.text(op) + "="
    fix = None
    # `typeof x == "string"` compares two strings: the strict operator gives the same result.
    if (_is_typeof(left, ctx) and right is not None and right.type == "string") or (
        _is_typeof(right, ctx) and left is not None and left.type == "string"
    ):
        fix = ctx.replace(op, strict, f"Use `{strict}`")
    yield Hit(finding, message=f"Use `{strict}`: `{ctx.text(op)}` converts types before comparing.", fix=fix)


LOOSE_EQUALITY = Rule(
    id="JS-Q002",
    title="Loose equality (== / !=)",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="Use `===` / `!==`: loose equality converts types before comparing.",
    docs=RuleDocs(
        what="Flags `==` and `!=`, except comparisons with `null` or `undefined` (`x == null` is the "
        'accepted idiom for "null or undefined").',
        why="Loose equality applies type coercion with surprising results (`'' == 0`, `'0' == false`, "
        "`[1] == 1` are all true), which hides bugs.",
        example='if (input.count == "0") {\n  reset();\n}',
        use_instead="if (input.count === 0) {\n  reset();\n}\n"
        "if (value == null) {  // still fine: null or undefined\n}",
    ),
    # The operator token, not `(binary_expression left: ... operator: ...)`: a pattern that waits for
    # the operator after the left operand costs time quadratic in the nesting of `a + b + ...` chains.
    query="""
["==" "!="] @op
""",
    check=_check_equality,
    references=("https://eslint.org/docs/latest/rules/eqeqeq",),
)


# --- JS-Q003 complexity --------------------------------------------------------------------------

COMPLEXITY = complexity_rule(
    "JS-Q003",
    "javascript",
    "[(function_declaration) (function_expression) (arrow_function) (method_definition) "
    "(generator_function_declaration) (generator_function)]",
    "[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement) (catch_clause) "
    '(ternary_expression) (switch_case) "&&" "||" "??"]',
    example="function price(order) {\n  if (order.vip) { ... } else if (order.coupon) { ... }\n"
    "  // ...a dozen more branches and && / || conditions\n}",
    use_instead="const DISCOUNTS = { vip: vipDiscount, coupon: couponDiscount };\n\n"
    "function price(order) {\n  return base(order) - DISCOUNTS[order.kind](order);\n}",
)


RULES: tuple[Rule, ...] = (
    EVAL,
    EXEC,
    SQL,
    XSS,
    WEAK_HASH,
    RANDOM,
    TLS,
    CREDENTIALS,
    DESERIALIZATION,
    DEBUG_ERROR_HANDLER,
    EMPTY_CATCH,
    LOOSE_EQUALITY,
    COMPLEXITY,
)
