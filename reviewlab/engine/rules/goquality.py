"""Go code-quality smells and performance rules: dead code, discarded and swallowed errors, shadowed
builtins, leaked response bodies, and work repeated once per loop iteration.

:func:`per_item_loops` answers *where does a node run* once for every rule: the ``for`` loops whose body
(or condition and post statement) runs it once per iteration, up to the enclosing function; a ``range``
expression and a ``for`` initialiser run once, and a function literal is another scope (a goroutine per
item is the usual fix for a round trip per item, not the problem). :func:`iterates_data` tells the loops
whose count grows with the data from fixed counts, ``for {}`` servers and polling loops. Nothing here
infers types beyond what a declaration or a literal says, so a rule that needs a type stays silent when
it is unknown.

The module is longer than most packs because each rule's docs spell out what is and is not flagged
and the rules share the loop model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    COMMENTS,
    GO,
    Node,
    ancestors,
    compiled_query,
    enclosing_function,
    is_constant,
    local_values,
    looks_like_sql,
    string_parts,
)
from reviewlab.engine.rules.flowhelpers import cwe, names
from reviewlab.engine.secrets.paths import is_test_path
from reviewlab.engine.taint import generic as taint

LANGS = ("go",)
_STRINGS = frozenset({"interpreted_string_literal", "raw_string_literal"})

# --- shared: where a node runs --------------------------------------------------------------------


def _runs_per_iteration(loop: Node, child: Node, node: Node) -> bool:
    if child.type == "range_clause":
        return False  # the ranged expression is evaluated once
    if child.type == "for_clause":
        initializer = child.child_by_field_name("initializer")
        return initializer is None or not (initializer.start_byte <= node.start_byte < initializer.end_byte)
    return True


def per_item_loops(node: Node, ctx: FileContext) -> list[Node]:
    """The ``for`` loops that run ``node`` once per iteration, innermost first, within its function."""
    loops: list[Node] = []
    child = node
    for parent in ancestors(node, ctx):
        if parent.type in GO.functions:
            break
        if parent.type == "for_statement" and _runs_per_iteration(parent, child, node):
            loops.append(parent)
        child = parent
    return loops


def _constants(ctx: FileContext) -> frozenset[str]:
    found: frozenset[str] | None = ctx.state.get("goquality.constants")
    if found is None:
        query = compiled_query("go", "(const_spec name: (identifier) @name)")
        found = frozenset(
            ctx.text(n) for n in tree_sitter.QueryCursor(query).captures(ctx.tree.root_node).get("name", ())
        )
        ctx.state["goquality.constants"] = found
    return found


def _fixed_bound(node: Node | None, ctx: FileContext) -> bool:
    return node is not None and (
        node.type == "int_literal" or (node.type == "identifier" and ctx.text(node) in _constants(ctx))
    )


_ITERATION_METHODS = frozenset({"Next", "Scan", "NextResultSet", "More"})


def iterates_data(loop: Node, ctx: FileContext) -> bool:
    """Whether a ``for`` runs once per item of data: a ``range`` over anything but a literal or a constant
    count, a three-clause loop without a fixed bound, or ``for rows.Next()`` / ``for scanner.Scan()``.
    ``for {}`` (servers, workers) and other conditions (polling, paging, retries) do not count."""
    clause = next((c for c in loop.named_children if c.type in ("range_clause", "for_clause")), None)
    if clause is not None and clause.type == "range_clause":
        ranged = clause.child_by_field_name("right")
        return ranged is not None and ranged.type != "composite_literal" and not _fixed_bound(ranged, ctx)
    if clause is not None:
        condition = clause.child_by_field_name("condition")
        if condition is None or condition.type != "binary_expression":
            return condition is not None
        right = condition.child_by_field_name("right")
        return not _fixed_bound(right, ctx)
    condition = next((c for c in loop.named_children if c.type not in ("block", *COMMENTS)), None)
    if condition is None or condition.type != "call_expression":
        return False
    function = condition.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None else None
    return field is not None and ctx.text(field) in _ITERATION_METHODS


def _args(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type not in COMMENTS] if arguments is not None else []


def _selector(call: Node, ctx: FileContext) -> tuple[Node | None, str]:
    """The operand and the field of ``operand.field(...)``, or (None, the function's text)."""
    function = call.child_by_field_name("function")
    if function is None:
        return None, ""
    if function.type == "selector_expression":
        field = function.child_by_field_name("field")
        return function.child_by_field_name("operand"), ctx.text(field) if field is not None else ""
    return None, ctx.text(function)


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(name)}\b")


# --- GO-Q004 unreachable code ---------------------------------------------------------------------

_TERMINATING_CALLS = {
    "panic": "panic",
    "os.Exit": "os.Exit",
    "runtime.Goexit": "runtime.Goexit",
    **{f"log.{name}": f"log.{name}" for name in ("Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln")},
}
_TERMINATORS = {
    "return_statement": "return",
    "goto_statement": "goto",
    "break_statement": "break",
    "continue_statement": "continue",
}


def _terminator(statement: Node, ctx: FileContext) -> str | None:
    if statement.type in _TERMINATORS:
        return _TERMINATORS[statement.type]
    if statement.type != "expression_statement" or not statement.named_children:
        return None
    call = statement.named_children[0]
    if call.type != "call_expression":
        return None
    function = call.child_by_field_name("function")
    return _TERMINATING_CALLS.get(ctx.text(function)) if function is not None else None


def _check_unreachable(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    block = first(captures, "list")
    if block is None:
        return
    ended: str | None = None
    for statement in block.named_children:
        if statement.type in COMMENTS or statement.type == "empty_statement":
            continue
        if ended is not None:
            required = ended in _TERMINATING_CALLS and _terminator(statement, ctx) in ("return", "panic")
            # a label can be reached by `goto`; the compiler does not know that `os.Exit` or `log.Fatal` end a
            # function, so a `return` or `panic` after them may be required to compile
            if statement.type != "labeled_statement" and not required:
                yield Hit(statement, message=f"Unreachable code: this statement follows `{ended}`.")
            return
        ended = _terminator(statement, ctx)


UNREACHABLE = Rule(
    id="GO-Q004",
    title="Unreachable code",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=561,
    languages=LANGS,
    message="Unreachable code after return, panic, os.Exit or log.Fatal.",
    docs=RuleDocs(
        what="Flags the first statement that follows, in the same block or `case`, a `return`, `goto`, `break`, "
        "`continue`, `panic(...)`, `os.Exit(...)`, `runtime.Goexit()` or `log.Fatal*` / `log.Panic*` (one "
        "finding per block). Not flagged: a labeled statement (a `goto` can reach it), a `return` or "
        "`panic` right after `os.Exit` / `log.Fatal` (the compiler does not know those never return and may "
        "require it), comments, and code "
        "after an `if` or `switch` whose branches all return (the rule does not follow control flow across "
        "blocks, and `go vet` reports those).",
        why="Code that can never run is dead weight at best; more often it is a leftover early return from "
        "debugging or a `log.Fatal` where a `log.Print` was meant, and the cleanup or logic after it "
        "silently never happens.",
        example="func save(path string, data []byte) error {\n"
        "\tif err := os.WriteFile(path, data, 0o600); err != nil {\n"
        '\t\tlog.Fatalf("write %s: %v", path, err)\n\t\treturn err\n\t}\n\treturn nil\n}',
        use_instead="func save(path string, data []byte) error {\n"
        "\tif err := os.WriteFile(path, data, 0o600); err != nil {\n"
        '\t\treturn fmt.Errorf("write %s: %w", path, err)\n\t}\n\treturn nil\n}',
    ),
    query="(statement_list) @list",
    check=_check_unreachable,
    references=(cwe(561), "https://pkg.go.dev/golang.org/x/tools/go/analysis/passes/unreachable"),
)


# --- GO-Q005 parse or decode error discarded ------------------------------------------------------

# Functions whose zero value on failure looks like data: (package, function) -> returns a value too.
_PARSERS: dict[tuple[str, str], bool] = {
    **{("strconv", f): True for f in ("Atoi", "ParseInt", "ParseUint", "ParseFloat", "ParseBool", "Unquote")},
    **{("time", f): True for f in ("Parse", "ParseDuration", "ParseInLocation", "LoadLocation")},
    **{("url", f): True for f in ("Parse", "ParseRequestURI", "ParseQuery", "QueryUnescape", "PathUnescape")},
    **{("netip", f): True for f in ("ParseAddr", "ParsePrefix", "ParseAddrPort")},
    **{(p, "Unmarshal"): False for p in ("json", "xml", "yaml", "toml", "proto", "protojson", "msgpack")},
    ("hex", "DecodeString"): True,
    ("uuid", "Parse"): True,
    ("mail", "ParseAddress"): True,
    ("io", "ReadAll"): True,
    ("ioutil", "ReadAll"): True,
    ("ioutil", "ReadFile"): True,
    ("os", "ReadFile"): True,
}
_DECODERS = re.compile(r"^(?:json|xml|gob|yaml)\.NewDecoder\(")
_ENCODINGS = re.compile(r"^base(?:64|32)\.(?:Std|URL|RawStd|RawURL|Hex)Encoding$")


def _parser(call: Node, ctx: FileContext) -> tuple[str, bool] | None:
    """The label of a parse or decode call and whether it returns a value besides the error."""
    operand, field = _selector(call, ctx)
    if operand is None:
        return None
    package = ctx.text(operand)
    if (package, field) in _PARSERS:
        return f"{package}.{field}", _PARSERS[(package, field)]
    if field == "DecodeString" and _ENCODINGS.match(package):
        return f"{package}.DecodeString", True
    if field == "Decode":
        decoder = operand
        if operand.type == "identifier":
            values = local_values(GO, operand, ctx)
            decoder = values[0] if values and len(values) == 1 and values[0] is not None else operand
        if _DECODERS.match(ctx.text(decoder)):
            return f"{ctx.text(decoder).split('(', 1)[0].replace('NewDecoder', 'Decoder')}.Decode", False
    return None


_SUBMATCHES = re.compile(r"\.Find(?:All)?(?:String)?Submatch\(")


def _regex_group(node: Node, ctx: FileContext) -> bool:
    """``m[2]`` (or ``string(m[2])``) where ``m`` holds a regexp's submatches: digits the pattern matched."""
    if node.type == "call_expression" and ctx.text(node.child_by_field_name("function") or node) == "string":
        args = _args(node)
        node = args[0] if len(args) == 1 else node
    if node.type != "index_expression":
        return False
    operand = node.child_by_field_name("operand")
    if operand is None or operand.type != "identifier":
        return False
    values = local_values(GO, operand, ctx)
    return bool(values) and all(v is not None and _SUBMATCHES.search(ctx.text(v)) for v in values or ())


def _explained(statement: Node) -> bool:
    """A comment at the end of the statement's line says why the error is ignored."""
    after = statement.next_sibling
    return after is not None and after.type in COMMENTS and after.start_point.row == statement.end_point.row


def _nil_checked(statement: Node, value: str, ctx: FileContext) -> bool:
    """Whether the if statement the assignment initialises, or the statement after it, tests ``value`` for nil."""
    parent = statement.parent
    following = parent if parent is not None and parent.type == "if_statement" else statement.next_named_sibling
    condition = following.child_by_field_name("condition") if following is not None else None
    return (
        condition is not None and re.search(rf"\b{re.escape(value)}\s*[!=]=\s*nil\b", ctx.text(condition)) is not None
    )


def _blank(node: Node, ctx: FileContext) -> bool:
    return node.type == "identifier" and ctx.text(node) == "_"


def _check_discarded_error(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or is_test_path(ctx.path):
        return
    parsed = _parser(call, ctx)
    if parsed is None:
        return
    label, returns_value = parsed
    args = _args(call)
    if args and returns_value and (is_constant(GO, args[0], ctx) or _regex_group(args[0], ctx)):
        return  # a literal, or a group a regular expression already matched: it cannot fail on some input
    parent = call.parent
    if parent is not None and parent.type == "expression_list":
        parent = parent.parent
        right = parent.child_by_field_name("right") if parent is not None else None
        if right is None or len(right.named_children) != 1:
            return
    if parent is None:
        return
    if parent.type == "expression_statement" and not returns_value:
        yield Hit(
            call,
            message=f"The error of `{label}` is dropped: on bad input the target keeps its zero value "
            "and is used as if it were decoded.",
        )
        return
    if parent.type not in ("short_var_declaration", "assignment_statement") or _explained(parent):
        return
    left = parent.child_by_field_name("left")
    targets = [n for n in left.named_children if n.type not in COMMENTS] if left is not None else []
    if not targets or not _blank(targets[-1], ctx):
        return
    if returns_value:
        if len(targets) < 2 or all(_blank(t, ctx) for t in targets):
            return
        value = ctx.text(targets[0])
        if _nil_checked(parent, value, ctx):
            return  # `if u, _ := url.Parse(s); u != nil`: the nil result is the check
        if label.split(".")[0] in ("io", "ioutil", "os"):
            outcome = f"on a read error `{value}` is empty or truncated and is used as if it were complete"
        else:
            outcome = f"on bad input `{value}` is the zero value and is used as if it were parsed"
        message = f"The error of `{label}` is discarded: {outcome}."
    else:
        message = (
            f"The error of `{label}` is discarded: on bad input the target keeps its zero value and is used as if "
            "it were decoded."
        )
    yield Hit(call, message=message)


DISCARDED_ERROR = Rule(
    id="GO-Q005",
    title="Error of a parse or decode call discarded",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=252,
    languages=LANGS,
    message="The error of a parse or decode call is discarded: its zero value is used as if it were valid data.",
    docs=RuleDocs(
        what="Flags parse and decode calls whose error is assigned to `_` or dropped: `n, _ := strconv.Atoi(s)` "
        "(also `ParseInt`, `ParseFloat`, `ParseBool`...), `time.Parse` / `ParseDuration`, `url.Parse` / "
        "`ParseQuery`, `netip.ParseAddr`, `uuid.Parse`, `hex` and `base64` `DecodeString`, `io.ReadAll`, "
        "`os.ReadFile`, and `json` / `xml` / `yaml` / `proto` `Unmarshal` and `NewDecoder(...).Decode` "
        "(as `_ = json.Unmarshal(...)` or a bare call). Not flagged: other calls (closing, writing, "
        "logging: GO-Q001 and errcheck territory), parsing a constant literal or a group a regular expression "
        "already matched (`n, _ := strconv.Atoi(m[1])` after `m := re.FindStringSubmatch(s)`), `_, _ = ...` "
        "(nothing is used), results tested for nil right away (`if u, _ := url.Parse(s); u != nil`), statements "
        "with a comment at the end of the line (the reason), and test files.",
        why="On failure these functions return a zero value that looks like data: `0`, the zero time, an empty "
        "struct. With the error gone the program carries on with it — a price of 0, a date in year 1, a "
        "config with every field unset — and the cause is lost: the failure has become plausible data.",
        example='limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))\n_ = json.Unmarshal(body, &cfg)',
        use_instead='limit, err := strconv.Atoi(r.URL.Query().Get("limit"))\nif err != nil {\n'
        '\thttp.Error(w, "limit must be a number", http.StatusBadRequest)\n\treturn\n}\n'
        'if err := json.Unmarshal(body, &cfg); err != nil {\n\treturn fmt.Errorf("parse config: %w", err)\n}',
    ),
    query=f"""
(call_expression
  function: (selector_expression field: (field_identifier) @fn)
  (#any-of? @fn {names(*sorted({f for _, f in _PARSERS} | {"DecodeString", "Decode"}))})) @call
""",
    check=_check_discarded_error,
    references=(cwe(252), "https://go.dev/blog/error-handling-and-go"),
)


# --- GO-Q006 builtin shadowed ---------------------------------------------------------------------

# Names Go code commonly and harmlessly reuses (`old, new`, `len`, `cap`, `copy`, `real`, `min`, `max`, `any`
# before generics...) are left out: the standard library itself declares them by the hundred.
_BUILTIN_FUNCTIONS = ("append", "make", "panic", "recover", "delete")
_BUILTIN_TYPES = (
    "bool",
    "byte",
    "complex64",
    "complex128",
    "error",
    "float32",
    "float64",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "rune",
    "string",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
)
_BUILTIN_VALUES = ("true", "false", "iota", "nil")
_BUILTINS = (*_BUILTIN_FUNCTIONS, *_BUILTIN_TYPES, *_BUILTIN_VALUES)
_BUILTIN_PACKAGE = re.compile(rb"(?m)^package builtin\b")


def _check_shadowed_builtin(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    name = first(captures, "name")
    if name is None or _BUILTIN_PACKAGE.search(ctx.source[:4096]):
        return
    text = ctx.text(name)
    kind = "function" if text in _BUILTIN_FUNCTIONS else "type" if text in _BUILTIN_TYPES else "constant"
    yield Hit(name, message=f"`{text}` shadows the builtin {kind} `{text}` in this scope.")


_SHADOW_PATTERNS = (
    "(short_var_declaration left: (expression_list (identifier) @name))",
    "(var_spec name: (identifier) @name)",
    "(const_spec name: (identifier) @name)",
    "(parameter_declaration name: (identifier) @name)",
    "(variadic_parameter_declaration name: (identifier) @name)",
    "(range_clause left: (expression_list (identifier) @name))",
    "(function_declaration name: (identifier) @name)",
    "(type_spec name: (type_identifier) @name)",
    "(type_alias name: (type_identifier) @name)",
)

SHADOWED_BUILTIN = Rule(
    id="GO-Q006",
    title="Builtin shadowed by a declaration",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="A declaration shadows a predeclared Go identifier.",
    docs=RuleDocs(
        what="Flags variables, constants, parameters, results, range variables, functions and types named after "
        "a predeclared type (`string`, `error`, `int`, `byte`, `rune`, `bool`, `float64`...), constant (`true`, "
        "`false`, `nil`, `iota`) or one of the builtin functions `append`, `make`, `panic`, `recover` and "
        "`delete`. Not flagged: names idiomatic Go reuses all the time, the standard library included (`len`, "
        "`cap`, `new` as in `old, new`, `copy`, `close`, `clear`, `print`, `real`, `imag`, `complex`, and `min`, "
        "`max`, `any`, `comparable`, which older code declares itself), methods and struct fields (reached "
        "through a selector, they shadow nothing), and the documentation package `builtin`.",
        why="Inside the scope the predeclared name is gone: `string(b)` or `make(...)` a few lines later refers "
        "to the local value and fails to compile with a confusing message, and a local `nil` or `true` "
        "silently means something else. Readers misread `error := check()` as a type.",
        example='func label(b []byte) string {\n\tstring := fmt.Sprintf("%x", b)\n\treturn string\n}',
        use_instead='func label(b []byte) string {\n\ttext := fmt.Sprintf("%x", b)\n\treturn text\n}',
    ),
    query="\n".join(f"({p[1:-1]} (#any-of? @name {names(*_BUILTINS)}))" for p in _SHADOW_PATTERNS),
    check=_check_shadowed_builtin,
    references=("https://go.dev/ref/spec#Predeclared_identifiers", "https://github.com/nishanths/predeclared"),
)


# --- GO-Q007 HTTP response body not closed --------------------------------------------------------

_CLIENT = re.compile(r"(?i)(?:^|\.)(?:http\.DefaultClient|\w*client(?:\(\))?)$")
_REQUEST_FUNCTIONS = frozenset({"Get", "Post", "PostForm", "Do"})


def _http_call(call: Node, ctx: FileContext) -> str | None:
    operand, method = _selector(call, ctx)
    if operand is None or method not in _REQUEST_FUNCTIONS:
        return None
    receiver = ctx.text(operand)
    if receiver == "http" and method != "Do":
        return f"http.{method}"
    if _CLIENT.search(receiver):
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


# --- GO-Q008 error checked, then nil returned -----------------------------------------------------

_ERROR_NAME = "^(e|err|[A-Za-z_]*Err(or)?[A-Za-z0-9_]*|err[A-Z_][A-Za-z0-9_]*|[a-z_]*_err)$"


def _results(function: Node) -> list[Node]:
    """The declared result types of a function (named or not)."""
    result = function.child_by_field_name("result")
    if result is None:
        return []
    if result.type != "parameter_list":
        return [result]
    types: list[Node] = []
    for declaration in result.named_children:
        kind = declaration.child_by_field_name("type")
        if kind is not None:
            types.extend([kind] * max(1, len(declaration.children_by_field_name("name"))))
    return types


def _check_nil_after_error(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, body, err = first(captures, "if"), first(captures, "body"), first(captures, "err")
    if statement is None or body is None or err is None:
        return
    function = enclosing_function(GO, body, ctx)
    if function is None:
        return
    results = _results(function)
    if not results or ctx.text(results[-1]) != "error":
        return
    name = ctx.text(err)
    params = function.child_by_field_name("parameters")
    if params is not None and _word(name).search(ctx.text(params)):
        return  # a callback given an error (`filepath.WalkFunc`) returns nil to skip it by design
    statements_ = [c for c in body.named_children if c.type == "statement_list"]
    children = statements_[0].named_children if statements_ else []
    if (
        not children
        or any(c.type in COMMENTS for c in children)
        or any(c.type in COMMENTS for c in body.named_children)
    ):
        return  # a comment says why the error is dropped
    last = children[-1]
    values = last.named_children[0].named_children if last.type == "return_statement" and last.named_children else []
    if len(values) != len(results) or values[-1].type != "nil":
        return
    if _word(name).search(ctx.text(body)):
        return  # logged, wrapped or inspected: the branch decided what to do with it
    yield Hit(
        statement,
        message=f"`{name}` is not nil here, but the branch returns a nil error: the failure is swallowed. "
        f"Return `{name}` (wrapped), or say in a comment why it is ignored.",
    )


NIL_AFTER_ERROR = Rule(
    id="GO-Q008",
    title="Error checked, then nil returned",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=390,
    languages=LANGS,
    message="`if err != nil` returns a nil error: the failure is swallowed.",
    docs=RuleDocs(
        what="Flags `if err != nil { ... }` (any error-named variable) when the block ends with a `return` of "
        "`nil` as the function's error result and the block never mentions the error. Not flagged: "
        "blocks that log, wrap or inspect the error, blocks with a comment (the reason it is ignored), "
        "functions that receive the error as a parameter (`filepath.WalkFunc` and similar callbacks return "
        "nil to skip an entry by design), functions whose last result is not `error`, and bare `return` "
        "with named results.",
        why="The caller is told the call succeeded, usually with zero values: a lookup that failed reads as "
        '"not found", a save that failed reads as saved. The error and its cause are lost.',
        example="func loadUser(id string) (*User, error) {\n\trow, err := db.Get(id)\n\tif err != nil {\n"
        "\t\treturn nil, nil\n\t}\n\treturn decode(row)\n}",
        use_instead="func loadUser(id string) (*User, error) {\n\trow, err := db.Get(id)\n\tif err != nil {\n"
        '\t\treturn nil, fmt.Errorf("load user %s: %w", id, err)\n\t}\n\treturn decode(row)\n}',
    ),
    query=f"""
(if_statement
  condition: (binary_expression left: (identifier) @err operator: "!=" right: (nil))
  consequence: (block) @body
  (#match? @err "{_ERROR_NAME}")) @if
""",
    check=_check_nil_after_error,
    references=(cwe(390), "https://github.com/gostaticanalysis/nilerr"),
)


# --- GO-P001 regexp compiled in a loop or per request ---------------------------------------------

_HANDLER_PARAMS = re.compile(r"\*http\.Request\b|http\.ResponseWriter|\*gin\.Context|echo\.Context|\*fiber\.Ctx")


def _check_regex(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn, pattern = first(captures, "call"), first(captures, "fn"), first(captures, "pattern")
    if call is None or fn is None or pattern is None or is_test_path(ctx.path) or not is_constant(GO, pattern, ctx):
        return
    label = f"regexp.{ctx.text(fn)}"
    if any(not _fixed_loop(loop, ctx) for loop in per_item_loops(call, ctx)):
        yield Hit(
            call,
            message=f"`{label}` compiles the same pattern on every iteration; compile it once into a "
            "package-level variable.",
        )
        return
    function = enclosing_function(GO, call, ctx)
    params = function.child_by_field_name("parameters") if function is not None else None
    if params is not None and _HANDLER_PARAMS.search(ctx.text(params)):
        yield Hit(
            call,
            message=f"`{label}` compiles the same pattern on every request; compile it once into a "
            "package-level variable.",
        )


def _fixed_loop(loop: Node, ctx: FileContext) -> bool:
    clause = next((c for c in loop.named_children if c.type in ("range_clause", "for_clause")), None)
    return clause is not None and not iterates_data(loop, ctx)


REGEX_IN_LOOP = Rule(
    id="GO-P001",
    title="Constant regular expression compiled in a loop or per request",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=LANGS,
    message="A constant regular expression is compiled on every iteration or request; compile it once.",
    docs=RuleDocs(
        what="Flags `regexp.MustCompile`, `regexp.Compile`, their POSIX variants and `regexp.MatchString` / "
        "`regexp.Match` with a constant pattern (literals, constants, locals bound to them) inside a loop, or "
        "in an HTTP handler (a function taking an `*http.Request`, an `http.ResponseWriter` or a gin, echo or "
        "fiber context). Not flagged: patterns built from data, loops with a count fixed in the source, and "
        "compilation in other functions (`init`, constructors, package-level `var`s), and test files.",
        why="Go's regexp package has no cache: every call parses and compiles the pattern again, which costs "
        "far more than matching a short string. In a loop or a handler that work is repeated per item or "
        "per request for a result that never changes.",
        example="func valid(w http.ResponseWriter, r *http.Request) {\n"
        '\tsku := regexp.MustCompile(`^[A-Z]{3}-\\d{4}$`)\n\tif !sku.MatchString(r.FormValue("sku")) {\n'
        '\t\thttp.Error(w, "bad sku", http.StatusBadRequest)\n\t}\n}',
        use_instead="var sku = regexp.MustCompile(`^[A-Z]{3}-\\d{4}$`)\n\n"
        'func valid(w http.ResponseWriter, r *http.Request) {\n\tif !sku.MatchString(r.FormValue("sku")) {\n'
        '\t\thttp.Error(w, "bad sku", http.StatusBadRequest)\n\t}\n}',
    ),
    query="""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list . (_) @pattern)
  (#eq? @pkg "regexp")
  (#any-of? @fn "MustCompile" "Compile" "MustCompilePOSIX" "CompilePOSIX" "MatchString" "Match")) @call
""",
    check=_check_regex,
    references=(cwe(1176), "https://pkg.go.dev/regexp#MustCompile"),
)


# --- GO-P002 string concatenation in a loop -------------------------------------------------------

_STRING_FUNCTIONS = re.compile(
    r"^(?:fmt\.Sprint[fln]?|string|strconv\.(?:Itoa|FormatInt|FormatUint|FormatFloat|FormatBool|Quote)|"
    r"strings\.(?:Repeat|Join|ToUpper|ToLower|TrimSpace|Trim|TrimPrefix|TrimSuffix|Replace|ReplaceAll|Title))$"
)
_DECLARATIONS = """
(short_var_declaration left: (expression_list (identifier) @name)) @short
(var_spec name: (identifier) @name) @var
(parameter_declaration name: (identifier) @name) @param
(range_clause left: (expression_list (identifier) @name)) @range
"""


def _string_expression(node: Node | None, ctx: FileContext) -> bool:
    """A string literal, a `+` with one, or a call known to return a string."""
    if node is None:
        return False
    if node.type in _STRINGS:
        return True
    if node.type == "binary_expression":
        return any(_string_expression(node.child_by_field_name(side), ctx) for side in ("left", "right"))
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        return function is not None and bool(_STRING_FUNCTIONS.match(ctx.text(function)))
    return False


def _declaration(name: Node, ctx: FileContext) -> tuple[Node, bool] | None:
    """Where the local ``name`` refers to is declared (the name node), and whether it is declared a string."""
    function = enclosing_function(GO, name, ctx)
    if function is None:
        return None
    query = compiled_query("go", _DECLARATIONS)
    best: tuple[Node, bool] | None = None
    for _, captures in tree_sitter.QueryCursor(query).matches(function):
        declared = first(captures, "name")
        if declared is None or ctx.text(declared) != ctx.text(name) or declared.start_byte > name.start_byte:
            continue
        holder = next(first(captures, k) for k in ("short", "var", "param", "range") if k in captures)
        if holder is None or not _visible(holder, name):
            continue
        kind = holder.child_by_field_name("type") if holder.type in ("var_spec", "parameter_declaration") else None
        string = kind is not None and ctx.text(kind) == "string"
        if holder.type == "short_var_declaration":
            left, right = holder.child_by_field_name("left"), holder.child_by_field_name("right")
            if left is not None and right is not None and len(left.named_children) == len(right.named_children):
                string = _string_expression(right.named_children[left.named_children.index(declared)], ctx)
        elif holder.type == "var_spec" and kind is None:
            value = holder.child_by_field_name("value")
            string = (
                value is not None
                and len(value.named_children) == 1
                and _string_expression(value.named_children[0], ctx)
            )
        if best is None or declared.start_byte > best[0].start_byte:
            best = (declared, string)
    return best


_SCOPE_WRAPPERS = frozenset(
    {"statement_list", "var_declaration", "var_spec_list", "expression_list", "for_clause", "range_clause"}
    | {"parameter_list"}
)


def _visible(holder: Node, use: Node) -> bool:
    """Whether a declaration in ``holder`` is in scope at ``use``: the block, statement or function around it."""
    scope = holder.parent
    while scope is not None and scope.type in _SCOPE_WRAPPERS:
        scope = scope.parent
    return scope is not None and _contains(scope, use)


def _check_string_concat(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, name, value = first(captures, "statement"), first(captures, "name"), first(captures, "value")
    if statement is None or name is None or value is None or is_test_path(ctx.path):
        return
    operator = statement.child_by_field_name("operator")
    if operator is None:
        return
    if ctx.text(operator) == "=":
        if value.type != "binary_expression":
            return
        left = value.child_by_field_name("left")
        if left is None or left.type != "identifier" or ctx.text(left) != ctx.text(name):
            return
        addend = value.child_by_field_name("right")
    elif ctx.text(operator) == "+=":
        addend = value
    else:
        return
    loops = [loop for loop in per_item_loops(statement, ctx) if not _fixed_loop(loop, ctx)]
    if not loops:
        return
    declared = _declaration(name, ctx)
    string = _string_expression(addend, ctx) or (declared is not None and declared[1])
    if not string:
        return
    outside = [loop for loop in loops if declared is None or not _contains(loop, declared[0])]
    if outside:
        yield Hit(
            statement,
            message=f"`{ctx.text(name)}` grows by concatenation in a loop, copying it every time; "
            "use a `strings.Builder`.",
        )


STRING_CONCAT = Rule(
    id="GO-P002",
    title="String built by concatenation in a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1046,
    languages=LANGS,
    message="String built with `+=` in a loop copies it on every iteration; use a `strings.Builder`.",
    docs=RuleDocs(
        what="Flags `s += x` and `s = s + x` in the body of a `for` loop when `s` is a string — declared "
        "`string`, initialised with a string, or added a string literal, `fmt.Sprintf(...)`, `string(...)`, "
        "`strconv.Itoa(...)` or a `strings` function — and declared outside that loop. Not flagged: numbers "
        "(`total += n`), strings declared inside the loop (rebuilt each iteration), struct fields, loops with a "
        "count fixed in the source, concatenation outside loops, and test files.",
        why="Go strings are immutable: each `+=` allocates a new string and copies everything accumulated so "
        "far, so n appends cost O(n²) time and garbage. A `strings.Builder` grows its buffer geometrically.",
        example='out := ""\nfor _, row := range rows {\n\tout += fmt.Sprintf("%s,%d\\n", row.Name, row.Count)\n}',
        use_instead="var out strings.Builder\nfor _, row := range rows {\n"
        '\tfmt.Fprintf(&out, "%s,%d\\n", row.Name, row.Count)\n}',
    ),
    query="""
(assignment_statement
  left: (expression_list . (identifier) @name .)
  right: (expression_list . (_) @value .)) @statement
""",
    check=_check_string_concat,
    references=(cwe(1046), "https://pkg.go.dev/strings#Builder"),
)


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
    operand, method = _selector(call, ctx)
    if operand is None:
        return None
    receiver = ctx.text(operand)
    if receiver == "http" and method in _HTTP_FUNCTIONS:
        return "request"
    if method in ("Do", *_HTTP_FUNCTIONS) and _CLIENT.search(receiver):
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
        texts = ["".join(p for p in string_parts(GO, a, ctx) if p is not None) for a in _args(call)]
        if not any(looks_like_sql(t) for t in texts):
            return None  # `cache.Get(key)`: not a query
    return "query"


def _check_n_plus_one(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or is_test_path(ctx.path):
        return
    loops = per_item_loops(call, ctx)
    if not loops or not any(iterates_data(loop, ctx) for loop in loops):
        return
    kind = _round_trip(call, ctx)
    if kind == "query":
        yield Hit(
            call,
            message="Database query inside a loop: one round trip per item (N+1); fetch the rows in one "
            "query (`WHERE id = ANY($1)`, a join) or batch the writes in a transaction.",
        )
    elif kind == "request":
        yield Hit(
            call,
            message="HTTP request inside a loop: one round trip per item; use a batch endpoint or send "
            "the requests concurrently (errgroup with a limit).",
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


# --- GO-P004 prepend in a loop --------------------------------------------------------------------


def _check_prepend(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, target, call, spread = (
        first(captures, "statement"),
        first(captures, "target"),
        first(captures, "call"),
        first(captures, "spread"),
    )
    if statement is None or target is None or call is None or spread is None:
        return
    if ctx.text(target) != ctx.text(spread) or is_test_path(ctx.path) or not per_item_loops(statement, ctx):
        return
    yield Hit(
        call,
        message=f"Prepending copies all of `{ctx.text(target)}` on every iteration (O(n²)); append and "
        "reverse once at the end, or fill the slice from the back.",
    )


PREPEND_IN_LOOP = Rule(
    id="GO-P004",
    title="Slice prepended to inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=407,
    languages=LANGS,
    message="Prepending to a slice in a loop copies it every time (O(n²)).",
    docs=RuleDocs(
        what="Flags `s = append([]T{x}, s...)` and `s = slices.Insert(s, 0, x)` inside a `for` loop, where the "
        "slice prepended to is the one assigned. Not flagged: appending at the end, inserting into another "
        "slice, prepends outside loops, and test files.",
        why="Each prepend allocates a new backing array and copies every element already there, so building "
        "an n-element slice this way costs O(n²) time and garbage; appending is amortised O(1).",
        example="var path []string\nfor n := node; n != nil; n = n.parent {\n"
        "\tpath = append([]string{n.name}, path...)\n}",
        use_instead="var path []string\nfor n := node; n != nil; n = n.parent {\n\tpath = append(path, n.name)\n}\n"
        "slices.Reverse(path)",
    ),
    query="""
(assignment_statement
  left: (expression_list . (identifier) @target .)
  right: (expression_list
    . (call_expression
        function: (identifier) @fn
        arguments: (argument_list . (composite_literal type: (slice_type)) . (variadic_argument (identifier) @spread) .)
      ) @call .)
  (#eq? @fn "append")) @statement
(assignment_statement
  left: (expression_list . (identifier) @target .)
  right: (expression_list
    . (call_expression
        function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
        arguments: (argument_list . (identifier) @spread . (int_literal) @index)
      ) @call .)
  (#eq? @pkg "slices")
  (#eq? @fn "Insert")
  (#eq? @index "0")) @statement
""",
    check=_check_prepend,
    references=(cwe(407), "https://go.dev/wiki/SliceTricks"),
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
    UNREACHABLE,
    DISCARDED_ERROR,
    SHADOWED_BUILTIN,
    UNCLOSED_BODY,
    NIL_AFTER_ERROR,
    REGEX_IN_LOOP,
    STRING_CONCAT,
    N_PLUS_ONE,
    PREPEND_IN_LOOP,
    UNBOUNDED_READ,
)
