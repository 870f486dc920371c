"""Phase 1 of the architecture review: what one file says about its dependencies, as JSON-ready data.

``module_facts`` runs per file in the worker processes and its result is cached, so it reads only the
file: the import statements (raw specifiers, resolved later against every file of the project), the
declared package (Java ``package``, Go ``package`` clause), the count of type definitions and of the
abstract ones (for the package abstractness metric) and the line count. The format is documented in
the package docstring (``reviewlab.engine.architecture``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import tree_sitter

from reviewlab.engine.languages import LANGUAGES, ts_language
from reviewlab.engine.rules.base import FileContext

FACTS_VERSION = 1
MAX_TEXT = 240

_ABSTRACT_BASES = frozenset({"ABC", "Protocol"})
_ABSTRACT_DECORATORS = frozenset({"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod"})

_PYTHON_QUERY = """
(import_statement) @import
(import_from_statement) @from
(class_definition) @class
"""
_JS_QUERY = """
(import_statement) @import
(export_statement source: (string)) @export
((call_expression function: (identifier) @_fn arguments: (arguments . (string) .)) @require
 (#eq? @_fn "require"))
(call_expression function: (import) arguments: (arguments . (string))) @dynamic
(class_declaration) @class
"""
_TS_QUERY = f"""{_JS_QUERY}
(abstract_class_declaration) @abstract
(interface_declaration) @abstract
"""
_JAVA_QUERY = """
(package_declaration) @package
(import_declaration) @import
(class_declaration) @class
(enum_declaration) @class
(record_declaration) @class
(interface_declaration) @abstract
(annotation_type_declaration) @abstract
"""
_GO_QUERY = """
(package_clause) @package
(import_spec) @import
(type_spec) @type
"""
_QUERIES = {
    "python": _PYTHON_QUERY,
    "javascript": _JS_QUERY,
    "typescript": _TS_QUERY,
    "tsx": _TS_QUERY,
    "java": _JAVA_QUERY,
    "go": _GO_QUERY,
}


@cache
def _query(language: str) -> tree_sitter.Query:
    return tree_sitter.Query(ts_language(language), _QUERIES[language])


class _Facts:
    """The facts of one file as they are collected."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.imports: list[dict[str, Any]] = []
        self.package: str | None = None
        self.types = 0
        self.abstract = 0

    def add_import(
        self, node: tree_sitter.Node, spec: str, kind: str, names: list[str] | None = None, type_only: bool = False
    ) -> None:
        span = self.ctx.span(node)
        text = self.ctx.line_bytes(node.start_point.row).decode("utf-8", "replace").strip()
        self.imports.append(
            {
                "spec": spec,
                "kind": kind,
                "names": names or [],
                "line": span.start_line,
                "column": span.start_column,
                "end_line": span.end_line,
                "end_column": span.end_column,
                "text": text[:MAX_TEXT],
                "type_only": type_only,
            }
        )

    def add_type(self, abstract: bool) -> None:
        self.types += 1
        self.abstract += int(abstract)

    def to_dict(self, language: str, lines: int) -> dict[str, Any]:
        self.imports.sort(key=lambda i: (i["line"], i["column"]))  # stable: a statement keeps its order
        return {
            "version": FACTS_VERSION,
            "language": language,
            "package": self.package,
            "imports": self.imports,
            "types": self.types,
            "abstract_types": self.abstract,
            "lines": lines,
        }


def module_facts(relpath: str, language: str, tree: tree_sitter.Tree, source: bytes) -> dict[str, Any]:
    """The architecture facts of one parsed file (JSON-serialisable). Never raises on odd input."""
    lines = source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
    ctx = FileContext(relpath, language, source, tree, {})
    facts = _Facts(ctx)
    extract = _EXTRACTORS.get(language)
    if extract is not None and language in LANGUAGES:
        captures = tree_sitter.QueryCursor(_query(language)).captures(tree.root_node)
        extract(facts, captures)
    return facts.to_dict(language, lines)


def _text(ctx: FileContext, node: tree_sitter.Node | None) -> str:
    return "" if node is None else "".join(ctx.text(node).split())


# -- Python ------------------------------------------------------------------------------------------


def _python(facts: _Facts, captures: dict[str, list[tree_sitter.Node]]) -> None:
    ctx = facts.ctx
    for node in captures.get("import", ()):
        type_only = _under_type_checking(ctx, node)
        for name in node.children_by_field_name("name"):
            dotted = name.child_by_field_name("name") if name.type == "aliased_import" else name
            spec = _text(ctx, dotted)
            if spec:
                facts.add_import(node, spec, "import", type_only=type_only)
    for node in captures.get("from", ()):
        module = _text(ctx, node.child_by_field_name("module_name"))
        if not module or module == "__future__":
            continue
        names = [
            _text(ctx, n.child_by_field_name("name") if n.type == "aliased_import" else n)
            for n in node.children_by_field_name("name")
        ]
        if any(child.type == "wildcard_import" for child in node.children):
            names.append("*")
        facts.add_import(node, module, "from", [n for n in names if n], _under_type_checking(ctx, node))
    for node in captures.get("class", ()):
        facts.add_type(_python_abstract(ctx, node))


def _under_type_checking(ctx: FileContext, node: tree_sitter.Node) -> bool:
    """Whether the import is in the body of ``if TYPE_CHECKING:`` (not its ``else``): a type-only dependency."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type == "if_statement":
            condition = _text(ctx, parent.child_by_field_name("condition"))
            consequence = parent.child_by_field_name("consequence")
            if condition in {"TYPE_CHECKING", "typing.TYPE_CHECKING"} and consequence is not None:
                return consequence.id == child.id
        child, parent = parent, parent.parent
    return False


def _last_name(ctx: FileContext, node: tree_sitter.Node) -> str:
    if node.type == "subscript":
        value = node.child_by_field_name("value")
        return _last_name(ctx, value) if value is not None else ""
    return _text(ctx, node).rpartition(".")[2]


def _python_abstract(ctx: FileContext, node: tree_sitter.Node) -> bool:
    """A class deriving ABC or Protocol, with an ABCMeta metaclass, or with an abstract method."""
    bases = node.child_by_field_name("superclasses")
    for base in bases.named_children if bases is not None else ():
        if base.type == "keyword_argument":
            value = base.child_by_field_name("value")
            if value is not None and _last_name(ctx, value) == "ABCMeta":
                return True
        elif _last_name(ctx, base) in _ABSTRACT_BASES:
            return True
    body = node.child_by_field_name("body")
    for statement in body.named_children if body is not None else ():
        if statement.type != "decorated_definition":
            continue
        for decorator in statement.named_children:
            named = decorator.named_children if decorator.type == "decorator" else []
            if named and _last_name(ctx, named[0]) in _ABSTRACT_DECORATORS:
                return True
    return False


# -- JavaScript / TypeScript -------------------------------------------------------------------------


def _string_value(ctx: FileContext, node: tree_sitter.Node | None) -> str:
    if node is None or node.type != "string":
        return ""
    return ctx.text(node)[1:-1]


def _first_string(node: tree_sitter.Node) -> tree_sitter.Node | None:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return None
    return next((child for child in arguments.named_children if child.type == "string"), None)


def _javascript(facts: _Facts, captures: dict[str, list[tree_sitter.Node]]) -> None:
    ctx = facts.ctx
    for node in captures.get("import", ()):
        source = node.child_by_field_name("source")
        if source is None:  # TypeScript ``import x = require("y")``
            clause = next((c for c in node.named_children if c.type == "import_require_clause"), None)
            source = clause.child_by_field_name("source") if clause is not None else None
        spec = _string_value(ctx, source)
        if spec:
            type_only = any(child.type == "type" for child in node.children)
            facts.add_import(node, spec, "import", type_only=type_only)
    for node in captures.get("export", ()):
        spec = _string_value(ctx, node.child_by_field_name("source"))
        if spec:
            facts.add_import(node, spec, "export", type_only=any(child.type == "type" for child in node.children))
    for kind in ("require", "dynamic"):
        for node in captures.get(kind, ()):
            spec = _string_value(ctx, _first_string(node))
            if spec:
                facts.add_import(node, spec, kind)
    facts.types += len(captures.get("class", ())) + len(captures.get("abstract", ()))
    facts.abstract += len(captures.get("abstract", ()))


# -- Java --------------------------------------------------------------------------------------------


def _java(facts: _Facts, captures: dict[str, list[tree_sitter.Node]]) -> None:
    ctx = facts.ctx
    for node in captures.get("package", ()):
        name = next((c for c in node.named_children if c.type in {"scoped_identifier", "identifier"}), None)
        if name is not None and facts.package is None:
            facts.package = _text(ctx, name)
    for node in captures.get("import", ()):
        name = next((c for c in node.named_children if c.type in {"scoped_identifier", "identifier"}), None)
        spec = _text(ctx, name)
        if not spec:
            continue
        if any(child.type == "asterisk" for child in node.children):
            spec += ".*"
        kind = "static" if any(child.type == "static" for child in node.children) else "import"
        facts.add_import(node, spec, kind)
    for node in captures.get("class", ()):
        modifiers = next((c for c in node.named_children if c.type == "modifiers"), None)
        facts.add_type(modifiers is not None and any(c.type == "abstract" for c in modifiers.children))
    facts.types += len(captures.get("abstract", ()))
    facts.abstract += len(captures.get("abstract", ()))


# -- Go ----------------------------------------------------------------------------------------------


def _go(facts: _Facts, captures: dict[str, list[tree_sitter.Node]]) -> None:
    ctx = facts.ctx
    for node in captures.get("package", ()):
        name = next((c for c in node.named_children if c.type == "package_identifier"), None)
        if name is not None and facts.package is None:
            facts.package = _text(ctx, name)
    for node in captures.get("import", ()):
        path = node.child_by_field_name("path")
        spec = ctx.text(path)[1:-1] if path is not None else ""
        if spec:
            facts.add_import(node, spec, "import")
    for node in captures.get("type", ()):
        kind = node.child_by_field_name("type")
        facts.add_type(kind is not None and kind.type == "interface_type")


_EXTRACTORS: dict[str, Callable[[_Facts, dict[str, list[tree_sitter.Node]]], None]] = {
    "python": _python,
    "javascript": _javascript,
    "typescript": _javascript,
    "tsx": _javascript,
    "java": _java,
    "go": _go,
}
