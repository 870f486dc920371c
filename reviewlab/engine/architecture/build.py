"""Phase 2 of the architecture review: the project's module graph from every file's facts, and its findings.

Runs once, in the parent process, over the cached facts of every file: resolves the imports
(``resolve``), builds the nodes and edges, computes the package metrics, finds the import cycles
(strongly connected components; type-only imports do not count) and checks the god-module limits and
the layering rules of the configuration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reviewlab.engine.architecture.config import ArchitectureConfig, LayerConfig
from reviewlab.engine.architecture.graph import shortest_cycle, strongly_connected
from reviewlab.engine.architecture.inputs import FileFacts, read_facts
from reviewlab.engine.architecture.metrics import package_metrics
from reviewlab.engine.architecture.report import ArchitectureReport, Cycle, Edge, ImportSite, ModuleNode
from reviewlab.engine.architecture.resolve import GoResolver, JavaResolver, PythonResolver, Resolver, ScriptResolver
from reviewlab.engine.architecture.rules import cycle_finding, god_module_finding, layering_finding
from reviewlab.engine.languages import FAMILY
from reviewlab.engine.model import Finding


@dataclass(slots=True)
class _Node:
    """A module as it is assembled from its file(s)."""

    name: str
    language: str
    files: list[str] = field(default_factory=list)
    lines: int = 0
    types: int = 0
    abstract_types: int = 0
    external: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)


def _resolvers(files: list[FileFacts], root: Path | None) -> dict[str, Resolver]:
    by_family: dict[str, list[FileFacts]] = defaultdict(list)
    for file in files:
        by_family[FAMILY[file.language]].append(file)
    return {
        "python": PythonResolver(by_family["python"], root),
        "javascript": ScriptResolver(by_family["javascript"]),
        "java": JavaResolver(by_family["java"]),
        "go": GoResolver(by_family["go"], root),
    }


def _collect(
    files: list[FileFacts], root: Path | None
) -> tuple[dict[str, _Node], dict[tuple[str, str], dict[ImportSite, None]]]:
    resolvers = _resolvers(files, root)
    nodes: dict[str, _Node] = {}
    sites: dict[tuple[str, str], dict[ImportSite, None]] = defaultdict(dict)
    for file in files:
        family = FAMILY[file.language]
        resolver = resolvers[family]
        source = resolver.node(file)
        node = nodes.get(source)
        if node is None:
            node = nodes[source] = _Node(resolver.name(file), file.language)
        node.files.append(file.relpath)
        node.lines += file.lines
        node.types += file.types
        node.abstract_types += file.abstract_types
        for fact in file.imports:
            resolution = resolver.resolve(file, fact)
            if resolution.external is not None:
                node.external.add(resolution.external)
            elif not resolution.targets:
                node.unresolved.add(fact.spec)
            for target in resolution.targets:
                # A prefix or attribute import that fell back to the importer itself is not a self-import; a
                # Go package cannot import itself (the compiler refuses), so such an edge is noise.
                if target.node == source and (not target.exact or family == "go"):
                    continue
                sites[(source, target.node)][fact.site] = None
    return nodes, sites


def _package(node_id: str, language: str) -> str:
    if FAMILY[language] == "go":
        return node_id
    return node_id.rpartition("/")[0] or "."


def _modules(nodes: dict[str, _Node], edges: list[Edge]) -> list[ModuleNode]:
    fan_in: dict[str, int] = defaultdict(int)
    fan_out: dict[str, int] = defaultdict(int)
    for edge in edges:
        if edge.source != edge.target:
            fan_out[edge.source] += 1
            fan_in[edge.target] += 1
    return [
        ModuleNode(
            id=node_id,
            name=node.name,
            language=node.language,
            package=_package(node_id, node.language),
            path=min(node.files),
            lines=node.lines,
            types=node.types,
            abstract_types=node.abstract_types,
            fan_in=fan_in[node_id],
            fan_out=fan_out[node_id],
            external=tuple(sorted(node.external)),
            unresolved=tuple(sorted(node.unresolved)),
        )
        for node_id, node in sorted(nodes.items())
    ]


def _run_time_site(edge: Edge) -> ImportSite:
    return next((site for site in edge.sites if not site.type_only), edge.sites[0])


def _cycles(modules: list[ModuleNode], edges: list[Edge]) -> list[tuple[Cycle, Finding]]:
    by_pair = {(e.source, e.target): e for e in edges if not e.type_only}
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in by_pair:  # edges are sorted, so successors are too
        successors[source].append(target)
    found: list[tuple[Cycle, Finding]] = []
    for members in strongly_connected((m.id for m in modules), successors):
        start = members[0]
        if len(members) == 1 and (start, start) not in by_pair:
            continue
        path = shortest_cycle(start, successors, set(members))
        if not path:
            continue
        sites = [_run_time_site(by_pair[(path[i], path[i + 1])]) for i in range(len(path) - 1)]
        found.append((Cycle(tuple(path), tuple(members)), cycle_finding(path, sites, members)))
    found.sort(key=lambda pair: pair[0].path)
    return found


def _god_modules(modules: Iterable[ModuleNode], config: ArchitectureConfig) -> list[Finding]:
    findings: list[Finding] = []
    for module in modules:
        excesses: list[str] = []
        if config.max_fan_out and module.fan_out > config.max_fan_out:
            excesses.append(f"imports {module.fan_out} project modules (limit {config.max_fan_out})")
        if config.max_fan_in and module.fan_in > config.max_fan_in:
            excesses.append(f"is imported by {module.fan_in} project modules (limit {config.max_fan_in})")
        if config.max_lines and module.lines > config.max_lines:
            excesses.append(f"has {module.lines} lines (limit {config.max_lines})")
        if excesses:
            findings.append(god_module_finding(module, excesses))
    return findings


def _layering(
    edges: Iterable[Edge], config: ArchitectureConfig, layer_of: Callable[[str], LayerConfig | None] | None = None
) -> list[Finding]:
    """The layering findings of ``edges`` (read once); ``layer_of`` is ``config.layer_of``, remembered."""
    if not config.layers:
        return []
    layer_of = layer_of or cache(config.layer_of)
    forbidden: dict[tuple[str, ImportSite], set[str]] = defaultdict(set)
    for edge in edges:
        source, target = layer_of(edge.source), layer_of(edge.target)
        if source is None or target is None or target.name not in source.must_not_import:
            continue
        for site in edge.sites:
            forbidden[(source.name, site)].add(target.name)
    findings: list[Finding] = []
    occurrences: dict[tuple[str, str], int] = defaultdict(int)
    ordered = sorted(forbidden, key=lambda key: (key[1].path, key[1].span.start_line, key[1].span.start_column))
    for layer, site in ordered:
        text = " ".join(site.text.split())
        findings.append(layering_finding(layer, sorted(forbidden[(layer, site)]), site, occurrences[(site.path, text)]))
        occurrences[(site.path, text)] += 1
    return findings


def build_graph(
    facts: Mapping[str, dict[str, Any]], root: Path | None, config: ArchitectureConfig
) -> ArchitectureReport:
    """The module graph of the project whose files' ``module_facts`` are ``facts`` (relpath -> facts), and the
    architecture findings in it. ``root`` is the reviewed directory (for go.mod files and the name of a root
    that is itself a Python package). Never raises on malformed facts: unusable entries are skipped."""
    nodes, sites = _collect(read_facts(facts), root)
    edges = [
        Edge(source, target, tuple(sorted(found, key=lambda s: (s.path, s.span.start_line, s.span.start_column))))
        for (source, target), found in sorted(sites.items())
    ]
    modules = _modules(nodes, edges)
    cycles = _cycles(modules, edges)
    findings = [finding for _, finding in cycles] + _layering(edges, config) + _god_modules(modules, config)
    findings.sort(key=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id, f.fingerprint))
    return ArchitectureReport(
        modules=tuple(modules),
        edges=tuple(edges),
        packages=tuple(package_metrics(modules, ((e.source, e.target) for e in edges))),
        cycles=tuple(cycle for cycle, _ in cycles),
        findings=tuple(findings),
    )
