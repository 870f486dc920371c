"""Publication at the seams: the jobs runner (review.started, review.finished, gate.failed) and the lifecycle
(model.promoted, model.quarantined). A broken bus fails neither."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.engine import gate
from reviewlab.engine.config import GateConfig
from reviewlab.engine.pipeline import review_snippet
from reviewlab.errors import ReviewlabError
from reviewlab.events import bus as bus_module
from reviewlab.events import hooks
from reviewlab.events.bus import InProcessBus
from reviewlab.events.model import DomainEvent
from reviewlab.jobs import runner
from reviewlab.jobs.events import MemoryNotifier
from reviewlab.jobs.runner import run_analysis
from reviewlab.jobs.service import Analyses
from reviewlab.lifecycle.models import Stage
from reviewlab.lifecycle.service import Lifecycle
from reviewlab.settings import get_settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.models import SessionStatus
from tests.lifecycle.support import NOTHING, STATIC_DEFAULT

VULNERABLE = "import os\n\nos.system(input())\neval(input())\n"


class _Queue:
    def enqueue(self, session_id: str) -> None:
        return None

    def check(self) -> None:
        return None

    def close(self) -> None:
        return None


class _Broken:
    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        raise ConnectionError("the bus is down")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = translated(create_engine(f"sqlite:///{tmp_path / 'store.db'}"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _events(bus: InProcessBus) -> list[DomainEvent]:
    return [m.event for m in bus.read("test", "c1", count=1000) if m.event is not None]


def _run(engine: Engine, code: str) -> tuple[str, SessionStatus | None]:
    notifier = MemoryNotifier()
    session_id = Analyses(engine, notifier, _Queue()).submit(
        {"kind": "snippet", "code": code, "language": "python"}, owner_id="u1"
    )
    return session_id, run_analysis(session_id, "worker-1", get_settings(), engine=engine, notifier=notifier)


def test_an_analysis_publishes_started_then_finished(engine: Engine, fresh_bus: InProcessBus) -> None:
    session_id, status = _run(engine, VULNERABLE)

    assert status is SessionStatus.COMPLETED
    started, finished = _events(fresh_bus)
    assert (started.type, started.subject_id, started.actor) == ("review.started", session_id, "u1")
    assert started.data == {"attempt": 1, "worker": "worker-1"}
    assert (finished.type, finished.subject_type, finished.subject_id) == ("review.finished", "analysis", session_id)
    assert finished.data["status"] == "completed"
    assert finished.data["counts"]["findings"] == 2
    assert finished.data["gate"] is None  # no project, no gate


def test_a_failed_analysis_publishes_finished_with_its_error(
    engine: Engine, fresh_bus: InProcessBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise ReviewlabError("the engine broke")

    monkeypatch.setattr(runner, "review_snippet", explode)

    session_id, status = _run(engine, VULNERABLE)

    assert status is SessionStatus.FAILED
    started, finished = _events(fresh_bus)
    assert started.type == "review.started"
    assert (finished.type, finished.subject_id) == ("review.finished", session_id)
    assert finished.data == {"status": "failed", "counts": {}, "gate": None, "error": "the engine broke"}


def test_a_broken_bus_does_not_fail_the_analysis(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bus_module.set_default_bus(_Broken())  # type: ignore[arg-type]

    _, status = _run(engine, VULNERABLE)

    assert status is SessionStatus.COMPLETED
    assert caplog.text.count("could not publish") == 2  # review.started and review.finished


def test_a_failed_gate_publishes_review_finished_and_gate_failed(fresh_bus: InProcessBus) -> None:
    result = review_snippet(VULNERABLE, "python")
    gate.evaluate(result, GateConfig(fail_on="high"))
    assert result.gate is not None

    hooks.analysis_finished("s1", "u1", "completed", result=result)

    finished, failed = _events(fresh_bus)
    assert finished.data["gate"]["passed"] is False
    assert finished.data["counts"]["findings"] == len(result.findings)
    assert (failed.type, failed.subject_id, failed.actor) == ("gate.failed", "s1", "u1")
    assert failed.data["gate"]["conditions"]


def test_lifecycle_promotion_and_quarantine_publish(engine: Engine, fresh_bus: InProcessBus) -> None:
    lifecycle = Lifecycle(engine, get_settings(), audit=False)
    lifecycle.register([NOTHING, STATIC_DEFAULT])

    lifecycle.promote("nothing", None, actor="alice", force=True, reason="a first production")
    lifecycle.promote("static-default", None, actor="alice", force=True, reason="better")
    lifecycle.quarantine("static-default", reason="answers looked wrong", actor="bob")

    first, second, quarantined = _events(fresh_bus)
    assert (first.type, first.data["name"], first.data["outcome"], first.data["previous"]) == (
        "model.promoted",
        "nothing",
        "forced",
        None,
    )
    assert (second.data["name"], second.data["previous"], second.actor) == ("static-default", "nothing", "alice")
    assert (quarantined.type, quarantined.actor, quarantined.subject_type) == ("model.quarantined", "bob", "model")
    assert quarantined.data["reason"] == "answers looked wrong"
    assert quarantined.data["restored"] == "nothing"
    assert lifecycle.model("nothing").stage is Stage.PRODUCTION


def test_a_broken_bus_does_not_fail_a_transition(engine: Engine) -> None:
    bus_module.set_default_bus(_Broken())  # type: ignore[arg-type]
    lifecycle = Lifecycle(engine, get_settings(), audit=False)
    lifecycle.register([NOTHING])

    lifecycle.promote("nothing", None, actor="alice", force=True, reason="first")
    lifecycle.quarantine("nothing", reason="bad", actor="alice")

    assert lifecycle.model("nothing").stage is Stage.QUARANTINED
