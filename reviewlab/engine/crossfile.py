"""The project-wide analyses: what needs every file at once (the module graph; duplicated code across files).

They run in the parent once every file is analysed, on the facts the workers gathered and the cache
kept (``reviewlab.engine.facts``), so a warm review re-runs them without parsing anything. Their
findings obey the project's configuration like the per-file ones: disabled rules report nothing,
severity overrides apply (in the pipeline), and ``reviewlab: ignore[RULE-ID]`` on the flagged line
silences them — the line is read from the file, since the parent holds no sources.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import Finding
from reviewlab.engine.spool import Spool

ARCHITECTURE_FACTS = "imports"
CLONE_FACTS = "clones"
PROJECT_FACTS = (ARCHITECTURE_FACTS, CLONE_FACTS)
_FILES_KEPT = 256  # files whose lines are kept for checking suppressions


class FactsInMemory:
    """Every file's facts, held (a small review's); a large review's are in its ``Spool``."""

    def __init__(self, facts: Mapping[str, Mapping[str, Any]]) -> None:
        self._facts = facts

    def facts(self, kind: str) -> Iterator[tuple[str, Any]]:
        """(path, fact) of every file with a fact of ``kind``, by path."""
        return ((path, self._facts[path][kind]) for path in sorted(self._facts) if kind in self._facts[path])


@dataclass(slots=True)
class ProjectOutcome:
    """The project-wide findings (produced as they are read, once) and, when the module graph was built, its
    report (``ArchitectureReport``)."""

    findings: Iterable[Finding] = ()
    architecture: Mapping[str, Any] | None = None


class _Listed(Mapping[str, Any]):
    """A kind of fact of every file, as the mapping ``build_graph`` reads, listed one file at a time."""

    def __init__(self, facts: FactsInMemory | Spool, kind: str) -> None:
        self._facts = facts
        self._kind = kind

    def pairs(self) -> Iterator[tuple[str, Any]]:
        return self._facts.facts(self._kind)

    def __getitem__(self, path: str) -> Any:
        return next(fact for found, fact in self.pairs() if found == path)

    def __iter__(self) -> Iterator[str]:
        return (path for path, _ in self.pairs())

    def __len__(self) -> int:
        return sum(1 for _ in self.pairs())

    def items(self) -> ItemsView[str, Any]:
        return _Items(self)


class _Items(ItemsView[str, Any]):
    """The items of a ``_Listed``, read in one pass (not one look-up per key)."""

    def __init__(self, listed: _Listed) -> None:
        super().__init__(listed)
        self._listed = listed

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return self._listed.pairs()


def architecture_enabled(config: ReviewConfig) -> bool:
    from reviewlab.engine.architecture import RULES

    return any(config.rule_enabled(rule.id) for rule in RULES)


def project_review(facts: FactsInMemory | Spool, root: Path, config: ReviewConfig) -> ProjectOutcome:
    """Run the project-wide analyses whose facts were gathered (in memory, or spooled by a large review)."""
    outcome = ProjectOutcome()
    found: list[Iterable[Finding]] = []
    if isinstance(facts, Spool) and _any(facts, ARCHITECTURE_FACTS):
        from reviewlab.engine.architecture.spooled import build_spooled

        spooled = build_spooled(facts, root, config.architecture)
        outcome.architecture = spooled
        found.append(spooled.findings)
    elif _any(facts, ARCHITECTURE_FACTS):
        from reviewlab.engine.architecture import build_graph

        report = build_graph(_Listed(facts, ARCHITECTURE_FACTS), root, config.architecture)
        outcome.architecture = report.to_dict()
        found.append(report.findings)
    found.append(_clone_findings(facts, config))
    lines: OrderedDict[str, list[bytes]] = OrderedDict()
    outcome.findings = (
        f for f in chain(*found) if config.rule_enabled(f.rule_id) and not _suppressed_in_file(root, f, lines)
    )
    return outcome


def _any(facts: FactsInMemory | Spool, kind: str) -> bool:
    listed = facts.facts(kind)
    try:
        return next(listed, None) is not None
    finally:
        listed.close()  # type: ignore[attr-defined]


def _clone_findings(facts: FactsInMemory | Spool, config: ReviewConfig) -> Iterable[Finding]:
    from reviewlab.engine.clones import RULE, each_clone_finding, find_clones

    options = {**RULE.options, **config.rules.get(RULE.id, {})}
    min_tokens, min_lines = int(options["min_tokens"]), int(options["min_lines"])
    if isinstance(facts, Spool):
        from reviewlab.engine.clone_spool import each_spooled_clone_finding

        return each_spooled_clone_finding(facts, min_tokens=min_tokens, min_lines=min_lines)
    tokens = dict(facts.facts(CLONE_FACTS))
    if not tokens:
        return ()
    return each_clone_finding(find_clones(tokens, min_tokens=min_tokens, min_lines=min_lines))


def _suppressed_in_file(root: Path, finding: Finding, lines: OrderedDict[str, list[bytes]]) -> bool:
    """Whether the flagged line carries a suppression of the finding's rule; ``lines`` keeps the last
    ``_FILES_KEPT`` files' lines (only files that mention ``reviewlab`` at all are split)."""
    from reviewlab.engine.analyzer import is_suppressed

    if finding.path in lines:
        lines.move_to_end(finding.path)
    else:
        path = root / finding.path if root.is_dir() else root
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        lines[finding.path] = data.split(b"\n") if b"reviewlab" in data else []  # rows as tree-sitter counts them
        if len(lines) > _FILES_KEPT:
            lines.popitem(last=False)
    found = lines[finding.path]
    row = finding.span.start_line - 1
    return 0 <= row < len(found) and is_suppressed(found[row].rstrip(b"\r"), finding.rule_id)
