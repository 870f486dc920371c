"""Real worker processes on PostgreSQL and Redis: one killed mid-analysis is recovered by another; Celery end to end;
the in-process queue of the API process."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.jobs.events import Event, MemoryNotifier, RedisNotifier
from reviewlab.jobs.inprocess import InProcessQueue
from reviewlab.jobs.runner import RunConfig
from reviewlab.jobs.service import Analyses
from reviewlab.settings import Settings
from reviewlab.store import Store
from reviewlab.store.models import SessionStatus
from tests.jobs.conftest import VULNERABLE, wait_for

REPO = Path(__file__).resolve().parents[2]
SLOW_FILES = {"kind": "files", "files": [{"path": f"m{i}.py", "content": f"x = {i}\n"} for i in range(40)]}


@contextmanager
def process(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess from the repository's root, killed (if still alive) and reaped when the block ends."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


@pytest.mark.integration
@pytest.mark.slow
def test_a_worker_killed_mid_analysis_is_recovered_by_another(
    postgres_engine: Engine, postgres_url: str, redis_url: str
) -> None:
    notifier = RedisNotifier(redis_url)
    analyses = Analyses(postgres_engine, notifier, None)  # the workers take it from the database
    env = {"REDIS_URL": redis_url}
    try:
        session_id = analyses.submit(SLOW_FILES, owner_id="u1")
        with process("-m", "tests.jobs.slow_worker", postgres_url, "0.2", "2", env=env) as doomed:
            running = wait_for(
                analyses, session_id, lambda s: s.status is SessionStatus.RUNNING and s.stage == "analyze"
            )
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(5)
        assert running.attempts == 1
        assert analyses.get(session_id).status is SessionStatus.RUNNING  # what the dead worker left behind

        with process("-m", "tests.jobs.slow_worker", postgres_url, "0", "2", env=env) as rescuer:
            state = wait_for(analyses, session_id, lambda s: s.finished, timeout=15)
            rescuer.send_signal(signal.SIGTERM)
            assert rescuer.wait(10) == 0

        assert (state.status, state.attempts, state.error) == (SessionStatus.COMPLETED, 2, None)
        kinds = [e.kind for e in analyses.events(session_id)]
        assert kinds.count("started") == 2
        assert "requeued" in kinds
        assert kinds[-1] == "done"
        with Store(postgres_engine) as store:
            summary = store.get_session(session_id)
        assert summary is not None
        assert summary.files == 40
    finally:
        notifier.close()


@pytest.mark.integration
@pytest.mark.slow
def test_celery_worker_runs_analyses_end_to_end(postgres_engine: Engine, postgres_url: str, redis_url: str) -> None:
    from reviewlab.jobs.celery_app import CeleryQueue, make_celery

    name = f"reviewlab-test-{secrets.token_hex(4)}"
    settings = Settings(database_url=postgres_url, redis_url=redis_url)
    queue = CeleryQueue(make_celery(settings, queue=name))
    notifier = RedisNotifier(redis_url)
    analyses = Analyses(postgres_engine, notifier, queue)
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url}
    args = [
        "-m",
        "reviewlab.cli",
        "worker",
        "--queue",
        "celery",
        "--pool",
        "threads",
        "-c",
        "2",
        "--celery-queue",
        name,
    ]
    try:
        with process(*args, env=env) as worker:
            snippet = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id="u1")
            files = analyses.submit(SLOW_FILES, owner_id="u1")

            async def follow() -> list[Event]:
                return [event async for event in analyses.follow(snippet, 0)]

            seen = asyncio.run(asyncio.wait_for(follow(), 20))
            state = wait_for(analyses, files, lambda s: s.finished, timeout=20)
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(15)
            output = worker.communicate()[0].decode()
        assert code == 0, output
        assert [e.kind for e in seen][-1] == "done"
        assert {(e.data["rule_id"]) for e in seen if e.kind == "finding"} == {"PY-S001", "PY-S002"}
        assert analyses.get(snippet).status is SessionStatus.COMPLETED
        assert state.status is SessionStatus.COMPLETED
        assert "celery@" in (analyses.events(snippet)[1].data["worker"])
    finally:
        queue.close()
        notifier.close()


def test_the_in_process_queue_runs_submitted_analyses_and_resumes_on_start(
    sqlite_engine: Engine, settings: Settings
) -> None:
    notifier = MemoryNotifier()
    waiting = Analyses(sqlite_engine, notifier, None).submit(SLOW_FILES, owner_id="u1")  # queued before the start
    queue = InProcessQueue(settings, sqlite_engine, notifier, run_config=RunConfig(), workers=2)
    try:
        queue.start()
        session_id = queue.analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, "u1")
        for sid in (waiting, session_id):
            assert wait_for(queue.analyses, sid, lambda s: s.finished).status is SessionStatus.COMPLETED
    finally:
        queue.close()
    with pytest.raises(Exception, match="shut down"):
        queue.enqueue("x")
