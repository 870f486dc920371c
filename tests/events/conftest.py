"""Events fixtures: every test gets a fresh in-process bus as the process's default (no REDIS_URL); ``receiver``
is a loopback webhook receiver that checks each request's signature; ``engine`` a migrated store without
webhooks on SQLite and PostgreSQL, ``sqlite_engine`` on SQLite only; ``redis_bus`` a Redis Streams bus on the
real test Redis, under a key prefix of the test's own; ``kafka_broker`` a Kafka broker of the test's own on loopback
(``tests.events.kafka_broker``, one partition: the order of the other buses) and ``kafka_bus`` a Kafka bus on it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from reviewlab.events.bus import InProcessBus, RedisStreamsBus, set_default_bus
from reviewlab.events.kafka import REJOIN_AFTER_SECONDS, KafkaBus
from reviewlab.events.models import WebhookRow
from reviewlab.events.webhooks import verify
from reviewlab.jobs.db import table_of
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from tests._services import DEFAULT_POSTGRES_URL, fresh_postgres_database, redis_namespace
from tests.events.kafka_broker import KafkaBroker

SECRET = "s3cret-s3cret-s3cret"
# Kafka's smallest session timeout (group.min.session.timeout.ms), frequent heartbeats, short fetch waits: a test's
# rebalances and empty reads take a fraction of a second.
KAFKA_CONSUMER = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 200, "fetch_max_wait_ms": 50}
KAFKA_TIMEOUT_S = 5.0


@pytest.fixture(autouse=True)
def fresh_bus() -> Iterator[InProcessBus]:
    bus = InProcessBus()
    set_default_bus(bus)
    yield bus
    set_default_bus(None)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    valid: bool


@dataclass
class Receiver:
    """A loopback HTTP server answering ``statuses`` in turn (then 200), checking each request's signature."""

    secret: str
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(SECRET)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            valid = verify(
                state.secret, body, self.headers["X-Reviewlab-Timestamp"], self.headers["X-Reviewlab-Signature"]
            )
            state.received.append(Received(self.path, dict(self.headers.items()), body, valid))
            status = state.statuses.pop(0) if state.statuses else 200
            if not valid:
                status = 401
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store without webhooks, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = translated(create_engine(url))
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(delete(table_of(WebhookRow)))  # deliveries cascade
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store on SQLite and on a PostgreSQL database of the test's own (not the session's shared one:
    for a test that verifies the whole audit chain, which other tests' rows, sealed with their keys, would fail)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = stack.enter_context(
                fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
            )
        engine = translated(create_engine(url))
        stack.callback(engine.dispose)
        migrate.upgrade(engine)
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = translated(create_engine(f"sqlite:///{tmp_path / 'store.db'}"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_bus() -> Iterator[RedisStreamsBus]:
    with redis_namespace() as (client, prefix):
        yield RedisStreamsBus(client, stream=f"{prefix}reviewlab:events")


@pytest.fixture
def kafka_broker() -> Iterator[KafkaBroker]:
    with KafkaBroker(partitions=1) as broker:
        yield broker
    assert broker.failures == []


def kafka_bus_on(
    broker: KafkaBroker, *, timeout_s: float = KAFKA_TIMEOUT_S, rejoin_after_s: float = REJOIN_AFTER_SECONDS
) -> KafkaBus:
    """A Kafka bus on ``broker`` with the tests' short timeouts."""
    return KafkaBus(
        broker.bootstrap_servers, timeout_s=timeout_s, rejoin_after_s=rejoin_after_s, consumer_options=KAFKA_CONSUMER
    )


@pytest.fixture
def kafka_bus(kafka_broker: KafkaBroker) -> Iterator[KafkaBus]:
    bus = kafka_bus_on(kafka_broker)
    yield bus
    bus.close()
