"""``reviewlab scan add|list|run`` end to end on the configured store (SQLite under REVIEWLAB_HOME)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.settings import get_settings
from reviewlab.store.connect import create_engine, translated
from tests.scans import Repo, add_user, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "git")


@pytest.fixture
def admin_email() -> str:
    assert main(["scan", "list"]) == 0  # migrates the configured store
    engine = create_engine(get_settings().sqlalchemy_url)
    try:
        return add_user(translated(engine))[1]
    finally:
        engine.dispose()


def test_add_list_and_run_scans(
    repo: Repo, admin_email: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    monkeypatch.chdir(repo.path.parent)
    assert main(["scan", "add", "repo", "--name", "demo", "--owner", admin_email]) == 0
    assert "registered demo (" in capsys.readouterr().out
    assert main(["scan", "add", str(repo.path), "--branch", "feature"]) == 0
    capsys.readouterr()

    assert main(["scan", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["repo_url"], t["branch"], t["last_commit"]) for t in listed] == [
        ("demo", str(repo.path), "main", None),
        ("repo", str(repo.path), "feature", None),
    ]

    assert main(["scan", "run", "demo", "--ref", repo.commits[1]]) == 0
    out = capsys.readouterr().out
    assert f"commit {repo.commits[1]}; 1 findings" in out
    assert main(["scan", "run", listed[0]["project_id"]]) == 0
    assert ": completed" in capsys.readouterr().out

    assert main(["scan", "list", "--format", "json"]) == 0
    scanned = json.loads(capsys.readouterr().out)
    assert [(t["last_ref"], t["last_commit"]) for t in scanned] == [("main", repo.commits[2]), (None, None)]
    assert main(["scan", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"main  {repo.commits[2][:12]} at" in lines[0]
    assert lines[1].endswith("never scanned")


def test_a_failed_scan_exits_1_with_the_reason(
    repo: Repo, admin_email: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", "add", str(repo.path)]) == 0
    capsys.readouterr()
    assert main(["scan", "run", "repo", "--ref", "no-such-branch"]) == 1
    out = capsys.readouterr().out
    assert ": failed" in out
    assert "error: git fetch failed" in out


def test_errors_are_one_line_with_exit_2(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "add", str(repo.path)]) == 2
    assert "start the API once" in capsys.readouterr().err
    assert main(["scan", "run", "nothing"]) == 2
    assert "no registered repository" in capsys.readouterr().err
    assert main(["scan", "list"]) == 0
    assert "no repositories registered" in capsys.readouterr().out


def test_a_duplicate_is_refused(repo: Repo, admin_email: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "add", str(repo.path)]) == 0
    assert main(["scan", "add", str(repo.path), "--name", "again"]) == 2
    assert "registered already" in capsys.readouterr().err
