"""Analyse one file: parse with tree-sitter, run the language's combined query once, collect findings.

``RulePack`` compiles, per language, one query out of every enabled rule's patterns and remembers
which pattern belongs to which rule. ``analyze_source`` is pure: bytes in, findings and
diagnostics out, so it runs the same in a worker process, in a test, or behind the cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tree_sitter

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.languages import FAMILY, LANGUAGES, parser_for, ts_language
from reviewlab.engine.model import Diagnostic, DiagnosticKind, Finding
from reviewlab.engine.rules import all_rules
from reviewlab.engine.rules.base import FileContext, Hit, Rule

MAX_SNIPPET = 240
_SUPPRESS = re.compile(rb"reviewlab:\s*ignore(?:\[([A-Za-z0-9_,\s-]+)\])?")


@dataclass(slots=True)
class CompiledQuery:
    query: tree_sitter.Query
    owners: list[Rule]  # owners[pattern_index] is the rule that wrote that pattern
    finishers: list[Rule]


@dataclass(slots=True)
class FileAnalysis:
    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: int = 0


class RulePack:
    """The enabled rules, compiled into one query per language (lazily, once per process)."""

    def __init__(self, rules: Iterable[Rule], options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.rules = tuple(rules)
        self.options: Mapping[str, Mapping[str, Any]] = options or {}
        self._compiled: dict[str, CompiledQuery | None] = {}
        self._parsers: dict[str, tree_sitter.Parser] = {}

    @classmethod
    def from_config(cls, config: ReviewConfig) -> RulePack:
        return cls((r for r in all_rules() if config.rule_enabled(r.id)), config.rules)

    def compiled(self, language: str) -> CompiledQuery | None:
        if language not in self._compiled:
            self._compiled[language] = self._compile(language)
        return self._compiled[language]

    def parser(self, language: str) -> tree_sitter.Parser:
        parser = self._parsers.get(language)
        if parser is None:
            parser = self._parsers[language] = parser_for(language)
        return parser

    def _compile(self, language: str) -> CompiledQuery | None:
        family = FAMILY[language]
        rules = [r for r in self.rules if family in r.languages]
        if not rules:
            return None
        ts_lang = ts_language(language)
        owners: list[Rule] = []
        sources: list[str] = []
        for rule in rules:
            try:
                count = tree_sitter.Query(ts_lang, rule.query).pattern_count
            except (tree_sitter.QueryError, ValueError) as err:
                raise ValueError(f"rule {rule.id}: invalid query for {language}: {err}") from err
            owners.extend([rule] * count)
            sources.append(rule.query)
        query = tree_sitter.Query(ts_lang, "\n".join(sources))
        if query.pattern_count != len(owners):
            raise ValueError(f"combined {language} query has {query.pattern_count} patterns, expected {len(owners)}")
        return CompiledQuery(query, owners, [r for r in rules if r.finish is not None])


def analyze_source(path: str, language: str, source: bytes, pack: RulePack) -> FileAnalysis:
    """Findings and diagnostics for one file's bytes. Never raises for bad input."""
    result = FileAnalysis(lines=source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0))
    if language not in LANGUAGES:
        return result
    tree = pack.parser(language).parse(source)
    root = tree.root_node
    if root.has_error:
        result.diagnostics.append(_syntax_diagnostic(path, root))
    compiled = pack.compiled(language)
    if compiled is None:
        return result
    ctx = FileContext(path, language, source, tree, pack.options)
    hits: list[tuple[Rule, Hit]] = []
    for pattern_index, captures in tree_sitter.QueryCursor(compiled.query).matches(root):
        rule = compiled.owners[pattern_index]
        hits.extend((rule, hit) for hit in rule.hits(captures, ctx))
    for rule in compiled.finishers:
        assert rule.finish is not None  # noqa: S101 - finishers only holds rules with finish
        hits.extend((rule, hit) for hit in rule.finish(rule, ctx))
    result.findings = _to_findings(hits, ctx)
    return result


def _syntax_diagnostic(path: str, root: tree_sitter.Node) -> Diagnostic:
    first = _first_error(root)
    line = first.start_point.row + 1 if first is not None else None
    where = f" near line {line}" if line else ""
    return Diagnostic(
        DiagnosticKind.SYNTAX_ERROR,
        path,
        f"syntax error{where}; the parts that parse were analysed",
        line,
    )


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    cursor = node.walk()
    while True:
        current = cursor.node
        if current is not None and (current.is_error or current.is_missing):
            return current
        if current is not None and current.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None


def _to_findings(hits: list[tuple[Rule, Hit]], ctx: FileContext) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    occurrences: dict[tuple[str, str], int] = {}
    hits.sort(key=lambda rh: (rh[1].node.start_byte, rh[0].id))
    for rule, hit in hits:
        key = (rule.id, hit.node.start_byte, hit.node.end_byte)
        if key in seen:
            continue
        seen.add(key)
        row = hit.node.start_point.row
        line = ctx.line_bytes(row)
        if _suppressed(line, rule.id):
            continue
        snippet = line.decode("utf-8", "replace").strip()
        normalized = " ".join(snippet.split())
        nth = occurrences.get((rule.id, normalized), 0)
        occurrences[(rule.id, normalized)] = nth + 1
        findings.append(
            Finding(
                rule_id=rule.id,
                category=rule.category,
                severity=rule.severity,
                confidence=rule.confidence,
                cwe=rule.cwe,
                path=ctx.path,
                span=ctx.span(hit.node),
                snippet=snippet[:MAX_SNIPPET],
                message=hit.message or rule.message,
                fingerprint=fingerprint(rule.id, ctx.path, normalized, nth),
                fix=hit.fix,
                flow=hit.flow,
            )
        )
    return findings


def _suppressed(line: bytes, rule_id: str) -> bool:
    if b"reviewlab" not in line:
        return False
    match = _SUPPRESS.search(line)
    if match is None:
        return False
    if match.group(1) is None:
        return True
    ids = {part.strip() for part in match.group(1).decode().split(",")}
    return rule_id in ids


def fingerprint(rule_id: str, path: str, normalized_line: str, occurrence: int) -> str:
    """Stable across edits elsewhere in the file: rule, path, the flagged line's text and its occurrence."""
    material = "\x1f".join((rule_id, path, normalized_line, str(occurrence)))
    return hashlib.sha256(material.encode()).hexdigest()[:32]
