"""The engine's value types: findings, diagnostics and the result of a review.

Everything here is plain, immutable and serialisable to JSON-compatible dicts, so results can
cross process boundaries, be cached, stored and rendered without the engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, MutableSequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PLAIN_TEXT = "text"
"""The language of a file no language pack parses, read only by the rules that scan text (the secret rules)."""


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: info=0 ... critical=4."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Category(StrEnum):
    SECURITY = "security"
    QUALITY = "quality"
    PERFORMANCE = "performance"
    ARCHITECTURE = "architecture"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Span:
    """A source range: 1-based lines; 1-based columns in Unicode code points, the end column exclusive."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Replacement:
    """Replace the text in ``span`` with ``text``."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A known fix for a finding, as text replacements in the same file, and the same edit as a unified diff
    (``diff``; set by the analyzer, which has the file's text, and empty where nobody computed it)."""

    description: str
    replacements: tuple[Replacement, ...]
    diff: str = ""


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One step of the path untrusted data takes to a sink: where it is, and what happens there."""

    span: Span
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_line": self.span.start_line,
            "start_column": self.span.start_column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowStep:
        return cls(
            Span(data["start_line"], data["start_column"], data["end_line"], data["end_column"]), data["message"]
        )


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding involves, possibly in another file (the other copy of a clone, the next module of
    an import cycle)."""

    path: str
    span: Span
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "start_line": self.span.start_line,
            "start_column": self.span.start_column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Related:
        return cls(
            data["path"],
            Span(data["start_line"], data["start_column"], data["end_line"], data["end_column"]),
            data["message"],
        )


@dataclass(frozen=True, slots=True)
class AIOrigin:
    """Where an AI finding came from: the provider and model that answered, the prompt version, and the
    self-reflection score (0-10; None when the reflection pass could not score it) with its reason."""

    provider: str
    model: str
    prompt_version: str
    score: float | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "score": self.score,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in one file.

    ``flow`` is the path from a source of untrusted data to the sink (source first, sink last), for
    the findings of dataflow rules; it is empty for every other finding. ``related`` are the other places the
    finding involves (the other copy of duplicated code, the modules of an import cycle). ``ai`` is set on
    the findings of the AI review only.
    """

    rule_id: str
    category: Category
    severity: Severity
    confidence: Confidence
    cwe: int | None
    path: str
    span: Span
    snippet: str
    message: str
    fingerprint: str = ""
    fix: Fix | None = None
    flow: tuple[FlowStep, ...] = ()
    related: tuple[Related, ...] = ()
    ai: AIOrigin | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "category": self.category.value,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "cwe": self.cwe,
            "path": self.path,
            "start_line": self.span.start_line,
            "start_column": self.span.start_column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "snippet": self.snippet,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "fix": None,
            "flow": [step.to_dict() for step in self.flow],
            "related": [place.to_dict() for place in self.related],
        }
        if self.fix is not None:
            data["fix"] = {
                "description": self.fix.description,
                "replacements": [
                    {
                        "start_line": r.span.start_line,
                        "start_column": r.span.start_column,
                        "end_line": r.span.end_line,
                        "end_column": r.span.end_column,
                        "text": r.text,
                    }
                    for r in self.fix.replacements
                ],
                "diff": self.fix.diff,
            }
        if self.ai is not None:
            data["ai"] = self.ai.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        fix = None
        if data.get("fix"):
            fix = Fix(
                description=data["fix"]["description"],
                replacements=tuple(
                    Replacement(
                        Span(r["start_line"], r["start_column"], r["end_line"], r["end_column"]),
                        r["text"],
                    )
                    for r in data["fix"]["replacements"]
                ),
                diff=data["fix"].get("diff", ""),
            )
        return cls(
            rule_id=data["rule_id"],
            category=Category(data["category"]),
            severity=Severity(data["severity"]),
            confidence=Confidence(data["confidence"]),
            cwe=data["cwe"],
            path=data["path"],
            span=Span(data["start_line"], data["start_column"], data["end_line"], data["end_column"]),
            snippet=data["snippet"],
            message=data["message"],
            fingerprint=data.get("fingerprint", ""),
            fix=fix,
            flow=tuple(FlowStep.from_dict(step) for step in data.get("flow") or ()),
            related=tuple(Related.from_dict(place) for place in data.get("related") or ()),
            ai=AIOrigin(**data["ai"]) if data.get("ai") else None,
        )


class DiagnosticKind(StrEnum):
    """Why a file was skipped or only partly analysed."""

    SKIPPED_BINARY = "skipped-binary"
    SKIPPED_TOO_LARGE = "skipped-too-large"
    SKIPPED_SYMLINK = "skipped-symlink"
    SKIPPED_SPECIAL = "skipped-special-file"
    UNREADABLE = "unreadable"
    DECODE_ERROR = "decode-error"
    SYNTAX_ERROR = "syntax-error"
    SYMLINK_LOOP = "symlink-loop"
    NO_FILES = "no-files"
    INTERNAL_ERROR = "internal-error"
    NOT_ANALYSED = "not-analysed"  # a file a reviewed change touches that was not analysed, and why


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something the user should know about the run that is not a finding."""

    kind: DiagnosticKind
    path: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "path": self.path, "message": self.message, "line": self.line}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnostic:
        return cls(DiagnosticKind(data["kind"]), data["path"], data["message"], data.get("line"))


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file that was reviewed, with its metrics (``reviewlab.engine.metrics.FileMetrics.to_dict()``) when the
    review computed them for its language."""

    path: str
    language: str
    lines: int
    sha256: str
    cached: bool = False
    metrics: dict[str, Any] | None = None


@dataclass(slots=True)
class ReviewResult:
    """The outcome of reviewing one tree.

    A large review's ``files``, ``findings`` and ``diagnostics`` are listed from disk (``engine.spool.Spooled``)
    until something changes them; ``close()`` (or leaving a ``with`` block) removes what is on disk, as does
    collecting the result."""

    root: str
    rule_pack_version: str
    started_at: str
    finished_at: str = ""
    duration_seconds: float = 0.0
    files: MutableSequence[FileRecord] = field(default_factory=list)
    findings: MutableSequence[Finding] = field(default_factory=list)
    diagnostics: MutableSequence[Diagnostic] = field(default_factory=list)
    # When a baseline was applied: {"known": findings it hid, "fixed": its entries no longer found}.
    baseline: dict[str, Any] | None = None
    # When the project configures a quality gate: {"passed": bool, "conditions": [...]}.
    gate: dict[str, Any] | None = None
    # When the architecture review ran: the module graph, package metrics and cycles (``ArchitectureReport``'s
    # dictionary; a spooled review's is a ``SpooledArchitecture``, a mapping equal to it, read from the spool).
    architecture: Mapping[str, Any] | None = None
    # When an AI review was asked for: its status, why it was unavailable, what was not sent, usage and cost
    # per provider (``reviewlab.ai.run.summary``); its findings are among ``findings``, with ``Finding.ai`` set.
    ai: dict[str, Any] | None = None

    def __enter__(self) -> ReviewResult:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove what a spooled result keeps on disk (its lists are unusable afterwards unless loaded)."""
        for listed in (self.files, self.findings, self.diagnostics):
            close = getattr(listed, "close", None)
            if close is not None:
                close()

    @property
    def lines(self) -> int:
        total = _from_spool(self.files, "total", "lines")
        return total if total is not None else sum(f.lines for f in self.files)

    @property
    def cache_hits(self) -> int:
        total = _from_spool(self.files, "total", "cached")
        return total if total is not None else sum(1 for f in self.files if f.cached)

    def architecture_dict(self) -> dict[str, Any] | None:
        """``architecture`` as a plain dictionary (a spooled one read whole, to store it)."""
        architecture = self.architecture
        if architecture is None or isinstance(architecture, dict):
            return architecture
        to_dict = getattr(architecture, "to_dict", None)
        return to_dict() if callable(to_dict) else dict(architecture)

    def counts_by_severity(self) -> dict[str, int]:
        return _counts(Severity, self.findings, "severity")

    def counts_by_category(self) -> dict[str, int]:
        return _counts(Category, self.findings, "category")

    def worst_severity(self) -> Severity | None:
        counts = self.counts_by_severity()
        return max((s for s in Severity if counts[s.value]), key=lambda s: s.rank, default=None)


def _from_spool(listed: Iterable[Any], method: str, column: str) -> Any:
    """What a spooled list answers from disk (``Spooled.tally`` / ``total``); None for a list in memory."""
    answer = getattr(listed, method, None)
    return answer(column) if answer is not None else None


def _counts(values: type[StrEnum], findings: Iterable[Finding], column: str) -> dict[str, int]:
    counts = {value.value: 0 for value in values}
    tally = _from_spool(findings, "tally", column)
    if tally is None:
        tally = Counter(getattr(finding, column).value for finding in findings)
    for value, count in tally.items():
        counts[value] += count
    return counts
