"""Fixtures for the faces' tests, on top of ``tests/conftest.py`` (which isolates REVIEWLAB_HOME and the store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]

VULNERABLE_PY = "def run():\n    return eval(input())\n"


@pytest.fixture(autouse=True)
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME of the test's own (not created), so no test reads or writes a real Dagster instance."""
    home = tmp_path / "dagster-home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh SQLite store under the test's REVIEWLAB_HOME."""
    return Settings(reviewlab_home=tmp_path / "reviewlab-home", database_url=None)


@pytest.fixture
def vulnerable_project(tmp_path: Path) -> Path:
    """A one-file Python project with one ``eval`` (PY-S001) on line 2."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(VULNERABLE_PY, encoding="utf-8")
    return project
