"""GEN-A001: import cycles as strongly connected components, each with one shortest concrete cycle."""

from __future__ import annotations

import sys
from typing import Any

from reviewlab.engine.architecture import ArchitectureConfig, build_graph
from reviewlab.engine.model import Category
from tests.engine.architecture.support import graph_of


def test_two_module_cycle_is_located_at_the_first_import() -> None:
    report = graph_of(
        {
            "app/__init__.py": "",
            "app/orders.py": "import os\n\nfrom app.customers import Customer\n",
            "app/customers.py": "def f():\n    from app import orders\n",
        }
    )
    assert [c.path for c in report.cycles] == [("app/customers.py", "app/orders.py", "app/customers.py")]
    (finding,) = report.findings
    assert finding.rule_id == "GEN-A001"
    assert finding.category is Category.ARCHITECTURE
    assert finding.cwe == 1047
    assert (finding.path, finding.span.start_line, finding.span.start_column) == ("app/customers.py", 2, 5)
    assert finding.snippet == "from app import orders"
    assert finding.message == "Import cycle: app/customers.py -> app/orders.py -> app/customers.py."
    assert [(r.path, r.span.start_line, r.message) for r in finding.related] == [
        (
            "app/orders.py",
            3,
            "app/orders.py imports app/customers.py: `from app.customers import Customer`",
        )
    ]


def test_three_module_cycle_path_in_import_order() -> None:
    report = graph_of(
        {
            "a.js": 'import "./b";\n',
            "b.js": 'const c = require("./c");\n',
            "c.js": 'export * from "./a";\n',
        }
    )
    (cycle,) = report.cycles
    assert cycle.path == ("a.js", "b.js", "c.js", "a.js")
    (finding,) = report.findings
    assert finding.message == "Import cycle: a.js -> b.js -> c.js -> a.js."
    assert [(r.path, r.span.start_line) for r in finding.related] == [("b.js", 1), ("c.js", 1)]


def test_big_component_reports_one_shortest_cycle_and_its_size() -> None:
    # m0 -> m1 -> ... -> m7 -> m0, with a shortcut m0 -> m5: the shortest cycle through m0 is m0 m5 m6 m7 m0
    files = {f"pkg/m{i}.py": f"from . import m{(i + 1) % 8}\n" for i in range(8)}
    files["pkg/m0.py"] += "from . import m5\n"
    files["pkg/__init__.py"] = ""
    report = graph_of(files)
    (cycle,) = report.cycles
    assert cycle.path == ("pkg/m0.py", "pkg/m5.py", "pkg/m6.py", "pkg/m7.py", "pkg/m0.py")
    assert cycle.members == tuple(f"pkg/m{i}.py" for i in range(8))
    (finding,) = report.findings
    assert finding.span.start_line == 2
    assert "among 8 modules" in finding.message


def test_separate_components_each_give_one_finding() -> None:
    report = graph_of(
        {
            "x/a.py": "from x import b\n",
            "x/b.py": "from x import a\n",
            "y/c.py": "from y import d\n",
            "y/d.py": "from y import c\nfrom x import a\n",
        }
    )
    assert [c.members for c in report.cycles] == [("x/a.py", "x/b.py"), ("y/c.py", "y/d.py")]
    assert len({f.fingerprint for f in report.findings}) == 2


def test_no_false_cycle_through_external_or_fallback_modules() -> None:
    report = graph_of(
        {
            "pkg/__init__.py": "from . import VERSION\nimport requests\n",  # VERSION: not a module, no self-import
            "pkg/a.py": "import requests\nimport pkg.a.attribute\n",  # a prefix falling back to itself
            "pkg/b.py": "import requests\nfrom pkg import a\n",
        }
    )
    assert report.cycles == ()
    assert report.findings == ()


def test_real_self_import_is_a_cycle_of_one() -> None:
    report = graph_of({"pkg/__init__.py": "", "pkg/loop.py": "import pkg.loop\n"})
    assert [c.path for c in report.cycles] == [("pkg/loop.py", "pkg/loop.py")]
    assert report.findings[0].message == "Import cycle: pkg/loop.py -> pkg/loop.py."
    assert report.findings[0].related == ()


def test_type_only_imports_do_not_make_cycles() -> None:
    report = graph_of(
        {
            "m/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from m.b import B\n",
            "m/b.py": "from m.a import A\n",
            "t/x.ts": 'import type { Y } from "./y";\n',
            "t/y.ts": 'import { x } from "./x";\n',
        }
    )
    assert report.cycles == ()
    assert [e.type_only for e in report.edges] == [True, False, True, False]


def test_cycle_fingerprint_ignores_line_numbers() -> None:
    files = {"a.py": "import b\n", "b.py": "import a\n"}
    moved = {"a.py": "\n\n\nimport b\n", "b.py": "import a\n"}
    (before,), (after,) = graph_of(files).findings, graph_of(moved).findings
    assert before.span.start_line != after.span.start_line
    assert before.fingerprint == after.fingerprint


def _chain(count: int, back: bool) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = {}
    for i in range(count):
        target = i + 1 if i + 1 < count else (0 if back else None)
        imports = []
        if target is not None:
            text = f"import m{target}"
            imports.append(
                {"spec": f"m{target}", "kind": "import", "names": [], "line": 1, "column": 1}
                | {"end_line": 1, "end_column": len(text) + 1, "text": text, "type_only": False}
            )
        facts[f"m{i}.py"] = {"language": "python", "package": None, "imports": imports, "types": 0, "lines": 1}
    return facts


def test_deep_chain_of_5000_modules_does_not_recurse() -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        straight = build_graph(_chain(5000, back=False), None, ArchitectureConfig())
        looped = build_graph(_chain(5000, back=True), None, ArchitectureConfig())
    finally:
        sys.setrecursionlimit(limit)
    assert len(straight.edges) == 4999
    assert straight.cycles == ()
    (cycle,) = looped.cycles
    assert len(cycle.members) == 5000
    assert cycle.path[0] == cycle.path[-1] == "m0.py"
    assert len(cycle.path) == 5001
