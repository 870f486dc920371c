"""Baselines: accept today's findings, then report only new ones and the ones fixed since."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.engine import baseline
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.pipeline import review
from reviewlab.errors import InputError

OLD = "def run(cmd):\n    return eval(cmd)\n"
NEW = "import subprocess\n\n\ndef ping(host):\n    return subprocess.run(f'ping {host}', shell=True)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "old.py").write_text(OLD)
    (root / "kept.py").write_text("x = 1\n\n\ndef run(cmd):\n    return eval(cmd)\n")
    return root


def test_round_trip_and_apply(project: Path, tmp_path: Path) -> None:
    first = review(project, ReviewConfig(select=("PY-S",)), jobs=1)
    entries = baseline.from_result(first)
    assert len(entries) == 2
    path = tmp_path / "baseline.json"
    baseline.save(entries, first, path)
    assert baseline.load(path) == entries

    (project / "old.py").write_text("def run(cmd):\n    return cmd\n")  # fixed
    (project / "new.py").write_text(NEW)  # new
    (project / "kept.py").write_text("y = 2\nx = 1\n\n\ndef run(cmd):\n    return eval(cmd)\n")  # moved, still there
    second = review(project, ReviewConfig(select=("PY-S",)), jobs=1)
    outcome = baseline.apply(second, entries)
    assert [(f.path, f.rule_id) for f in second.findings] == [("new.py", "PY-S002")]
    assert outcome.known == 1
    assert [(e.path, e.rule_id, e.line) for e in outcome.fixed] == [("old.py", "PY-S001", 2)]
    assert second.baseline == outcome.to_dict()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline not found"),
        ("{not json", "is not valid JSON"),
        ('{"version": 99, "findings": []}', "is not a reviewlab baseline"),
        ('{"version": 1}', "has no findings list"),
        ('{"version": 1, "findings": [{"fingerprint": "x"}]}', "finding 0 is malformed"),
    ],
)
def test_a_bad_baseline_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message):
        baseline.load(path)


def test_the_commands(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "create", str(project), "--no-cache"]) == 0
    written = project / baseline.DEFAULT_BASELINE
    assert "baseline of 2 finding(s) written" in capsys.readouterr().out
    assert written.is_file()

    (project / "old.py").write_text("def run(cmd):\n    return cmd\n")
    (project / "new.py").write_text(NEW)
    out = tmp_path / "report.json"
    args = ["review", str(project), "--baseline", str(written), "--format", "json", "--output", str(out)]
    assert main([*args, "--no-store", "--no-cache", "--fail-on", "high"]) == 1  # the new finding is high
    report = json.loads(out.read_text())
    assert [f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("PY-S")] == ["PY-S002"]
    assert report["baseline"]["known"] == 1
    assert [e["path"] for e in report["baseline"]["fixed"]] == ["old.py"]
    assert "Fixed since baseline" in capsys.readouterr().out

    md = tmp_path / "report.md"
    md_args = ["review", str(project), "--baseline", str(written), "--format", "markdown", "--output", str(md)]
    assert main([*md_args, "--no-store"]) == 0
    assert "## Baseline" in md.read_text()


def test_a_missing_baseline_is_a_one_line_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(project), "--baseline", str(project / "nope.json"), "--no-store"]) == 2
    assert capsys.readouterr().err.startswith("reviewlab: error: baseline not found")
