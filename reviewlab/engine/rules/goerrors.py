"""Go error handling: the error of a parse or decode call discarded, and an error checked and then
swallowed by returning nil.

Both rules look for a failure that turns into plausible data: a zero value used as if it were parsed, or
a nil error that tells the caller the call succeeded. A comment next to the code (the reason) silences
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import COMMENTS, GO, Node, enclosing_function, is_constant, local_values
from reviewlab.engine.rules.flowhelpers import cwe, names
from reviewlab.engine.rules.gohelpers import LANGS, call_args, selector
from reviewlab.engine.secrets.paths import is_test_path

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
    operand, field = selector(call, ctx)
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
        args = call_args(node)
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
    args = call_args(call)
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


# --- GO-Q008 error checked, then nil returned -----------------------------------------------------


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(name)}\b")


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


RULES: tuple[Rule, ...] = (
    DISCARDED_ERROR,
    NIL_AFTER_ERROR,
)
