"""Analyse one file: parse with tree-sitter, run the language's combined query once, collect findings.

``RulePack`` compiles, per language, one query out of every enabled rule's patterns and remembers
which pattern belongs to which rule; rules that scan text run after the query, on parsed files and
on plain text files alike. ``analyze_source`` is pure: bytes in, findings and diagnostics out, so
it runs the same in a worker process, in a test, or behind the cache. Every finding leaves it
with the file's secrets redacted (``reviewlab.engine.redaction``).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tree_sitter

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.facts import FACTS, facts_for
from reviewlab.engine.fixes import fix_diff
from reviewlab.engine.languages import FAMILY, LANGUAGES, parser_for, ts_language
from reviewlab.engine.model import PLAIN_TEXT, Diagnostic, DiagnosticKind, Finding, Fix, FlowStep, Span
from reviewlab.engine.redaction import Redactor
from reviewlab.engine.rules import all_rules, get_rule
from reviewlab.engine.rules.base import FileContext, Hit, Rule, TextContext, TextHit
from reviewlab.engine.rules.suppression import RULE_ID as SUPPRESSION_RULE
from reviewlab.engine.rules.suppression import suppressions
from reviewlab.engine.taint.python import TAINT_OPTIONS

MAX_SNIPPET = 240
_SUPPRESS = re.compile(rb"reviewlab:\s*ignore(?:\[([A-Za-z0-9_,\s-]+)\])?")


@dataclass(slots=True)
class CompiledQuery:
    query: tree_sitter.Query
    owners: list[Rule]  # owners[pattern_index] is the rule that wrote that pattern
    finishers: list[Rule]


@dataclass(slots=True)
class FileAnalysis:
    """One file's findings and diagnostics, and its facts: what the review keeps of the file besides findings
    (its metrics) and what the project-wide analyses read (``facts.FACTS``), as JSON-compatible data."""

    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: int = 0
    facts: dict[str, Any] = field(default_factory=dict)


class RulePack:
    """The enabled rules, compiled into one query per language (lazily, once per process)."""

    def __init__(
        self,
        rules: Iterable[Rule],
        options: Mapping[str, Mapping[str, Any]] | None = None,
        facts: Iterable[str] = (),
    ) -> None:
        self.rules = tuple(r for r in rules if not r.project)
        self.facts = tuple(facts)  # the names of the facts (``facts.FACTS``) to gather from every parsed file
        self.scanners = tuple(r for r in self.rules if r.scan is not None)
        self.options: Mapping[str, Mapping[str, Any]] = options or {}
        self._compiled: dict[str, CompiledQuery | None] = {}
        self._parsers: dict[str, tree_sitter.Parser] = {}

    @classmethod
    def from_config(cls, config: ReviewConfig) -> RulePack:
        options: dict[str, Mapping[str, Any]] = {**config.rules, TAINT_OPTIONS: config.taint.model_dump()}
        rules = [r for r in all_rules() if config.rule_enabled(r.id)]
        return cls(rules, options, facts_for(config, rules))

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
        rules = [r for r in self.rules if r.scan is None and family in r.languages]
        if not rules:
            return None
        key = (language, tuple((r.id, r.query) for r in rules))
        with _COMPILED_LOCK:
            compiled = _COMPILED.get(key)
            if compiled is None:
                compiled = _compile_rules(language, rules)
                if len(_COMPILED) >= MAX_COMPILED:
                    del _COMPILED[next(iter(_COMPILED))]
                _COMPILED[key] = compiled
        return compiled


MAX_COMPILED = 32
"""Compiled queries kept per process, by language and rule selection: compiling all of a language's rules takes
about a second, and every review of the same selection (API analyses, evaluations) reuses them."""
_COMPILED: dict[tuple[str, tuple[tuple[str, str], ...]], CompiledQuery] = {}
_COMPILED_LOCK = threading.Lock()


def _compile_rules(language: str, rules: list[Rule]) -> CompiledQuery:
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
        if language != PLAIN_TEXT:
            return result
        ctx: TextContext = TextContext(path, language, source, pack.options)
        result.findings = _to_findings(_scan(pack, ctx), ctx, pack)
        return result
    tree = pack.parser(language).parse(source)
    root = tree.root_node
    if root.has_error:
        result.diagnostics.append(_syntax_diagnostic(path, root))
    file_ctx = FileContext(path, language, source, tree, pack.options)
    hits: list[tuple[Rule, Hit | TextHit]] = []
    compiled = pack.compiled(language)
    if compiled is not None:
        for pattern_index, captures in tree_sitter.QueryCursor(compiled.query).matches(root):
            rule = compiled.owners[pattern_index]
            hits.extend((rule, hit) for hit in rule.hits(captures, file_ctx))
        for rule in compiled.finishers:
            assert rule.finish is not None  # noqa: S101 - finishers only holds rules with finish
            hits.extend((rule, hit) for hit in rule.finish(rule, file_ctx))
    hits.extend(_scan(pack, file_ctx))
    result.findings = _to_findings(hits, file_ctx, pack)
    result.facts = {name: FACTS[name](file_ctx) for name in pack.facts}
    return result


def _scan(pack: RulePack, ctx: TextContext) -> list[tuple[Rule, Hit | TextHit]]:
    family = FAMILY.get(ctx.language, ctx.language)
    hits: list[tuple[Rule, Hit | TextHit]] = []
    for rule in pack.scanners:
        if family in rule.languages:
            assert rule.scan is not None  # noqa: S101 - scanners only holds rules with scan
            hits.extend((rule, hit) for hit in rule.scan(rule, ctx))
    return hits


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


@dataclass(frozen=True, slots=True)
class _Report:
    """A hit of either kind, located."""

    rule: Rule
    start: int
    end: int
    span: Span
    message: str | None
    fix: Fix | None
    flow: tuple[FlowStep, ...]


def _located(rule: Rule, hit: Hit | TextHit, ctx: TextContext) -> _Report:
    if isinstance(hit, TextHit):
        return _Report(rule, hit.start, hit.end, ctx.byte_span(hit.start, hit.end), hit.message, None, ())
    assert isinstance(ctx, FileContext)  # noqa: S101 - node hits come only from parsed files
    node = hit.node
    return _Report(rule, node.start_byte, node.end_byte, ctx.span(node), hit.message, hit.fix, hit.flow)


def _to_findings(hits: list[tuple[Rule, Hit | TextHit]], ctx: TextContext, pack: RulePack) -> list[Finding]:
    checker = next((r for r in pack.rules if r.id == SUPPRESSION_RULE), None)
    if not hits and checker is None:
        return []
    reports = sorted((_located(rule, hit, ctx) for rule, hit in hits), key=lambda r: (r.start, r.rule.id))
    redactor = Redactor(ctx, [hit for _, hit in hits if isinstance(hit, TextHit) and hit.secret])
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    occurrences: dict[tuple[str, str], int] = {}
    used: set[tuple[int, str]] = set()  # (row, rule id) of the suppressions that silenced something
    for report in reports:
        rule = report.rule
        key = (rule.id, report.start, report.end)
        if key in seen:
            continue
        seen.add(key)
        row = report.span.start_line - 1
        if is_suppressed(ctx.line_bytes(row), rule.id):
            used.add((row, rule.id))
            continue
        snippet = redactor.line(row).strip()
        normalized = " ".join(snippet.split())
        nth = occurrences.get((rule.id, normalized), 0)
        occurrences[(rule.id, normalized)] = nth + 1
        fix = report.fix
        if fix is not None and any(redactor.touches(r.text) for r in fix.replacements):
            fix = None  # a fix that writes a secret back would need it in the report
        diff = "" if fix is None else fix_diff(ctx.path, ctx.source, fix)
        if diff is None:
            fix, diff = None, ""  # it does not apply, or the fixed file would not parse: not a fix to offer
        findings.append(
            Finding(
                rule_id=rule.id,
                category=rule.category,
                severity=rule.severity,
                confidence=rule.confidence,
                cwe=rule.cwe,
                path=ctx.path,
                span=report.span,
                snippet=snippet[:MAX_SNIPPET],
                message=redactor.text(report.message or rule.message),
                fingerprint=fingerprint(rule.id, ctx.path, normalized, nth),
                fix=None if fix is None else Fix(redactor.text(fix.description), fix.replacements, redactor.text(diff)),
                flow=tuple(FlowStep(step.span, redactor.text(step.message)) for step in report.flow),
            )
        )
    if checker is not None and FAMILY.get(ctx.language, ctx.language) in checker.languages:
        findings.extend(_suppression_findings(checker, ctx, pack, used, redactor))
    return _without_duplicate_credentials(findings, {r.rule.id for r in reports if r.rule.scan is not None})


def _suppression_findings(
    checker: Rule, ctx: TextContext, pack: RulePack, used: set[tuple[int, str]], redactor: Redactor
) -> list[Finding]:
    """GEN-Q001: blanket suppressions, unknown rule ids, and suppressions of enabled rules that silenced nothing."""
    enabled = {rule.id for rule in pack.rules}
    found: list[Finding] = []
    occurrences: dict[str, int] = {}
    for suppression in suppressions(ctx.source):
        if not suppression.ids:
            problem = "names no rule; name the rule it silences (`reviewlab: ignore[RULE-ID] reason`)"
        else:
            unknown = sorted(i for i in suppression.ids if get_rule(i) is None)
            stale = sorted(
                i for i in suppression.ids if i in enabled and i != checker.id and (suppression.row, i) not in used
            )
            if unknown:
                problem = f"names unknown rule(s) {', '.join(unknown)}"
            elif stale:
                problem = f"suppresses nothing: {', '.join(stale)} reports nothing on this line"
            else:
                continue
        if is_suppressed(ctx.line_bytes(suppression.row), checker.id) and suppression.ids:
            continue  # ``ignore[GEN-Q001]`` keeps a deliberate one
        snippet = redactor.line(suppression.row).strip()
        normalized = " ".join(snippet.split())
        nth = occurrences.get(normalized, 0)
        occurrences[normalized] = nth + 1
        found.append(
            Finding(
                rule_id=checker.id,
                category=checker.category,
                severity=checker.severity,
                confidence=checker.confidence,
                cwe=checker.cwe,
                path=ctx.path,
                span=ctx.byte_span(suppression.start, suppression.end),
                snippet=snippet[:MAX_SNIPPET],
                message=f"This suppression {problem}.",
                fingerprint=fingerprint(checker.id, ctx.path, normalized, nth),
                fix=None,
                flow=(),
            )
        )
    return found


def _without_duplicate_credentials(findings: list[Finding], scanners: set[str]) -> list[Finding]:
    """Drop a text-scan finding inside a query rule's finding of the same CWE: PY-S009 already flags that literal."""
    covering = [f for f in findings if f.rule_id not in scanners and f.cwe is not None]
    if not covering:
        return findings
    return [
        f
        for f in findings
        if f.rule_id not in scanners or not any(c.cwe == f.cwe and _contains(c.span, f.span) for c in covering)
    ]


def _contains(outer: Span, inner: Span) -> bool:
    return (outer.start_line, outer.start_column) <= (inner.start_line, inner.start_column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


def is_suppressed(line: bytes, rule_id: str) -> bool:
    """Whether a ``reviewlab: ignore`` comment on ``line`` (one line's bytes) silences ``rule_id``."""
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
