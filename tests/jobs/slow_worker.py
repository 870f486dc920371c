"""A worker process for the tests: in-process threads taking queued sessions from the database, each analysed
file slowed down by DELAY seconds, with a short lease. Run as ``python -m tests.jobs.slow_worker URL DELAY LEASE``."""

from __future__ import annotations

import signal
import sys
import threading
import time

from reviewlab.engine.pipeline import ProgressEvent
from reviewlab.jobs.cli import notifier_from_settings
from reviewlab.jobs.inprocess import InProcessQueue
from reviewlab.jobs.runner import RunConfig
from reviewlab.settings import get_settings
from reviewlab.store.connect import create_engine


def main(url: str, delay: float, lease: float) -> None:
    def slow(event: ProgressEvent) -> None:
        if event.stage == "analyze":
            time.sleep(delay)

    settings = get_settings().model_copy(update={"database_url": url})
    config = RunConfig(lease_seconds=lease, heartbeat_seconds=lease / 4, on_progress=slow)
    engine = create_engine(url)
    notifier = notifier_from_settings(settings)
    queue = InProcessQueue(settings, engine, notifier, run_config=config, reap_seconds=0.3, workers=1)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    queue.start()
    print(f"ready {queue.worker_id}", flush=True)
    try:
        while not stop.wait(0.2):
            if queue.pending() == 0:
                queue.analyses.resume_queued()
    finally:
        queue.close()
        notifier.close()
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
