"""Jobs fixtures: a migrated engine on SQLite and (integration) PostgreSQL, and analyses on a recording queue."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.jobs.events import MemoryNotifier
from reviewlab.jobs.runner import RunConfig, run_analysis
from reviewlab.jobs.service import Analyses, JobState
from reviewlab.settings import Settings, get_settings
from reviewlab.store import Store
from reviewlab.store.connect import create_engine, translated

VULNERABLE = "import os\n\nos.system(input())\neval(input())\n"
"""A Python snippet the engine flags on lines 3 (PY-S002, command injection) and 4 (PY-S001, eval)."""


class RecordingQueue:
    """A queue double: remembers what was enqueued; the test runs it."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def enqueue(self, session_id: str) -> None:
        self.ids.append(session_id)

    def close(self) -> None:
        return None


def migrated_engine(url: str) -> Iterator[Engine]:
    with Store.from_url(url) as store:
        store.migrate()
    engine = translated(create_engine(url))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store's engine (schema-translated) on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    yield from migrated_engine(url)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from migrated_engine(f"sqlite:///{tmp_path / 'jobs.db'}")


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    yield from migrated_engine(postgres_url)


@pytest.fixture
def notifier() -> MemoryNotifier:
    return MemoryNotifier()


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def analyses(engine: Engine, notifier: MemoryNotifier, queue: RecordingQueue) -> Analyses:
    return Analyses(engine, notifier, queue)


@pytest.fixture
def settings() -> Settings:
    return get_settings()


Runner = Callable[..., object]


@pytest.fixture
def run(engine: Engine, notifier: MemoryNotifier, settings: Settings) -> Runner:
    """Run a session as worker ``worker-1`` (keyword arguments go to ``RunConfig``)."""

    def go(session_id: str, worker_id: str = "worker-1", **config: object) -> object:
        return run_analysis(
            session_id,
            worker_id,
            settings,
            engine=engine,
            notifier=notifier,
            config=RunConfig(**config),  # type: ignore[arg-type]
        )

    return go


def wait_for(
    analyses: Analyses, session_id: str, predicate: Callable[[JobState], bool], timeout: float = 15
) -> JobState:
    """Poll the session until ``predicate`` holds; fail with its last state after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    state = analyses.get(session_id)
    while not predicate(state):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting; last state {state}")
        time.sleep(0.05)
        state = analyses.get(session_id)
    return state
