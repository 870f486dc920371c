"""JavaScript / TypeScript dead code: unused imports (JS-Q004) and unreachable statements (JS-Q005).

JS-Q004 collects the names bound by top-level ``import`` declarations and ``require`` calls, then judges
every occurrence of each name in the file by the syntax node at that spot: a name that is never read is
reported. JS-Q005 reports the first statement that follows ``return``, ``throw``, ``break`` or ``continue``
in the same block; it does not follow control flow across blocks.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import COMMENTS, Node, compiled_query
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.jsmodel import LANGS, eslint, is_require

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


def _require_bindings(statement: Node, ctx: FileContext) -> Iterator[_Binding]:
    """``const a = require("m")`` -> a; ``const { b, c: d } = require("m")`` -> b, d."""
    for declarator in statement.named_children:
        if declarator.type != "variable_declarator" or not is_require(declarator.child_by_field_name("value"), ctx):
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
    references=(cwe(1164), eslint("no-unused-vars"), "https://typescript-eslint.io/rules/no-unused-vars/"),
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
    references=(cwe(561), eslint("no-unreachable")),
)


RULES: tuple[Rule, ...] = (
    UNUSED_IMPORT,
    UNREACHABLE_CODE,
)
