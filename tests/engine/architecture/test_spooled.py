"""The module graph of a large review, built in its spool: the same report, findings, JSON and diagram as the
graph built in memory, with memory that does not grow with the number of files."""

from __future__ import annotations

import json
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from reviewlab.engine.architecture import ArchitectureConfig, ArchitectureReport, build_graph
from reviewlab.engine.architecture.spooled import SpooledArchitecture, build_spooled
from reviewlab.engine.model import FileRecord
from reviewlab.engine.spool import Spool

from .support import facts_of, project_facts

CONFIG = ArchitectureConfig.model_validate(
    {
        "max_fan_out": 1,
        "max_fan_in": 4,
        "max_lines": 40,
        "layers": [
            {"name": "domain", "paths": ["app/domain/"], "must_not_import": ["api", "web"]},
            {"name": "api", "paths": ["app/api/"]},
            {"name": "web", "paths": ["web/"], "must_not_import": ["api"]},
        ],
    }
)

MIXED = {
    # Python: packages, relative and alias imports, a lone script, type-only imports, a cycle, a self-import
    "app/__init__.py": "",
    "app/domain/__init__.py": "from . import orders\n",
    "app/domain/orders.py": "from app.domain import prices\nfrom app.api.views import render\n"
    "import app.domain.orders\n",
    "app/domain/prices.py": "from .orders import total\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    "    from app.api import views\n",
    "app/api/__init__.py": "",
    "app/api/views.py": "import os\nimport requests\nfrom ..domain import orders, prices\nfrom .missing import x\n",
    "scripts/helpers.py": "import json\n",
    "scripts/run.py": "import helpers\nfrom app.api.views import render\n",
    "src/pkg/__init__.py": "",
    "src/pkg/core.py": "from pkg import util\nfrom . import util as again\n",
    "src/pkg/util.py": "from pkg.core import *\n",
    # JavaScript and TypeScript: extensions, index files, outside packages, a type-only import
    "web/index.ts": "import { a } from './a';\nimport type { B } from './b';\nimport React from 'react';\n",
    "web/a.js": "const b = require('./b.js');\nexport * from './lib';\nimport x from '@scope/pkg/sub';\n",
    "web/b.ts": "import { a } from './a';\nimport { gone } from './nowhere';\n",
    "web/lib/index.js": "import '../index';\n",
    # Java: classes, wildcard and static imports
    "java/com/shop/Order.java": "package com.shop;\nimport com.shop.util.*;\nimport java.util.List;\n"
    "public class Order {}\n",
    "java/com/shop/util/Money.java": "package com.shop.util;\nimport static com.shop.Order.build;\n"
    "public abstract class Money {}\n",
    "java/com/shop/util/Tax.java": "package com.shop.util;\nimport com.shop.Order;\npublic interface Tax {}\n",
    # Go: packages of several files (not adjacent in path order), an external test package
    "go/store/a.go": 'package store\nimport "example.com/shop/go/store/sub"\n',
    "go/store/sub/s.go": 'package sub\nimport "example.com/shop/go/store"\nimport "fmt"\n',
    "go/store/z.go": 'package store\nimport "example.com/shop/go/api"\n',
    "go/store/store_test.go": 'package store_test\nimport "example.com/shop/go/store"\n',
    "go/api/api.go": 'package api\nimport "example.com/shop/go/store"\ntype Handler interface{}\n',
}


def _spool(facts: dict[str, dict[str, Any]], seed: int = 0) -> Spool:
    """A spool holding ``facts`` as a review writes them: in the order files happen to finish."""
    spool = Spool()
    paths = list(facts)
    random.Random(seed).shuffle(paths)  # noqa: S311 - an order, not a secret
    for path in paths:
        record = FileRecord(path, "python", 1, "0" * 64)
        spool.add_file(record, [], [], {"imports": facts[path]})
    return spool


def _both(
    facts: dict[str, dict[str, Any]], root: Path | None, config: ArchitectureConfig
) -> Iterator[tuple[ArchitectureReport, SpooledArchitecture]]:
    spool = _spool(facts)
    try:
        yield build_graph(facts, root, config), build_spooled(spool, root, config)
    finally:
        spool.close()


def _assert_same(memory: ArchitectureReport, spooled: SpooledArchitecture) -> None:
    expected = memory.to_dict()
    assert spooled == expected
    assert spooled.to_dict() == expected
    assert list(spooled.findings) == list(memory.findings)
    assert "".join(spooled.json_chunks()) == json.dumps(expected, ensure_ascii=False)
    for max_nodes in (1, 5, 60, 10_000):
        assert spooled.to_mermaid(max_nodes) == memory.to_mermaid(max_nodes)
    assert [len(spooled[key]) for key in ("modules", "edges", "external", "packages")] == [
        len(expected[key]) for key in ("modules", "edges", "external", "packages")
    ]


def test_a_mixed_project_gives_the_same_graph_findings_json_and_diagram(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/shop\n")
    facts = project_facts(MIXED)
    for memory, spooled in _both(facts, tmp_path, CONFIG):
        rules = {f.rule_id for f in memory.findings}
        assert rules == {"GEN-A001", "GEN-A002", "GEN-A003"}
        assert len(memory.cycles) >= 3  # Python, JavaScript, Go
        assert any(e.type_only for e in memory.edges)
        assert any(m.unresolved for m in memory.modules)
        assert any(m.external for m in memory.modules)
        assert any(len(m.path) and m.language == "go" for m in memory.modules)
        _assert_same(memory, spooled)


def test_a_real_package_gives_the_same_graph() -> None:
    """SQLAlchemy: hundreds of modules, import cycles, relative imports, more modules than the diagram shows."""
    root = Path(sqlalchemy.__file__).parent
    facts = {
        path.relative_to(root).as_posix(): facts_of(path.relative_to(root).as_posix(), path.read_text("utf-8"))
        for path in sorted(root.rglob("*.py"))
    }
    config = CONFIG.model_copy(update={"layers": [], "max_fan_out": 25, "max_fan_in": 60, "max_lines": 3000})
    for memory, spooled in _both(facts, root, config):
        assert len(memory.modules) > 200
        assert memory.cycles
        assert memory.findings
        _assert_same(memory, spooled)


def _random_facts(count: int, seed: int, upward: bool = False) -> dict[str, dict[str, Any]]:
    """Python modules importing each other at random (cycles, type-only imports, outside packages); ``upward``:
    only modules of lower numbers, but for one cycle in a hundred modules (as a layered project would)."""
    rng = random.Random(seed)  # noqa: S311 - a test graph, not a secret
    facts: dict[str, dict[str, Any]] = {}
    names = [f"p{n % 7}/m{n}" for n in range(count)]
    for path in [f"p{k}/__init__.py" for k in range(7)]:
        facts[path] = {"language": "python", "imports": [], "types": 0, "abstract_types": 0, "lines": 1}
    for number, name in enumerate(names):
        imports = []
        targets = rng.sample(names[:number] if upward and number else names, min(number or 1, rng.randrange(0, 4)))
        if upward and number % 100 in (98, 99):
            targets.append(names[number + 1 if number % 100 == 98 else number - 1])  # a cycle of two
        for line, target in enumerate(targets, start=1):
            spec = target.replace("/", ".")
            kind = rng.choice(["import", "from"])
            imports.append(
                {
                    "spec": spec if kind == "import" else spec.rpartition(".")[0],
                    "kind": kind,
                    "names": [] if kind == "import" else [spec.rpartition(".")[2]],
                    "line": line,
                    "column": 1,
                    "end_line": line,
                    "end_column": 20,
                    "text": f"import {spec}",
                    "type_only": rng.random() < 0.1,
                }
            )
        imports.append({"spec": f"ext{number % 5}", "kind": "import", "line": 9, "text": "import ext"})
        types = rng.randrange(0, 3)
        facts[f"{name}.py"] = {
            "language": "python",
            "imports": imports,
            "types": types,
            "abstract_types": rng.randrange(0, types + 1),
            "lines": rng.randrange(1, 80),
        }
    return facts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_graphs_give_the_same_report(seed: int) -> None:
    for memory, spooled in _both(_random_facts(300, seed), None, CONFIG):
        assert memory.cycles
        _assert_same(memory, spooled)


def test_an_empty_or_malformed_graph_gives_the_same_report() -> None:
    facts: dict[str, Any] = {
        "a.py": {"language": "python", "imports": [{"spec": 3}, "junk", {"spec": "b", "kind": "import"}]},
        "b.py": {"language": "cobol", "imports": []},
        "c.py": {"language": "python", "imports": None, "types": -1, "lines": "many"},
    }
    for memory, spooled in _both(facts, None, ArchitectureConfig()):
        _assert_same(memory, spooled)


def _peak(count: int) -> int:
    """The traced peak of building and reporting the graph of ``count`` spooled files, above what it starts with."""
    facts = _random_facts(count, 7, upward=True)
    spool = _spool(facts)
    del facts
    try:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        spooled = build_spooled(spool, None, ArchitectureConfig())
        assert len(spooled.cycles) > count // 200  # of the pairs, those whose imports are not all type-only
        for _ in spooled.json_chunks():
            pass
        spooled.to_mermaid()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        spool.close()


@pytest.mark.slow
def test_the_memory_of_a_spooled_graph_does_not_grow_with_its_modules() -> None:
    small, large = 1_000, 8_000
    growth = (_peak(large) - _peak(small)) / (large - small)
    # In memory the graph of these files costs about 2.5 KB each at the peak (facts, nodes, edges, the report);
    # spooled, about 110 bytes grow: the numbered graph (a few integers per module and edge), the import cycles
    # found, and the look-up cache filling up to its bound.
    assert growth < 300, f"{growth:.0f} bytes per file"
