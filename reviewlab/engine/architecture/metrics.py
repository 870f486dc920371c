"""Robert C. Martin's package metrics ("OO Design Quality Metrics", 1994), with modules as the unit of coupling.

A package is a directory (a Go package is its own). Ca (afferent coupling, ``fan_in``) counts the modules
outside the package that import a module inside; Ce (efferent coupling, ``fan_out``) counts the modules
outside the package that a module inside imports (the variant NDepend uses, symmetric with Ca).
Instability I = Ce / (Ca + Ce), abstractness A = abstract types / types, distance from the main
sequence D = |A + I - 1|; a ratio with nothing to divide by is 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from reviewlab.engine.architecture.report import ModuleNode, PackageMetrics


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def package_metrics(modules: Iterable[ModuleNode], edges: Iterable[tuple[str, str]]) -> list[PackageMetrics]:
    """Per package (the ``package`` of its modules): afferent coupling Ca (modules outside that import a
    module inside), efferent coupling Ce (modules outside that a module inside imports), instability,
    abstractness and the distance from the main sequence."""
    package_of: dict[str, str] = {}
    members: dict[str, list[ModuleNode]] = {}
    for module in modules:
        package_of[module.id] = module.package
        members.setdefault(module.package, []).append(module)
    afferent: dict[str, set[str]] = {name: set() for name in members}
    efferent: dict[str, set[str]] = {name: set() for name in members}
    for source, target in edges:
        inside, outside = package_of.get(target), package_of.get(source)
        if inside is None or outside is None or inside == outside:
            continue
        afferent[inside].add(source)
        efferent[outside].add(target)
    return [
        package_row(
            name,
            len(members[name]),
            sum(m.types for m in members[name]),
            sum(m.abstract_types for m in members[name]),
            len(afferent[name]),
            len(efferent[name]),
        )
        for name in sorted(members)
    ]


def package_row(name: str, modules: int, types: int, abstract: int, ca: int, ce: int) -> PackageMetrics:
    """One package's metrics from its counts: modules, types, abstract types, Ca and Ce."""
    instability = _ratio(ce, ca + ce)
    abstractness = _ratio(abstract, types)
    return PackageMetrics(
        name=name,
        modules=modules,
        types=types,
        abstract_types=abstract,
        fan_in=ca,
        fan_out=ce,
        instability=instability,
        abstractness=abstractness,
        distance=round(abs(abstractness + instability - 1), 4),
    )
