"""How the architecture review scales, measured on the SQLAlchemy package installed in the venv.

The figures are printed (run with ``-s``), not asserted: timings depend on the machine. Subsets are
prefixes of the sorted file list (whole packages), so their import counts differ from a plain fraction.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from reviewlab.engine.architecture import ArchitectureConfig, build_graph, module_facts
from reviewlab.engine.languages import parser_for


@pytest.mark.slow
def test_sqlalchemy_scaling() -> None:
    root = Path(sqlalchemy.__file__).parent
    sources = {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*.py"))}
    parser = parser_for("python")
    trees = {relpath: parser.parse(source) for relpath, source in sources.items()}
    facts: dict[str, dict[str, Any]] = {}
    facts_seconds: dict[str, float] = {}
    for relpath, source in sources.items():
        started = time.perf_counter()
        facts[relpath] = module_facts(relpath, "python", trees[relpath], source)
        facts_seconds[relpath] = time.perf_counter() - started
    paths = list(facts)
    print(f"\nsqlalchemy: {len(paths)} files")
    for share in (8, 4, 2, 1):
        subset = {relpath: facts[relpath] for relpath in paths[: len(paths) // share]}
        imports = sum(len(f["imports"]) for f in subset.values())
        lines = sum(f["lines"] for f in subset.values())
        seconds = []
        for _ in range(3):
            started = time.perf_counter()
            report = build_graph(subset, root, ArchitectureConfig())
            seconds.append(time.perf_counter() - started)
        summary = report.to_dict()["summary"]
        largest = max((len(c.members) for c in report.cycles), default=0)
        print(
            f"1/{share}: {len(subset)} files, {lines} lines, {imports} imports; "
            f"facts {sum(facts_seconds[p] for p in subset):.3f}s; build {min(seconds):.3f}s "
            f"({min(seconds) / max(imports, 1) * 1e6:.1f} us/import) -> {summary['modules']} modules, "
            f"{summary['edges']} edges, {summary['cycles']} cycles (largest {largest}), {summary['findings']} findings"
        )
        assert summary["modules"] == len(subset)
