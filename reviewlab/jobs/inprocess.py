"""The in-process queue: a bounded pool of threads in the API process running analyses, and a reaper thread.

Sessions queued when the process stops are lost from the pool but not from the database: ``start`` queues
them again (``Analyses.resume_queued``), and the reaper recovers those that were running.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine

from reviewlab.errors import ReviewlabError
from reviewlab.jobs.errors import QueueUnavailable
from reviewlab.jobs.events import Notifier
from reviewlab.jobs.runner import RunConfig, run_analysis
from reviewlab.jobs.service import Analyses
from reviewlab.settings import Settings

log = logging.getLogger(__name__)

REAP_SECONDS = 5.0


def worker_name(kind: str) -> str:
    """A worker id unique across machines and processes: ``kind@host:pid:random``."""
    return f"{kind}@{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class InProcessQueue:
    """Runs queued analyses on ``settings.reviewlab_workers`` threads of this process."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        notifier: Notifier,
        *,
        run_config: RunConfig | None = None,
        reap_seconds: float = REAP_SECONDS,
        workers: int | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.notifier = notifier
        self.run_config = run_config or RunConfig()
        self.reap_seconds = reap_seconds
        self.worker_id = worker_name("inprocess")
        self.analyses = Analyses(
            engine, notifier, self, clock=self.run_config.clock, max_attempts=self.run_config.max_attempts
        )
        self._pool = ThreadPoolExecutor(
            max_workers=workers or settings.reviewlab_workers, thread_name_prefix="analysis"
        )
        self._futures: dict[Future[object], str] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None

    def start(self) -> None:
        """Start the reaper and queue again whatever the database says is queued."""
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap_forever, name="analysis-reaper", daemon=True)
            self._reaper.start()
        self.analyses.resume_queued()

    def enqueue(self, session_id: str) -> None:
        """Run the session on the pool (once: an id already waiting or running here is not added again)."""
        with self._lock:
            if self._closed.is_set():
                raise QueueUnavailable("the in-process queue is shut down")
            if session_id in self._futures.values():
                return
            future = self._pool.submit(self._run, session_id)
            self._futures[future] = session_id
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[object]) -> None:
        with self._lock:
            self._futures.pop(future, None)

    def _run(self, session_id: str) -> object:
        try:
            return run_analysis(
                session_id,
                self.worker_id,
                self.settings,
                engine=self.engine,
                notifier=self.notifier,
                config=self.run_config,
            )
        except ReviewlabError as err:  # the store failed around the run: the lease and the reaper recover it
            log.error("analysis %s could not be run: %s", session_id, err)
            return None

    def _reap_forever(self) -> None:
        while not self._closed.wait(self.reap_seconds):
            try:
                self.analyses.reap()
            except ReviewlabError as err:
                log.warning("reaping stalled analyses failed: %s", err)

    def check(self) -> None:
        """Raise ``QueueUnavailable`` unless the pool takes work and its reaper runs (for readiness)."""
        if self._closed.is_set() or self._reaper is None or not self._reaper.is_alive():
            raise QueueUnavailable("the in-process analysis pool is not running")

    def pending(self) -> int:
        """Analyses queued or running on this pool."""
        with self._lock:
            return len(self._futures)

    def close(self, *, wait: bool = True) -> None:
        """Stop taking work; queued analyses not started stay queued in the database (the next start resumes
        them); with ``wait``, let the running ones finish."""
        with self._lock:
            self._closed.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if self._reaper is not None:
            self._reaper.join()
            self._reaper = None
