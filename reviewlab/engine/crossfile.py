"""The project-wide analyses: what needs every file at once (the module graph; duplicated code across files).

They run in the parent once every file is analysed, on the facts the workers gathered and the cache
kept (``reviewlab.engine.facts``), so a warm review re-runs them without parsing anything. Their
findings obey the project's configuration like the per-file ones: disabled rules report nothing,
severity overrides apply (in the pipeline), and ``reviewlab: ignore[RULE-ID]`` on the flagged line
silences them — the line is read from the file, since the parent holds no sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import Finding

ARCHITECTURE_FACTS = "imports"
CLONE_FACTS = "clones"


@dataclass(slots=True)
class ProjectOutcome:
    """The project-wide findings and, when the module graph was built, its report (``ArchitectureReport``)."""

    findings: list[Finding] = field(default_factory=list)
    architecture: dict[str, Any] | None = None


def architecture_enabled(config: ReviewConfig) -> bool:
    from reviewlab.engine.architecture import RULES

    return any(config.rule_enabled(rule.id) for rule in RULES)


def project_review(facts: Mapping[str, Mapping[str, Any]], root: Path, config: ReviewConfig) -> ProjectOutcome:
    """Run the project-wide analyses whose facts were gathered: ``facts`` maps each file's path to its facts."""
    outcome = ProjectOutcome()
    imports = {path: fact[ARCHITECTURE_FACTS] for path, fact in facts.items() if ARCHITECTURE_FACTS in fact}
    if imports:
        from reviewlab.engine.architecture import build_graph

        report = build_graph(imports, root, config.architecture)
        outcome.architecture = report.to_dict()
        outcome.findings.extend(report.findings)
    tokens = {path: fact[CLONE_FACTS] for path, fact in facts.items() if CLONE_FACTS in fact}
    if tokens:
        from reviewlab.engine.clones import RULE, clone_findings, find_clones

        options = {**RULE.options, **config.rules.get(RULE.id, {})}
        groups = find_clones(tokens, min_tokens=int(options["min_tokens"]), min_lines=int(options["min_lines"]))
        outcome.findings.extend(clone_findings(groups))
    lines: dict[str, list[bytes]] = {}
    outcome.findings = [
        f for f in outcome.findings if config.rule_enabled(f.rule_id) and not _suppressed_in_file(root, f, lines)
    ]
    return outcome


def _suppressed_in_file(root: Path, finding: Finding, lines: dict[str, list[bytes]]) -> bool:
    """Whether the flagged line carries a suppression of the finding's rule; ``lines`` caches each file's lines
    (only files that mention ``reviewlab`` at all are split)."""
    from reviewlab.engine.analyzer import is_suppressed

    if finding.path not in lines:
        path = root / finding.path if root.is_dir() else root
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        lines[finding.path] = data.split(b"\n") if b"reviewlab" in data else []  # rows as tree-sitter counts them
    found = lines[finding.path]
    row = finding.span.start_line - 1
    return 0 <= row < len(found) and is_suppressed(found[row].rstrip(b"\r"), finding.rule_id)
