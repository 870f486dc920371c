"""The quality gate: conditions from the project's config, a verdict in every report and in the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.engine.config import GateConfig, ReviewConfig, load_config
from reviewlab.engine.gate import evaluate
from reviewlab.engine.pipeline import review
from reviewlab.errors import ConfigError

CODE = (
    "import subprocess\n\n\ndef run(cmd):\n    return eval(cmd)\n\n\n"
    "def ping(host):\n    subprocess.run(f'ping {host}', shell=True)\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(CODE)
    return root


def test_no_conditions_means_no_gate(project: Path) -> None:
    result = review(project, ReviewConfig(), jobs=1)
    assert evaluate(result, GateConfig()) is None
    assert result.gate is None


def test_each_condition(project: Path) -> None:
    result = review(project, ReviewConfig(select=("PY-S",)), jobs=1)
    gate = GateConfig(fail_on="critical", max_findings=1, max_per_severity={"high": 2}, forbidden_rules=("PY-S002",))
    verdict = evaluate(result, gate)
    assert verdict is not None
    assert [(c.name, c.limit, c.actual, c.passed) for c in verdict.conditions] == [
        ("findings at or above critical", 0, 0, True),
        ("findings", 1, 2, False),
        ("high findings", 2, 2, True),
        ("findings of PY-S002", 0, 1, False),
    ]
    assert not verdict.passed
    assert result.gate == verdict.to_dict()


def test_the_verdict_sets_the_exit_code_and_is_in_the_reports(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".reviewlab.toml").write_text(
        '[reviewlab]\nselect = ["PY-S"]\n\n[reviewlab.gate]\nmax_per_severity = { high = 1 }\n'
    )
    out = tmp_path / "report.json"
    assert main(["review", str(project), "--format", "json", "--output", str(out), "--no-store", "--no-cache"]) == 1
    report = json.loads(out.read_text())
    assert report["gate"]["passed"] is False
    assert report["gate"]["conditions"] == [{"name": "high findings", "limit": 1, "actual": 2, "passed": False}]
    assert "failed: high findings" in capsys.readouterr().out
    md = tmp_path / "report.md"
    assert main(["review", str(project), "--format", "markdown", "--output", str(md), "--no-store"]) == 1
    assert "## Quality gate: **failed**" in md.read_text()

    (project / ".reviewlab.toml").write_text('[reviewlab]\nselect = ["PY-S"]\n\n[reviewlab.gate]\nmax_findings = 5\n')
    assert main(["review", str(project), "--no-store"]) == 0


def test_a_bad_gate_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / ".reviewlab.toml"
    config.write_text('[reviewlab.gate]\nfail_on = "severe"\n')
    with pytest.raises(ConfigError, match="unknown severity 'severe'"):
        load_config(config)
    config.write_text("[reviewlab.gate]\nmax_per_severity = { high = -1 }\n")
    with pytest.raises(ConfigError, match="limits must be 0 or more"):
        load_config(config)
