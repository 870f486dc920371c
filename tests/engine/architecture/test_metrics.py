"""Module fan-in/fan-out, package metrics with hand-computed values, and GEN-A003 god modules."""

from __future__ import annotations

import pytest

from reviewlab.engine.architecture import ArchitectureConfig, PackageMetrics
from tests.engine.architecture.support import graph_of, module

# core: base.py (abstract + concrete class), impl.py (concrete class); util: x.py; app: main.py
PROJECT = {
    "core/base.py": "from abc import ABC\nclass Port(ABC): ...\nclass Value: ...\n",
    "core/impl.py": "from core.base import Port\nclass Adapter(Port): ...\n",
    "util/x.py": "from core.base import Value\n",
    "app/main.py": "import core.base\nimport core.impl\nfrom util import x\nimport requests\n",
}


def test_module_fan_in_and_fan_out() -> None:
    report = graph_of(PROJECT)
    assert {m.id: (m.fan_in, m.fan_out) for m in report.modules} == {
        "app/main.py": (0, 3),
        "core/base.py": (3, 0),
        "core/impl.py": (1, 1),
        "util/x.py": (1, 1),
    }
    assert module(report, "app/main.py").lines == 4


def test_package_metrics_hand_computed() -> None:
    report = graph_of(PROJECT)
    assert {p.name: p for p in report.packages} == {
        # Ca: app/main.py, util/x.py import core; Ce: none. I = 0/2 = 0; A = 1 abstract of 3 types; D = |1/3 + 0 - 1|
        "core": PackageMetrics("core", 2, 3, 1, 2, 0, 0.0, 0.3333, 0.6667),
        # Ca: none; Ce: core/base.py, core/impl.py, util/x.py. I = 3/3 = 1; no types: A = 0; D = 0
        "app": PackageMetrics("app", 1, 0, 0, 0, 3, 1.0, 0.0, 0.0),
        # Ca: app/main.py; Ce: core/base.py. I = 1/2; A = 0; D = 0.5
        "util": PackageMetrics("util", 1, 0, 0, 1, 1, 0.5, 0.0, 0.5),
    }


def test_isolated_package_has_zero_instability_and_abstractness() -> None:
    report = graph_of({"lonely/a.py": "import os\n", "top.py": ""})
    assert [(p.name, p.instability, p.abstractness, p.distance) for p in report.packages] == [
        (".", 0.0, 0.0, 1.0),
        ("lonely", 0.0, 0.0, 1.0),
    ]


def test_default_limits_report_nothing_in_a_small_project() -> None:
    assert graph_of(PROJECT).findings == ()


def test_god_module_over_fan_out() -> None:
    report = graph_of(PROJECT, config=ArchitectureConfig(max_fan_out=2))
    (finding,) = report.findings
    assert finding.rule_id == "GEN-A003"
    assert (finding.path, finding.span.start_line, finding.span.start_column) == ("app/main.py", 1, 1)
    assert finding.message == "`app/main.py` is a god module: imports 3 project modules (limit 2)."


def test_god_module_over_fan_in_and_lines() -> None:
    files = {**PROJECT, "core/base.py": PROJECT["core/base.py"] + "\n" * 20}
    report = graph_of(files, config=ArchitectureConfig(max_fan_out=0, max_fan_in=2, max_lines=10))
    (finding,) = report.findings
    assert finding.path == "core/base.py"
    assert finding.message == (
        "`core/base.py` is a god module: is imported by 3 project modules (limit 2); has 23 lines (limit 10)."
    )


def test_limits_of_zero_turn_checks_off() -> None:
    config = ArchitectureConfig(max_fan_out=0, max_fan_in=0, max_lines=0)
    assert graph_of(PROJECT, config=config).findings == ()


@pytest.mark.parametrize("fan_out", [3, 4])
def test_limit_is_exclusive(fan_out: int) -> None:
    assert graph_of(PROJECT, config=ArchitectureConfig(max_fan_out=fan_out)).findings == ()
