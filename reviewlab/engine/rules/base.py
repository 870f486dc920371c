"""What a rule is: metadata as data, a tree-sitter query, and optionally a Python check.

A rule's ``query`` selects candidate nodes. All rules of a language are compiled into one
combined query that runs once per file; each match is handed to the rule that owns the pattern.
A rule without ``check`` reports the node captured as ``@finding``; a rule with ``check`` decides
in Python (and may report several nodes or none). A rule with ``finish`` is called once at the end
of the file with what it collected in ``ctx.state`` — aggregate rules such as complexity use it.

A rule with ``scan`` instead reads the file as text (it has no query): it runs on every file of
its ``languages``, where ``"text"`` stands for the files no language pack parses (config files,
``.env``, keys...), and reports byte ranges as ``TextHit``. A hit marked ``secret`` is a value
that no output may show: the analyzer redacts it wherever it would appear.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Fix, FlowStep, Replacement, Severity, Span

Captures = dict[str, list[tree_sitter.Node]]


def first(captures: Captures, name: str) -> tree_sitter.Node | None:
    """The first node captured under ``name``, or None."""
    nodes = captures.get(name)
    return nodes[0] if nodes else None


@dataclass(frozen=True, slots=True)
class RuleDocs:
    """Rule documentation under ruff's headings."""

    what: str
    why: str
    example: str
    use_instead: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's report: the node to flag, and optionally a specific message, a fix and a dataflow path."""

    node: tree_sitter.Node
    message: str | None = None
    fix: Fix | None = None
    flow: tuple[FlowStep, ...] = ()


@dataclass(frozen=True, slots=True)
class TextHit:
    """A text-scanning rule's report: the bytes ``start:end`` of the file, and optionally a specific message.

    With ``secret`` the range is a secret: reports show only its first ``shown`` bytes (a public
    format prefix such as ``ghp_``) and its length, in the snippet and everywhere else.
    """

    start: int
    end: int
    message: str | None = None
    secret: bool = False
    shown: int = 0


class TextContext:
    """What a rule sees of any file: its path, language and bytes, the rule options, and line arithmetic."""

    __slots__ = ("_line_starts", "language", "options", "path", "source", "state")

    def __init__(self, path: str, language: str, source: bytes, options: Mapping[str, Mapping[str, Any]]) -> None:
        self.path = path
        self.language = language
        self.source = source
        self.options = options
        self.state: dict[str, Any] = {}
        self._line_starts: list[int] | None = None

    def option(self, rule: Rule, name: str) -> Any:
        """A rule option: the project's configured value, else the rule's default."""
        configured = self.options.get(rule.id, {})
        if name in configured:
            return configured[name]
        return rule.options[name]

    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.source.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def line_bytes(self, row: int) -> bytes:
        """The bytes of 0-based line ``row`` without its line break."""
        starts = self.line_starts()
        if row >= len(starts):
            return b""
        end = starts[row + 1] - 1 if row + 1 < len(starts) else len(self.source)
        return self.source[starts[row] : end].rstrip(b"\r")

    def column(self, row: int, byte_column: int) -> int:
        """The 1-based code point column of a byte column on line ``row``."""
        line = self.line_bytes(row)
        prefix = line[:byte_column]
        if prefix.isascii():
            return byte_column + 1
        return len(prefix.decode("utf-8", "replace")) + 1

    def row(self, offset: int) -> int:
        """The 0-based line of a byte offset."""
        return bisect_right(self.line_starts(), offset) - 1

    def byte_span(self, start: int, end: int) -> Span:
        """The span of the bytes ``start:end``."""
        starts = self.line_starts()
        first, last = self.row(start), self.row(end)
        return Span(
            first + 1,
            self.column(first, start - starts[first]),
            last + 1,
            self.column(last, end - starts[last]),
        )


class FileContext(TextContext):
    """What a rule's check sees of the file under analysis: the text and its syntax tree."""

    __slots__ = ("tree",)

    def __init__(
        self,
        path: str,
        language: str,
        source: bytes,
        tree: tree_sitter.Tree,
        options: Mapping[str, Mapping[str, Any]],
    ) -> None:
        super().__init__(path, language, source, options)
        self.tree = tree

    def text(self, node: tree_sitter.Node) -> str:
        """The node's source text, decoded leniently."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def span(self, node: tree_sitter.Node) -> Span:
        start, end = node.start_point, node.end_point
        return Span(
            start.row + 1,
            self.column(start.row, start.column),
            end.row + 1,
            self.column(end.row, end.column),
        )

    def replace(self, node: tree_sitter.Node, text: str, description: str) -> Fix:
        """A fix that replaces the node's text."""
        return Fix(description, (Replacement(self.span(node), text),))


Check = Callable[["Rule", Captures, FileContext], Iterable[Hit]]
Finish = Callable[["Rule", FileContext], Iterable[Hit]]
Scan = Callable[["Rule", TextContext], Iterable[TextHit]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: stable id (never reused), metadata, docs, and how it matches."""

    id: str
    title: str
    category: Category
    severity: Severity
    confidence: Confidence
    cwe: int | None
    languages: tuple[str, ...]
    message: str
    docs: RuleDocs
    query: str = ""
    check: Check | None = None
    finish: Finish | None = None
    scan: Scan | None = None
    references: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    # Reported by a project-wide analysis once every file is analysed (duplicated code, import cycles): such a
    # rule has no query and no scan, and no per-file fixture; its analysis module's tests cover it.
    project: bool = False

    def hits(self, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
        if self.check is not None:
            return self.check(self, captures, ctx)
        nodes = captures.get("finding")
        if not nodes:
            return ()
        return (Hit(nodes[0]),)
