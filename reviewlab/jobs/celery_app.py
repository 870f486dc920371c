"""The Celery queue: the app (Redis broker, no result backend), the ``reviewlab.analyze`` task and ``CeleryQueue``.

Delivery is at least once (late acks, rejected back to the queue when a worker process dies); the runner's
claim makes a second delivery of a running or finished session a no-op, and the lease reaper recovers a
session whose worker died with its message already acknowledged.

Tracing (:mod:`reviewlab.observability.tracing`) is set up when a worker of the app starts (Celery's
``worker_init``, before the prefork pool forks: each pool process goes on with its own export thread) and
flushed when a pool process (``worker_process_shutdown``) or the worker (``worker_shutdown``) stops.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from reviewlab.errors import StoreError
from reviewlab.jobs.errors import QueueUnavailable
from reviewlab.jobs.runner import RunConfig, run_analysis
from reviewlab.observability import tracing
from reviewlab.settings import Settings

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]
    from sqlalchemy import Engine

    from reviewlab.jobs.events import Notifier

TASK_NAME = "reviewlab.analyze"
DEFAULT_QUEUE = "reviewlab"
TIME_LIMIT_GRACE_SECONDS = 30


def make_celery(settings: Settings, *, queue: str = DEFAULT_QUEUE, run_config: RunConfig | None = None) -> Celery:
    """A Celery app on ``settings.redis_url`` with the ``reviewlab.analyze`` task registered."""
    from celery import Celery, signals

    if not settings.redis_url:
        raise QueueUnavailable("the Celery queue needs REDIS_URL")
    tracing.require(settings)  # a signal handler's error would only be logged: refuse here, at start
    limit = settings.reviewlab_analysis_time_limit
    app = Celery("reviewlab", broker=settings.redis_url, backend=None, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        # Backstops behind the runner's own deadline (which fails the session with a readable error first).
        task_soft_time_limit=limit + TIME_LIMIT_GRACE_SECONDS // 2,
        task_time_limit=limit + TIME_LIMIT_GRACE_SECONDS,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": limit + 2 * TIME_LIMIT_GRACE_SECONDS},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2},
    )
    state = _WorkerState(settings, run_config or RunConfig())

    @app.task(  # type: ignore[untyped-decorator]
        name=TASK_NAME,
        shared=False,  # this app's own: another app of the process (tests, a second queue) registers its own
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(StoreError,),
        retry_backoff=True,
        retry_backoff_max=30,
        max_retries=5,
    )
    def analyze(self: Any, session_id: str) -> str | None:
        """Run one queued analysis (a no-op when it is finished or running on a live worker)."""
        engine, notifier, worker_id = state.resources()
        status = run_analysis(
            session_id, worker_id, settings, engine=engine, notifier=notifier, config=state.run_config
        )
        return None if status is None else status.value

    app.conf.reviewlab_state = state
    signals.worker_init.connect(_start_tracing, dispatch_uid="reviewlab.tracing.start")
    signals.worker_process_shutdown.connect(_stop_tracing, dispatch_uid="reviewlab.tracing.stop-process")
    signals.worker_shutdown.connect(_stop_tracing, dispatch_uid="reviewlab.tracing.stop")
    return app


def _start_tracing(sender: Any = None, **_: Any) -> None:
    """``worker_init``: trace the analyses of a worker of one of our apps (when the settings name a collector and
    the process does not trace already)."""
    state = getattr(getattr(getattr(sender, "app", None), "conf", None), "reviewlab_state", None)
    if isinstance(state, _WorkerState) and tracing.active() is None:
        tracing.configure(state.settings, service=tracing.WORKER_SERVICE)


def _stop_tracing(**_: Any) -> None:
    tracing.shutdown()


class _WorkerState:
    """One engine and notifier per worker process, created after the fork."""

    def __init__(self, settings: Settings, run_config: RunConfig) -> None:
        self.settings = settings
        self.run_config = run_config
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._resources: tuple[Engine, Notifier, str] | None = None

    def resources(self) -> tuple[Engine, Notifier, str]:
        with self._lock:
            if self._resources is None or self._pid != os.getpid():
                from reviewlab.jobs.cli import notifier_from_settings
                from reviewlab.jobs.inprocess import worker_name
                from reviewlab.store.connect import create_engine, translated

                engine = translated(create_engine(self.settings.sqlalchemy_url))
                self._resources = (engine, notifier_from_settings(self.settings), worker_name("celery"))
                self._pid = os.getpid()
            return self._resources

    def close(self) -> None:
        with self._lock:
            if self._resources is not None and self._pid == os.getpid():
                engine, notifier, _ = self._resources
                engine.dispose()
                notifier.close()
            self._resources = None


class CeleryQueue:
    """Sends ``reviewlab.analyze(session_id)`` to the Celery workers."""

    def __init__(self, app: Celery, *, owns_app: bool = True) -> None:
        self.app = app
        self._owns_app = owns_app

    @classmethod
    def from_settings(cls, settings: Settings, *, queue: str = DEFAULT_QUEUE) -> CeleryQueue:
        return cls(make_celery(settings, queue=queue))

    def enqueue(self, session_id: str) -> None:
        from kombu.exceptions import KombuError, OperationalError

        try:
            self.app.send_task(TASK_NAME, args=[session_id], retry=True)
        except (OperationalError, KombuError, OSError) as err:
            raise QueueUnavailable(f"the Celery broker did not take the task: {err}") from err

    def check(self) -> None:
        """Raise ``QueueUnavailable`` unless the broker answers (for readiness)."""
        from kombu.exceptions import KombuError, OperationalError

        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except (OperationalError, KombuError, OSError) as err:
            raise QueueUnavailable(f"the Celery broker does not answer: {err}") from err

    def close(self) -> None:
        if self._owns_app:
            self.app.close()
