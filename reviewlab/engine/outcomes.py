"""Where a review's per-file outcomes go as they arrive, and how they become its result: held in memory (a small
review), or written to a spool and listed back from disk (a large one, see ``engine.spool``). Both give the
same result: the same files, findings and diagnostics in the same order, the same project-wide findings."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from reviewlab.engine.cache import Analysed
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.crossfile import PROJECT_FACTS, FactsInMemory, project_review
from reviewlab.engine.model import Diagnostic, FileRecord, Finding, ReviewResult, Severity
from reviewlab.engine.spool import Spool, Spooled


class Outcomes(Protocol):
    """Where a review's per-file outcomes go as they arrive, and how they become its result."""

    def add(self, record: FileRecord, outcome: Analysed) -> None: ...

    def add_met(self, met: list[Diagnostic]) -> None: ...

    def finish(self, result: ReviewResult, root: Path) -> None: ...

    def discard(self) -> None: ...


class InMemory:
    """Outcomes kept in memory until every file is done: the small reviews."""

    def __init__(self, config: ReviewConfig) -> None:
        self.config = config
        self.records: dict[str, FileRecord] = {}
        self.analysed: dict[str, Analysed] = {}
        self.met: list[Diagnostic] = []

    def add(self, record: FileRecord, outcome: Analysed) -> None:
        self.records[record.path] = record
        self.analysed[record.path] = outcome

    def add_met(self, met: list[Diagnostic]) -> None:
        self.met.extend(met)
        met.clear()

    def finish(self, result: ReviewResult, root: Path) -> None:
        findings: list[Finding] = []
        result.diagnostics = self.met
        for relpath in sorted(self.records):
            result.files.append(self.records[relpath])
            findings.extend(self.analysed[relpath].findings)
            result.diagnostics.extend(self.analysed[relpath].diagnostics)
        facts = {path: a.facts for path, a in sorted(self.analysed.items()) if a.facts}
        outcome = project_review(FactsInMemory(facts), root, self.config)
        findings.extend(outcome.findings)
        result.architecture = outcome.architecture
        findings = with_severity_overrides(findings, self.config)
        findings.sort(key=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id))
        result.findings = findings

    def discard(self) -> None:
        return None


class SpooledOutcomes:
    """Outcomes written to a spool as they arrive: the large reviews (see ``engine.spool``)."""

    def __init__(self, config: ReviewConfig, spool: Spool | None = None) -> None:
        self.config = config
        self.spool = spool if spool is not None else Spool()

    def add(self, record: FileRecord, outcome: Analysed) -> None:
        findings = with_severity_overrides(outcome.findings, self.config)
        facts = {kind: outcome.facts[kind] for kind in PROJECT_FACTS if kind in outcome.facts}
        self.spool.add_file(record, findings, outcome.diagnostics, facts)

    def add_met(self, met: list[Diagnostic]) -> None:
        self.spool.add_diagnostics(met)
        met.clear()

    def finish(self, result: ReviewResult, root: Path) -> None:
        outcome = project_review(self.spool, root, self.config)
        self.spool.add_project_findings(overridden(outcome.findings, self.config))
        result.architecture = outcome.architecture
        self.spool.finish()
        result.files = Spooled(self.spool, "files")
        result.findings = Spooled(self.spool, "findings")
        result.diagnostics = Spooled(self.spool, "diagnostics")

    def discard(self) -> None:
        self.spool.close()


def with_severity_overrides(findings: Iterable[Finding], config: ReviewConfig) -> list[Finding]:
    """The findings at the severities the project's ``[reviewlab.severity]`` asks for (cached results keep the
    rules' own severities, so changing an override needs no re-analysis)."""
    return list(overridden(findings, config))


def overridden(findings: Iterable[Finding], config: ReviewConfig) -> Iterator[Finding]:
    """:func:`with_severity_overrides`, one finding at a time."""
    for finding in findings:
        wanted = config.severity_for(finding.rule_id) if config.severity else None
        yield dataclasses.replace(finding, severity=Severity(wanted)) if wanted else finding
