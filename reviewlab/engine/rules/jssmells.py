"""JavaScript / TypeScript code that silently loses something: duplicate keys in an object literal
(JS-Q006), ``async`` Promise executors (JS-Q008), shadowed restricted names (JS-Q009), and ``catch`` blocks
that log a message but drop the error (JS-Q012).

Left out on purpose, because they would be noise in JavaScript: mutable default parameters (JavaScript
evaluates them on every call) and ``var`` declarations (a style choice with its own linters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import COMMENTS, JAVASCRIPT, Node, literal_text, statements
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.jsmodel import LANGS, arguments, eslint, method_of, unwrap

# --- JS-Q006 duplicate object key ----------------------------------------------------------------


def _number_key(text: str) -> str | None:
    """A numeric key as JavaScript names the property (``0x10`` -> ``16``, ``1.0`` -> ``1``)."""
    text = text.replace("_", "")
    try:
        value = float(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else float(text)
    except ValueError:
        return None
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _property_key(key: Node | None, ctx: FileContext) -> str | None:
    """The property name a key defines, or None when it is computed or not plain."""
    if key is None:
        return None
    if key.type in ("property_identifier", "shorthand_property_identifier", "private_property_identifier"):
        return ctx.text(key)
    if key.type == "string":
        text = literal_text(JAVASCRIPT, key, ctx)
        return None if text is None or "\\" in text else text
    if key.type == "number":
        return _number_key(ctx.text(key))
    return None


def _member_value(member: Node, ctx: FileContext) -> str | None:
    """The text of a ``key: value`` member's value (None for methods and shorthands)."""
    value = member.child_by_field_name("value") if member.type == "pair" else None
    return ctx.text(value) if value is not None else None


def _member_key(member: Node, ctx: FileContext) -> tuple[Node | None, str]:
    """The key node of an object member and whether it is a ``get``/``set`` accessor or a value."""
    if member.type == "pair":
        return member.child_by_field_name("key"), "value"
    if member.type == "shorthand_property_identifier":
        return member, "value"
    if member.type == "method_definition":
        tokens = {c.type for c in member.children if not c.is_named}
        kind = "get" if "get" in tokens else "set" if "set" in tokens else "value"
        return member.child_by_field_name("name"), kind
    return None, ""


def _check_duplicate_keys(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    obj = first(captures, "object")
    if obj is None or obj.named_child_count < 2:
        return
    seen: dict[str, set[str]] = {}
    values: dict[str, str | None] = {}
    for member in obj.named_children:
        key, kind = _member_key(member, ctx)
        name = _property_key(key, ctx)
        if key is None or name is None:
            continue
        kinds = seen.setdefault(name, set())
        value = _member_value(member, ctx)
        # a getter and a setter of the same name define one property together; a repeated identical
        # value (`amp: "&"` twice in an entity table) loses nothing
        if (
            kinds
            and (kind == "value" or "value" in kinds or kind in kinds)
            and (value is None or values[name] != value)
        ):
            yield Hit(key, message=f"Duplicate key `{name}`: this definition silently replaces the earlier one.")
        kinds.add(kind)
        values[name] = value


DUPLICATE_KEY = Rule(
    id="JS-Q006",
    title="Duplicate key in an object literal",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="Duplicate key in an object literal: the later definition silently replaces the earlier one.",
    docs=RuleDocs(
        what="Flags the second and later definitions of the same key in one object literal: plain keys, "
        'quoted keys (`"id"` and `id` are the same key), numeric keys (`1`, `1.0`, `0x1` and `"1"` are the '
        "same), shorthand properties (`{ id, id: 2 }`) and methods. Not flagged: a `get` and a `set` "
        "accessor of the same name (together they define one property), computed keys (`[key]: ...`), "
        'keys with escape sequences, a key repeated with the very same value (`amp: "&"` twice in an entity '
        "table: nothing is lost), and keys in different objects (`{ a: { id }, b: { id } }`).",
        why="Only the last definition survives, with no error or warning: the earlier value is lost. "
        "Usually a copy-paste slip or a merge that kept both versions, and the code reads a value that "
        "is not the one the author meant.",
        example="const defaults = {\n  timeout: 5000,\n  retries: 3,\n  timeout: 500,\n};",
        use_instead="const defaults = {\n  timeout: 5000,\n  retries: 3,\n  connectTimeout: 500,\n};",
    ),
    query="(object) @object",
    check=_check_duplicate_keys,
    references=(eslint("no-dupe-keys"),),
)


# --- JS-Q008 async Promise executor --------------------------------------------------------------

ASYNC_EXECUTOR = Rule(
    id="JS-Q008",
    title="async function as a Promise executor",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="`new Promise(async ...)`: an error thrown in the executor is lost and the promise never settles.",
    docs=RuleDocs(
        what="Flags `new Promise(...)` whose executor is an `async` arrow function or `async function`.",
        why="The Promise constructor ignores the executor's return value, so when an `async` executor "
        "throws (or an awaited call rejects) the error becomes an unhandled rejection of a promise nobody "
        "holds, and the promise being constructed never resolves or rejects: callers wait forever. An "
        "executor that needs `await` means the surrounding code can simply be an `async` function.",
        example="function readConfig(path) {\n  return new Promise(async (resolve) => {\n"
        '    const text = await fs.promises.readFile(path, "utf8");\n    resolve(JSON.parse(text));\n  });\n}',
        use_instead="async function readConfig(path) {\n"
        '  const text = await fs.promises.readFile(path, "utf8");\n  return JSON.parse(text);\n}',
    ),
    query="""
(new_expression
  constructor: (identifier) @constructor
  arguments: (arguments . [(arrow_function "async") (function_expression "async")] @finding)
  (#eq? @constructor "Promise"))
""",
    references=(eslint("no-async-promise-executor"),),
)


# --- JS-Q009 restricted name shadowed ------------------------------------------------------------

_RESTRICTED = ("undefined", "NaN", "Infinity", "arguments", "eval")
_RESTRICTED_NAMES = " ".join(f'"{name}"' for name in _RESTRICTED)
# A parameter's text: optional TypeScript modifiers, then the name, then a type, a `?` or a default.
_RESTRICTED_PARAMETER = (
    r"^((public|private|protected|readonly|override)\\s+)*(" + "|".join(_RESTRICTED) + r")\\s*([?:=]|$)"
)


def _iife_undefined(parameter: Node, ctx: FileContext) -> bool:
    """``(function (window, undefined) { ... })(window)``: an old idiom that guarantees a true
    ``undefined`` by leaving the last parameter without an argument."""
    params = parameter.parent
    function = params.parent if params is not None else None
    if params is None or function is None or ctx.text(parameter) != "undefined":
        return False
    outer = function.parent
    while outer is not None and outer.type == "parenthesized_expression":
        function, outer = outer, outer.parent
    if outer is None or outer.type != "call_expression" or outer.child_by_field_name("function") != function:
        return False
    position = [p for p in params.named_children if p.type not in COMMENTS].index(parameter)
    return len(arguments(outer)) <= position


def _check_restricted(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    name = first(captures, "name")
    if name is None or _iife_undefined(name, ctx):
        return
    text = re.sub(r"^((public|private|protected|readonly|override)\s+)*", "", ctx.text(name))
    word = re.match(r"[\w$]+", text)
    shadowed = word.group() if word else ctx.text(name)
    yield Hit(name, message=f"`{shadowed}` is rebound here: it shadows the built-in `{shadowed}` in this scope.")


SHADOWED_RESTRICTED = Rule(
    id="JS-Q009",
    title="Restricted global name shadowed",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="A variable, parameter or function shadows `undefined`, `NaN`, `Infinity`, `arguments` or `eval`.",
    docs=RuleDocs(
        what="Flags variables (`let undefined`), parameters (also TypeScript parameters with a type or "
        "modifier, and defaults), catch parameters and functions named `undefined`, `NaN`, `Infinity`, "
        "`arguments` or `eval`. Not flagged: the old `(function (window, undefined) { ... })(window)` "
        "idiom, where the parameter is left without an argument precisely so that it is the real "
        "`undefined`; destructured names; and properties (`obj.undefined`, `{ eval: ... }`).",
        why="Readers take these names for the language's own values: after `function f(undefined)` is "
        "called with an argument, `x === undefined` tests something else, and a parameter named "
        "`arguments` hides the arguments object. Strict mode and modules reject `eval` and `arguments` "
        "as names outright.",
        example="function pick(options, undefined) {\n  return options.value === undefined ? 0 : options.value;\n}",
        use_instead="function pick(options) {\n  return options.value === undefined ? 0 : options.value;\n}",
    ),
    query=f"""
(variable_declarator name: [(identifier) (undefined)] @name (#any-of? @name {_RESTRICTED_NAMES}))
(function_declaration name: (identifier) @name (#any-of? @name {_RESTRICTED_NAMES}))
(function_expression name: (identifier) @name (#any-of? @name {_RESTRICTED_NAMES}))
(catch_clause parameter: [(identifier) (undefined)] @name (#any-of? @name {_RESTRICTED_NAMES}))
(arrow_function parameter: [(identifier) (undefined)] @name (#any-of? @name {_RESTRICTED_NAMES}))
(formal_parameters (_) @name (#match? @name "{_RESTRICTED_PARAMETER}"))
""",
    check=_check_restricted,
    references=(eslint("no-shadow-restricted-names"),),
)


# --- JS-Q012 catch that logs and drops the error -------------------------------------------------

_LOG_RECEIVER = re.compile(r"(?i)^(this\.)?(console|_*log|_*logger|\w+Logger|\w+_logger)$")
_LOG_METHODS = frozenset({"log", "info", "warn", "warning", "error", "debug", "trace", "fatal"})
_IGNORED_ERROR = re.compile(r"^(_[\w$]*|ignored?[\w$]*|expected[\w$]*)$")


def _is_log_statement(statement: Node, ctx: FileContext) -> bool:
    if statement.type != "expression_statement" or not statement.named_children:
        return False
    call = unwrap(statement.named_children[0])
    if call.type != "call_expression":
        return False
    receiver, method = method_of(call, ctx)
    return receiver is not None and method in _LOG_METHODS and bool(_LOG_RECEIVER.match(ctx.text(receiver)))


def _check_log_and_drop(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    clause, param, body = first(captures, "clause"), first(captures, "param"), first(captures, "body")
    if clause is None or param is None or body is None:
        return
    name = ctx.text(param)
    if _IGNORED_ERROR.match(name):
        return
    body_statements = statements(body)
    if not body_statements or not all(_is_log_statement(s, ctx) for s in body_statements):
        return
    if re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", ctx.text(body)) or "arguments" in ctx.text(body):
        return
    yield Hit(
        clause, message=f"The catch block logs a message but drops `{name}`: the error's message and stack are lost."
    )


LOG_AND_DROP = Rule(
    id="JS-Q012",
    title="catch block logs a message but drops the error",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=778,
    languages=LANGS,
    message="The catch block only logs a message and drops the caught error: its cause and stack are lost.",
    docs=RuleDocs(
        what="Flags `catch (err) { ... }` blocks whose only statements are logging calls (`console.*`, "
        "`logger.*`, `log.*`, `this.logger.*`, `*Logger.*`) none of which mentions the caught error. Not "
        "flagged: blocks that pass the error (or `err.message`) to the log, rethrow, return, or do anything "
        "besides logging; empty blocks (JS-Q001 reports them); `catch { ... }` without a binding and "
        "errors named `_`, `_err`, `ignored` or `expected` (a deliberate choice to drop the error).",
        why="The log line says that something failed but not what: the error's message, stack and cause "
        "are gone, so the failure cannot be diagnosed from the logs. Because the block then carries on, "
        "a bug (a `TypeError` in the `try`) looks exactly like the expected failure.",
        example='try {\n  settings = JSON.parse(await readFile(path, "utf8"));\n} catch (err) {\n'
        '  console.warn("could not load settings");\n}',
        use_instead='try {\n  settings = JSON.parse(await readFile(path, "utf8"));\n} catch (err) {\n'
        '  console.warn("could not load settings from %s", path, err);\n}',
    ),
    query="(catch_clause parameter: (identifier) @param body: (statement_block) @body) @clause",
    check=_check_log_and_drop,
    references=(cwe(778), cwe(390)),
)


RULES: tuple[Rule, ...] = (
    DUPLICATE_KEY,
    ASYNC_EXECUTOR,
    SHADOWED_RESTRICTED,
    LOG_AND_DROP,
)
