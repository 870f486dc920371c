"""Helpers shared by the JavaScript, Java and Go packs.

Rules select candidates with tree-sitter queries; the questions a query cannot answer are answered
here, once for all three languages:

* what a string expression is made of (``string_parts``): literal text where it is known, ``None``
  where a value comes from elsewhere. It follows concatenation, template literals, format calls
  (``fmt.Sprintf``, ``String.format``) and local variables (a light, per-function look-up of the
  values assigned to a name before its use), so ``is_constant`` and ``builds_sql`` see through
  ``sql := "SELECT ..." + id; db.Query(sql)``;
* whether a name reads as a credential or a security value (``is_credential_name``,
  ``is_security_name``) and whether a literal looks like a real secret (``looks_like_secret``);
* which name a value is given (``assigned_name``), e.g. the variable a random number is stored in;
* whether a shell command built from an argument list runs a non-constant script
  (``unsafe_command_element``).

Everything here runs only for candidates a query already matched, and the per-file look-up
tables are built lazily, once, in ``ctx.state``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import tree_sitter

from reviewlab.engine.languages import ts_language
from reviewlab.engine.rules.base import FileContext

Node = tree_sitter.Node
Parts = list[str | None]
"""A string expression as literal pieces; ``None`` stands for a value not known statically."""

MAX_DEPTH = 4


@cache
def compiled_query(language: str, source: str) -> tree_sitter.Query:
    """A helper query compiled once per process for one concrete grammar."""
    return tree_sitter.Query(ts_language(language), source)


# --- names --------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CREDENTIAL_WORDS = frozenset({"password", "passwd", "passphrase", "pass", "pwd", "secret", "token", "apikey"})
_KEY_QUALIFIERS = frozenset(
    {"api", "secret", "private", "access", "client", "encryption", "signing", "master", "auth", "app", "hmac"}
)
_NOT_SECRET_TOKENS = frozenset(
    {"page", "next", "prev", "previous", "cursor", "continuation", "sync", "cancel", "cancellation", "resume"}
)
"""``nextPageToken``, ``cancelToken``: tokens that are positions or handles, not credentials."""
_SECURITY_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "nonce",
        "salt",
        "session",
        "sessionid",
        "sid",
        "otp",
        "totp",
        "csrf",
        "xsrf",
        "uuid",
        "guid",
        "id",
        "ids",
        "uid",
        "pin",
        "iv",
        "auth",
        "credential",
        "credentials",
        "apikey",
        "captcha",
    }
)
CREDENTIAL_HINT = "(?i)(pass|pwd|secret|token|key|cred)"
"""A cheap query-side pre-filter (``#match?``) for names ``is_credential_name`` may accept."""


def name_words(name: str) -> list[str]:
    """``userAPIKey`` / ``user_api_key`` / ``USER-API-KEY`` -> ``['user', 'api', 'key']``."""
    return [w.lower() for w in _WORD.findall(name)]


def is_credential_name(name: str) -> bool:
    """A name whose value is a credential: ``dbPassword``, ``API_KEY``, ``clientSecret``, ``authToken``.

    The credential word must come last, so ``passwordField``, ``tokenUrl`` and ``TOKEN_KEY`` (a
    storage key's name) do not count.
    """
    words = name_words(name)
    if not words:
        return False
    last = words[-1]
    if last == "token" and len(words) > 1 and words[-2] in _NOT_SECRET_TOKENS:
        return False
    if last in _CREDENTIAL_WORDS:
        return True
    return last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS


def is_security_name(name: str) -> bool:
    """A name for a value that must be unpredictable: tokens, ids, nonces, salts, keys, passwords."""
    return is_credential_name(name) or any(word in _SECURITY_WORDS for word in name_words(name))


_PLACEHOLDER = re.compile(r"^(?:x+|\*+|\.+|-+|_+|#+|0+)$|\$\{|\{\{|^<.*>$|^%\(?\w*\)?s$|^\$\w+$", re.IGNORECASE)


def looks_like_secret(value: str, name: str) -> bool:
    """Whether a literal assigned to a credential name plausibly is the credential itself.

    Not: empty or very short strings, placeholders (``<password>``, ``${DB_PASSWORD}``, ``xxxx``,
    ``****``), prose with spaces (labels, messages), paths and URLs, and a value that merely repeats
    its own name (``PASSWORD = "password"``, ``ACCESS_TOKEN = "access_token"``: form field and
    storage key names).
    """
    if len(value) < 4 or any(c.isspace() for c in value) or _PLACEHOLDER.search(value):
        return False
    if value.startswith(("/", "./", "http://", "https://")) or not any(c.isalnum() for c in value):
        return False
    normalized = re.sub(r"[^a-z0-9]", "", value.lower())
    words = name_words(name)
    suffixes = {"".join(words[i:]) for i in range(len(words))}
    return normalized not in suffixes


def is_upper_constant_name(name: str) -> bool:
    """``MAX_SIZE``, ``TABLE``: the JavaScript and Java naming convention for constants."""
    return bool(re.fullmatch(r"[A-Z][A-Z0-9_]*", name)) and any(c.isalpha() for c in name)


# --- dialects -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dialect:
    """What the shared helpers need to know about one language family's syntax tree."""

    family: str
    strings: frozenset[str]
    """String literal node types; their value is their text without the quotes."""
    literals: frozenset[str]
    """Other literals (numbers, booleans) that are constant when concatenated into a string."""
    wrappers: frozenset[str]
    """Nodes whose value is their single named child (parentheses, TypeScript casts)."""
    functions: frozenset[str]
    """Node types that open a function scope."""
    assignment_query: str
    """Captures ``@name`` (or ``@names`` list) and ``@value`` (or ``@values`` list) per assignment."""
    parameter_fields: tuple[str, ...]
    upper_constants: bool
    """Whether an unresolved ``UPPER_CASE`` name is taken to be a constant."""


JAVASCRIPT = Dialect(
    family="javascript",
    strings=frozenset({"string"}),
    literals=frozenset({"number", "true", "false", "null", "undefined"}),
    wrappers=frozenset(
        {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression", "type_assertion"}
    ),
    functions=frozenset(
        {
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
        }
    ),
    assignment_query="""
        (variable_declarator name: (identifier) @name value: (_) @value)
        (assignment_expression left: (identifier) @name right: (_) @value)
        (augmented_assignment_expression left: (identifier) @name right: (_) @value)
    """,
    parameter_fields=("parameters", "parameter"),
    upper_constants=True,
)

JAVA = Dialect(
    family="java",
    strings=frozenset({"string_literal"}),
    literals=frozenset(
        {
            "decimal_integer_literal",
            "hex_integer_literal",
            "octal_integer_literal",
            "binary_integer_literal",
            "decimal_floating_point_literal",
            "character_literal",
            "true",
            "false",
        }
    ),
    wrappers=frozenset({"parenthesized_expression", "cast_expression"}),
    functions=frozenset(
        {"method_declaration", "constructor_declaration", "compact_constructor_declaration", "lambda_expression"}
    ),
    assignment_query="""
        (variable_declarator name: (identifier) @name value: (_) @value)
        (assignment_expression left: (identifier) @name right: (_) @value)
    """,
    parameter_fields=("parameters",),
    upper_constants=True,
)

GO = Dialect(
    family="go",
    strings=frozenset({"interpreted_string_literal", "raw_string_literal"}),
    literals=frozenset({"int_literal", "float_literal", "rune_literal", "true", "false"}),
    wrappers=frozenset({"parenthesized_expression"}),
    functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
    assignment_query="""
        (short_var_declaration left: (expression_list) @names right: (expression_list) @values)
        (assignment_statement left: (expression_list) @names right: (expression_list) @values)
        (var_spec value: (expression_list) @values) @spec
        (const_spec value: (expression_list) @values) @spec
    """,
    parameter_fields=("parameters", "receiver"),
    upper_constants=False,
)


# --- scopes and local values --------------------------------------------------------------------


def ancestors(node: Node, ctx: FileContext) -> list[Node]:
    """The ancestors of ``node``, innermost first.

    Found top-down with a cursor: ``Node.parent`` searches down from the root on every call, so
    walking up with it costs time quadratic in the depth (deep in ``a + b + ...`` chains).
    """
    cursor = ctx.tree.root_node.walk()
    path: list[Node] = []
    target = node.start_byte
    while True:
        current = cursor.node
        if current is None or current == node:
            break
        path.append(current)
        if cursor.goto_first_child_for_byte(target) is None:
            return []  # not in this tree
    path.reverse()
    return path


def _function_spans(dialect: Dialect, ctx: FileContext) -> tuple[list[int], list[Node]]:
    """Every function of the file and their start bytes, in order (one query per file, on first use)."""
    key = f"common.functions.{dialect.family}"
    spans: tuple[list[int], list[Node]] | None = ctx.state.get(key)
    if spans is None:
        pattern = " ".join(f"({kind})" for kind in sorted(dialect.functions))
        query = compiled_query(ctx.language, f"[{pattern}] @function")
        found = tree_sitter.QueryCursor(query).captures(ctx.tree.root_node).get("function", [])
        functions = sorted(found, key=lambda n: (n.start_byte, -n.end_byte))
        spans = ([f.start_byte for f in functions], functions)
        ctx.state[key] = spans
    return spans


def enclosing_functions(dialect: Dialect, node: Node, ctx: FileContext) -> list[Node]:
    """The function scopes around ``node``, innermost first."""
    starts, spans = _function_spans(dialect, ctx)
    end = bisect_right(starts, node.start_byte)
    around = [f for f in spans[:end] if f.start_byte <= node.start_byte and node.end_byte <= f.end_byte and f != node]
    around.sort(key=lambda f: f.end_byte - f.start_byte)
    return around


def enclosing_function(dialect: Dialect, node: Node, ctx: FileContext) -> Node | None:
    around = enclosing_functions(dialect, node, ctx)
    return around[0] if around else None


def _is_parameter(dialect: Dialect, function: Node, name: str, ctx: FileContext) -> bool:
    pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    for field_name in dialect.parameter_fields:
        params = function.child_by_field_name(field_name)
        if params is not None and pattern.search(ctx.text(params)):
            return True
    return False


Assignments = dict[str, list[tuple[Node, Node | None]]]


def _assignments(dialect: Dialect, ctx: FileContext) -> Assignments:
    """Every ``name = value`` of the file by name: (the name node, the value node or None)."""
    key = f"common.assignments.{dialect.family}"
    table: Assignments | None = ctx.state.get(key)
    if table is not None:
        return table
    table = {}
    query = compiled_query(ctx.language, dialect.assignment_query)
    for _, captures in tree_sitter.QueryCursor(query).matches(ctx.tree.root_node):
        if "name" in captures:
            names, values = captures["name"], list(captures.get("value", ()))
        else:
            if "spec" in captures:
                names = captures["spec"][0].children_by_field_name("name")
            else:
                names = captures["names"][0].named_children
            values = captures["values"][0].named_children
        pairs: list[tuple[Node, Node | None]] = (
            list(zip(names, values, strict=True)) if len(names) == len(values) else [(n, None) for n in names]
        )
        for name_node, value in pairs:
            if name_node.type == "identifier":
                table.setdefault(ctx.text(name_node), []).append((name_node, value))
    ctx.state[key] = table
    return table


def local_values(dialect: Dialect, identifier: Node, ctx: FileContext) -> list[Node | None] | None:
    """The values assigned to ``identifier`` before its use in the nearest scope that assigns it.

    ``[None]`` when the name is a parameter (its value comes from the caller); ``None`` when the
    file assigns it nowhere visible (a field, a global from elsewhere, a loop variable).
    """
    name = ctx.text(identifier)
    entries = _assignments(dialect, ctx).get(name)
    for function in enclosing_functions(dialect, identifier, ctx):
        if entries:
            local = [
                value
                for name_node, value in entries
                if function.start_byte <= name_node.start_byte < identifier.start_byte
            ]
            if local:
                return local
        if _is_parameter(dialect, function, name, ctx):
            return [None]
    if not entries:
        return None
    top = [value for name_node, value in entries if enclosing_function(dialect, name_node, ctx) is None]
    return top or None


# --- string values ------------------------------------------------------------------------------


def literal_text(dialect: Dialect, node: Node, ctx: FileContext) -> str | None:
    """The text of a plain string literal without its quotes, else None."""
    if node.type not in dialect.strings:
        return None
    text = ctx.text(node)
    quote = 3 if text.startswith('"""') else 1
    return text[quote:-quote] if len(text) >= 2 * quote else ""


def _first_named(node: Node) -> Node | None:
    for child in node.named_children:
        if child.type not in ("comment", "line_comment", "block_comment"):
            return child
    return None


def concatenated(node: Node) -> list[Node]:
    """The operands of ``a + b + c`` in order (iteratively: long chains nest deeply to the left)."""
    operands: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        operator = current.child_by_field_name("operator") if current.type == "binary_expression" else None
        left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
        if operator is not None and operator.type == "+" and left is not None and right is not None:
            stack.append(right)
            stack.append(left)
        else:
            operands.append(current)
    return operands


def string_parts(dialect: Dialect, node: Node | None, ctx: FileContext, depth: int = 0) -> Parts:
    """What a string expression is made of: literal pieces, and ``None`` for each unknown piece."""
    if node is None or depth > MAX_DEPTH:
        return [None]
    kind = node.type
    if kind in dialect.strings:
        return [literal_text(dialect, node, ctx)]
    if kind in dialect.literals:
        return [ctx.text(node)]
    if kind in dialect.wrappers:
        return string_parts(dialect, _first_named(node), ctx, depth + 1)
    if kind == "binary_expression":
        operands = concatenated(node)
        if len(operands) == 1:
            return [None]  # not a `+`
        parts: Parts = []
        for operand in operands:
            parts.extend(string_parts(dialect, operand, ctx, depth))
        return parts
    if kind == "template_string":
        parts = []
        for child in node.named_children:
            if child.type == "template_substitution":
                parts.extend(string_parts(dialect, _first_named(child), ctx, depth + 1))
            else:
                parts.append(ctx.text(child))
        return parts or [""]
    if kind == "identifier":
        return _identifier_parts(dialect, node, ctx, depth)
    if kind in ("member_expression", "field_access"):
        prop = node.child_by_field_name("property") or node.child_by_field_name("field")
        if dialect.upper_constants and prop is not None and is_upper_constant_name(ctx.text(prop)):
            return [""]
        return [None]
    formatted = _format_call(dialect, node, ctx, depth)
    if formatted is not None:
        template, args = formatted
        return _format_parts(dialect, template, args, ctx, depth)
    return [None]


def _identifier_parts(dialect: Dialect, node: Node, ctx: FileContext, depth: int) -> Parts:
    values = local_values(dialect, node, ctx)
    if values is None:
        if dialect.upper_constants and is_upper_constant_name(ctx.text(node)):
            return [""]
        return [None]
    parts: Parts = []
    for value in values:
        parts.extend(string_parts(dialect, value, ctx, depth + 1))
    return parts


def _format_call(dialect: Dialect, node: Node, ctx: FileContext, depth: int) -> tuple[str, list[Node]] | None:
    """``fmt.Sprintf(f, args...)`` / ``String.format(f, args...)`` / ``"f".formatted(args...)``."""
    if dialect is GO and node.type == "call_expression":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None or ctx.text(function) not in ("fmt.Sprintf", "fmt.Sprint"):
            return None
        args = arguments.named_children
        if ctx.text(function) == "fmt.Sprint":
            return "", args
    elif dialect is JAVA and node.type == "method_invocation":
        obj, name = node.child_by_field_name("object"), node.child_by_field_name("name")
        arguments = node.child_by_field_name("arguments")
        if obj is None or name is None or arguments is None:
            return None
        args = arguments.named_children
        method = ctx.text(name)
        if method == "formatted" and obj.type == "string_literal":
            return literal_text(dialect, obj, ctx) or "", args
        if not (method == "format" and ctx.text(obj) in ("String", "MessageFormat")):
            return None
    else:
        return None
    if not args:
        return None
    template = string_parts(dialect, args[0], ctx, depth + 1)
    if None in template:
        return None  # not a constant format: nothing to go on
    return "".join(p for p in template if p is not None), args[1:]


_VERB = re.compile(r"%(?:(\[\d+\]|\d+\$))?[-+# 0,(]*\d*(?:\.\d+)?([a-zA-Z%])")
_NUMERIC_VERBS = frozenset("dxXobeEfgGtcU")


def _format_parts(dialect: Dialect, template: str, args: Sequence[Node], ctx: FileContext, depth: int) -> Parts:
    """A format call's template, and the pieces of the arguments its verbs print as text.

    An argument printed with a numeric verb (``%d``) cannot carry SQL or shell syntax, so it is
    left out; when verbs and arguments cannot be paired every argument counts.
    """
    verbs = [m for m in _VERB.finditer(template) if m.group(2) != "%"]
    paired = len(verbs) == len(args) and not any(m.group(1) for m in verbs)
    parts: Parts = [template]
    for index, arg in enumerate(args):
        if paired and verbs[index].group(2) in _NUMERIC_VERBS:
            continue
        parts.extend(string_parts(dialect, arg, ctx, depth + 1))
    return parts


def is_constant(dialect: Dialect, node: Node | None, ctx: FileContext) -> bool:
    """Whether a string expression's value is fixed in the source (literals, constants, their sums)."""
    return None not in string_parts(dialect, node, ctx)


def constant_text(dialect: Dialect, node: Node | None, ctx: FileContext) -> str | None:
    """The value of a constant string expression (unknown constants count as empty), else None."""
    parts = string_parts(dialect, node, ctx)
    if None in parts:
        return None
    return "".join(p for p in parts if p is not None)


_SQL = re.compile(
    r"\b(?:select\s.*?\bfrom\b|select\s+(?:\*|distinct|count\s*\()|insert\s+into|update\s+\S+\s+set\b|"
    r"delete\s+from|merge\s+into|where\s|order\s+by|group\s+by|values\s*\(|"
    r"(?:create|drop|alter|truncate)\s+(?:table|index|view|database|schema)\b)",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_sql(text: str) -> bool:
    return bool(_SQL.search(text))


def builds_sql(dialect: Dialect, node: Node, ctx: FileContext) -> bool:
    """Whether an expression builds SQL text out of literal SQL and a value not fixed in the source."""
    parts = string_parts(dialect, node, ctx)
    if None not in parts:
        return False
    return looks_like_sql("\x00".join(p for p in parts if p is not None))


# --- commands -----------------------------------------------------------------------------------

SHELLS = frozenset({"sh", "bash", "zsh", "ksh", "dash", "ash", "fish", "cmd", "cmd.exe", "powershell", "pwsh"})
_SHELL_FLAGS = frozenset({"-c", "/c", "/C", "-Command", "-command", "/k", "/K"})


def unsafe_command_element(
    dialect: Dialect, elements: Sequence[Node], ctx: FileContext, *, dynamic_program: bool
) -> Node | None:
    """The element of an argv-style command that makes it injectable, if any.

    ``["sh", "-c", script]`` with a non-constant script returns the script; a non-constant program
    returns the program when ``dynamic_program`` is set. Non-constant arguments of a constant,
    non-shell program are not shell injection and are left alone.
    """
    if not elements:
        return None
    program = constant_text(dialect, elements[0], ctx)
    if program is None:
        return elements[0] if dynamic_program else None
    if program.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] not in SHELLS:
        return None
    seen_flag = False
    for element in elements[1:]:
        text = constant_text(dialect, element, ctx)
        if seen_flag and text is None:
            return element
        if text in _SHELL_FLAGS or (text is not None and re.fullmatch(r"-[a-z]*c", text)):
            seen_flag = True
    return None


# --- the name a value is given ------------------------------------------------------------------

_STOP = frozenset(
    {
        "program",
        "source_file",
        "statement_block",
        "block",
        "class_body",
        "expression_statement",
        "statement_list",
        "if_statement",
        "for_statement",
        "while_statement",
        "switch_statement",
        "expression_switch_statement",
    }
)


_INDEXING = frozenset({"subscript_expression", "array_access", "index_expression"})


def _strip_quotes(text: str) -> str:
    return text.strip("\"'`")


def _callee_name(node: Node, ctx: FileContext) -> str | None:
    name = node.child_by_field_name("name")  # Java method_invocation
    if name is not None:
        return ctx.text(name)
    function = node.child_by_field_name("function")
    if function is None:
        return None
    prop = function.child_by_field_name("property") or function.child_by_field_name("field")
    return ctx.text(prop if prop is not None else function)


def function_name(node: Node, ctx: FileContext) -> str | None:
    """A function's own name, or the name it is assigned to (``const makeToken = () => ...``)."""
    name = node.child_by_field_name("name")
    if name is not None:
        return ctx.text(name)
    parent = node.parent
    if parent is not None and parent.type in ("variable_declarator", "pair", "assignment_expression"):
        target = parent.child_by_field_name("name") or parent.child_by_field_name("key")
        target = target or parent.child_by_field_name("left")
        return _strip_quotes(ctx.text(target)) if target is not None else None
    return None


def _target_name(parent: Node, child: Node, ctx: FileContext) -> str | None:
    """The name ``parent`` gives to its ``child`` value, if ``parent`` is a naming construct."""
    kind = parent.type
    if kind == "variable_declarator":
        name = parent.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            return ctx.text(name)
    elif kind in ("assignment_expression", "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        if left is not None:
            target = (
                left.child_by_field_name("property")
                or left.child_by_field_name("field")
                or left.child_by_field_name("index")
                or left
            )
            return _strip_quotes(ctx.text(target))
    elif kind == "pair":
        key = parent.child_by_field_name("key")
        return _strip_quotes(ctx.text(key)) if key is not None else None
    elif kind in ("field_definition", "public_field_definition"):
        name = parent.child_by_field_name("property") or parent.child_by_field_name("name")
        return ctx.text(name) if name is not None else None
    elif kind == "keyed_element":
        key = parent.child_by_field_name("key")
        return ctx.text(key) if key is not None else None
    elif kind in ("var_spec", "const_spec"):
        names = parent.children_by_field_name("name")
        return ctx.text(names[0]) if names else None
    elif kind in ("short_var_declaration", "assignment_statement") and child.type == "expression_list":
        left = parent.child_by_field_name("left")
        right = parent.child_by_field_name("right")
        if left is None or right is None or child != right or not left.named_children:
            return None
        return ctx.text(left.named_children[0])
    return None


def assigned_name(dialect: Dialect, node: Node, ctx: FileContext) -> str | None:
    """The name the value of ``node`` ends up in: the variable, field, key or setter it is given to,
    or the name of the function that returns it. None when it is used some other way."""
    child = node
    chain = ancestors(node, ctx)
    for index, parent in enumerate(chain):
        grandparent = chain[index + 1] if index + 1 < len(chain) else None
        if parent.type in _STOP:
            return None
        if parent.type in dialect.functions:
            return function_name(parent, ctx) if child == parent.child_by_field_name("body") else None
        if parent.type == "return_statement":
            function = enclosing_function(dialect, parent, ctx)
            return function_name(function, ctx) if function is not None else None
        if parent.type in _INDEXING and child == parent.child_by_field_name("index"):
            return None  # picks an element (`ids[random index]`), does not make a value
        if parent.type == "expression_list" and grandparent is not None:
            target = _go_list_target(grandparent, parent, child, ctx)
            if target is not None:
                return target
        if parent.type in ("arguments", "argument_list") and grandparent is not None:
            callee = _callee_name(grandparent, ctx)
            if callee is not None and re.match(r"set[A-Z_]", callee):
                return callee
        name = _target_name(parent, child, ctx)
        if name is not None:
            return name
        child = parent
    return None


def _go_list_target(statement: Node, expressions: Node, child: Node, ctx: FileContext) -> str | None:
    """In Go ``a, b := x, y`` the value at index i is named by the name at index i."""
    if statement.type not in ("short_var_declaration", "assignment_statement", "var_spec"):
        return None
    if statement.type == "var_spec":
        names = statement.children_by_field_name("name")
    else:
        left = statement.child_by_field_name("left")
        if left is None or left == expressions:
            return None
        names = left.named_children
    values = expressions.named_children
    if len(names) != len(values) or child not in values:
        return None
    return ctx.text(names[values.index(child)])


# --- blocks -------------------------------------------------------------------------------------

COMMENTS = frozenset({"comment", "line_comment", "block_comment"})


def statements(block: Node) -> list[Node]:
    """The non-comment children of a block (Go wraps them in a ``statement_list``)."""
    out: list[Node] = []
    for child in block.named_children:
        if child.type == "statement_list":
            out.extend(statements(child))
        elif child.type not in COMMENTS and child.type != "empty_statement":
            out.append(child)
    return out


def has_comment(block: Node) -> bool:
    return any(c.type in COMMENTS or (c.type == "statement_list" and has_comment(c)) for c in block.named_children)
