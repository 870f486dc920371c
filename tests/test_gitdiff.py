"""Reviewing a git change: only findings on lines it adds or changes, in real repositories built here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.engine.gitdiff import changed_lines, parse_range
from reviewlab.errors import InputError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

OLD = "def run(cmd):\n    return eval(cmd)\n"
NEW = OLD + "\n\ndef also(expr):\n    return eval(expr)\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "src" / "app.py").write_text(OLD)
    (root / "gone.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    (root / "src" / "app.py").write_text(NEW)
    (root / "data.bin").write_bytes(b"\0\1\2")
    git(root, "rm", "-q", "gone.py")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "second")
    return root


def test_changed_lines_of_two_commits(repo: Path) -> None:
    changed = changed_lines(repo, "HEAD~1", "HEAD")
    assert changed.files["src/app.py"] == {3, 4, 5, 6}
    assert changed.deleted == ["gone.py"]


def findings(out: Path) -> list[tuple[str, int, str]]:
    report = json.loads(out.read_text())
    return [(f["path"], f["start_line"], f["rule_id"]) for f in report["findings"] if f["rule_id"].startswith("PY-S")]


def test_review_of_a_commit_range(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["review", str(repo), "--diff", "HEAD~1..HEAD", "--format", "json", "--output", str(out), "--no-store"]
    assert main(args) == 0
    assert findings(out) == [("src/app.py", 6, "PY-S001")]
    report = json.loads(out.read_text())
    notes = {(d["path"], d["message"]) for d in report["diagnostics"] if d["kind"] == "not-analysed"}
    assert ("gone.py", "deleted by the change") in notes
    assert ("data.bin", "changed, but not analysed (not a supported or reviewed file)") in notes


def test_review_of_the_working_tree_against_a_base(repo: Path, tmp_path: Path) -> None:
    (repo / "src" / "app.py").write_text(NEW + "\n\ndef third(x):\n    return eval(x)\n")
    (repo / "src" / "untracked.py").write_text(OLD)
    out = tmp_path / "report.json"
    args = ["review", str(repo / "src"), "--diff", "HEAD", "--format", "json", "--output", str(out), "--no-store"]
    assert main(args) == 0
    assert findings(out) == [("app.py", 10, "PY-S001"), ("untracked.py", 2, "PY-S001")]


@pytest.mark.parametrize("spec", ["", "a...b", "..b", "a.."])
def test_bad_ranges(spec: str) -> None:
    with pytest.raises(InputError, match=r"--diff takes BASE or BASE\.\.HEAD"):
        parse_range(spec)


def test_errors_are_one_line(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(repo), "--diff", "nope..HEAD", "--no-store"]) == 2
    assert capsys.readouterr().err.startswith("reviewlab: error: git rev-parse")
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "a.py").write_text(OLD)
    assert main(["review", str(outside), "--diff", "HEAD", "--no-store"]) == 2
    assert "not a git repository" in capsys.readouterr().err
    assert main(["review", str(repo), "--diff", "HEAD~1..HEAD", "--fix", "--no-store"]) == 2
