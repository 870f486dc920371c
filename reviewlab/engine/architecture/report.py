"""The result of the architecture review: modules, import edges, package metrics, cycles and findings.

``ArchitectureReport.to_dict`` is the JSON form (stable keys, every list sorted); ``from_dict`` reads it
back. The keys are documented on :meth:`ArchitectureReport.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reviewlab.engine.architecture.export import mermaid
from reviewlab.engine.model import Finding, Span

REPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ImportSite:
    """One import statement behind an edge: the file, the statement's span and its (stripped) line text."""

    path: str
    span: Span
    text: str
    type_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.span.start_line,
            "column": self.span.start_column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "text": self.text,
            "type_only": self.type_only,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportSite:
        span = Span(data["line"], data["column"], data["end_line"], data["end_column"])
        return cls(data["path"], span, data["text"], data["type_only"])


@dataclass(frozen=True, slots=True)
class ModuleNode:
    """A node of the graph: a file (Python, JavaScript/TypeScript, Java) or a directory (a Go package)."""

    id: str
    name: str  # dotted module name, Java class, Go import path; the id when there is none
    language: str
    package: str  # the directory, for package metrics ("." for the top directory)
    path: str  # the file findings about the module point at (a Go package's first file)
    lines: int
    types: int
    abstract_types: int
    fan_in: int
    fan_out: int
    external: tuple[str, ...] = ()  # what it imports from outside the project (top-level package names)
    unresolved: tuple[str, ...] = ()  # project-looking imports that name no file (``./missing``, ``from .. import``)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "package": self.package,
            "path": self.path,
            "lines": self.lines,
            "types": self.types,
            "abstract_types": self.abstract_types,
            "fan_in": self.fan_in,
            "fan_out": self.fan_out,
            "external": list(self.external),
            "unresolved": list(self.unresolved),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModuleNode:
        return cls(
            data["id"],
            data["name"],
            data["language"],
            data["package"],
            data["path"],
            data["lines"],
            data["types"],
            data["abstract_types"],
            data["fan_in"],
            data["fan_out"],
            tuple(data["external"]),
            tuple(data["unresolved"]),
        )


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` imports ``target`` (module ids), at ``sites``."""

    source: str
    target: str
    sites: tuple[ImportSite, ...]

    @property
    def type_only(self) -> bool:
        """Every import behind the edge is for type checking only (no run-time dependency)."""
        return all(site.type_only for site in self.sites)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "lines": sorted({site.span.start_line for site in self.sites}),
            "type_only": self.type_only,
            "sites": [site.to_dict() for site in self.sites],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edge:
        return cls(data["from"], data["to"], tuple(ImportSite.from_dict(s) for s in data["sites"]))


@dataclass(frozen=True, slots=True)
class PackageMetrics:
    """Robert C. Martin's package metrics, with modules as the unit of coupling."""

    name: str
    modules: int
    types: int
    abstract_types: int
    fan_in: int  # Ca: modules outside the package that import a module inside
    fan_out: int  # Ce: modules outside the package that a module inside imports
    instability: float  # Ce / (Ca + Ce), 0 when both are 0
    abstractness: float  # abstract types / types, 0 when there are none
    distance: float  # |A + I - 1|, the distance from the main sequence

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "modules": self.modules,
            "types": self.types,
            "abstract_types": self.abstract_types,
            "fan_in": self.fan_in,
            "fan_out": self.fan_out,
            "instability": self.instability,
            "abstractness": self.abstractness,
            "distance": self.distance,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackageMetrics:
        return cls(
            data["name"],
            data["modules"],
            data["types"],
            data["abstract_types"],
            data["fan_in"],
            data["fan_out"],
            data["instability"],
            data["abstractness"],
            data["distance"],
        )


@dataclass(frozen=True, slots=True)
class Cycle:
    """One import cycle: ``path`` starts and ends at the same module; ``members`` is its whole strongly
    connected component (every module that can reach every other), sorted."""

    path: tuple[str, ...]
    members: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"path": list(self.path), "members": list(self.members), "size": len(self.members)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cycle:
        return cls(tuple(data["path"]), tuple(data["members"]))


@dataclass(frozen=True, slots=True)
class ArchitectureReport:
    """The module dependency graph of a project and what the architecture review found in it."""

    modules: tuple[ModuleNode, ...] = ()
    edges: tuple[Edge, ...] = ()
    packages: tuple[PackageMetrics, ...] = ()
    cycles: tuple[Cycle, ...] = ()
    findings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form. Keys (all lists sorted, so equal graphs give equal JSON):

        - ``version``: 1.
        - ``summary``: counts of ``modules``, ``edges``, ``packages``, ``cycles``, ``external`` and ``findings``.
        - ``modules``: by ``id`` — ``id``, ``name``, ``language``, ``package``, ``path``, ``lines``, ``types``,
          ``abstract_types``, ``fan_in``, ``fan_out``, ``external`` (imported outside packages), ``unresolved``.
        - ``edges``: by ``from``, ``to`` — ``lines`` (of the import statements, in the importing file; a Go
          package's edges have ``sites`` in several files), ``type_only``, ``sites`` (``path``, ``line``,
          ``column``, ``end_line``, ``end_column``, ``text``, ``type_only``).
        - ``external``: by ``name`` — each outside package and how many ``modules`` import it.
        - ``packages``: by ``name`` — ``modules``, ``types``, ``abstract_types``, ``fan_in`` (Ca), ``fan_out``
          (Ce), ``instability``, ``abstractness``, ``distance`` (rounded to 4 decimals).
        - ``cycles``: ``path`` (first module repeated at the end), ``members`` (its strongly connected
          component), ``size`` (of the component).
        - ``findings``: :meth:`reviewlab.engine.model.Finding.to_dict` of each finding.
        """
        external: dict[str, int] = {}
        for module in self.modules:
            for name in module.external:
                external[name] = external.get(name, 0) + 1
        return {
            "version": REPORT_VERSION,
            "summary": {
                "modules": len(self.modules),
                "edges": len(self.edges),
                "packages": len(self.packages),
                "cycles": len(self.cycles),
                "external": len(external),
                "findings": len(self.findings),
            },
            "modules": [module.to_dict() for module in self.modules],
            "edges": [edge.to_dict() for edge in self.edges],
            "external": [{"name": name, "modules": external[name]} for name in sorted(external)],
            "packages": [package.to_dict() for package in self.packages],
            "cycles": [cycle.to_dict() for cycle in self.cycles],
            "findings": [finding.to_dict() for finding in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchitectureReport:
        return cls(
            modules=tuple(ModuleNode.from_dict(m) for m in data["modules"]),
            edges=tuple(Edge.from_dict(e) for e in data["edges"]),
            packages=tuple(PackageMetrics.from_dict(p) for p in data["packages"]),
            cycles=tuple(Cycle.from_dict(c) for c in data["cycles"]),
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
        )

    def to_mermaid(self, max_nodes: int = 60) -> str:
        """A Mermaid ``flowchart LR`` of the graph (of its packages when it has more than ``max_nodes``
        modules), with the edges of import cycles highlighted."""
        return mermaid(self, max_nodes)
