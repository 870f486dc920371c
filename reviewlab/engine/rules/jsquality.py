"""JavaScript / TypeScript code-quality smells (JS-Q004...) and performance rules (JS-P001...).

Quality: unused imports, unreachable statements, duplicate object keys, comparisons with ``NaN`` or an
invalid ``typeof`` string, ``async`` Promise executors, shadowed restricted names, constants assigned in
conditions, and ``catch`` blocks that log a message but drop the error. Performance: work repeated once
per loop iteration (sequential ``await``, N+1 queries and requests, ``new RegExp`` of a constant,
membership scans of arrays, ``shift`` / ``unshift``), ``*Sync`` calls in ``async`` functions, and
request bodies buffered without a size limit.

The performance rules share one loop model, :func:`per_item_loops`: the loops whose body (or ``while``
condition) runs a node once per iteration, up to the enclosing function. The callback of an array
iteration method (``forEach``, ``map``, ``filter``, ``reduce``...) is a loop body too. Any other nested
function -- an event handler, a ``.then`` callback, a function declared in the loop -- runs when it is
called, not once per iteration, so the search stops there.

Left out on purpose, because they would be noise in JavaScript: string ``+=`` in loops (engines build
rope strings, so it is linear, not quadratic), mutable default parameters (JavaScript evaluates them on
every call), ``var`` declarations (a style choice with its own linters), and ``JSON.parse(JSON.stringify(x))``
in loops (each iteration usually needs its own copy, and ``structuredClone`` is not faster).

The module is longer than most packs because each rule's docs spell out what is and is not flagged,
and the rules share the loop model and the binding helpers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    COMMENTS,
    JAVASCRIPT,
    Node,
    ancestors,
    compiled_query,
    enclosing_function,
    is_constant,
    is_upper_constant_name,
    literal_text,
    local_values,
    looks_like_sql,
    name_words,
    statements,
    string_parts,
)
from reviewlab.engine.rules.javascript import module_bindings

LANGS = ("javascript",)


def _cwe(number: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{number}.html"


def _eslint(name: str) -> str:
    return f"https://eslint.org/docs/latest/rules/{name}"


def _unwrap(node: Node) -> Node:
    """The expression inside parentheses and TypeScript casts (``(x as T)``, ``x!``)."""
    while node.type in JAVASCRIPT.wrappers and node.named_children:
        inner = next((c for c in node.named_children if c.type not in COMMENTS), None)
        if inner is None:
            break
        node = inner
    return node


def _arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type not in COMMENTS] if args is not None else []


def _method(call: Node, ctx: FileContext) -> tuple[Node | None, str]:
    """``(receiver, method)`` of ``receiver.method(...)``; ``(None, name)`` of ``name(...)``; else ``(None, "")``."""
    function = call.child_by_field_name("function")
    if function is None:
        return None, ""
    if function.type == "identifier":
        return None, ctx.text(function)
    if function.type != "member_expression":
        return None, ""
    prop, obj = function.child_by_field_name("property"), function.child_by_field_name("object")
    return (_unwrap(obj) if obj is not None else None), (ctx.text(prop) if prop is not None else "")


def _last_name(node: Node | None, ctx: FileContext) -> str:
    """``db`` for ``db`` and ``this.db``, ``collection`` for ``db.collection("users")``."""
    if node is None:
        return ""
    node = _unwrap(node)
    if node.type == "identifier":
        return ctx.text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return ctx.text(prop) if prop is not None else ""
    if node.type == "call_expression":
        return _method(node, ctx)[1]
    return ""


def _is_async(function: Node | None) -> bool:
    return function is not None and any(c.type == "async" and not c.is_named for c in function.children)


def _is_generator(function: Node | None) -> bool:
    return function is not None and any(c.type == "*" and not c.is_named for c in function.children)


_TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|__mocks__|e2e|cypress|spec)/|\.(test|spec|e2e|cy)\.[cm]?[jt]sx?$")


def _is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


# --- the loop model ------------------------------------------------------------------------------

_ITERATION_METHODS = frozenset(
    {"forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "flatMap", "find", "findIndex"}
    | {"findLast", "findLastIndex"}
)
_SCOPE_ENDS = frozenset({"class_body", "class_static_block", "program"})


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop that runs a node once per iteration."""

    node: Node
    """The loop statement, or the ``items.map(...)`` call of an iteration callback."""
    kind: str
    """``for``, ``for-of``, ``for-in``, ``for-await``, ``while``, ``do`` or ``callback``."""


def _for_in_kind(loop: Node) -> str:
    tokens = {c.type for c in loop.children if not c.is_named}
    if "await" in tokens:
        return "for-await"
    return "for-of" if "of" in tokens else "for-in"


def _iteration_call(chain: list[Node], index: int) -> Node | None:
    """The ``items.map(...)`` call when ``chain[index]`` is the function passed as its callback."""
    if index + 2 >= len(chain):
        return None
    function, args, call = chain[index], chain[index + 1], chain[index + 2]
    if args.type != "arguments" or call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    prop = callee.child_by_field_name("property") if callee is not None and callee.type == "member_expression" else None
    if prop is None or (prop.text or b"").decode() not in _ITERATION_METHODS:
        return None
    first_arg = next((c for c in args.named_children if c.type not in COMMENTS), None)
    return call if first_arg == function else None


def per_item_loops(
    node: Node, ctx: FileContext, callbacks: bool = True, chain: list[Node] | None = None
) -> tuple[list[Loop], Node | None]:
    """The loops that run ``node`` once per iteration, innermost first, and the function that ends the
    search (None at the top level of the file).

    A ``for`` statement's condition and update, and a ``while`` / ``do`` condition, run per iteration;
    a ``for`` initialiser and a ``for...of`` iterable run once. With ``callbacks``, the callback of an
    array iteration method is a loop body; any other function ends the search.
    """
    chain = ancestors(node, ctx) if chain is None else chain
    loops: list[Loop] = []
    child = node
    index = 0
    while index < len(chain):
        parent = chain[index]
        kind = parent.type
        if kind == "for_statement":
            if child != parent.child_by_field_name("initializer"):
                loops.append(Loop(parent, "for"))
        elif kind == "for_in_statement":
            if child == parent.child_by_field_name("body"):
                loops.append(Loop(parent, _for_in_kind(parent)))
        elif kind in ("while_statement", "do_statement"):
            loops.append(Loop(parent, "while" if kind == "while_statement" else "do"))
        elif kind in JAVASCRIPT.functions:
            call = _iteration_call(chain, index) if callbacks else None
            if call is None:
                return loops, parent
            loops.append(Loop(call, "callback"))
            child, index = call, index + 3
            continue
        elif kind in _SCOPE_ENDS:
            return loops, None
        child = parent
        index += 1
    return loops, None


def _literal_array(node: Node | None) -> bool:
    """An array literal without spread elements: a count fixed in the source."""
    if node is None:
        return False
    node = _unwrap(node)
    return node.type == "array" and not any(c.type == "spread_element" for c in node.named_children)


def _fixed_count(loop: Loop, ctx: FileContext) -> bool:
    """Whether a loop runs a number of times fixed in the source: over an array literal, or
    ``for (let i = 0; i < 3; i++)`` with a literal or ``ALL_CAPS`` bound."""
    node = loop.node
    if loop.kind == "callback":
        callee = node.child_by_field_name("function")
        return callee is not None and _literal_array(callee.child_by_field_name("object"))
    if loop.kind in ("for-of", "for-in", "for-await"):
        return _literal_array(node.child_by_field_name("right"))
    if loop.kind != "for":
        return False
    condition = node.child_by_field_name("condition")
    if condition is not None and condition.type == "expression_statement" and condition.named_children:
        condition = condition.named_children[0]
    if condition is None or condition.type != "binary_expression":
        return False
    operator = condition.child_by_field_name("operator")
    if operator is None or operator.type not in ("<", "<=", ">", ">="):
        return False
    sides = [condition.child_by_field_name("left"), condition.child_by_field_name("right")]
    return any(
        side is not None
        and (side.type == "number" or (side.type == "identifier" and is_upper_constant_name(ctx.text(side))))
        for side in sides
    )


def _growing_loops(node: Node, ctx: FileContext, kinds: frozenset[str] | None = None) -> list[Loop]:
    """The per-item loops around ``node`` whose count grows with the data (optionally of some kinds)."""
    loops, _ = per_item_loops(node, ctx)
    return [loop for loop in loops if (kinds is None or loop.kind in kinds) and not _fixed_count(loop, ctx)]


def _inside(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


# --- JS-Q004 unused import -----------------------------------------------------------------------

# Occurrences of a name that do not read the binding: properties and keys, strings, JSX text, labels, and
# fresh bindings in destructuring patterns. Any other node (identifiers, types, JSX tags) is a read.
_NOT_READS = frozenset(
    {
        "property_identifier",
        "private_property_identifier",
        "string_fragment",
        "string",
        "template_string",
        "jsx_text",
        "statement_identifier",
        "shorthand_property_identifier_pattern",
        "regex_pattern",
        "escape_sequence",
        "number",
    }
)
# Names a JSX file uses without writing them: the classic runtime's `React.createElement`, or the
# factory a bundler is configured with (`h` for Preact, `jsx` for Emotion).
_JSX_FACTORIES = frozenset({"React", "h", "jsx", "Fragment"})


@dataclass(frozen=True, slots=True)
class _Binding:
    name: str
    node: Node  # reported
    statement: Node  # occurrences inside it are not reads (for `require`, only ``declared`` is skipped)
    declared: Node


def _import_bindings(statement: Node, ctx: FileContext) -> Iterator[_Binding]:
    """``import a, * as b, { c, d as e } from "m"`` -> a, b, c, e."""
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    for child in clause.named_children if clause is not None else ():
        if child.type == "identifier":
            yield _Binding(ctx.text(child), child, statement, statement)
        elif child.type == "namespace_import" and child.named_children:
            yield _Binding(ctx.text(child.named_children[-1]), child, statement, statement)
        elif child.type == "named_imports":
            for spec in child.named_children:
                local = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                if spec.type == "import_specifier" and local is not None and local.type == "identifier":
                    yield _Binding(ctx.text(local), spec, statement, statement)


def _is_require(value: Node | None, ctx: FileContext) -> bool:
    """``require("m")`` or ``require("m").member``."""
    if value is None:
        return False
    value = _unwrap(value)
    if value.type == "member_expression":
        obj = value.child_by_field_name("object")
        value = _unwrap(obj) if obj is not None else value
    if value.type != "call_expression":
        return False
    function, args = value.child_by_field_name("function"), _arguments(value)
    return function is not None and ctx.text(function) == "require" and len(args) == 1 and args[0].type == "string"


def _require_bindings(statement: Node, ctx: FileContext) -> Iterator[_Binding]:
    """``const a = require("m")`` -> a; ``const { b, c: d } = require("m")`` -> b, d."""
    for declarator in statement.named_children:
        if declarator.type != "variable_declarator" or not _is_require(declarator.child_by_field_name("value"), ctx):
            continue
        name = declarator.child_by_field_name("name")
        if name is None:
            continue
        if name.type == "identifier":
            yield _Binding(ctx.text(name), name, statement, name)
        elif name.type == "object_pattern":
            for child in name.named_children:
                target = child.child_by_field_name("value") if child.type == "pair_pattern" else child
                if target is not None and target.type in ("identifier", "shorthand_property_identifier_pattern"):
                    yield _Binding(ctx.text(target), target, statement, name)


def _has_jsx(ctx: FileContext) -> bool:
    """Whether the file has a JSX element (a cheap byte test first, then one query)."""
    if ctx.language == "typescript" or (b"/>" not in ctx.source and b"</" not in ctx.source):
        return False
    query = compiled_query(ctx.language, "[(jsx_element) (jsx_self_closing_element)] @jsx")
    return bool(tree_sitter.QueryCursor(query, match_limit=1).captures(ctx.tree.root_node))


_FILE_DISABLED = re.compile(rb"/\*\s*eslint-disable(?:\s+[^*]*?\bno-unused-vars\b[^*]*)?\s*\*/")
_LINE_DISABLED = re.compile(rb"eslint-disable-(next-line|line)\b([^\n*]*)")


def _line_disabled(ctx: FileContext, node: Node) -> bool:
    """An ``eslint-disable-line`` on the line or an ``eslint-disable-next-line`` above it, for every rule
    or for ``no-unused-vars`` (also ``@typescript-eslint/no-unused-vars``)."""
    row = node.start_point.row
    for line, wanted in ((ctx.line_bytes(row), b"line"), (ctx.line_bytes(row - 1) if row else b"", b"next-line")):
        for match in _LINE_DISABLED.finditer(line):
            rules = match.group(2).strip()
            if match.group(1) == wanted and (not rules or rules.startswith(b"--") or b"no-unused-vars" in rules):
                return True
    return False


def _is_name_char(byte: int) -> bool:
    return byte >= 0x80 or byte == 0x24 or byte == 0x5F or chr(byte).isalnum()  # non-ASCII, `$`, `_`


def _read_anywhere(binding: _Binding, skipped: list[tuple[int, int]], ctx: FileContext) -> bool:
    """Whether the file reads the bound name outside the import statements and its own declaration.

    Each occurrence of the name (``bytes.find``, in C) is judged by the syntax node at that spot. An
    occurrence inside a ``/** ... */`` comment counts as a read: JSDoc types (``@type {Foo}``) and
    ``{@link Foo}`` reference imports in JavaScript files.
    """
    source, name = ctx.source, binding.name.encode()
    starts = [start for start, _ in skipped]
    root = ctx.tree.root_node
    position = source.find(name)
    while position != -1:
        start, end = position, position + len(name)
        position = source.find(name, end)
        if (start > 0 and _is_name_char(source[start - 1])) or (end < len(source) and _is_name_char(source[end])):
            continue
        index = bisect_right(starts, start) - 1
        if index >= 0 and start < skipped[index][1]:
            continue
        node = root.named_descendant_for_byte_range(start, end)
        if node is not None and (
            node.type in _NOT_READS or (node.type in COMMENTS and not ctx.text(node).startswith("/**"))
        ):
            continue
        return True
    return False


def _check_unused_import(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    program = first(captures, "program")
    if program is None:
        return
    bindings: list[_Binding] = []
    for statement in program.named_children:
        if statement.type == "import_statement":
            bindings.extend(_import_bindings(statement, ctx))
        elif statement.type in ("lexical_declaration", "variable_declaration") and (
            ctx.source.find(b"require", statement.start_byte, statement.end_byte) != -1
        ):
            bindings.extend(_require_bindings(statement, ctx))
    if not bindings or _FILE_DISABLED.search(ctx.source):
        return
    skipped = sorted(
        {(b.statement.start_byte, b.statement.end_byte) for b in bindings if b.statement.type == "import_statement"}
        | {(b.declared.start_byte, b.declared.end_byte) for b in bindings}
    )
    jsx: bool | None = None
    for binding in bindings:
        if _read_anywhere(binding, skipped, ctx) or _line_disabled(ctx, binding.node):
            continue
        if binding.name in _JSX_FACTORIES:
            jsx = _has_jsx(ctx) if jsx is None else jsx
            if jsx:
                continue
        verb = "imported" if binding.statement.type == "import_statement" else "required"
        yield Hit(binding.node, message=f"`{binding.name}` is {verb} but never used.")


UNUSED_IMPORT = Rule(
    id="JS-Q004",
    title="Unused import",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1164,
    languages=LANGS,
    message="Imported name is never used.",
    docs=RuleDocs(
        what="Flags each name bound by a top-level `import` (default, namespace `* as ns`, named and "
        '`import type`) or by a top-level `const x = require("m")` / `const { a, b: c } = require("m")` '
        "that the file never reads. Reads are found in code, TypeScript types (`let u: User`, `implements`, "
        "`typeof`), JSX tags (`<Button />`), decorators, `{ name }` shorthand, `export { name }` and "
        "`export default name`, and in `/** ... */` comments (JSDoc types and `{@link}`). Not reads: "
        "properties (`obj.name`), object keys, strings, JSX text and `//` comments. Not flagged: "
        'side-effect imports (`import "./polyfill"`), re-exports (`export { a } from "m"`), '
        "`React`, `h`, `jsx` and `Fragment` in files with JSX (the JSX factory), TypeScript's "
        "`import x = require(...)`, and imports marked `// eslint-disable-line no-unused-vars` (or the "
        "`-next-line` form, or a file-wide `/* eslint-disable */`). A local that shadows the import "
        "counts as a read: the rule reports only names that are certainly unused.",
        why="An unused import is dead code: the module is still loaded and run (slowing start-up and "
        "growing bundles that cannot tree-shake side effects), and readers are misled about what the "
        "file depends on. It is often left behind when the code that used it was removed.",
        example='import { readFile, writeFile } from "node:fs/promises";\nconst path = require("node:path");\n\n'
        'export async function load(file) {\n  return JSON.parse(await readFile(file, "utf8"));\n}',
        use_instead='import { readFile } from "node:fs/promises";\n\n'
        'export async function load(file) {\n  return JSON.parse(await readFile(file, "utf8"));\n}',
    ),
    query="(program) @program",
    check=_check_unused_import,
    references=(_cwe(1164), _eslint("no-unused-vars"), "https://typescript-eslint.io/rules/no-unused-vars/"),
)


# --- JS-Q005 unreachable code --------------------------------------------------------------------

_TERMINATORS = {
    "return_statement": "return",
    "throw_statement": "throw",
    "break_statement": "break",
    "continue_statement": "continue",
}
# Statements that do nothing when control never reaches them: hoisted function declarations (callable
# from above), TypeScript type declarations, empty statements.
_INERT = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "empty_statement",
        "interface_declaration",
        "type_alias_declaration",
        "ambient_declaration",
        "function_signature",
    }
    | COMMENTS
)


_BLOCKS = frozenset({"statement_block", "switch_case", "switch_default", "program"})


def _inert(statement: Node, terminator: Node) -> bool:
    if statement.type in _INERT:
        return True
    if statement.type == "variable_declaration":  # `var x;` is hoisted and has no effect
        return all(
            d.type != "variable_declarator" or d.child_by_field_name("value") is None for d in statement.named_children
        )
    # `return x; break;` in a switch case: a defensive no-op, not lost logic
    return statement.type == "break_statement" and terminator.type in ("return_statement", "throw_statement")


def _check_unreachable(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    terminator, following = first(captures, "terminator"), first(captures, "next")
    parent = terminator.parent if terminator is not None else None
    if terminator is None or following is None or parent is None or parent.type not in _BLOCKS:
        return  # `if (x) return; else ...`: the `else` is not a statement after the return
    previous = terminator.prev_named_sibling
    while previous is not None and previous.type in COMMENTS:
        previous = previous.prev_named_sibling
    if previous is not None and previous.type in _TERMINATORS:
        return  # this terminator is itself unreachable: reported from the one before it
    statement: Node | None = following
    while statement is not None and _inert(statement, terminator):
        statement = statement.next_named_sibling
    if statement is not None:
        keyword = _TERMINATORS[terminator.type]
        yield Hit(statement, message=f"Unreachable code: this statement follows `{keyword}` and never runs.")


_TERMINATOR_PATTERN = "[(return_statement) (throw_statement) (break_statement) (continue_statement)] @terminator"

UNREACHABLE_CODE = Rule(
    id="JS-Q005",
    title="Unreachable code",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=561,
    languages=LANGS,
    message="Unreachable code after return, throw, break or continue.",
    docs=RuleDocs(
        what="Flags the first statement that follows `return`, `throw`, `break` or `continue` in the same "
        "block, `case` clause or file (one finding per block). This includes a value on the line after a "
        "bare `return`: automatic semicolon insertion ends the statement at the line break, so "
        "`return\\n  a + b;` returns `undefined`. Not flagged: function declarations after the "
        "terminator (they are hoisted and callable from above), `var x;` without a value, TypeScript "
        "`interface` / `type` / `declare` declarations, a `break` right after `return` or `throw` in a "
        "`switch` (a harmless defensive habit), and code after an `if` whose branches all return or after "
        "calls that never return, such as `process.exit()` (the rule does not follow control flow "
        "across blocks).",
        why="Code that can never run is dead weight at best; more often it is a statement meant to run "
        "before the `return`, a leftover early exit from debugging, or a value separated from its "
        "`return` by a line break -- and the logic it was meant to perform silently never happens.",
        example="function total(items) {\n  return items.reduce((sum, item) => sum + item.price, 0);\n"
        '  logger.debug("total computed");\n}\n\nfunction pair(a, b) {\n  return\n    [a, b];\n}',
        use_instead="function total(items) {\n"
        '  logger.debug("computing total");\n  return items.reduce((sum, item) => sum + item.price, 0);\n}\n\n'
        "function pair(a, b) {\n  return [a, b];\n}",
    ),
    # A sibling group without a parent node: `(statement_block (return_statement) . (_))` keeps a partial
    # match open for every block and costs twice as much; the check tests the parent instead.
    query=f"({_TERMINATOR_PATTERN} . (_) @next)",
    check=_check_unreachable,
    references=(_cwe(561), _eslint("no-unreachable")),
)


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
    references=(_eslint("no-dupe-keys"),),
)


# --- JS-Q007 comparison with NaN -----------------------------------------------------------------

_COMPARISONS = frozenset({"==", "===", "!=", "!==", "<", "<=", ">", ">="})


_NAN_WORD = re.compile(rb"(?<![\w$])NaN(?![\w$])")  # not `isNaN`


def _check_nan(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    # Matching every identifier against "NaN" in the combined query would double its cost; the word is
    # rare, so each occurrence in the bytes is looked up in the tree instead.
    if b"NaN" not in ctx.source:
        return
    root = ctx.tree.root_node
    for match in _NAN_WORD.finditer(ctx.source):
        node = root.named_descendant_for_byte_range(match.start(), match.end())
        if node is None:
            continue
        if node.type == "property_identifier":  # `Number.NaN`
            member = node.parent
            obj = member.child_by_field_name("object") if member is not None else None
            if obj is None or member is None or member.type != "member_expression" or ctx.text(obj) != "Number":
                continue
            node = member
        elif node.type != "identifier":
            continue
        yield from _nan_comparison(node, ctx)


def _nan_comparison(nan: Node, ctx: FileContext) -> Iterator[Hit]:
    child, parent = nan, nan.parent
    while parent is not None and parent.type == "parenthesized_expression":
        child, parent = parent, parent.parent
    if parent is None:
        return
    if parent.type == "binary_expression":
        operator = parent.child_by_field_name("operator")
        if operator is not None and operator.type in _COMPARISONS:
            result = "true" if operator.type in ("!=", "!==") else "false"
            yield Hit(
                parent,
                message=f"`{ctx.text(operator)}` with NaN is always {result}: NaN equals nothing, not even itself; "
                "use `Number.isNaN(x)`.",
            )
    elif parent.type == "switch_case" and parent.child_by_field_name("value") == child:
        yield Hit(parent, message="`case NaN:` never matches: `switch` compares with `===`; test `Number.isNaN(x)`.")
    elif parent.type == "arguments" and parent.parent is not None:
        call = parent.parent
        _, method = _method(call, ctx)
        if method in ("indexOf", "lastIndexOf") and _arguments(call)[:1] == [child]:
            yield Hit(call, message=f"`{method}(NaN)` is always -1; use `findIndex(Number.isNaN)` or `includes(NaN)`.")


NAN_COMPARISON = Rule(
    id="JS-Q007",
    title="Comparison with NaN",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=570,
    languages=LANGS,
    message="Comparison with NaN is always false (or always true for `!==`); use `Number.isNaN(x)`.",
    docs=RuleDocs(
        what="Flags `==`, `===`, `!=`, `!==`, `<`, `<=`, `>` and `>=` with `NaN` or `Number.NaN` on either "
        "side, `case NaN:` in a `switch`, and `indexOf(NaN)` / `lastIndexOf(NaN)`. Not flagged: "
        "`Number.isNaN(x)`, `Object.is(x, NaN)` and `includes(NaN)`, which do find NaN.",
        why="NaN is the one value not equal to itself: `x === NaN` is false even when `x` is NaN, and "
        "`x !== NaN` is always true, so the check never does what it says and the invalid number flows on.",
        example='const n = Number(input);\nif (n === NaN) {\n  throw new Error("not a number");\n}',
        use_instead='const n = Number(input);\nif (Number.isNaN(n)) {\n  throw new Error("not a number");\n}',
    ),
    query="(program) @program",
    check=_check_nan,
    references=(_cwe(570), _eslint("use-isnan")),
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
    references=(_eslint("no-async-promise-executor"),),
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
    return len(_arguments(outer)) <= position


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
    references=(_eslint("no-shadow-restricted-names"),),
)


# --- JS-Q010 constant assigned in a condition ----------------------------------------------------

_CONSTANTS = frozenset({"number", "string", "true", "false", "null", "undefined", "regex"})


def _is_literal(node: Node) -> bool:
    node = _unwrap(node)
    if node.type == "template_string":
        return not any(c.type == "template_substitution" for c in node.named_children)
    if node.type == "unary_expression" and node.named_child_count == 1:
        return node.named_children[0].type in _CONSTANTS
    return node.type in _CONSTANTS


def _check_condition_assignment(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    assignment = first(captures, "assignment")
    value = assignment.child_by_field_name("right") if assignment is not None else None
    left = assignment.child_by_field_name("left") if assignment is not None else None
    if assignment is None or value is None or left is None or not _is_literal(value):
        return
    yield Hit(
        assignment,
        message=f"`{ctx.text(assignment)}` assigns a constant in a condition, so the test never varies; "
        f"compare with `===`.",
    )


_ASSIGNMENT = "(assignment_expression) @assignment"

CONDITION_ASSIGNMENT = Rule(
    id="JS-Q010",
    title="Constant assigned in a condition",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=481,
    languages=LANGS,
    message="A constant is assigned in a condition (`=` where `===` was meant): the test never varies.",
    docs=RuleDocs(
        what="Flags an assignment of a literal (a number, string, template without substitutions, `true`, "
        "`false`, `null`, `undefined`) that is itself the condition of an `if`, `while`, `do...while`, "
        "`for` or `? :`. Not flagged: assignments of other values (`while ((match = re.exec(text)))`, "
        "`if ((node = node.parent))`: deliberate idioms), and assignments nested deeper in the condition.",
        why="`if (status = 200)` stores 200 and is always true; `while (done = false)` never runs. The "
        "author meant a comparison, the branch no longer depends on the data, and the variable is "
        "silently overwritten as well.",
        example='if (user.role = "admin") {\n  grantAll(user);\n}',
        use_instead='if (user.role === "admin") {\n  grantAll(user);\n}',
    ),
    query=f"""
(if_statement condition: (parenthesized_expression {_ASSIGNMENT}))
(while_statement condition: (parenthesized_expression {_ASSIGNMENT}))
(do_statement condition: (parenthesized_expression {_ASSIGNMENT}))
(for_statement condition: {_ASSIGNMENT})
(ternary_expression condition: (parenthesized_expression {_ASSIGNMENT}))
""",
    check=_check_condition_assignment,
    references=(_cwe(481), _eslint("no-cond-assign")),
)


# --- JS-Q011 typeof compared with an invalid string ----------------------------------------------

_TYPEOF_RESULTS = frozenset({"undefined", "object", "boolean", "number", "string", "function", "symbol", "bigint"})
# Old Internet Explorer answered "unknown" for ActiveX host objects; legacy libraries still test it.
_TYPEOF_LEGACY = frozenset({"unknown"})


def _check_typeof(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    typeof = first(captures, "typeof")
    comparison = typeof.parent if typeof is not None else None
    while comparison is not None and comparison.type == "parenthesized_expression":
        comparison = comparison.parent
    if typeof is None or comparison is None or comparison.type != "binary_expression":
        return
    operator = comparison.child_by_field_name("operator")
    if operator is None or operator.type not in ("==", "===", "!=", "!=="):
        return
    sides = [comparison.child_by_field_name("left"), comparison.child_by_field_name("right")]
    for side in sides:
        if side is None or side.type not in ("string", "template_string") or not _is_literal(side):
            continue
        value = ctx.text(side)[1:-1]
        if value not in _TYPEOF_RESULTS and value not in _TYPEOF_LEGACY:
            result = "true" if operator.type in ("!=", "!==") else "false"
            yield Hit(
                comparison,
                message=f'`typeof` never returns "{value}": this comparison is always {result}.',
            )


INVALID_TYPEOF = Rule(
    id="JS-Q011",
    title="typeof compared with an impossible string",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=570,
    languages=LANGS,
    message="`typeof` is compared with a string it never returns: the comparison is constant.",
    docs=RuleDocs(
        what='Flags `typeof x === "..."` (also `==`, `!=`, `!==`, either side) where the string is not one '
        'of the results `typeof` can give: "undefined", "object", "boolean", "number", "string", '
        '"function", "symbol", "bigint". Typos (`"undefiend"`, `"fucntion"`) and other languages\' names '
        '(`"array"`, `"null"`, `"integer"`, `"float"`) are caught. Not flagged: comparisons with a '
        'variable, and `"unknown"` (what old Internet Explorer returned for ActiveX objects).',
        why="The comparison is always false (or always true with `!==`), so the guard never works: "
        '`typeof items === "array"` is false for every array, and the branch meant for arrays never runs.',
        example='if (typeof value === "array") {\n  return value.map(normalize);\n}',
        use_instead="if (Array.isArray(value)) {\n  return value.map(normalize);\n}",
    ),
    query='(unary_expression operator: "typeof") @typeof',
    check=_check_typeof,
    references=(_cwe(570), _eslint("valid-typeof")),
)


# --- JS-Q012 catch that logs and drops the error -------------------------------------------------

_LOG_RECEIVER = re.compile(r"(?i)^(this\.)?(console|_*log|_*logger|\w+Logger|\w+_logger)$")
_LOG_METHODS = frozenset({"log", "info", "warn", "warning", "error", "debug", "trace", "fatal"})
_IGNORED_ERROR = re.compile(r"^(_[\w$]*|ignored?[\w$]*|expected[\w$]*)$")


def _is_log_statement(statement: Node, ctx: FileContext) -> bool:
    if statement.type != "expression_statement" or not statement.named_children:
        return False
    call = _unwrap(statement.named_children[0])
    if call.type != "call_expression":
        return False
    receiver, method = _method(call, ctx)
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
    references=(_cwe(778), _cwe(390)),
)


# --- round trips: HTTP requests and database queries (JS-P001, JS-P002) --------------------------

_HTTP_FUNCTIONS = frozenset({"fetch", "axios", "got", "ky", "needle", "superagent", "nodeFetch", "ofetch", "$fetch"})
_HTTP_CLIENTS = frozenset({"axios", "got", "ky", "needle", "superagent", "http", "https", "httpClient", "$http"})
# Short names that are as often a local function (or a minifier's name) as the client: only when imported.
_IMPORTED_CLIENTS = {name: name for name in ("got", "ky", "needle", "superagent", "ofetch")} | {
    "nodeFetch": "node-fetch"
}
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_GLOBALS = frozenset({"window", "globalThis", "self", "global"})
# Receivers by the last word of their name (`db`, `this.pgPool`, `trx`, `userRepository`): `ctx` is not `tx`.
_DB_WORDS = frozenset(
    {"db", "database", "conn", "connection", "pool", "knex", "trx", "tx", "transaction", "sequelize", "pg"}
    | {"mysql", "sqlite", "sql", "cursor"}
)
_QUERY_WORDS = frozenset({"client", "manager", "queryrunner", "datasource", "session"})
_NONE: frozenset[str] = frozenset()
_REPOSITORY_WORDS = frozenset({"repo", "repository"})
_COLLECTION_WORDS = frozenset({"collection", "coll"})
_SQL_METHODS = frozenset({"query", "execute", "raw", "all", "get", "run", "each"})
_MODEL_METHODS = frozenset(  # Sequelize and Mongoose model statics, distinctive enough on a CapWords name
    {"findOne", "findAll", "findByPk", "findById", "findOrCreate", "findAndCountAll", "findByIdAndUpdate"}
    | {"findByIdAndDelete", "findOneAndUpdate", "findOneAndDelete", "findOneAndReplace", "countDocuments"}
    | {"updateOne", "updateMany", "deleteOne", "deleteMany", "insertMany", "bulkCreate"}
)
_PRISMA_METHODS = frozenset(
    {"findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "create", "createMany"}
    | {"update", "updateMany", "upsert", "delete", "deleteMany", "count", "aggregate", "groupBy"}
)
_REPOSITORY_METHODS = frozenset(  # TypeORM / MikroORM repositories and entity managers
    {"find", "findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "findBy", "findAndCount", "save"}
    | {"insert", "update", "upsert", "delete", "remove", "softDelete", "count", "countBy", "exists", "existsBy"}
    | {"increment", "decrement", "preload"}
)
_COLLECTION_METHODS = frozenset(  # the MongoDB driver
    {"find", "findOne", "insertOne", "insertMany", "updateOne", "updateMany", "replaceOne", "deleteOne"}
    | {"deleteMany", "countDocuments", "estimatedDocumentCount", "aggregate", "distinct", "bulkWrite"}
    | {"findOneAndUpdate", "findOneAndDelete", "findOneAndReplace"}
)
_ROUND_TRIP_METHODS = (
    _HTTP_VERBS
    | _SQL_METHODS
    | _MODEL_METHODS
    | _PRISMA_METHODS
    | _REPOSITORY_METHODS
    | _COLLECTION_METHODS
    | {"fetch"}
)
HTTP, DB = "HTTP request", "database query"


def _sql_text(args: list[Node], ctx: FileContext) -> bool:
    """Whether the first argument is a string or template literal of SQL."""
    return bool(args) and args[0].type in ("string", "template_string") and looks_like_sql(ctx.text(args[0]))


def _is_model(node: Node, ctx: FileContext) -> bool:
    """A model class: a ``CapWords`` identifier (``User``, not ``USER`` or ``Promise``)."""
    name = ctx.text(node)
    return node.type == "identifier" and name[:1].isupper() and not is_upper_constant_name(name)


def _last_word(name: str, words: frozenset[str]) -> bool:
    """Whether the name ends with one of ``words`` (``pgPool`` -> pool; ``queryRunner`` -> queryrunner)."""
    parts = name_words(name)
    return bool(parts) and (parts[-1] in words or "".join(parts[-2:]) in words)


def _client_name(name: str, ctx: FileContext) -> bool:
    """``fetch``, ``axios``, ``http``...; ``got`` / ``ky`` / ``needle``... only when imported from that package."""
    package = _IMPORTED_CLIENTS.get(name)
    return package is None or module_bindings(ctx).get(name, ("", None))[0] == package


def round_trip(call: Node, ctx: FileContext) -> str | None:
    """``HTTP`` or ``DB`` when the call is an HTTP request or a database query, else None."""
    receiver, method = _method(call, ctx)
    if receiver is None:
        return HTTP if method in _HTTP_FUNCTIONS and _client_name(method, ctx) else None
    last = _last_name(receiver, ctx)
    if method == "fetch":
        return HTTP if ctx.text(receiver) in _GLOBALS else None
    if method in _HTTP_VERBS and last in _HTTP_CLIENTS and _client_name(last, ctx):
        return HTTP
    if method in ("query", "execute") and _last_word(last, _DB_WORDS | (_QUERY_WORDS if method == "query" else _NONE)):
        return DB
    if method in _SQL_METHODS and _sql_text(_arguments(call), ctx):
        return DB
    if method in _MODEL_METHODS and _is_model(receiver, ctx):
        return DB
    if method in _PRISMA_METHODS and receiver.type == "member_expression":
        client = _last_name(receiver.child_by_field_name("object"), ctx)
        if name_words(client)[:1] == ["prisma"] or client in ("db", "tx", "trx"):
            return DB
    if method in _REPOSITORY_METHODS and (
        _last_word(last, _REPOSITORY_WORDS) or last in ("getRepository", "getCustomRepository")
    ):
        return DB
    if method in _COLLECTION_METHODS and _last_word(last, _COLLECTION_WORDS):
        return DB
    return None


def _names(*items: Iterable[str]) -> str:
    return " ".join(f'"{name}"' for name in sorted(set().union(*items)))


_ROUND_TRIP_QUERY = f"""
(call_expression
  function: (identifier) @method
  (#any-of? @method {_names(_HTTP_FUNCTIONS)})) @call
(call_expression
  function: (member_expression property: (property_identifier) @method)
  (#any-of? @method {_names(_ROUND_TRIP_METHODS)})) @call
"""


# --- JS-P001 sequential await in a loop ----------------------------------------------------------

_SEQUENTIAL_KINDS = frozenset({"for", "for-of", "for-in"})
# The loop stops early (a search, a retry) or paces itself (rate limiting, polling): one at a time is the point.
_EARLY_EXIT = re.compile(r"(?<![\w$.])(return|break)(?![\w$])")
_PACING = re.compile(
    r"(?i)(?<![\w$])(?!await\b)[\w$]*(sleep|delay|wait|timeout|throttle|backoff|pause|setImmediate|nextTick)"
    r"[\w$]*\s*[(<]"
)
# Operations whose order is the point: writing a stream, waiting for an event, taking a lock.
_ORDERED_METHODS = frozenset({"write", "end", "once", "acquire", "lock", "drain", "flush"})


def _identifiers(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"):
            yield current
        elif current.type not in JAVASCRIPT.functions:
            stack.extend(current.named_children)


def _loop_variables(loop: Node, ctx: FileContext) -> set[str]:
    """The names a loop binds per iteration: ``x`` in ``for (const x of xs)``, ``i`` in ``for (let i = 0;...)``."""
    declared = loop.child_by_field_name("left") or loop.child_by_field_name("initializer")
    if declared is None:
        return set()
    if declared.type in ("lexical_declaration", "variable_declaration"):
        names = [d.child_by_field_name("name") for d in declared.named_children if d.type == "variable_declarator"]
        return {ctx.text(i) for name in names if name is not None for i in _identifiers(name)}
    return {ctx.text(i) for i in _identifiers(declared)}


def _assigned_in(body: str, name: str) -> bool:
    """Whether the loop body assigns ``name`` (``name = ...``, ``name += ...``, ``name++``)."""
    word = re.escape(name)
    return bool(
        re.search(rf"(?<![\w$.]){word}\s*([-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?!=)", body)
        or re.search(rf"(?<![\w$.]){word}\s*(\+\+|--)|(\+\+|--)\s*{word}(?![\w$])", body)
    )


def _rooted_in(callee: Node, variables: set[str], ctx: FileContext) -> bool:
    """Whether a callee is reached from a loop variable: ``task``, ``step.run``, ``steps[i]``."""
    node = _unwrap(callee)
    while True:
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is not None and ctx.text(index) in variables:
                return True
        inner = node.child_by_field_name("object") or node.child_by_field_name("function")
        if node.type not in ("member_expression", "subscript_expression", "call_expression") or inner is None:
            return node.type == "identifier" and ctx.text(node) in variables
        node = _unwrap(inner)


def _sequential_on_purpose(loop: Node, body: Node, awaited: Node, ctx: FileContext) -> bool:
    """Whether the iterations must run one after another, or already run concurrently."""
    body_text = ctx.text(body)
    if _EARLY_EXIT.search(body_text) or _PACING.search(body_text):
        return True
    variables = _loop_variables(loop, ctx)
    if awaited.type == "identifier" and ctx.text(awaited) in variables:
        return True  # `for (const p of promises) await p`: the work is already running
    if awaited.type in ("call_expression", "new_expression"):
        callee = awaited.child_by_field_name("function") or awaited.child_by_field_name("constructor")
        if callee is not None and _rooted_in(callee, variables, ctx):
            return True  # `await task()`, `await step.run()`, `await steps[i]()`: the items are steps, run in order
        if _method(awaited, ctx)[1] in _ORDERED_METHODS:
            return True
    # an iteration needs what the previous one assigned: `cursor = page.next` then `fetchPage(cursor)`
    read = {ctx.text(i) for i in _identifiers(awaited)} - variables
    return any(_assigned_in(body_text, name) for name in read)


# Where an awaited value ends up on its way to the statement: `(await f(x)).data`, `{ a: await f(x) }`.
_PASS_THROUGH = frozenset({"member_expression", "pair", "object", "array", "spread_element", "arguments"})
_COLLECTORS = frozenset({"push", "unshift", "set", "add"})


def _stored(name: str, body: Node, ctx: FileContext) -> bool:
    """Whether the loop body stores ``name`` per item: ``out.push(name)``, ``map.set(k, name)``,
    ``out[i] = name``, ``item.size = name.size`` (not counting nested functions)."""
    stack = [body]
    while stack:
        node = stack.pop()
        value: Node | None = None
        if node.type == "call_expression" and _method(node, ctx)[1] in _COLLECTORS:
            value = node.child_by_field_name("arguments")
        elif node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type in ("member_expression", "subscript_expression"):
                value = node.child_by_field_name("right")
        if value is not None and any(ctx.text(i) == name for i in _identifiers(value)):
            return True
        if node.type not in JAVASCRIPT.functions:
            stack.extend(node.named_children)
    return False


def _collected(chain: list[Node], body: Node, ctx: FileContext) -> bool:
    """Whether the awaited value is kept per item -- pushed to an array, set in a map, stored in an element or
    a field -- rather than awaited for its side effects, whose order may matter."""
    child = chain[0] if chain else None
    for parent in chain[1:]:
        kind = parent.type
        if kind == "call_expression" and child is not None and child.type == "arguments":
            return _method(parent, ctx)[1] in _COLLECTORS
        if kind == "assignment_expression":
            left = parent.child_by_field_name("left")
            return left is not None and left.type in ("member_expression", "subscript_expression")
        if kind == "variable_declarator":
            name = parent.child_by_field_name("name")
            return name is not None and name.type == "identifier" and _stored(ctx.text(name), body, ctx)
        if kind not in _PASS_THROUGH and kind not in JAVASCRIPT.wrappers:
            return False
        child = parent
    return False


def _check_await_in_loop(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    awaiting = first(captures, "await")
    if awaiting is None or _is_test_path(ctx.path) or not awaiting.named_children:
        return
    chain = ancestors(awaiting, ctx)
    loops, function = per_item_loops(awaiting, ctx, callbacks=False, chain=chain)
    if not loops or loops[0].kind not in _SEQUENTIAL_KINDS or _is_generator(function):
        return
    loop = loops[0]
    body = loop.node.child_by_field_name("body")
    if body is None or not _inside(awaiting, body) or _fixed_count(loop, ctx):
        return
    reported: set[int] = ctx.state.setdefault(rule.id, set())
    if loop.node.start_byte in reported:
        return
    awaited = _unwrap(awaiting.named_children[0])
    if awaited.type == "call_expression" and round_trip(awaited, ctx) is not None:
        return  # JS-P002 reports the request or query itself
    if not _collected([awaiting, *chain], body, ctx) or _sequential_on_purpose(loop.node, body, awaited, ctx):
        return
    reported.add(loop.node.start_byte)
    yield Hit(
        awaiting,
        message="`await` in a loop body: each iteration waits for the previous one to finish; start the "
        "independent operations together and `await Promise.all(...)`.",
    )


AWAIT_IN_LOOP = Rule(
    id="JS-P001",
    title="Sequential await inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="`await` in a loop body runs the iterations one after another; run independent ones concurrently.",
    docs=RuleDocs(
        what="Flags the first `await` in the body of a `for`, `for...of` or `for...in` loop (one finding "
        "per loop) whose result is collected per item -- pushed or added to a collection "
        "(`results.push(await f(x))`, `map.set(k, v)` of an awaited `v`), stored in an element or a field "
        "(`out[i] = await f(x)`, `item.size = (await stat(p)).size`) -- when nothing suggests the iterations "
        "depend on each other: that is the shape `Promise.all(items.map(...))` replaces. Not flagged: awaits "
        "run for their side effects (`await fs.rm(p)`, `await this.publish(pkg)`: their order may matter), "
        "`for await` loops, `while` / `do` loops (polling, pagination and retries are sequential by nature), "
        "loops over an array literal or with a literal / `ALL_CAPS` bound (`i < MAX_RETRIES`), loops whose "
        "body can `return` or `break` (a search or a retry), loops that pace themselves (`await sleep(...)`, "
        "`delay`, `setTimeout`), awaits that read what an earlier iteration assigned (`fetchPage(cursor)` "
        "with `cursor = page.next`), awaits of the loop variable (`for (const p of promises) await p`: "
        "already running) or of a call reached from it (`await task()`, `await migration.up()`, "
        "`await steps[i]()`: the items are steps to run in order), stream writes and locks (`write`, `end`, "
        "`once`, `acquire`), awaits in async generators (which stream results one by one), awaits in "
        "callbacks (`items.map(async ...)` already runs them concurrently), test files, and requests or "
        "queries, which JS-P002 reports.",
        why="Each iteration starts only after the previous one has finished, so the loop takes the sum of "
        "all the latencies instead of the longest one: 100 independent 50 ms calls take 5 s instead of "
        "about 50 ms.",
        example="async function thumbnails(paths) {\n  const images = [];\n  for (const path of paths) {\n"
        "    images.push(await resize(path, 128));\n  }\n  return images;\n}",
        use_instead="async function thumbnails(paths) {\n"
        "  return Promise.all(paths.map((path) => resize(path, 128)));\n}\n"
        "// for thousands of items, bound the concurrency (p-limit, p-map)",
    ),
    query="(await_expression) @await",
    check=_check_await_in_loop,
    references=(_cwe(1050), _eslint("no-await-in-loop")),
)


# --- JS-P002 N+1: a request or query per loop iteration ------------------------------------------

_PER_ITEM_KINDS = frozenset({"for", "for-of", "for-in", "for-await", "callback"})


def _check_n_plus_one(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    what = round_trip(call, ctx) if call is not None else None
    if call is None or what is None or not _growing_loops(call, ctx, _PER_ITEM_KINDS):
        return
    if what == HTTP:
        message = "HTTP request inside a loop: one round trip per item; use a batch endpoint or cache the answers."
    else:
        message = "Database query inside a loop: one round trip per item (N+1); fetch them in one query."
    yield Hit(call, message=message)


N_PLUS_ONE = Rule(
    id="JS-P002",
    title="Database query or HTTP request inside a loop (N+1)",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="Query or request inside a loop: one round trip per item (N+1).",
    docs=RuleDocs(
        what="Flags, in the body of a `for`, `for...of`, `for...in` or `for await` loop or in the callback "
        "of `forEach` / `map` / `filter` / `reduce` / `some` / `every` / `flatMap` / `find`: `fetch(...)` "
        "(also `window.fetch`), `axios` / `got` / `ky` / `superagent` / `needle` calls and their verbs, "
        "Node's `http(s).get/request` and Angular's `this.http.get(...)`; `.query(...)` / `.execute(...)` "
        "on a receiver named like a connection, pool, transaction or client (`db`, `pgPool`, `trx`, "
        "`dataSource`, `queryRunner`); `query` / `execute` / `all` / `get` / `run` given SQL text; "
        "Sequelize and Mongoose model statics on a `CapWords` name (`User.findOne`, `Order.findByPk`, "
        "`Post.countDocuments`); Prisma (`prisma.user.findUnique`); TypeORM repositories (`userRepository."
        "findOneBy`, `getRepository(User).find`); and MongoDB collections (`users.findOne`, "
        '`db.collection("users").updateOne`). `Promise.all(ids.map(id => db.query(...)))` is flagged too: '
        "concurrent, but still one round trip per item. Not flagged: calls in the loop's iterable (run "
        "once), in `while` / `do` loops (pagination, polling, retries), in loops over an array literal or "
        "with a literal / `ALL_CAPS` bound, and in other nested functions (event handlers, `.then` "
        "callbacks), which do not run once per iteration.",
        why="Each iteration pays a full network round trip and the cost grows with the data: a page "
        "listing 500 orders makes 501 queries, and a batch of requests hits rate limits. The database or "
        "API could usually answer all of them in one request.",
        example="for (const order of orders) {\n  order.customer = await Customer.findByPk(order.customerId);\n}",
        use_instead="const customers = await Customer.findAll({\n"
        "  where: { id: orders.map((order) => order.customerId) },\n});\n"
        "const byId = new Map(customers.map((c) => [c.id, c]));\n"
        "for (const order of orders) {\n  order.customer = byId.get(order.customerId);\n}",
    ),
    query=_ROUND_TRIP_QUERY,
    check=_check_n_plus_one,
    references=(
        _cwe(1050),
        "https://sequelize.org/docs/v6/core-concepts/assocs/#fetching-associations---eager-loading-vs-lazy-loading",
    ),
)


# --- JS-P003 new RegExp of a constant pattern in a loop ------------------------------------------

# With the `g` or `y` flag a RegExp keeps `lastIndex` between `test` / `exec` calls, so hoisting it changes
# behaviour; these methods reset or ignore `lastIndex`, so hoisting is safe for them.
_STATELESS_USES = frozenset({"replace", "replaceAll", "match", "matchAll", "split", "search"})


def _check_regex_in_loop(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    args = _arguments(call)
    if not args or len(args) > 2 or any(a.type == "spread_element" for a in args) or not _growing_loops(call, ctx):
        return
    if not all(is_constant(JAVASCRIPT, a, ctx) for a in args):
        return
    flags = string_parts(JAVASCRIPT, args[1], ctx) if len(args) == 2 else [""]
    if any(p is None or "g" in p or "y" in p for p in flags):
        holder = call.parent
        consumer = holder.parent if holder is not None and holder.type == "arguments" else None
        if consumer is None or consumer.type != "call_expression" or _method(consumer, ctx)[1] not in _STATELESS_USES:
            return
    yield Hit(call)


REGEX_IN_LOOP = Rule(
    id="JS-P003",
    title="new RegExp of a constant pattern inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=LANGS,
    message="`new RegExp` of a constant pattern inside a loop builds the same regex on every iteration; "
    "create it once, outside the loop.",
    docs=RuleDocs(
        what="Flags `new RegExp(pattern, flags)` and `RegExp(pattern, flags)` in a loop body (also a "
        "`while` condition and array-iteration callbacks) when the pattern and flags are constants: "
        "literals, `ALL_CAPS` names, or local names bound only to constants. Not flagged: patterns built "
        "from the loop's data (each iteration needs its own regex), regex literals (`/ab+c/`, compiled "
        "once with the script), loops over an array literal or with a literal bound, and regexes with the "
        "`g` or `y` flag unless passed straight to `replace`, `replaceAll`, `match`, `matchAll`, `split` or "
        "`search`: a global regex used with `test` / `exec` carries `lastIndex` from one call to the next, "
        "so a hoisted one would behave differently.",
        why="Each call parses the pattern, looks up or compiles the matcher and allocates a new object, "
        "only to throw it away at the end of the iteration. Measured on Node 20, building the regex in "
        "the loop made a simple `test` loop about four times slower than reusing one.",
        example='for (const line of lines) {\n  if (new RegExp("^ERROR (\\\\d+)").test(line)) {\n'
        "    errors.push(line);\n  }\n}",
        use_instead="const ERROR_LINE = /^ERROR (\\d+)/;\n\nfor (const line of lines) {\n"
        "  if (ERROR_LINE.test(line)) {\n    errors.push(line);\n  }\n}",
    ),
    query="""
(new_expression constructor: (identifier) @constructor (#eq? @constructor "RegExp")) @call
(call_expression function: (identifier) @constructor (#eq? @constructor "RegExp")) @call
""",
    check=_check_regex_in_loop,
    references=(
        _cwe(1176),
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/RegExp/lastIndex",
    ),
)


# --- arrays (JS-P004, JS-P005) -------------------------------------------------------------------

# Methods that return a new array whose length depends on the data.
_ARRAY_BUILDERS = frozenset({"map", "filter", "flatMap", "flat", "split", "toSorted", "toReversed"})
_OBJECT_LISTS = frozenset({"keys", "values", "entries", "getOwnPropertyNames"})
# Only arrays have these, so a receiver they are called on is an array whatever built it.
_ARRAY_ONLY = frozenset({"slice", "concat", "sort", "reverse", "splice"}) | _ARRAY_BUILDERS


def _array_value(value: Node | None, ctx: FileContext, sized: bool) -> bool:
    """Whether the value is certainly an array. With ``sized``, one whose length comes from the data:
    ``[]`` (which the code grows), ``[...xs]``, ``Array.from``, ``Object.keys``, ``xs.map(...)``; not a
    literal list of items, which is short and fixed."""
    if value is None:
        return False
    value = _unwrap(value)
    if value.type == "array":
        return not sized or not value.named_children or any(c.type == "spread_element" for c in value.named_children)
    if value.type == "new_expression":
        constructor = value.child_by_field_name("constructor")
        return constructor is not None and ctx.text(constructor) == "Array"
    if value.type != "call_expression":
        return False
    receiver, method = _method(value, ctx)
    if receiver is None:
        return False
    owner = ctx.text(receiver)
    if owner == "Array":
        return method == "from" or (method == "of" and not sized)
    if owner == "Object":
        return method in _OBJECT_LISTS
    return method in (_ARRAY_BUILDERS if sized else _ARRAY_ONLY)


def _bound_array(identifier: Node, ctx: FileContext, sized: bool) -> list[Node] | None:
    """The values bound to ``identifier`` in its scope when every one is an array, else None."""
    values = local_values(JAVASCRIPT, identifier, ctx)
    if not values or any(v is None or not _array_value(v, ctx, sized) for v in values):
        return None
    return [v for v in values if v is not None]


def _rebuilt_per_item(values: list[Node], loops: list[Loop]) -> bool:
    """Whether the array is built inside the innermost loop, i.e. afresh for every item."""
    return bool(loops) and any(_inside(v, loops[0].node) for v in values)


# --- JS-P004 membership test on an array inside a loop -------------------------------------------


def _membership(call: Node, method: str, ctx: FileContext) -> Node | None:
    """The membership test a call is part of: ``xs.includes(x)``, ``xs.indexOf(x) !== -1``, ``~xs.indexOf(x)``."""
    if method == "includes":
        return call
    parent = call.parent
    if parent is None:
        return None
    if parent.type == "unary_expression" and ctx.text(parent).startswith("~"):
        return parent
    if parent.type != "binary_expression":
        return None
    operator, left, right = (parent.child_by_field_name(f) for f in ("operator", "left", "right"))
    other = right if left == call else left
    if operator is None or other is None or ctx.text(other).replace(" ", "") not in ("-1", "0"):
        return None
    return parent if operator.type in _COMPARISONS else None


def _check_array_membership(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call, array, method_node = first(captures, "call"), first(captures, "array"), first(captures, "method")
    if call is None or array is None or method_node is None or len(_arguments(call)) != 1:
        return
    test = _membership(call, ctx.text(method_node), ctx)
    loops, _ = per_item_loops(call, ctx) if test is not None else ([], None)
    if test is None or all(_fixed_count(loop, ctx) for loop in loops):
        return
    values = _bound_array(array, ctx, sized=True)
    if values is not None and not _rebuilt_per_item(values, loops):
        name = ctx.text(array)
        yield Hit(
            test, message=f"`{ctx.text(test)}` scans `{name}` on every iteration; keep a `Set` and test `.has()`."
        )


ARRAY_MEMBERSHIP = Rule(
    id="JS-P004",
    title="Membership test on an array inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1176,
    languages=LANGS,
    message="`includes` / `indexOf` on an array scans it on every iteration; test a `Set` instead.",
    docs=RuleDocs(
        what="Flags `xs.includes(x)`, and `xs.indexOf(x)` compared with `-1` or `0` (or under `~`), in a "
        "loop body or an array-iteration callback (`a.filter(x => !b.includes(x))`) when every binding of "
        "`xs` in scope is an array whose length depends on the data: `[]` that the code grows, `[...xs]`, "
        "`Array.from(...)`, `Object.keys/values/entries(...)`, or the result of `map` / `filter` / `flatMap` "
        '/ `flat` / `split`. Not flagged: literal lists of items (`["a", "b"].includes(x)`: short and '
        "fixed), parameters, properties and other names of unknown type (`includes` is also a string "
        "method), arrays rebuilt inside the same loop (a Set would cost as much to build), `indexOf` used "
        "for a position, and tests outside loops.",
        why="`includes` compares element by element, so n tests against an m-item array cost O(n·m): "
        "de-duplicating 10,000 items with `seen.includes` does 50 million comparisons. A `Set` answers "
        "each test in constant time.",
        example="const seen = [];\nfor (const item of items) {\n  if (!seen.includes(item.key)) {\n"
        "    seen.push(item.key);\n  }\n}\n\nconst removed = before.filter((id) => !after.includes(id));",
        use_instead="const seen = new Set();\nfor (const item of items) {\n  if (!seen.has(item.key)) {\n"
        "    seen.add(item.key);\n  }\n}\n\nconst kept = new Set(after);\n"
        "const removed = before.filter((id) => !kept.has(id));",
    ),
    query="""
(call_expression
  function: (member_expression object: (identifier) @array property: (property_identifier) @method)
  (#any-of? @method "includes" "indexOf")) @call
""",
    check=_check_array_membership,
    references=(
        _cwe(1176),
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Set#performance",
    ),
)


# --- JS-P005 shift / unshift inside a loop -------------------------------------------------------


_COLLECTION_LOOPS = frozenset({"for", "for-of", "for-in", "for-await", "callback"})


def _over_collection(loop: Loop, ctx: FileContext) -> bool:
    """A loop over the items of a collection: ``for...of``, a callback, or a counting ``for (...; i < n; ...)``."""
    if loop.kind != "for":
        return loop.kind in _COLLECTION_LOOPS
    condition = loop.node.child_by_field_name("condition")
    operator = condition.child_by_field_name("operator") if condition is not None else None
    return operator is not None and operator.type in ("<", "<=", ">", ">=")


def _grown_in(loop: Node, name: str, ctx: FileContext) -> bool:
    """Whether the loop adds to the array: a work queue (``queue.push(...node.children)``)."""
    return bool(re.search(rf"(?<![\w$.]){re.escape(name)}\s*\.\s*(push|unshift)\s*\(", ctx.text(loop)))


def _check_shift(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call, array, method_node = first(captures, "call"), first(captures, "array"), first(captures, "method")
    if call is None or array is None or method_node is None:
        return
    loops, _ = per_item_loops(call, ctx)
    values = _bound_array(array, ctx, sized=False) if loops else None
    if values is None or _rebuilt_per_item(values, loops) or all("argv" in ctx.text(v) for v in values):
        return  # not an array we know, made afresh per item, or a copy of the command-line arguments
    name, method = ctx.text(array), ctx.text(method_node)
    if method == "shift":
        # a queue fed inside the loop is as long as the data; draining a split path or a copy of
        # the arguments touches a handful of items
        if _fixed_count(loops[0], ctx) or not _grown_in(loops[0].node, name, ctx):
            return
        message = (
            f"`{name}.shift()` on a queue that the loop keeps feeding moves every remaining element on each "
            "call (O(n) on large arrays); read with a moving index instead."
        )
    else:
        # one `unshift` per item of a collection; `while` loops and pointer-chasing `for` loops here
        # walk up parents or digits
        if not any(_over_collection(loop, ctx) and not _fixed_count(loop, ctx) for loop in loops):
            return
        body = loops[0].node.child_by_field_name("body") if loops[0].kind != "callback" else loops[0].node
        if body is not None and _EARLY_EXIT.search(ctx.text(body)):
            return  # the loop stops after inserting: a search, not one insertion per item
        message = f"`{name}.unshift(...)` for every item moves all earlier items each time; `push` and reverse once."
    yield Hit(call, message=message)


ARRAY_SHIFT = Rule(
    id="JS-P005",
    title="Array shift() or unshift() inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1176,
    languages=LANGS,
    message="`shift()` / `unshift()` inside a loop moves every element on each call: quadratic on large arrays.",
    docs=RuleDocs(
        what="Flags `queue.shift()` in a loop (body, `while` condition or array-iteration callback) that "
        "also feeds the same array with `push` / `unshift` -- a work queue, as long as the data it walks -- "
        "and `xs.unshift(...)` once per item of a collection (`for...of`, a callback, a counting `for`), when "
        "every binding of the name in scope is an array (a literal, `Array.from`, `Object.keys(...)`, "
        "`[...xs]`, or the result of `map`, `filter`, `slice`, `concat`, `split`...) made outside that loop. "
        "Not flagged: draining an array nobody adds to (a split path, a copy of the arguments: a handful of "
        "items), `unshift` in `while` loops and pointer-chasing `for` loops (walking up parents, emitting "
        "digits) or in loops that stop after inserting, names of unknown type (parameters, properties, "
        "queue classes whose `shift` is O(1)), arrays made afresh inside the loop, copies of `process.argv`, "
        "loops over an array literal or with a literal bound, and calls outside loops.",
        why="Arrays are stored contiguously: removing or inserting at the front moves every other element. "
        "Engines hide this for small arrays, but measured on Node 20, draining a 100,000-item queue with "
        "`shift` took 350 ms and 200,000 items 1.4 s (quadratic), against a few milliseconds with an index.",
        example="const queue = [root];\nwhile (queue.length > 0) {\n  const node = queue.shift();\n"
        "  queue.push(...node.children);\n}",
        use_instead="const queue = [root];\nfor (let head = 0; head < queue.length; head++) {\n"
        "  const node = queue[head];\n  queue.push(...node.children);\n}",
    ),
    query="""
(call_expression
  function: (member_expression object: (identifier) @array property: (property_identifier) @method)
  (#any-of? @method "shift" "unshift")) @call
""",
    check=_check_shift,
    references=(
        _cwe(1176),
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Array/shift",
    ),
)


# --- JS-P006 blocking *Sync call inside an async function ----------------------------------------

_SYNC_MODULES = frozenset({"fs", "fs-extra", "graceful-fs", "original-fs", "child_process", "zlib", "crypto"})
# Conventional names of those modules, trusted when the file does not bind the name to something else.
_SYNC_MODULE_NAMES = frozenset({"fs", "fse", "fsExtra", "cp", "childProcess", "child_process", "zlib", "crypto"})


def _sync_function(call: Node, ctx: FileContext) -> tuple[str, str] | None:
    """``(module, function)`` when a ``*Sync`` call is one of those modules' functions."""
    receiver, method = _method(call, ctx)
    bindings = module_bindings(ctx)
    module: str | None = None
    if receiver is None:  # `readFileSync(...)` imported by name, perhaps renamed
        module, member = bindings.get(method, ("", None))
        method = member or ""
    elif receiver.type == "identifier":
        name = ctx.text(receiver)
        module, member = bindings.get(name, (name if name in _SYNC_MODULE_NAMES else "", None))
        module = module if member is None else None
    elif receiver.type == "call_expression" and _is_require(receiver, ctx):
        module = literal_text(JAVASCRIPT, _arguments(receiver)[0], ctx)
    module = (module or "").removeprefix("node:")
    if module == "child_process" or module in ("cp", "childProcess"):
        module = "child_process"
    elif module in ("fse", "fsExtra"):
        module = "fs-extra"
    if module not in _SYNC_MODULES or not method.endswith("Sync"):
        return None
    return module, method


def _check_sync_in_async(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or not _is_async(enclosing_function(JAVASCRIPT, call, ctx)):
        return
    found = _sync_function(call, ctx)
    if found is None:
        return
    module, name = found
    base = name.removesuffix("Sync")
    if module in ("fs", "fs-extra", "graceful-fs", "original-fs"):
        advice = f"use `await {base}(...)` from `fs/promises`"
    else:
        advice = f"use the asynchronous `{module}.{base}` (promisified, or through its events) with `await`"
    yield Hit(call, message=f"`{name}` blocks the event loop inside an `async` function; {advice}.")


SYNC_IN_ASYNC = Rule(
    id="JS-P006",
    title="Blocking *Sync call inside an async function",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="A synchronous `*Sync` call inside an `async` function blocks the event loop.",
    docs=RuleDocs(
        what="Flags the `*Sync` functions of `fs` (also `fs-extra` and `graceful-fs`), `child_process` "
        "(`execSync`, `execFileSync`, `spawnSync`), `zlib` (`gzipSync`, `inflateSync`...) and `crypto` "
        "(`pbkdf2Sync`, `scryptSync`, `generateKeyPairSync`...) when called directly in an `async` "
        "function, method or arrow function. The module is recognised when the receiver is bound by "
        '`require(...)` / `import` (also `require("fs").readFileSync`, a destructured `readFileSync`, '
        "`node:` prefixes) or carries the module's conventional name (`fs`, `cp`, `zlib`, `crypto`) and is "
        "bound to nothing else. Not flagged: synchronous functions (start-up code, CLI scripts), "
        "non-async callbacks inside an async function, top-level code, and `*Sync` methods of other "
        "objects.",
        why="Node runs all JavaScript on one thread. A `*Sync` call holds it for the whole disk read, child "
        "process or key derivation, so every other request, timer and socket waits: in a server one slow "
        "`readFileSync` or `execSync` stalls every client. An `async` function already has the promise "
        "API at hand.",
        example='app.get("/report", async (req, res) => {\n'
        '  const template = fs.readFileSync("report.html", "utf8");\n'
        '  const gitRev = execSync("git rev-parse HEAD").toString();\n  res.send(render(template, gitRev));\n});',
        use_instead='const { readFile } = require("node:fs/promises");\n'
        'const execFile = util.promisify(require("node:child_process").execFile);\n\n'
        'app.get("/report", async (req, res) => {\n  const template = await readFile("report.html", "utf8");\n'
        '  const { stdout: gitRev } = await execFile("git", ["rev-parse", "HEAD"]);\n'
        "  res.send(render(template, gitRev));\n});",
    ),
    query="""
(call_expression
  function: [(identifier) @method (member_expression property: (property_identifier) @method)]
  (#match? @method "Sync$")) @call
""",
    check=_check_sync_in_async,
    references=("https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop",),
)


# --- JS-P007 request body buffered without a limit -----------------------------------------------

_REQUESTS = ("req", "request", "ctx.req", "this.req")
# Anything that looks like a size check or a way out: the rule only reports handlers with none of them.
_LIMITED = re.compile(r"(?i)length|size|limit|max|destroy|abort|413|pause")
_ACCUMULATES = re.compile(r"\+=|\.push\s*\(|\.concat\s*\(|\.write\s*\(")


def _check_unbounded_body(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    finding, handler = first(captures, "finding"), first(captures, "handler")
    if finding is None or handler is None or not _ACCUMULATES.search(ctx.text(handler)):
        return
    scope = enclosing_function(JAVASCRIPT, finding, ctx)
    if _LIMITED.search(ctx.text(scope if scope is not None else handler)):
        return
    yield Hit(finding)


UNBOUNDED_BODY = Rule(
    id="JS-P007",
    title="Request body buffered without a size limit",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=770,
    languages=LANGS,
    message="The request body is accumulated in memory with no size limit; a large or endless body exhausts memory.",
    docs=RuleDocs(
        what='Flags `req.on("data", ...)` handlers (also `request`, `ctx.req`) that append each chunk '
        "(`body += chunk`, `chunks.push(chunk)`), and `for await (const chunk of req)` loops that do the "
        "same, when the enclosing function has no sign of a limit: no `length` / `size` / `limit` / `max` "
        "check, no `destroy` / `abort` / `pause`, no 413 answer. Not flagged: body parsers such as "
        "`express.json()` (limited to 100 kB by default), handlers that stream the chunks elsewhere without "
        "keeping them, and reads of other streams (files, HTTP client responses).",
        why="Whoever sends the request decides how big the body is. Without a cap a client can send "
        "gigabytes, or trickle a body that never ends, and the server keeps every byte in memory until it "
        "runs out (denial of service).",
        example='const server = http.createServer((req, res) => {\n  let body = "";\n'
        '  req.on("data", (chunk) => {\n    body += chunk;\n  });\n'
        '  req.on("end", () => handle(JSON.parse(body), res));\n});',
        use_instead="const MAX_BODY = 1 << 20;\n\nconst server = http.createServer((req, res) => {\n"
        '  let body = "";\n  req.on("data", (chunk) => {\n    body += chunk;\n'
        "    if (body.length > MAX_BODY) {\n      res.writeHead(413).end();\n      req.destroy();\n    }\n"
        '  });\n  req.on("end", () => handle(JSON.parse(body), res));\n});',
    ),
    query=f"""
(call_expression
  function: (member_expression object: (_) @request property: (property_identifier) @on)
  arguments: (arguments
    . (string (string_fragment) @event)
    . [(arrow_function) (function_expression)] @handler .)
  (#any-of? @request {_names(_REQUESTS)})
  (#any-of? @on "on" "addListener")
  (#eq? @event "data")) @finding
(for_in_statement
  "await"
  right: (_) @request
  body: (_) @handler
  (#any-of? @request {_names(_REQUESTS)})) @finding
""",
    check=_check_unbounded_body,
    references=(_cwe(770), "https://nodejs.org/en/learn/modules/anatomy-of-an-http-transaction#request-body"),
)


RULES: tuple[Rule, ...] = (
    UNUSED_IMPORT,
    UNREACHABLE_CODE,
    DUPLICATE_KEY,
    NAN_COMPARISON,
    ASYNC_EXECUTOR,
    SHADOWED_RESTRICTED,
    CONDITION_ASSIGNMENT,
    INVALID_TYPEOF,
    LOG_AND_DROP,
    AWAIT_IN_LOOP,
    N_PLUS_ONE,
    REGEX_IN_LOOP,
    ARRAY_MEMBERSHIP,
    ARRAY_SHIFT,
    SYNC_IN_ASYNC,
    UNBOUNDED_BODY,
)
