"""A lifecycle per test: its own SQLite store, its own MLflow store, a fixed clock one can move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.lifecycle.lab import lifecycle_for
from reviewlab.lifecycle.policy import Policy
from reviewlab.lifecycle.service import Lifecycle
from reviewlab.lifecycle.tracking import Tracker
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from tests.lifecycle.support import lab_directory


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # every event gets its own instant, in order
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate.upgrade(translated(engine))
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, mlflow_uri: str) -> Settings:
    return Settings(
        reviewlab_home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        mlflow_tracking_uri=mlflow_uri,
        reviewlab_experiments_dir=lab_directory(tmp_path),
    )


@pytest.fixture
def tracker(mlflow_uri: str) -> Tracker:
    return Tracker(mlflow_uri)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lifecycle(engine: Engine, settings: Settings, tracker: Tracker, clock: Clock) -> Lifecycle:
    return lifecycle_for(engine, settings, tracker=tracker, policy=Policy(), clock=clock)
