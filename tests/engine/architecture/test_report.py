"""The report: JSON round-trips, determinism, Mermaid output, odd facts, and the rules' metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reviewlab.engine.architecture import RULES, ArchitectureConfig, ArchitectureReport, build_graph
from reviewlab.engine.architecture.export import escape_label
from reviewlab.engine.model import Category
from tests.engine.architecture.support import graph_of, project_facts

PROJECT = {
    "shop/__init__.py": "",
    "shop/cart.py": "from shop import prices\nimport requests\n",
    "shop/prices.py": "from shop.cart import Cart\nfrom shop.util import money\n",
    "shop/util/__init__.py": "",
    "shop/util/money.py": "from abc import ABC\nclass Money(ABC): ...\n",
    "web/app.ts": 'import { x } from "./x";\nimport type { T } from "./types";\nimport React from "react";\n',
    "web/x.ts": "",
    "web/types.ts": "interface T {}\n",
}
CONFIG = ArchitectureConfig(max_fan_out=1)


def test_to_dict_is_json_and_round_trips() -> None:
    report = graph_of(PROJECT, config=CONFIG)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert ArchitectureReport.from_dict(data) == report
    assert list(data) == ["version", "summary", "modules", "edges", "external", "packages", "cycles", "findings"]
    assert data["summary"] == {"modules": 8, "edges": 5, "packages": 3, "cycles": 1, "external": 3, "findings": 3}
    assert data["external"] == [
        {"name": "abc", "modules": 1},
        {"name": "react", "modules": 1},
        {"name": "requests", "modules": 1},
    ]
    edge = data["edges"][0]
    assert list(edge) == ["from", "to", "lines", "type_only", "sites"]
    assert (edge["from"], edge["to"], edge["lines"]) == ("shop/cart.py", "shop/prices.py", [1])
    assert data["cycles"] == [
        {"path": ["shop/cart.py", "shop/prices.py", "shop/cart.py"], "members": ["shop/cart.py", "shop/prices.py"]}
        | {"size": 2}
    ]
    assert [m["id"] for m in data["modules"]] == sorted(m["id"] for m in data["modules"])


def test_output_is_deterministic_whatever_the_order_of_the_facts() -> None:
    facts = project_facts(PROJECT)
    reference = json.dumps(build_graph(facts, None, CONFIG).to_dict())
    cached = json.loads(json.dumps(facts))  # the facts as the result cache hands them back
    assert json.dumps(build_graph(cached, None, CONFIG).to_dict()) == reference
    keys = list(facts)
    for order in (keys[::-1], keys[3:] + keys[:3], keys[1::2] + keys[::2]):
        shuffled = {key: facts[key] for key in order}
        assert json.dumps(build_graph(shuffled, None, CONFIG).to_dict()) == reference


def test_findings_are_architecture_findings_sorted_by_place() -> None:
    report = graph_of(PROJECT, config=CONFIG)
    assert [(f.rule_id, f.path, f.span.start_line) for f in report.findings] == [
        ("GEN-A001", "shop/cart.py", 1),
        ("GEN-A003", "shop/prices.py", 1),
        ("GEN-A003", "web/app.ts", 1),
    ]
    assert {f.category for f in report.findings} == {Category.ARCHITECTURE}


def test_mermaid_module_graph_highlights_cycles() -> None:
    text = graph_of(PROJECT).to_mermaid(max_nodes=20)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert lines[1:9] == [
        '    n0["shop/__init__.py"]',
        '    n1["shop/cart.py"]',
        '    n2["shop/prices.py"]',
        '    n3["shop/util/__init__.py"]',
        '    n4["shop/util/money.py"]',
        '    n5["web/app.ts"]',
        '    n6["web/types.ts"]',
        '    n7["web/x.ts"]',
    ]
    assert lines[9:14] == ["    n1 --> n2", "    n2 --> n1", "    n2 --> n4", "    n5 -.-> n6", "    n5 --> n7"]
    assert lines[14].startswith("    linkStyle 0,1 stroke:")
    assert lines[16] == "    class n1,n2 cycle"


def test_mermaid_falls_back_to_packages_and_caps_them() -> None:
    report = graph_of(PROJECT)
    text = report.to_mermaid(max_nodes=4)
    assert text == (
        "flowchart LR\n"
        "    %% 8 modules shown as 3 packages\n"
        '    n0["shop"]\n'
        '    n1["shop/util"]\n'
        '    n2["web"]\n'
        "    n0 --> n1\n"
    )
    capped = report.to_mermaid(max_nodes=2)
    assert "%% 1 less connected package(s) left out" in capped
    assert re.findall(r'^    n\d+\["([^"]*)"\]', capped, re.MULTILINE) == ["shop", "shop/util"]


def test_mermaid_package_cycles_are_highlighted() -> None:
    files = {
        "a/x.py": "from b import y\n",
        "a/x2.py": "",
        "b/y.py": "from a import x2\n",
        "c/z.py": "from a import x\n",
    }
    text = graph_of(files).to_mermaid(max_nodes=3)
    assert "    n0 --> n1\n    n1 --> n0\n    n2 --> n0\n    linkStyle 0,1 " in text
    assert "    class n0,n1 cycle" in text


def test_mermaid_labels_are_escaped() -> None:
    assert escape_label('we"ird#<b>`x`|y\nz') == "we#quot;ird#35;#lt;b#gt;#96;x#96;#124;y z"
    text = graph_of({'odd"dir/a#1.js': 'import "./b";\n', 'odd"dir/b.js': ""}).to_mermaid()
    assert '    n0["odd#quot;dir/a#35;1.js"]' in text


@pytest.mark.parametrize(
    "facts",
    [
        {},
        {"a.py": {}},
        {"a.py": {"language": "cobol"}},
        {"a.py": {"language": "python", "imports": "import os"}},
        {"a.py": {"language": "python", "imports": 7, "types": "many", "lines": -3}},
        {"a.py": {"language": "python", "imports": [None, {"spec": 3}, {"spec": "b", "kind": "import"}]}},
        {"a.py": {"language": "python", "imports": [{"spec": "....", "kind": "from", "names": [1, None]}]}},
        {"a.js": {"language": "javascript", "imports": [{"spec": "./" * 50, "kind": "import", "line": "x"}]}},
        {"A.java": {"language": "java", "package": 5, "imports": [{"spec": ".*", "kind": "static"}]}},
        {"x.go": {"language": "go", "imports": [{"spec": "", "kind": "import"}]}},
    ],
)
def test_odd_facts_do_not_raise(facts: dict[str, Any], tmp_path: Path) -> None:
    report = build_graph(facts, tmp_path / "missing", ArchitectureConfig())
    assert json.loads(json.dumps(report.to_dict())) == report.to_dict()
    assert report.to_mermaid().startswith("flowchart LR\n")


def test_empty_project() -> None:
    report = build_graph({}, None, ArchitectureConfig())
    assert report.to_dict()["summary"]["modules"] == 0
    assert report.to_mermaid() == "flowchart LR\n"


def test_rules_metadata() -> None:
    assert [rule.id for rule in RULES] == ["GEN-A001", "GEN-A002", "GEN-A003"]
    for rule in RULES:
        assert rule.project
        assert rule.category is Category.ARCHITECTURE
        assert rule.languages == ("python", "javascript", "java", "go")
        assert not rule.query
        assert rule.scan is None
        assert all((rule.docs.what, rule.docs.why, rule.docs.example, rule.docs.use_instead))
    assert [rule.cwe for rule in RULES] == [1047, 1054, 1048]
