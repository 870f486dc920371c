"""The event consumers the platform runs: one pass and the background loop (webhooks to a loopback receiver, mails
to the loopback SMTP server, the audit and metrics groups), error isolation, the attempt cap, the API and the
worker running the loop, and the same against the real Redis."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, select

from api.deps import Platform
from api.main import create_app
from reviewlab.audit import AuditLog
from reviewlab.cache import Caches
from reviewlab.events.bus import EventBus, InProcessBus, RedisStreamsBus
from reviewlab.events.consumers import AUDIT_GROUP, AuditConsumer, EventConsumers
from reviewlab.events.model import gate_failed, model_promoted, review_finished, review_started
from reviewlab.events.notifications import GROUP as NOTIFICATIONS
from reviewlab.events.webhooks import subscribe
from reviewlab.jobs.db import table_of
from reviewlab.mail import Mail, MailError, MemoryMailer, SmtpMailer
from reviewlab.observability.metrics import Instruments
from reviewlab.ratelimit import MemoryBackend, RateLimiter
from reviewlab.security import Argon2Parameters, Passwords, SecretBox
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.models import AnalysisSession
from tests._smtp import SmtpServer
from tests.api import BASE_URL, Client, sign_ins
from tests.events.conftest import SECRET, Receiver
from tests.events.test_notifications import GATE, PUBLIC_URL, add_user, submit
from tests.providerstore import secret_box

BOX = secret_box()
THREAD = "event-consumers"
REPO = Path(__file__).resolve().parents[2]
JWT = "a-test-jwt-secret-of-at-least-32-characters"


@pytest.fixture
def metrics() -> Instruments:
    return Instruments(CollectorRegistry())


def sample(metrics: Instruments, name: str, **labels: str) -> float:
    assert metrics.registry is not None
    return metrics.registry.get_sample_value(name, labels) or 0.0


def consumers(engine: Engine, bus: EventBus, mailer: Any, metrics: Instruments, **options: Any) -> EventConsumers:
    return EventConsumers(
        engine, bus, box=BOX, mailer=mailer, public_url=PUBLIC_URL, consumer="c1", instruments=metrics, **options
    )


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


def status(engine: Engine, session_id: str) -> str:
    sessions = table_of(AnalysisSession)
    with engine.connect() as connection:
        return str(connection.execute(select(sessions.c.status).where(sessions.c.id == session_id)).scalar_one())


def audit_rows(engine: Engine, target_id: str) -> list[Any]:
    return [r for r in AuditLog(engine).query(action_prefix="event.", limit=1000) if r.target_id == target_id]


class Refusing(MemoryMailer):
    """Refuses every mail to ``refused`` (as an SMTP server refusing one recipient), keeps the others."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused
        self.refusals = 0

    def send(self, message: Mail) -> None:
        if message.to == self.refused:
            self.refusals += 1
            raise MailError(f"SMTP server refused {message.to}: 550 5.1.1 no such user")
        super().send(message)


# -- the loop -----------------------------------------------------------------------------------------------


def test_the_loop_delivers_a_webhook_and_a_mail_without_the_cli(
    sqlite_engine: Engine, fresh_bus: InProcessBus, receiver: Receiver, metrics: Instruments
) -> None:
    owner = add_user(sqlite_engine, "solo")
    session_id = submit(sqlite_engine, owner)
    subscribe(sqlite_engine, receiver.url, SECRET, ["gate.failed"], box=BOX)
    with SmtpServer() as server:
        mailer = SmtpMailer(server.host, server.port, sender="reviewlab@example.org", starttls=False, timeout_s=5)
        loop = consumers(sqlite_engine, fresh_bus, mailer, metrics)
        loop.start(0.05)
        try:
            assert loop.running
            fresh_bus.publish(gate_failed(session_id, actor=owner, gate=GATE))
            # Every consumer's part, the audit row and the metrics included, before the loop stops.
            wait_for(
                lambda: (
                    receiver.received
                    and server.received
                    and audit_rows(sqlite_engine, session_id)
                    and sample(metrics, "reviewlab_domain_events_total", type="gate.failed") == 1
                )
            )
        finally:
            loop.stop()

    assert not loop.running
    assert loop_threads() == []
    [request] = receiver.received
    assert request.valid
    assert request.headers["X-Reviewlab-Event"] == "gate.failed"
    [mail] = server.received
    assert mail.rcpt_to == ("solo@example.org",)
    assert f"{PUBLIC_URL}api/analyze/{session_id}" in mail.message().get_content()
    [row] = audit_rows(sqlite_engine, session_id)
    assert row.action == "event.gate.failed"
    assert sample(metrics, "reviewlab_domain_events_total", type="gate.failed") == 1
    assert sample(metrics, "reviewlab_webhook_deliveries_total", status="delivered") == 1
    assert sample(metrics, "reviewlab_notifications_total", outcome="sent") == 1


def test_a_failing_step_is_logged_and_the_others_and_the_next_passes_run(
    sqlite_engine: Engine, receiver: Receiver, metrics: Instruments, caplog: pytest.LogCaptureFixture
) -> None:
    class DownThenUp(InProcessBus):
        """Redis down for the first ``failures`` reads."""

        failures = 4

        def read(self, *args: Any, **kwargs: Any) -> Any:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")
            return super().read(*args, **kwargs)

    bus = DownThenUp()
    subscribe(sqlite_engine, receiver.url, SECRET, box=BOX)
    bus.publish(review_started("s1", actor=None, attempt=1, worker="w1"))
    loop = consumers(sqlite_engine, bus, MemoryMailer(), metrics)

    with caplog.at_level(logging.WARNING):
        first = loop.run_pass()

    assert first.failed == ["webhook fan-out"]  # the deliverer, notifications, audit and metrics still ran
    assert "event consumer step 'webhook fan-out' failed (retried next pass)" in caplog.text
    assert "cannot read the bus for notifications" in caplog.text
    assert "failed (retried next pass): webhook fan-out" in first.lines()

    loop.start(0.05)
    try:
        wait_for(lambda: sample(metrics, "reviewlab_domain_events_total", type="review.started"))  # the last step
    finally:
        loop.stop()
    assert len(receiver.received) == 1


def test_metrics_count_events_delivery_outcomes_and_pending_deliveries(
    engine: Engine, fresh_bus: InProcessBus, receiver: Receiver, metrics: Instruments
) -> None:
    subscribe(engine, receiver.url, SECRET, ["review.started"], box=BOX)
    receiver.statuses = [500]
    fresh_bus.publish(review_started("s1", actor=None, attempt=1, worker="w1"))
    fresh_bus.publish(review_started("s2", actor=None, attempt=1, worker="w1"))
    fresh_bus.publish(review_finished("s1", actor=None, status="completed"))
    loop = consumers(engine, fresh_bus, MemoryMailer(), metrics)

    report = loop.run_pass()

    assert report.failed == []
    assert sample(metrics, "reviewlab_domain_events_total", type="review.started") == 2
    assert sample(metrics, "reviewlab_domain_events_total", type="review.finished") == 1
    assert sample(metrics, "reviewlab_webhook_deliveries_total", status="delivered") == 1
    assert sample(metrics, "reviewlab_webhook_deliveries_total", status="pending") == 1  # the 500, to retry
    assert sample(metrics, "reviewlab_webhook_deliveries_pending") == 1
    assert loop.run_pass().counted == (0, 0)  # acknowledged: counted once
    assert sample(metrics, "reviewlab_domain_events_total", type="review.started") == 2


# -- the audit consumer -------------------------------------------------------------------------------------


def test_the_audit_consumer_appends_each_event_once_even_when_redelivered(
    own_engine: Engine, fresh_bus: InProcessBus
) -> None:
    engine = own_engine  # the chain is verified whole: a database of this test's own
    owner = add_user(engine, "auditee")
    session_id = submit(engine, owner)
    finished = review_finished(session_id, actor=owner, status="completed", counts={"findings": 2})
    fresh_bus.publish(review_started(session_id, actor=owner, attempt=1, worker="w1"))
    fresh_bus.publish(finished)
    promoted = model_promoted(
        "m1", actor=owner, name="m", config_hash="h", outcome="promoted", previous=None, dataset=None, reason=None
    )
    fresh_bus.publish(promoted)
    fresh_bus.publish(review_started("not-here", actor=owner, attempt=1, worker="w1"))  # another platform's
    audit = AuditConsumer(engine, fresh_bus, consumer="c1")

    for message in fresh_bus.read(AUDIT_GROUP, "c1"):  # handled, then the consumer dies before acknowledging
        audit.handle(message)
    assert audit.drain() == (4, 0)  # the same four again (re-delivered), then acknowledged
    taken = AuditConsumer(engine, fresh_bus, consumer="c2")
    assert taken.drain() == (0, 0)

    rows = audit_rows(engine, session_id)
    assert sorted(r.action for r in rows) == ["event.review.finished", "event.review.started"]
    [row] = [r for r in rows if r.action == "event.review.finished"]
    assert row.actor == owner
    assert (row.target_type, row.target_id) == ("analysis", session_id)
    assert row.details["event_id"] == finished.id
    assert row.details["data"]["status"] == "completed"
    assert row.details["data"]["counts"] == {"findings": 2}
    assert audit_rows(engine, "m1") == []  # audited at its source (lifecycle.*)
    assert audit_rows(engine, "not-here") == []
    assert AuditLog(engine).verify().ok


def test_an_event_that_cannot_be_audited_is_given_up_after_the_cap(
    sqlite_engine: Engine, fresh_bus: InProcessBus, metrics: Instruments, caplog: pytest.LogCaptureFixture
) -> None:
    owner = add_user(sqlite_engine, "auditee")
    session_id = submit(sqlite_engine, owner)
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE audit_log")  # every append now fails
    fresh_bus.publish(review_started(session_id, actor=owner, attempt=1, worker="w1"))
    audit = AuditConsumer(sqlite_engine, fresh_bus, consumer="c1", max_deliveries=3, instruments=metrics)

    with caplog.at_level(logging.WARNING, logger="reviewlab.events.consumers"):
        passes = [audit.drain() for _ in range(3)]

    assert passes == [(0, 1), (0, 1), (1, 0)]
    assert "giving up: cannot audit message" in caplog.text
    assert "after 3 attempts" in caplog.text
    assert sample(metrics, "reviewlab_event_messages_given_up_total", group=AUDIT_GROUP) == 1
    assert fresh_bus._groups[AUDIT_GROUP].pending == {}


# -- the notification cap -----------------------------------------------------------------------------------


def test_a_mail_that_keeps_failing_is_given_up_and_stops_blocking_the_others(
    sqlite_engine: Engine, fresh_bus: InProcessBus, metrics: Instruments, caplog: pytest.LogCaptureFixture
) -> None:
    bad, good = add_user(sqlite_engine, "bad"), add_user(sqlite_engine, "good")
    fresh_bus.publish(gate_failed(submit(sqlite_engine, bad), actor=bad, gate=GATE))
    mailer = Refusing("bad@example.org")
    loop = consumers(sqlite_engine, fresh_bus, mailer, metrics, max_deliveries=3)

    with caplog.at_level(logging.WARNING, logger="reviewlab.events.notifications"):
        assert loop.run_pass().notifications == (0, 1)
        fresh_bus.publish(gate_failed(submit(sqlite_engine, good), actor=good, gate=GATE))
        assert loop.run_pass().notifications == (0, 1)  # the failing one first: the new one waits behind it
        assert mailer.sent == []
        assert loop.run_pass().notifications == (2, 0)  # third attempt: given up; then the new one goes out

    assert mailer.refusals == 3
    assert [mail.to for mail in mailer.sent] == ["good@example.org"]
    assert "giving up: cannot send the notifications of message" in caplog.text
    assert "gate.failed event" in caplog.text
    assert loop.run_pass().notifications == (0, 0)
    assert mailer.refusals == 3  # not retried forever
    assert loop.notifications.given_up == 1
    assert sample(metrics, "reviewlab_notifications_total", outcome="failed") == 3
    assert sample(metrics, "reviewlab_notifications_total", outcome="sent") == 1
    assert sample(metrics, "reviewlab_event_messages_given_up_total", group=NOTIFICATIONS) == 1


# -- who runs the loop --------------------------------------------------------------------------------------


def _platform(settings: Settings, mailer: MemoryMailer | None = None) -> Platform:
    return Platform(
        settings,
        limiter=RateLimiter(MemoryBackend()),
        mailer=mailer or MemoryMailer(),
        passwords=Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024)),
        caches=Caches.in_memory(),
    )


def test_the_api_with_in_process_workers_delivers_review_finished(
    tmp_path: Path, fresh_bus: InProcessBus, receiver: Receiver
) -> None:
    settings = Settings(
        reviewlab_home=tmp_path / "home", database_url=None, redis_url=None, reviewlab_events_interval=0.1
    )
    platform = _platform(settings)
    app = create_app(settings, platform=platform)
    try:
        with Client(app, base_url=BASE_URL) as anonymous, sign_ins(app) as sign_in:
            services = platform.services()
            assert len(loop_threads()) == 1
            subscribe(services.engine, receiver.url, SECRET, ["review.finished"], box=platform.box)
            reviewer = sign_in()
            snippet = {"kind": "snippet", "code": "eval(input())\n", "language": "python"}
            response = reviewer.post("/api/analyze", json=snippet)
            assert response.status_code == 202, response.text
            session_id = response.json()["id"]

            wait_for(lambda: receiver.received, timeout=60)
            wait_for(lambda: audit_rows(services.engine, session_id), timeout=10)
            counted = 'reviewlab_domain_events_total{type="review.finished"}'
            wait_for(lambda: counted in anonymous.get("/metrics").text, timeout=10)  # the pass's last step
            scraped = anonymous.get("/metrics").text
    finally:
        platform.close()

    [request] = receiver.received
    assert request.valid
    body = json.loads(request.body)
    assert (body["type"], body["subject_id"], body["data"]["status"]) == ("review.finished", session_id, "completed")
    assert 'reviewlab_domain_events_total{type="review.finished"}' in scraped
    assert loop_threads() == []  # stopped with its app


def test_no_loop_outlives_its_app(tmp_path: Path) -> None:
    for n in range(3):
        settings = Settings(reviewlab_home=tmp_path / f"home-{n}", database_url=None, redis_url=None)
        platform = _platform(settings)
        with Client(create_app(settings, platform=platform), base_url=BASE_URL) as client:
            assert client.get("/health/live").status_code == 200
            assert len(loop_threads()) == 1
        platform.close()
        assert loop_threads() == []


@pytest.mark.integration
def test_with_celery_the_api_leaves_the_events_to_the_workers(tmp_path: Path, redis_url: str) -> None:
    settings = Settings(reviewlab_home=tmp_path / "home", database_url=None, redis_url=redis_url)
    assert settings.queue_backend == "celery"
    platform = _platform(settings)
    try:
        platform.services()
        assert loop_threads() == []
    finally:
        platform.close()


def _reviewlab(tmp_path: Path, database: Path, *args: str, redis_url: str | None = None) -> subprocess.Popen[bytes]:
    """``reviewlab ARGS`` in a process of its own, on the SQLite ``database`` (and ``redis_url``)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}}
    env |= {
        "REVIEWLAB_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{database}",
        "JWT_SECRET_KEY": JWT,
        "REVIEWLAB_EVENTS_INTERVAL": "0.1",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    command = "from reviewlab.cli import main; raise SystemExit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", command, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _stopped(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()
    return output.decode()


@pytest.mark.parametrize("events", [True, False], ids=["events", "no-events"])
def test_the_worker_runs_the_consumers_unless_told_not_to(tmp_path: Path, receiver: Receiver, events: bool) -> None:
    database = tmp_path / "worker.db"
    engine = translated(create_engine(f"sqlite:///{database}"))
    try:
        migrate.upgrade(engine)
        box = SecretBox.from_settings(Settings(jwt_secret_key=JWT, reviewlab_home=tmp_path / "home"))
        subscribe(engine, receiver.url, SECRET, ["review.finished"], box=box)
        session_id = submit(engine, add_user(engine, "owner"))
        args = ["worker", "--queue", "inprocess", "--metrics-port", "0", "--concurrency", "1"]
        worker = _reviewlab(tmp_path, database, *args, *([] if events else ["--no-events"]))
        try:
            wait_for(lambda: status(engine, session_id) == "completed", timeout=60)
            if events:
                wait_for(lambda: receiver.received and len(audit_rows(engine, session_id)) == 2, timeout=30)
            else:
                time.sleep(0.5)  # five passes' worth, had there been a loop
        finally:
            _stopped(worker)
        rows = audit_rows(engine, session_id)
    finally:
        engine.dispose()

    if events:
        assert {r.action for r in rows} == {"event.review.started", "event.review.finished"}
        assert json.loads(receiver.received[0].body)["subject_id"] == session_id
    else:
        assert rows == []
        assert receiver.received == []


# -- against the real Redis ---------------------------------------------------------------------------------


@pytest.mark.integration
def test_on_redis_a_pass_delivers_audits_once_and_gives_up_a_failing_mail(
    sqlite_engine: Engine, redis_bus: RedisStreamsBus, receiver: Receiver, metrics: Instruments
) -> None:
    bad = add_user(sqlite_engine, "bad")
    session_id = submit(sqlite_engine, bad)
    subscribe(sqlite_engine, receiver.url, SECRET, ["gate.failed"], box=BOX)
    redis_bus.publish(gate_failed(session_id, actor=bad, gate=GATE))
    mailer = Refusing("bad@example.org")
    loop = consumers(sqlite_engine, redis_bus, mailer, metrics, max_deliveries=2)

    first, second, third = loop.run_pass(), loop.run_pass(), loop.run_pass()

    assert [first.notifications, second.notifications, third.notifications] == [(0, 1), (1, 0), (0, 0)]
    assert mailer.refusals == 2  # XPENDING's delivery count reached the cap
    assert first.webhooks.count("delivered") == 1
    assert first.audited == (1, 0)
    assert len(receiver.received) == 1
    [row] = audit_rows(sqlite_engine, session_id)
    assert row.action == "event.gate.failed"
    assert redis_bus.client.xpending(redis_bus.stream, NOTIFICATIONS)["pending"] == 0
    assert sample(metrics, "reviewlab_event_messages_given_up_total", group=NOTIFICATIONS) == 1


@pytest.mark.integration
def test_events_run_consumes_redis_until_sigterm(
    tmp_path: Path, redis_url: str, receiver: Receiver, sqlite_engine: Engine
) -> None:
    database = tmp_path / "store.db"  # the sqlite_engine's file: migrated, shared with the subprocess
    box = SecretBox.from_settings(Settings(jwt_secret_key=JWT, reviewlab_home=tmp_path / "home"))
    subscribe(sqlite_engine, receiver.url, SECRET, ["review.started"], box=box)
    args = ["events", "run", "--interval", "0.1", "--consumer", "runner-1"]
    runner = _reviewlab(tmp_path, database, *args, redis_url=redis_url)
    bus = RedisStreamsBus.from_url(redis_url)
    try:
        bus.publish(review_started("s1", actor=None, attempt=1, worker="w1"))
        wait_for(lambda: receiver.received, timeout=30)
    finally:
        bus.close()
        output = _stopped(runner)
    assert "consumer runner-1, a pass every 0.1 s" in output
    assert json.loads(receiver.received[0].body)["type"] == "review.started"
