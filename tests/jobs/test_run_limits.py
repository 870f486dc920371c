"""The runner's time limit (on an injectable clock) ends an analysis as failed with its reason, and the Celery
app carries the delivery guarantees and backstops the docs promise."""

from __future__ import annotations

import itertools

import pytest

from reviewlab.errors import StoreError
from reviewlab.jobs.celery_app import TASK_NAME, TIME_LIMIT_GRACE_SECONDS, make_celery
from reviewlab.jobs.errors import QueueUnavailable
from reviewlab.jobs.service import Analyses
from reviewlab.settings import Settings
from reviewlab.store.models import SessionStatus
from tests.jobs.conftest import VULNERABLE, Runner


class Elapsing:
    """A monotonic clock that reads ``start`` once (when the run sets its deadline), then ``start + elapsed``."""

    def __init__(self, elapsed: float, start: float = 1000.0) -> None:
        self._readings = itertools.chain([start], itertools.repeat(start + elapsed))

    def __call__(self) -> float:
        return next(self._readings)


@pytest.mark.parametrize(("elapsed", "status"), [(11.0, SessionStatus.FAILED), (9.0, SessionStatus.COMPLETED)])
def test_an_analysis_over_its_time_limit_fails_with_the_reason(
    analyses: Analyses, run: Runner, elapsed: float, status: SessionStatus
) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id="u1")

    assert run(session_id, time_limit=10, monotonic=Elapsing(elapsed)) is status

    state = analyses.get(session_id)
    assert state.status is status
    if status is SessionStatus.FAILED:
        assert state.error == "the analysis took longer than its time limit of 10 s"
        assert analyses.events(session_id)[-1].kind == "failed"
    else:
        assert state.error is None


def test_the_time_limit_defaults_to_the_setting(analyses: Analyses, run: Runner, settings: Settings) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id="u1")
    over = settings.reviewlab_analysis_time_limit + 1

    assert run(session_id, monotonic=Elapsing(over)) is SessionStatus.FAILED

    limit = settings.reviewlab_analysis_time_limit
    assert analyses.get(session_id).error == f"the analysis took longer than its time limit of {limit} s"


def test_the_celery_app_acks_late_retries_store_errors_and_backs_the_time_limit() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", reviewlab_analysis_time_limit=120)

    app = make_celery(settings, queue="reviews")  # nothing connects until a task is sent or a worker starts

    conf = app.conf
    assert (conf.task_default_queue, conf.worker_prefetch_multiplier, conf.task_ignore_result) == ("reviews", 1, True)
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert conf.task_soft_time_limit == 120 + TIME_LIMIT_GRACE_SECONDS // 2
    assert conf.task_time_limit == 120 + TIME_LIMIT_GRACE_SECONDS
    assert conf.task_soft_time_limit < conf.task_time_limit
    # Redis re-delivers an unacknowledged message only after the hard limit has killed its task.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    task = app.tasks[TASK_NAME]
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    assert task.autoretry_for == (StoreError,)
    assert (task.max_retries, task.retry_backoff, task.retry_backoff_max) == (5, True, 30)


def test_the_celery_app_needs_redis() -> None:
    with pytest.raises(QueueUnavailable, match="REDIS_URL"):
        make_celery(Settings(redis_url=None))


def test_two_celery_apps_in_one_process_each_have_their_own_task() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0")

    first, second = make_celery(settings, queue="one"), make_celery(settings, queue="two")

    assert first.tasks[TASK_NAME] is not second.tasks[TASK_NAME]
    assert (first.conf.task_default_queue, second.conf.task_default_queue) == ("one", "two")
