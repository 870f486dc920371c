"""Helpers of the architecture tests: facts of in-memory files, and the graph of a small project."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from reviewlab.engine.architecture import ArchitectureConfig, ArchitectureReport, build_graph, module_facts
from reviewlab.engine.languages import language_for_path, parser_for


def facts_of(relpath: str, source: str, language: str | None = None) -> dict[str, Any]:
    """``module_facts`` of one file given as text (dedented)."""
    language = language or language_for_path(relpath)
    assert language is not None, relpath
    data = textwrap.dedent(source).encode()
    return module_facts(relpath, language, parser_for(language).parse(data), data)


def project_facts(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {relpath: facts_of(relpath, source) for relpath, source in files.items()}


def graph_of(
    files: dict[str, str], root: Path | None = None, config: ArchitectureConfig | None = None
) -> ArchitectureReport:
    """The report of a project made of ``files`` (relpath -> source), written under ``root`` when given."""
    if root is not None:
        for relpath, source in files.items():
            path = root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source), encoding="utf-8")
    return build_graph(project_facts(files), root, config or ArchitectureConfig())


def edges_of(report: ArchitectureReport) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in report.edges}


def module(report: ArchitectureReport, module_id: str) -> Any:
    return next(m for m in report.modules if m.id == module_id)
