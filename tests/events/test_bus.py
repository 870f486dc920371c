"""The bus: consumer groups get every event at least once; un-acknowledged messages come back.

The contract tests run on every bus: in process, Redis Streams on the real test Redis (``tests._services.
redis_namespace``: a key prefix of their own) and Kafka on a loopback broker of the test's own
(``tests.events.kafka_broker``; ``test_kafka_bus.py`` has what is Kafka's alone).
"""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from reviewlab.events import bus as bus_module
from reviewlab.events.bus import EventBus, GroupConsumer, InProcessBus, RedisStreamsBus, default_bus, publish_safely
from reviewlab.events.deadletters import DeadLetters, dead_letters
from reviewlab.events.model import DomainEvent, review_started
from reviewlab.observability.metrics import Instruments


def _event(n: int) -> DomainEvent:
    return review_started(f"s{n}", actor=None, attempt=1, worker="w")


def _subjects(messages: list[bus_module.Message]) -> list[str]:
    return [m.event.subject_id for m in messages if m.event is not None]


@pytest.fixture(params=["inprocess", pytest.param("redis", marks=pytest.mark.integration), "kafka"])
def any_bus(request: pytest.FixtureRequest) -> EventBus:
    if request.param == "inprocess":
        return InProcessBus()
    bus: EventBus = request.getfixturevalue(f"{request.param}_bus")
    return bus


def test_each_group_gets_every_event_and_unacked_ones_come_back(any_bus: EventBus) -> None:
    any_bus.ensure_group("webhooks")
    any_bus.ensure_group("metrics")
    for n in range(3):
        any_bus.publish(_event(n))

    first = any_bus.read("webhooks", "c1", count=2)
    assert _subjects(first) == ["s0", "s1"]
    assert not any(m.redelivered for m in first)
    assert _subjects(any_bus.read("metrics", "c1")) == ["s0", "s1", "s2"]  # the other group has its own position

    any_bus.ack("webhooks", [first[0].id])
    again = any_bus.read("webhooks", "c1")  # c1 crashed before acknowledging s1: it gets s1 back first
    assert _subjects(again) == ["s1"]
    assert again[0].redelivered
    any_bus.ack("webhooks", [again[0].id])

    assert _subjects(any_bus.read("webhooks", "c1")) == ["s2"]


def test_another_consumer_claims_stale_messages(any_bus: EventBus) -> None:
    any_bus.ensure_group("webhooks")
    any_bus.publish(_event(1))
    taken = any_bus.read("webhooks", "dead-worker")
    assert _subjects(taken) == ["s1"]

    assert any_bus.read("webhooks", "live-worker") == []  # nothing new
    claimed = any_bus.claim_stale("webhooks", "live-worker", min_idle_ms=0)
    assert _subjects(claimed) == ["s1"]
    any_bus.ack("webhooks", [m.id for m in claimed])
    assert any_bus.read("webhooks", "dead-worker") == []


def test_a_group_created_later_sees_what_the_bus_still_holds(any_bus: EventBus) -> None:
    any_bus.publish(_event(1))

    assert _subjects(any_bus.read("late", "c1")) == ["s1"]


@pytest.mark.integration
def test_redis_redelivers_unacked_messages_after_a_restart(redis_bus: RedisStreamsBus) -> None:
    """A new bus (a restarted process) with the same consumer name gets its pending messages back."""
    redis_bus.ensure_group("webhooks")
    ids = [redis_bus.publish(_event(n)) for n in range(2)]
    assert redis_bus.client.xlen(redis_bus.stream) == 2
    assert [m.id for m in redis_bus.read("webhooks", "host-deliverer")] == ids  # then the process dies

    restarted = RedisStreamsBus(redis_bus.client, stream=redis_bus.stream)
    pending = restarted.read("webhooks", "host-deliverer")
    assert [m.id for m in pending] == ids
    assert all(m.redelivered for m in pending)
    restarted.ack("webhooks", ids)

    assert restarted.read("webhooks", "host-deliverer") == []
    assert restarted.client.xpending(restarted.stream, "webhooks")["pending"] == 0


@pytest.mark.integration
def test_redis_drops_an_unreadable_message(redis_bus: RedisStreamsBus) -> None:
    redis_bus.ensure_group("webhooks")
    redis_bus.client.xadd(redis_bus.stream, {"event": "not json"})

    [message] = redis_bus.read("webhooks", "c1")
    assert message.event is None


def test_default_bus_is_in_process_without_redis_and_redis_with_it() -> None:
    assert isinstance(default_bus(), InProcessBus)
    assert default_bus() is default_bus()
    redis_bus = default_bus("redis://127.0.0.1:1/0")
    try:
        assert isinstance(redis_bus, RedisStreamsBus)
    finally:
        bus_module.set_default_bus(None, "redis://127.0.0.1:1/0")
        redis_bus.close()  # type: ignore[attr-defined]


class _Broken:
    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        raise ConnectionError("the bus is down")


def test_a_publishing_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="reviewlab.events.bus"):
        assert publish_safely(_event(1), _Broken()) is None  # type: ignore[arg-type]

    assert "could not publish review.started" in caplog.text


def test_publishing_to_an_unreachable_redis_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    bus = RedisStreamsBus.from_url("redis://127.0.0.1:1/0")
    try:
        with caplog.at_level(logging.WARNING, logger="reviewlab.events.bus"):
            assert publish_safely(_event(1), bus) is None
    finally:
        bus.close()
    assert "could not publish" in caplog.text


def test_messages_count_their_deliveries(any_bus: EventBus) -> None:
    any_bus.ensure_group("audit")
    any_bus.publish(_event(1))
    any_bus.publish(_event(2))

    assert [m.deliveries for m in any_bus.read("audit", "c1")] == [1, 1]
    assert [m.deliveries for m in any_bus.read("audit", "c1")] == [2, 2]  # own pending, handed out again
    [first, second] = any_bus.read("audit", "c1")
    assert (first.deliveries, second.deliveries) == (3, 3)
    any_bus.ack("audit", [first.id])

    [claimed] = any_bus.claim_stale("audit", "c2", min_idle_ms=0)  # another consumer takes it over: one more
    assert (claimed.id, claimed.deliveries) == (second.id, 4)
    assert any_bus.read("audit", "c2")[0].deliveries == 5


class _Poisoned(GroupConsumer):
    """Handles every event but the one about subject ``poison``."""

    def __init__(self, bus: EventBus, dead_letters: DeadLetters) -> None:
        super().__init__(
            bus,
            group="audit",
            consumer="c1",
            max_deliveries=3,
            dead_letters=dead_letters,
            instruments=Instruments(CollectorRegistry()),
        )
        self.handled: list[str] = []

    def handle(self, message: bus_module.Message) -> None:
        assert message.event is not None
        if message.event.subject_id == "poison":
            raise RuntimeError("cannot handle it")
        self.handled.append(message.event.subject_id)


def test_a_consumer_gives_up_on_a_poison_message_and_keeps_it(any_bus: EventBus, sqlite_engine: Engine) -> None:
    any_bus.ensure_group("audit")
    poison = review_started("poison", actor=None, attempt=1, worker="w")
    any_bus.publish(poison)
    any_bus.publish(_event(1))
    consumer = _Poisoned(any_bus, DeadLetters(sqlite_engine))

    assert consumer.drain() == (1, 1)  # s1 handled; the poison read twice (its own pending come first)
    assert consumer.drain() == (1, 0)  # handed out a third time: given up, kept, acknowledged

    assert consumer.handled == ["s1"]
    assert consumer.given_up == 1
    [kept] = dead_letters(sqlite_engine)
    assert (kept.group, kept.event, kept.deliveries) == ("audit", poison, 3)
    assert "cannot handle it" in kept.last_error
    assert any_bus.read("audit", "c1") == []
