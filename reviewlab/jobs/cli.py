"""``reviewlab worker`` and the factories the API calls: ``notifier_from_settings``, ``queue_from_settings``.

``reviewlab worker --queue celery`` runs a Celery worker (prefork or threads) on REDIS_URL; ``--queue
inprocess`` runs analysis threads that take queued sessions straight from the database. Both run the lease
reaper, so a session whose worker died is queued again (or failed after its last attempt), and serve the
analysis and AI provider metrics (:mod:`reviewlab.observability.metrics`) for Prometheus on ``--metrics-port``
(default 9808, 0 = off); under Celery's prefork pool the metrics of every pool process, in prometheus_client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, a temporary directory unless set). Unless ``--no-events``, the
worker also runs the event consumers (:class:`reviewlab.events.consumers.EventConsumers`: webhooks, notifications,
audit, metrics) on a background thread, a pass every ``REVIEWLAB_EVENTS_INTERVAL`` seconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import Engine

from reviewlab.errors import ReviewlabError
from reviewlab.jobs.events import MemoryNotifier, Notifier, RedisNotifier
from reviewlab.jobs.inprocess import InProcessQueue
from reviewlab.jobs.runner import HEARTBEAT_SECONDS, RunConfig
from reviewlab.jobs.service import LEASE_SECONDS, Analyses, Queue
from reviewlab.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
METRICS_PORT = 9808


def notifier_from_settings(settings: Settings) -> Notifier:
    """Redis pub/sub when ``REDIS_URL`` is set (workers in other processes), else in-process notifications."""
    if settings.redis_url:
        return RedisNotifier(settings.redis_url)
    return MemoryNotifier()


def queue_from_settings(
    settings: Settings, engine: Engine, notifier: Notifier, *, run_config: RunConfig | None = None
) -> Queue:
    """The queue ``settings.queue_backend`` names: Celery, or an in-process pool (started: its reaper runs and
    the sessions left queued are resumed). The caller closes it."""
    if settings.queue_backend == "celery":
        from reviewlab.jobs.celery_app import CeleryQueue

        return CeleryQueue.from_settings(settings)
    queue = InProcessQueue(settings, engine, notifier, run_config=run_config)
    queue.start()
    return queue


def add_worker_parser(commands: Any) -> None:
    """Register ``reviewlab worker`` on the command line's subcommands."""
    worker = commands.add_parser("worker", help="run analysis workers for the configured store and queue")
    worker.add_argument("--concurrency", "-c", type=int, help="analyses at a time (default: REVIEWLAB_WORKERS)")
    worker.add_argument("--queue", choices=["celery", "inprocess"], help="default: Celery when REDIS_URL is set")
    worker.add_argument("--pool", choices=["prefork", "threads"], default="prefork", help="Celery's pool")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=METRICS_PORT,
        help=f"serve Prometheus metrics on this port (default {METRICS_PORT}; 0 = off)",
    )
    worker.add_argument(
        "--no-events",
        dest="events",
        action="store_false",
        help="do not run the event consumers (webhooks, notifications, audit, metrics) in this worker",
    )
    worker.add_argument("--celery-queue", default="reviewlab", help=argparse.SUPPRESS)
    worker.add_argument("--lease-seconds", type=float, default=LEASE_SECONDS, help=argparse.SUPPRESS)
    worker.add_argument("--heartbeat-seconds", type=float, default=HEARTBEAT_SECONDS, help=argparse.SUPPRESS)
    worker.add_argument("--reap-seconds", type=float, default=5.0, help=argparse.SUPPRESS)
    worker.set_defaults(handler=cmd_worker)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run workers until interrupted (SIGINT or SIGTERM)."""
    from reviewlab.observability import tracing
    from reviewlab.observability.logs import configure_logging
    from reviewlab.store import open_store
    from reviewlab.store.connect import create_engine

    configure_logging(settings.reviewlab_log_format)
    backend = args.queue or settings.queue_backend
    concurrency = args.concurrency or settings.reviewlab_workers
    if concurrency < 1:
        raise ReviewlabError("--concurrency must be at least 1")
    if not 0 <= args.metrics_port <= 65535:
        raise ReviewlabError("--metrics-port must be between 0 and 65535")
    open_store(settings).close()  # migrated before any worker claims a session
    run_config = RunConfig(
        lease_seconds=args.lease_seconds, heartbeat_seconds=min(args.heartbeat_seconds, args.lease_seconds / 3)
    )
    stop_metrics = _serve_metrics(args.metrics_port, multiprocess=backend == "celery" and args.pool == "prefork")
    engine = create_engine(settings.sqlalchemy_url)
    notifier = notifier_from_settings(settings)
    stop_events = _run_events(settings, engine) if args.events else lambda: None
    try:
        if backend == "celery":  # Celery's worker processes set tracing up themselves, after the fork
            return _celery_worker(args, settings, engine, notifier, run_config, concurrency)
        tracing.configure(settings, service=tracing.WORKER_SERVICE)
        return _inprocess_worker(args, settings, engine, notifier, run_config, concurrency)
    finally:
        tracing.shutdown()
        stop_events()
        notifier.close()
        engine.dispose()
        stop_metrics()


def _run_events(settings: Settings, engine: Engine) -> Callable[[], None]:
    """Start the event consumers' loop on a background thread; the stopper."""
    from reviewlab.events.consumers import EventConsumers

    consumers = EventConsumers.from_settings(engine, settings)
    consumers.start(settings.reviewlab_events_interval)
    log.info("event consumers %s: a pass every %g s", consumers.consumer, settings.reviewlab_events_interval)
    return consumers.stop


def _serve_metrics(port: int, *, multiprocess: bool) -> Callable[[], None]:
    """Serve the worker's metrics on ``port`` (nothing when 0 or prometheus-client is missing); the stopper."""
    from reviewlab.observability import metrics

    if port == 0:
        return lambda: None
    if not metrics.available():
        log.warning("prometheus-client is not installed (the api extra): no metrics on port %d", port)
        return lambda: None
    directory: Path | None = None
    made: str | None = None
    if multiprocess:
        given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if given:
            directory = Path(given)
        else:
            made = tempfile.mkdtemp(prefix="reviewlab-metrics-")
            directory = Path(made)
        metrics.enable_multiprocess(directory)
    try:
        server = metrics.serve(port, multiprocess_dir=directory)
    except OSError as err:
        if made:
            shutil.rmtree(made, ignore_errors=True)
        raise ReviewlabError(f"cannot serve metrics on port {port}: {err}") from err
    log.info("worker metrics on http://0.0.0.0:%d/metrics%s", port, " (multiprocess)" if multiprocess else "")

    def stop() -> None:
        server.shutdown()
        server.server_close()
        if made:
            shutil.rmtree(made, ignore_errors=True)

    return stop


def _inprocess_worker(
    args: argparse.Namespace,
    settings: Settings,
    engine: Engine,
    notifier: Notifier,
    run_config: RunConfig,
    concurrency: int,
) -> int:
    stop = threading.Event()
    _on_signals(stop)
    queue = InProcessQueue(
        settings, engine, notifier, run_config=run_config, reap_seconds=args.reap_seconds, workers=concurrency
    )
    queue.start()
    print(f"reviewlab worker {queue.worker_id}: {concurrency} in-process analysis thread(s)", flush=True)
    try:
        while not stop.wait(POLL_SECONDS):
            if queue.pending() < concurrency:
                queue.analyses.resume_queued()
    finally:
        queue.close(wait=True)
    return 0


def _celery_worker(
    args: argparse.Namespace,
    settings: Settings,
    engine: Engine,
    notifier: Notifier,
    run_config: RunConfig,
    concurrency: int,
) -> int:
    from reviewlab.jobs.celery_app import CeleryQueue, make_celery

    app = make_celery(settings, queue=args.celery_queue, run_config=run_config)
    queue = CeleryQueue(app, owns_app=False)
    analyses = Analyses(engine, notifier, queue, max_attempts=run_config.max_attempts)
    stop = threading.Event()
    reaper = threading.Thread(target=_reap_forever, args=(analyses, stop, args.reap_seconds), daemon=True)
    reaper.start()
    try:
        worker = app.Worker(
            concurrency=concurrency,
            pool="threads" if args.pool == "threads" else "prefork",
            queues=[args.celery_queue],
            loglevel="INFO",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        worker.start()  # returns on SIGINT / SIGTERM (warm shutdown: running analyses finish)
        return int(worker.exitcode or 0)
    finally:
        stop.set()
        reaper.join()
        app.conf.reviewlab_state.close()
        app.close()


def _reap_forever(analyses: Analyses, stop: threading.Event, seconds: float) -> None:
    while not stop.wait(seconds):
        try:
            analyses.reap()
        except ReviewlabError as err:
            log.warning("reaping stalled analyses failed: %s", err)


def _on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
