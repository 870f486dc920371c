"""The module graph as a Mermaid ``flowchart LR``, for reports and pull-request comments.

Nodes are modules, or packages when there are more modules than ``max_nodes`` (and then at most
``max_nodes`` packages, the most connected, with a comment saying how many were left out). Node ids
are ``n0``, ``n1``... (always valid Mermaid); labels are quoted with Mermaid's entity codes for the
characters that would end or change them. Edges inside an import cycle are drawn red and thick
(``linkStyle``), their nodes get the ``cycle`` class; type-only imports are dotted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from reviewlab.engine.architecture.graph import strongly_connected

if TYPE_CHECKING:
    from reviewlab.engine.architecture.report import ArchitectureReport

_ENTITIES = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"), ("|", "#124;"))
_CYCLE_STYLE = "stroke:#d62728,stroke-width:3px"
_CYCLE_CLASS = "fill:#fde0dc,stroke:#d62728"


def escape_label(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label."""
    text = " ".join(text.split())
    for char, entity in _ENTITIES:
        text = text.replace(char, entity)
    return text


def _module_view(report: ArchitectureReport) -> tuple[list[str], dict[tuple[str, str], bool], set[tuple[str, str]]]:
    component = {member: i for i, cycle in enumerate(report.cycles) for member in cycle.members}
    edges = {(e.source, e.target): e.type_only for e in report.edges}
    cyclic = {
        pair
        for pair, type_only in edges.items()
        if not type_only and pair[0] in component and component[pair[0]] == component.get(pair[1])
    }
    return [m.id for m in report.modules], edges, cyclic


def _package_edges(report: ArchitectureReport) -> dict[tuple[str, str], bool]:
    """Imports between packages: (importing package, imported package) -> whether every import is type-only."""
    package_of = {m.id: m.package for m in report.modules}
    edges: dict[tuple[str, str], bool] = {}
    for edge in report.edges:
        pair = (package_of[edge.source], package_of[edge.target])
        if pair[0] != pair[1]:
            edges[pair] = edges.get(pair, True) and edge.type_only
    return edges


def _package_view(
    edges: dict[tuple[str, str], bool], names: Iterable[str], max_nodes: int
) -> tuple[list[str], dict[tuple[str, str], bool], set[tuple[str, str]], int]:
    degree: dict[str, int] = defaultdict(int)
    for source, target in edges:
        degree[source] += 1
        degree[target] += 1
    packages = sorted(set(names), key=lambda name: (-degree[name], name))
    kept = set(packages[:max_nodes])
    edges = {pair: t for pair, t in edges.items() if pair[0] in kept and pair[1] in kept}
    successors: dict[str, list[str]] = defaultdict(list)
    for (source, target), type_only in sorted(edges.items()):
        if not type_only:
            successors[source].append(target)
    component: dict[str, int] = {}
    for i, members in enumerate(strongly_connected(sorted(kept), successors)):
        component.update((member, i) for member in members)
    cyclic = {pair for pair, t in edges.items() if not t and component[pair[0]] == component[pair[1]]}
    return sorted(kept), edges, cyclic, len(packages) - len(kept)


def mermaid(report: ArchitectureReport, max_nodes: int = 60) -> str:
    """The report's graph as Mermaid ``flowchart LR`` source (see the module docstring)."""
    if len(report.modules) <= max(max_nodes, 1):
        return _flowchart([], *_module_view(report))
    return mermaid_of_packages(
        len(report.modules), _package_edges(report), (p.name for p in report.packages), max_nodes
    )


def mermaid_of_packages(
    modules: int, edges: dict[tuple[str, str], bool], packages: Iterable[str], max_nodes: int = 60
) -> str:
    """:func:`mermaid` of a graph of more than ``max_nodes`` modules, from its imports between packages
    (``_package_edges``) and its packages' names."""
    nodes, kept, cyclic, omitted = _package_view(edges, packages, max(max_nodes, 1))
    header = [f"    %% {modules} modules shown as {len(nodes)} packages"]
    if omitted:
        header.append(f"    %% {omitted} less connected package(s) left out")
    return _flowchart(header, nodes, kept, cyclic)


def _flowchart(
    header: list[str], nodes: list[str], edges: dict[tuple[str, str], bool], cyclic: set[tuple[str, str]]
) -> str:
    lines = ["flowchart LR", *header]
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    lines.extend(f'    {ids[node]}["{escape_label(node)}"]' for node in nodes)
    highlighted: list[str] = []
    in_cycle: set[str] = set()
    for index, ((source, target), type_only) in enumerate(sorted(edges.items())):
        lines.append(f"    {ids[source]} {'-.->' if type_only else '-->'} {ids[target]}")
        if (source, target) in cyclic:
            highlighted.append(str(index))
            in_cycle.update((ids[source], ids[target]))
    if highlighted:
        lines.append(f"    linkStyle {','.join(highlighted)} {_CYCLE_STYLE}")
        lines.append(f"    classDef cycle {_CYCLE_CLASS}")
        lines.append(f"    class {','.join(sorted(in_cycle, key=lambda n: int(n[1:])))} cycle")
    return "\n".join(lines) + "\n"
