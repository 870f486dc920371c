"""Fixtures shared by the whole suite: an isolated environment per test, a SQLite store, real services."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewlab.settings import get_settings
from reviewlab.store import Store
from tests._services import (
    DEFAULT_POSTGRES_URL,
    DEFAULT_REDIS_URL,
    flushed_redis,
    fresh_postgres_database,
    must_fail,
    worker_redis_url,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own REVIEWLAB_HOME, no DATABASE_URL/REDIS_URL from the shell, and fresh settings."""
    home = tmp_path / "reviewlab-home"
    home.mkdir()
    monkeypatch.setenv("REVIEWLAB_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store on a SQLite file."""
    with Store.from_url(f"sqlite:///{tmp_path / 'store' / 'reviewlab.db'}") as store:
        store.migrate()
        yield store


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        yield url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A test Redis database of this xdist worker's own, flushed before and after the test."""
    with flushed_redis(worker_redis_url(os.environ.get("REVIEWLAB_TEST_REDIS_URL", DEFAULT_REDIS_URL))) as url:
        yield url


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite database with its tables created (2-3 s), copied by ``mlflow_uri`` for each test."""
    from reviewlab.lifecycle.tracking import Tracker

    database = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    tracker = Tracker(f"sqlite:///{database}")
    tracker.client.search_experiments()
    return database


@pytest.fixture
def mlflow_uri(mlflow_template: Path, tmp_path: Path) -> str:
    """A tracking URI of this test's own MLflow store (artifacts beside it, under ``tmp_path``)."""
    import shutil

    database = tmp_path / "mlflow" / "mlflow.db"
    database.parent.mkdir()
    shutil.copy(mlflow_template, database)
    return f"sqlite:///{database}"


@pytest.fixture(scope="session")
def sarif_schema_path() -> Path:
    """The official SARIF 2.1.0 schema: $REVIEWLAB_SARIF_SCHEMA, else shared/ beside the repository."""
    override = os.environ.get("REVIEWLAB_SARIF_SCHEMA")
    path = Path(override) if override else DEFAULT_SARIF_SCHEMA
    if not path.is_file():
        message = f"SARIF schema not found at {path}; set REVIEWLAB_SARIF_SCHEMA to its path"
        if must_fail(os.environ):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def sarif_schema(sarif_schema_path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(sarif_schema_path.read_text(encoding="utf-8"))
    return schema
