"""The `reviewlab` command end to end: formats, exit codes, one-line errors, history, the example project."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from reviewlab.cli import REPORT_SUFFIXES, _run_with_progress, main
from reviewlab.engine.model import ReviewResult
from reviewlab.engine.pipeline import ProgressEvent

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "webshop"
SNAPSHOT = Path(__file__).parent / "snapshots" / "webshop.txt"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("import os\n\n\ndef run(cmd):\n    return eval(cmd or os.sep)\n")
    (root / "README.md").write_text("not code\n")
    return root


def test_text_review(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(project)]) == 0
    out = capsys.readouterr().out
    assert "app.py:5:12: HIGH PY-S001" in out
    assert "Files" in out


@pytest.mark.parametrize(("threshold", "code"), [("high", 1), ("medium", 1), ("critical", 0), ("none", 0)])
def test_fail_on(project: Path, threshold: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(project), "--fail-on", threshold]) == code


def test_json_to_stdout(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(project), "--format", "json", "--no-store"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["findings"] == 1
    assert report["findings"][0]["rule_id"] == "PY-S001"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_the_report_on_standard_output_is_written_piece_by_piece(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    written: list[str] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            written.append(text)
            return super().write(text)

    stdout = Recorder()
    monkeypatch.setattr(sys, "stdout", stdout)
    reports = tmp_path / "reports"
    assert main(["review", str(project), "--format", fmt, "--no-store", "--reports-dir", str(reports)]) == 0
    report = (reports / f"reviewlab.{REPORT_SUFFIXES[fmt]}").read_text(encoding="utf-8")
    if fmt == "text":  # below the summary, and above the line saying where the reports went
        assert f"\n{report}reports written to" in stdout.getvalue()
        assert [line for line in written if "DIAGNOSTIC" in line or "PY-S001" in line] == report.splitlines(True)[:-1]
    else:
        assert stdout.getvalue() == report
        assert len(written) > 3


def test_sarif_output_validates(project: Path, tmp_path: Path, sarif_schema: dict[str, Any]) -> None:
    out = tmp_path / "out" / "review.sarif"
    assert main(["review", str(project), "--format", "sarif", "--output", str(out)]) == 0
    log = json.loads(out.read_text())
    validator = jsonschema.validators.validator_for(sarif_schema)(sarif_schema)
    validator.validate(log)
    [rule] = log["runs"][0]["tool"]["driver"]["rules"]
    assert {"security", "CWE-95"} <= set(rule["properties"]["tags"])
    [result] = log["runs"][0]["results"]
    assert result["properties"]["category"] == "security"
    assert result["properties"]["severity"] == "high"
    assert result["properties"]["cwe"] == "CWE-95"


def test_reports_dir_writes_every_format(project: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert main(["review", str(project), "--reports-dir", str(reports)]) == 0
    assert sorted(p.name for p in reports.iterdir()) == [
        "reviewlab.json",
        "reviewlab.md",
        "reviewlab.sarif",
        "reviewlab.txt",
    ]


def test_history_lists_stored_reviews(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history"]) == 0
    assert "no reviews yet" in capsys.readouterr().out
    assert main(["review", str(project)]) == 0
    assert main(["review", str(project), "--no-store"]) == 0
    capsys.readouterr()
    assert main(["history", "--format", "json"]) == 0
    [session] = json.loads(capsys.readouterr().out)
    assert session["findings_count"] == 1
    assert session["root"] == str(project)
    assert main(["history"]) == 0
    assert session["id"] in capsys.readouterr().out


def test_config_file_is_applied(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "conf.toml"
    config.write_text('[reviewlab]\nignore = ["PY-S001"]\n')
    assert main(["review", str(project), "--config", str(config), "--fail-on", "info"]) == 0
    (project / ".reviewlab.toml").write_text('[reviewlab]\nselect = ["JS-"]\n')
    assert main(["review", str(project), "--fail-on", "info"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "/no/such/path"], "path does not exist: /no/such/path"),
        (["review", "{project}", "--jobs", "0"], "must be at least 1"),
        (["review", "{project}", "--format", "pdf"], "invalid choice"),
        (["review", "{project}", "--config", "{project}/missing.toml"], "config file not found"),
        (["review", "{project}", "--config", "{project}/bad.toml"], "invalid TOML"),
        (["review", "{project}", "--config", "{project}/typo.toml"], "max_filesize: Extra inputs are not permitted"),
        (["review", "{project}", "--config", "{project}/rule.toml"], "unknown rule 'PY-X999'"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_and_input_errors_are_one_line(project: Path, args: list[str], message: str) -> None:
    (project / "bad.toml").write_text("[reviewlab\n")
    (project / "typo.toml").write_text("[reviewlab]\nmax_filesize = 3\n")
    (project / "rule.toml").write_text("[reviewlab.rules.PY-X999]\nlimit = 3\n")
    argv = [a.format(project=project) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "reviewlab.cli", *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_database_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://reviewer:hunter2@127.0.0.1:1/reviewlab")
    proc = subprocess.run(
        [sys.executable, "-m", "reviewlab.cli", "review", str(project), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ},
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["summary"]["findings"] == 1  # the report is still produced
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("reviewlab: error: cannot connect to the database at postgresql://127.0.0.1:1/reviewlab")
    assert "hunter2" not in proc.stderr


def test_placeholder_secrets_refused_outside_development(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", "your-secret-key")
    proc = subprocess.run(
        [sys.executable, "-m", "reviewlab.cli", "history"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2
    assert "JWT_SECRET_KEY must be set to a random value" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_empty_directory_finishes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["review", str(empty), "--fail-on", "info"]) == 0
    assert "no-files" in capsys.readouterr().out


def test_example_project_findings_match_snapshot(tmp_path: Path) -> None:
    """The bundled example's findings, as `path:line:col rule`; regenerate with REVIEWLAB_UPDATE_SNAPSHOTS=1."""
    out = tmp_path / "webshop.json"
    assert main(["review", str(EXAMPLE), "--format", "json", "--output", str(out), "--no-store"]) == 0
    report = json.loads(out.read_text())
    lines = sorted(f"{f['path']}:{f['start_line']}:{f['start_column']} {f['rule_id']}" for f in report["findings"])
    actual = "\n".join(lines) + "\n"
    if os.environ.get("REVIEWLAB_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    assert actual == SNAPSHOT.read_text()
    assert report["diagnostics"] == []
    assert {f["category"] for f in report["findings"]} == {"security", "quality"}


def _fake_review(total: int):
    def run(progress):
        if progress is not None:
            progress(ProgressEvent("discover", total, total))
            for done in range(1, total + 1):
                progress(ProgressEvent("analyze", done, total, f"f{done}.py"))
            progress(ProgressEvent("done", total, total))
        return ReviewResult(root="/r", rule_pack_version="v", started_at="")

    return run


@pytest.mark.parametrize(("total", "shown"), [(120, True), (5, False)])
def test_progress_bar_on_long_runs_in_a_terminal(total: int, shown: bool) -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    _run_with_progress(_fake_review(total), terminal)
    output = terminal.file.getvalue()  # type: ignore[attr-defined]
    assert ("reviewing" in output and f"{total}/{total}" in output) is shown


def test_no_progress_bar_when_not_a_terminal() -> None:
    plain = Console(file=io.StringIO(), force_terminal=False)
    _run_with_progress(_fake_review(120), plain)
    assert plain.file.getvalue() == ""  # type: ignore[attr-defined]


@pytest.mark.integration
def test_reviews_are_stored_in_postgresql(
    project: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert main(["review", str(project)]) == 0
    capsys.readouterr()
    assert main(["history", "--format", "json"]) == 0
    sessions = json.loads(capsys.readouterr().out)
    assert any(s["root"] == str(project) and s["findings_count"] == 1 for s in sessions)
