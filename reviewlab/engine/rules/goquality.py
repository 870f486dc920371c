"""Go code-quality smells: unreachable code and declarations that shadow a builtin.

Both read one construct (a statement list, a declaration) with no model beyond the syntax; the other Go
quality rules live in :mod:`goerrors` (errors discarded or swallowed) and :mod:`goresources` (response
bodies never closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import COMMENTS, Node
from reviewlab.engine.rules.flowhelpers import cwe, names
from reviewlab.engine.rules.gohelpers import LANGS

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


RULES: tuple[Rule, ...] = (
    UNREACHABLE,
    SHADOWED_BUILTIN,
)
