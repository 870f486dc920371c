"""Cancel, follow (replay then live, ending on the terminal event), reap and concurrent event numbering."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from reviewlab.engine.pipeline import ProgressEvent
from reviewlab.jobs import events as event_log
from reviewlab.jobs.db import table_of, writing
from reviewlab.jobs.errors import AnalysisNotFound, InvalidRequest
from reviewlab.jobs.events import Event, MemoryNotifier, RedisNotifier
from reviewlab.jobs.service import Analyses, stalled_error, utc_now
from reviewlab.store.models import AnalysisSession, SessionStatus
from tests.jobs.conftest import VULNERABLE, RecordingQueue, Runner

FILES = {"kind": "files", "files": [{"path": f"m{i}.py", "content": f"x = {i}\n"} for i in range(20)]}


def test_cancelling_a_queued_session_ends_it_at_once(analyses: Analyses, run: Runner) -> None:
    session_id = analyses.submit(FILES, owner_id="u1")

    state = analyses.cancel(session_id)

    assert (state.status, state.error) == (SessionStatus.CANCELLED, "cancelled by user")
    assert [e.kind for e in analyses.events(session_id)] == ["queued", "cancelled"]
    assert run(session_id) is None  # a worker handed the id later does nothing
    assert analyses.cancel(session_id).status is SessionStatus.CANCELLED  # and cancelling again changes nothing


def test_cancelling_a_running_session_stops_it_at_its_next_progress_step(analyses: Analyses, run: Runner) -> None:
    session_id = analyses.submit(FILES, owner_id="u1")
    cancelled = threading.Event()
    steps: list[int] = []

    def cancel_after_three(event: ProgressEvent) -> None:
        if event.stage == "analyze":
            steps.append(event.done)
            if event.done == 3:
                assert analyses.cancel(session_id).cancel_requested
                cancelled.set()

    assert run(session_id, on_progress=cancel_after_three) is SessionStatus.CANCELLED

    state = analyses.get(session_id)
    assert (state.status, state.error, state.stage) == (SessionStatus.CANCELLED, "cancelled by user", "cancelled")
    assert steps[-1] == 3  # the check right after the cancel stopped it, long before the end (20 files)
    kinds = [e.kind for e in analyses.events(session_id)]
    assert "cancel_requested" in kinds
    assert kinds[-1] == "cancelled"
    assert "done" not in kinds


def test_cancelling_a_finished_session_changes_nothing(analyses: Analyses, run: Runner) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": "x = 1\n", "language": "python"}, owner_id=None)
    run(session_id)
    assert analyses.cancel(session_id).status is SessionStatus.COMPLETED


def test_unknown_sessions_and_bad_requests_are_library_errors(analyses: Analyses) -> None:
    with pytest.raises(AnalysisNotFound):
        analyses.get("nope")
    with pytest.raises(AnalysisNotFound):
        analyses.cancel("nope")
    with pytest.raises(InvalidRequest, match="an archive request needs its upload"):
        analyses.submit({"kind": "archive", "filename": "a.zip"}, owner_id=None)


async def _collect(analyses: Analyses, session_id: str, after: int) -> list[Event]:
    return [event async for event in analyses.follow(session_id, after, poll_seconds=5)]


@pytest.mark.parametrize("after", [0, 2])
def test_follow_replays_after_a_seq_then_streams_live_events_until_done(
    analyses: Analyses, run: Runner, after: int
) -> None:
    session_id = analyses.submit(FILES, owner_id="u1")

    async def scenario() -> list[Event]:
        follower = asyncio.create_task(_collect(analyses, session_id, after))
        await asyncio.sleep(0.2)  # the follower has replayed "queued" and waits for a notification
        assert not follower.done()
        await asyncio.to_thread(run, session_id)
        return await asyncio.wait_for(follower, 10)  # poll_seconds=5: only notifications make this quick

    seen = asyncio.run(scenario())

    stored = analyses.events(session_id)
    assert [e.seq for e in seen] == [e.seq for e in stored if e.seq > after]
    assert seen[-1].kind == "done"


def test_follow_after_the_terminal_event_ends_at_once(analyses: Analyses, run: Runner) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": "x = 1\n", "language": "python"}, owner_id=None)
    run(session_id)
    last = analyses.events(session_id)[-1].seq

    assert asyncio.run(_collect(analyses, session_id, last)) == []
    assert [e.kind for e in asyncio.run(_collect(analyses, session_id, last - 1))] == ["done"]


def test_follow_of_an_unknown_session_raises(analyses: Analyses) -> None:
    with pytest.raises(AnalysisNotFound):
        asyncio.run(_collect(analyses, "nope", 0))


def test_memory_notifier_wakes_threads(notifier: MemoryNotifier) -> None:
    woken: list[int] = []
    waiter = threading.Thread(target=lambda: woken.append(notifier.wait("s", 0, timeout=5)))
    waiter.start()
    while not notifier._conditions:
        threading.Event().wait(0.01)
    notifier.notify("s", 3)
    waiter.join(5)
    assert woken == [3]
    assert notifier.wait("s", 3, timeout=0.05) == 3  # a timeout returns what it was given


def _expire(engine: Engine, session_id: str) -> None:
    table = table_of(AnalysisSession)
    with writing(engine, "test") as connection:
        connection.execute(
            update(table).where(table.c.id == session_id).values(lease_expires_at=utc_now() - timedelta(seconds=1))
        )


def _claim_and_die(analyses: Analyses, engine: Engine, session_id: str, worker: str) -> None:
    """What a worker that dies right after its claim leaves: running, with a lease that then expires."""
    from reviewlab.jobs.runner import RunConfig, _Run

    run = _Run(
        session_id,
        worker,
        __import__("reviewlab.settings").settings.get_settings(),
        engine,
        analyses.notifier,
        RunConfig(),
    )
    assert run._claim() is not None
    _expire(engine, session_id)


def test_reap_requeues_an_expired_lease_then_fails_after_the_last_attempt(
    analyses: Analyses, engine: Engine, queue: RecordingQueue, run: Runner
) -> None:
    session_id = analyses.submit(FILES, owner_id="u1")
    for attempt in (1, 2):
        _claim_and_die(analyses, engine, session_id, f"dead-{attempt}")
        [reaped] = analyses.reap()
        assert (reaped.action, reaped.attempts) == ("requeued", attempt)
        assert analyses.get(session_id).status is SessionStatus.QUEUED
    assert queue.ids == [session_id] * 3
    _claim_and_die(analyses, engine, session_id, "dead-3")

    [reaped] = analyses.reap()

    state = analyses.get(session_id)
    assert (reaped.action, state.status, state.error) == ("failed", SessionStatus.FAILED, stalled_error(3))
    assert state.error == "the worker running this analysis stopped responding (3 attempts)"
    kinds = [e.kind for e in analyses.events(session_id)]
    assert kinds.count("requeued") == 2
    assert kinds[-1] == "failed"
    assert analyses.reap() == []
    assert run(session_id) is None


def test_a_requeued_session_completes_on_another_worker_and_the_dead_one_cannot_write(
    analyses: Analyses, engine: Engine, run: Runner
) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id=None)
    _claim_and_die(analyses, engine, session_id, "dead")
    assert [r.action for r in analyses.reap()] == ["requeued"]

    assert run(session_id, "alive") is SessionStatus.COMPLETED

    state = analyses.get(session_id)
    assert (state.attempts, state.findings_count) == (2, 2)


def test_a_live_lease_is_not_reaped(analyses: Analyses, engine: Engine) -> None:
    session_id = analyses.submit(FILES, owner_id="u1")
    from reviewlab.jobs.runner import RunConfig, _Run

    settings = __import__("reviewlab.settings").settings.get_settings()
    assert _Run(session_id, "w", settings, engine, analyses.notifier, RunConfig())._claim() is not None
    assert analyses.reap() == []
    assert analyses.reap(utc_now() + timedelta(seconds=60))[0].action == "requeued"


def test_resume_queued_enqueues_what_is_still_queued(analyses: Analyses, queue: RecordingQueue) -> None:
    first = analyses.submit(FILES, owner_id="u1")
    second = analyses.submit(FILES, owner_id="u1")
    analyses.cancel(second)
    queue.ids.clear()
    ours = {first, second}  # the PostgreSQL store is shared by the tests of one xdist worker: others may be queued
    assert [s for s in analyses.resume_queued() if s in ours] == [first]
    assert [s for s in queue.ids if s in ours] == [first]


@pytest.mark.integration
def test_two_concurrent_writers_get_distinct_seqs_on_postgres(postgres_engine: Engine) -> None:
    analyses = Analyses(postgres_engine, MemoryNotifier(), RecordingQueue())
    session_id = analyses.submit(FILES, owner_id="u1")
    start = threading.Barrier(4)

    def write(n: int) -> None:
        start.wait()
        for i in range(25):
            with writing(postgres_engine, "test") as connection:
                event_log.insert_events(connection, session_id, [("note", {"writer": n, "i": i})], utc_now())

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    seqs = [e.seq for e in analyses.events(session_id)]
    assert seqs == list(range(1, 102))


@pytest.mark.integration
def test_followers_share_one_redis_subscription_and_each_wakes_for_its_session(redis_url: str) -> None:
    def listeners() -> int:
        return sum(1 for thread in threading.enumerate() if thread.name == "analysis-events")

    before = listeners()
    notifier = RedisNotifier(redis_url)
    other = RedisNotifier(redis_url)  # another process's, publishing
    try:

        async def scenario() -> tuple[list[bool], int]:
            async with contextlib.AsyncExitStack() as stack:
                subscriptions = [await stack.enter_async_context(notifier.subscribe(f"s{n}")) for n in range(10)]
                other.notify("s3", 7)
                woken = [await s.wait(2.0 if n == 3 else 0.05) for n, s in enumerate(subscriptions)]
                return woken, listeners()

        woken, during = asyncio.run(scenario())
        assert woken == [n == 3 for n in range(10)]
        assert during == before + 1  # ten followers, one subscription
    finally:
        notifier.close()
        other.close()
    assert listeners() == before


@pytest.mark.integration
def test_follow_wakes_on_redis_notifications(postgres_engine: Engine, redis_url: str) -> None:
    notifier = RedisNotifier(redis_url)
    try:
        analyses = Analyses(postgres_engine, notifier, RecordingQueue())
        session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id=None)
        from reviewlab.jobs.runner import run_analysis
        from reviewlab.settings import get_settings

        async def scenario() -> list[Event]:
            follower = asyncio.create_task(_collect(analyses, session_id, 0))
            await asyncio.sleep(0.3)
            await asyncio.to_thread(
                run_analysis, session_id, "w", get_settings(), engine=postgres_engine, notifier=notifier
            )
            return await asyncio.wait_for(follower, 4)  # poll_seconds=5: Redis woke it

        seen = asyncio.run(scenario())
        assert [e.kind for e in seen][-1] == "done"
        assert [e.seq for e in seen] == list(range(1, len(seen) + 1))
    finally:
        notifier.close()
