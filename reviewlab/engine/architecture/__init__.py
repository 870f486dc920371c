"""The architecture review: the project's module dependency graph, import cycles, package metrics, god
modules and layering rules.

It runs in two phases. ``module_facts(relpath, language, tree, source)`` runs per file in the worker
processes and returns JSON-ready facts, cached with the file's other results::

    {
      "version": 1,
      "language": "python",            # a reviewlab.engine.languages name
      "package": null,                 # the declared package: Java ``package a.b;``, Go ``package x``
      "imports": [                     # in source order
        {"spec": "..models", "kind": "from", "names": ["User"], "line": 3, "column": 1, "end_line": 3,
         "end_column": 28, "text": "from ..models import User", "type_only": false}
      ],
      "types": 2, "abstract_types": 1, "lines": 120
    }

``spec`` is the imported specifier as written (Python ``a.b`` or ``..a``, a JS module specifier, a
Java ``a.b.C`` / ``a.b.*`` / static ``a.b.C.m``, a Go import path); ``kind`` is ``import`` or
``from`` (Python), ``import``, ``export``, ``require`` or ``dynamic`` (JavaScript/TypeScript),
``import`` or ``static`` (Java), ``import`` (Go); ``names`` are what a Python ``from`` import takes
(``*`` for a wildcard); the span (1-based lines, code point columns, end exclusive) is the import
statement's (the import spec's in a Go import group), ``text`` its first line stripped, at most 240
characters. ``type_only`` marks imports under ``if TYPE_CHECKING:`` and TypeScript ``import type``.
``types``/``abstract_types`` count classes and the abstract ones: Python classes deriving ``ABC`` or
``Protocol``, with an ``ABCMeta`` metaclass or an ``@abstractmethod``; Java and TypeScript interfaces
and abstract classes (and Java annotation types); Go interface types.

``build_graph(facts, root, config)`` runs once over every file's facts and returns an
:class:`ArchitectureReport` with the findings of ``RULES``: GEN-A001 import cycles, GEN-A002 layering
violations, GEN-A003 god modules (see ``resolve`` for how imports are resolved, ``metrics`` for the
package metrics and ``config`` for ``[reviewlab.architecture]``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewlab.engine.architecture.build import build_graph
    from reviewlab.engine.architecture.config import ArchitectureConfig, LayerConfig
    from reviewlab.engine.architecture.facts import FACTS_VERSION, module_facts
    from reviewlab.engine.architecture.report import (
        ArchitectureReport,
        Cycle,
        Edge,
        ImportSite,
        ModuleNode,
        PackageMetrics,
    )
    from reviewlab.engine.architecture.rules import CYCLE, GOD_MODULE, LAYERING, RULES

# Imported on first use: ``reviewlab.engine.config`` imports ``config`` from here, and a review answered
# from the cache must not load tree-sitter (``facts``) or the rules.
_HOMES = {
    "build_graph": "build",
    "ArchitectureConfig": "config",
    "LayerConfig": "config",
    "FACTS_VERSION": "facts",
    "module_facts": "facts",
    "ArchitectureReport": "report",
    "Cycle": "report",
    "Edge": "report",
    "ImportSite": "report",
    "ModuleNode": "report",
    "PackageMetrics": "report",
    "CYCLE": "rules",
    "GOD_MODULE": "rules",
    "LAYERING": "rules",
    "RULES": "rules",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "CYCLE",
    "FACTS_VERSION",
    "GOD_MODULE",
    "LAYERING",
    "RULES",
    "ArchitectureConfig",
    "ArchitectureReport",
    "Cycle",
    "Edge",
    "ImportSite",
    "LayerConfig",
    "ModuleNode",
    "PackageMetrics",
    "build_graph",
    "module_facts",
]
