"""The Kafka bus on a Kafka broker on loopback (``tests.events.kafka_broker``): what the other buses' contract tests
(``test_bus.py``, which run on Kafka too) do not cover — partitions shared by processes, committed offsets, the
wire protocol negotiated, a broker that is down, hangs or restarts, and the settings that choose Kafka."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer
from kafka.protocol.api_key import ApiKey
from kafka.protocol.broker_version_data import BROKER_API_VERSIONS

from reviewlab.errors import SettingsError
from reviewlab.events import bus as bus_module
from reviewlab.events.bus import BusError, InProcessBus, Message, default_bus, publish_safely
from reviewlab.events.kafka import TOPIC, KafkaBus
from reviewlab.events.model import DomainEvent, review_started
from reviewlab.settings import get_settings
from tests.events.conftest import kafka_bus_on
from tests.events.kafka_broker import API_VERSIONS, KafkaBroker

# kafka-python 3.0 does not close the socket of a connection attempt that fails (kafka/net/inet.py): the tests
# whose broker refuses or drops connections collect those sockets (``collect_sockets``) under this filter.
LEAKED_SOCKETS = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture
def collect_sockets() -> Iterator[None]:
    """Collects the sockets at the end of the test. kafka-python logs nothing meanwhile: pytest would keep its
    records, whose exceptions hold the sockets, until a later test."""
    kafka_log = logging.getLogger("kafka")
    level = kafka_log.level
    kafka_log.setLevel(logging.CRITICAL + 1)
    try:
        yield
        gc.collect()
    finally:
        kafka_log.setLevel(level)


def _event(n: int | str) -> DomainEvent:
    return review_started(f"s{n}", actor=None, attempt=1, worker="w")


def _subjects(messages: list[Message]) -> list[str]:
    return [m.event.subject_id for m in messages if m.event is not None]


@pytest.fixture
def broker() -> Iterator[KafkaBroker]:
    """A broker whose topics have two partitions."""
    with KafkaBroker(partitions=2) as broker:
        yield broker
    assert broker.failures == []


def test_a_round_trip_on_two_partitions_commits_what_was_acknowledged(broker: KafkaBroker) -> None:
    bus = kafka_bus_on(broker)
    try:
        ids = [bus.publish(_event(n)) for n in range(6)]
        assert {i.split("-")[0] for i in ids} == {"0", "1"}  # keyed by subject: spread over both partitions
        by_id = {i: f"s{n}" for n, i in enumerate(ids)}

        messages = bus.read("audit", "c1")  # a group that did not exist: it starts at the oldest message
        assert sorted(m.id for m in messages) == sorted(ids)
        assert all(by_id[m.id] == m.event.subject_id for m in messages if m.event is not None)
        assert all((m.deliveries, m.redelivered, m.only_for) == (1, False, None) for m in messages)
        bus.ack("audit", [m.id for m in messages])

        assert bus.read("audit", "c1") == []
        high = broker.high_watermarks(TOPIC)
        assert sum(high) == 6
        assert broker.groups.committed("audit") == {(TOPIC, 0): high[0], (TOPIC, 1): high[1]}
    finally:
        bus.close()


def test_the_client_negotiates_what_a_kafka_4_broker_speaks(broker: KafkaBroker) -> None:
    kafka_4_0 = BROKER_API_VERSIONS[(4, 0)]  # what a Kafka 4.0 broker answered to ApiVersions, kept by kafka-python
    for key, (low, high) in API_VERSIONS.items():
        assert kafka_4_0[key][0] <= low <= high <= kafka_4_0[key][1], ApiKey(key).name

    bus = kafka_bus_on(broker)
    try:
        bus.publish(_event(1))
        [message] = bus.read("audit", "c1")
        bus.ack("audit", [message.id])
    finally:
        bus.close()

    used = dict(broker.requests)
    assert set(used) >= {"ApiVersions", "Metadata", "InitProducerId", "Produce", "FindCoordinator", "JoinGroup"}
    assert set(used) >= {"SyncGroup", "OffsetFetch", "Fetch", "ListOffsets", "OffsetCommit", "LeaveGroup"}
    assert used["Produce"] >= 3  # record batches v2 only
    assert used["Fetch"] >= 12  # flexible versions
    assert used["JoinGroup"] >= 4  # MEMBER_ID_REQUIRED, then joined with the id the broker gave


def test_acknowledged_offsets_are_committed_in_the_broker_and_survive_a_restart(kafka_broker: KafkaBroker) -> None:
    first = kafka_bus_on(kafka_broker)
    try:
        for n in range(4):
            first.publish(_event(n))
        read = first.read("webhooks", "host-deliverer")
        assert _subjects(read) == ["s0", "s1", "s2", "s3"]
        first.ack("webhooks", [read[0].id, read[1].id, read[3].id])  # s2 still pending: the offset stays at it
    finally:
        first.close()  # the process goes away (leaving its group)
    assert kafka_broker.groups.committed("webhooks") == {(TOPIC, 0): 2}

    restarted = kafka_bus_on(kafka_broker)
    try:
        again = restarted.read("webhooks", "host-deliverer")
        # From the committed offset: s2 never acknowledged, and s3 acknowledged after it (at least once); the
        # delivery count lived in the old process.
        assert _subjects(again) == ["s2", "s3"]
        assert [(m.deliveries, m.redelivered) for m in again] == [(1, False), (1, False)]
        restarted.ack("webhooks", [m.id for m in again])
        assert restarted.read("webhooks", "host-deliverer") == []
    finally:
        restarted.close()
    assert kafka_broker.groups.committed("webhooks") == {(TOPIC, 0): 4}


def _keep_reading(buses: list[KafkaBus], group: str, stop: threading.Event) -> list[threading.Thread]:
    """Each bus reads ``group`` on a thread of its own, as separate processes do, until ``stop``: a rebalance needs
    every member to come back and join."""

    def loop(bus: KafkaBus, name: str) -> None:
        while not stop.is_set():
            assert bus.read(group, name) == []
            time.sleep(0.02)

    threads = [threading.Thread(target=loop, args=(bus, f"p{n}"), daemon=True) for n, bus in enumerate(buses)]
    for thread in threads:
        thread.start()
    return threads


def _settle(broker: KafkaBroker, buses: list[KafkaBus], group: str) -> None:
    """Until ``group`` is stable on the broker with one member per bus."""
    stop = threading.Event()
    threads = _keep_reading(buses, group, stop)
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            state, _, members = broker.groups.state(group)
            if state == "Stable" and len(members) == len(buses) and all(b._members[group].stable() for b in buses):
                return
            time.sleep(0.05)
        raise AssertionError(f"group {group} did not settle: {broker.groups.state(group)}")
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)


def test_two_processes_in_a_group_split_the_partitions_and_see_every_event_once(broker: KafkaBroker) -> None:
    broker.create_topic(TOPIC, 2)
    one, two = kafka_bus_on(broker), kafka_bus_on(broker)
    try:
        _settle(broker, [one, two], "audit")
        ids = {one.publish(_event(n)) for n in range(20)}

        seen = {}
        for bus in (one, two):
            messages = bus.read("audit", "p")
            bus.ack("audit", [m.id for m in messages])
            seen[bus] = {m.id for m in messages}

        assert seen[one]  # each has a partition of its own
        assert seen[two]
        assert {i.split("-")[0] for i in seen[one]}.isdisjoint({i.split("-")[0] for i in seen[two]})
        assert seen[one] | seen[two] == ids
        assert len(seen[one]) + len(seen[two]) == len(ids)  # nobody got an event twice
        assert one.read("audit", "p") == two.read("audit", "p") == []
        high = broker.high_watermarks(TOPIC)
        assert broker.groups.committed("audit") == {(TOPIC, 0): high[0], (TOPIC, 1): high[1]}
    finally:
        one.close()
        two.close()


def test_a_process_that_stops_hands_its_unacknowledged_messages_to_the_others(broker: KafkaBroker) -> None:
    broker.create_topic(TOPIC, 2)
    one, two = kafka_bus_on(broker), kafka_bus_on(broker)
    try:
        _settle(broker, [one, two], "notifications")
        ids = {one.publish(_event(n)) for n in range(10)}
        kept = two.read("notifications", "p")
        two.ack("notifications", [m.id for m in kept])
        dropped = one.read("notifications", "p")  # handed out, never acknowledged
        assert dropped
        one.close()  # the process stops: it leaves the group, its partition goes to the other one

        deadline, taken_over = time.monotonic() + 10, []
        while not taken_over and time.monotonic() < deadline:  # the next passes: once two has joined again
            taken_over = two.read("notifications", "p")
        assert {m.id for m in taken_over} == {m.id for m in dropped}
        assert {m.id for m in kept} | {m.id for m in taken_over} == ids
        two.ack("notifications", [m.id for m in taken_over])
        assert two.read("notifications", "p") == []
    finally:
        one.close()
        two.close()


@pytest.mark.slow
def test_a_read_that_cannot_settle_fails_in_time_and_the_member_is_replaced(broker: KafkaBroker) -> None:
    broker.create_topic(TOPIC, 2)
    one = kafka_bus_on(broker)
    two = kafka_bus_on(broker, timeout_s=1.0, rejoin_after_s=0.0)
    try:
        assert one.read("audit", "p") == []  # one is the group, and reads no more
        started = time.monotonic()
        with pytest.raises(BusError, match="Kafka consumer group audit has not settled within 1 s"):
            two.read("audit", "p")  # its JoinGroup waits for one to join again
        assert time.monotonic() - started < 5
        assert "audit" not in two._members  # it left: the next read joins with a new member

        _settle(broker, [one, two], "audit")
    finally:
        one.close()
        two.close()


def test_only_for_survives_the_trip(kafka_bus: KafkaBus) -> None:
    kafka_bus.publish(_event(1), only_for="audit")
    kafka_bus.publish(_event(2))

    assert [m.only_for for m in kafka_bus.read("metrics", "c1")] == ["audit", None]


def test_an_unreadable_record_comes_back_without_an_event(
    kafka_broker: KafkaBroker, kafka_bus: KafkaBus, caplog: pytest.LogCaptureFixture
) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        producer.send(TOPIC, value=b"not json").get(timeout=5)
        producer.send(TOPIC, value=b"\xff\xfe").get(timeout=5)
    finally:
        producer.close()
    kafka_bus.publish(_event(1))

    with caplog.at_level(logging.WARNING, logger="reviewlab.events.kafka"):
        messages = kafka_bus.read("audit", "c1")

    assert [(m.id, m.event is None) for m in messages] == [("0-0", True), ("0-1", True), ("0-2", False)]
    assert "dropping unreadable event message 0-0: event is not JSON" in caplog.text
    kafka_bus.ack("audit", [m.id for m in messages])
    assert kafka_broker.groups.committed("audit") == {(TOPIC, 0): 3}


@LEAKED_SOCKETS
def test_publishing_to_a_broker_that_is_down_fails_in_time(
    caplog: pytest.LogCaptureFixture, collect_sockets: None
) -> None:
    down = KafkaBroker().start()
    down.stop()  # the port is free again: connections are refused
    bus = kafka_bus_on(down, timeout_s=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(BusError, match=rf"cannot publish review.started event .* at 127.0.0.1:{down.port}"):
            bus.publish(_event(1))
        assert time.monotonic() - started < 3
        with caplog.at_level(logging.WARNING, logger="reviewlab.events.bus"):
            assert publish_safely(_event(2), bus) is None
        assert "could not publish review.started event" in caplog.text
        caplog.clear()  # its exception holds kafka-python's sockets (collect_sockets)
    finally:
        bus.close()


@LEAKED_SOCKETS
def test_publishing_to_a_hanging_broker_fails_in_time_and_works_once_it_answers(
    broker: KafkaBroker, collect_sockets: None
) -> None:
    bus = kafka_bus_on(broker, timeout_s=2.0)
    try:
        bus.publish(_event(1))
        with broker.hanging():
            started = time.monotonic()
            with pytest.raises(BusError, match="cannot publish"):
                bus.publish(_event(2))
            assert time.monotonic() - started < 4

        bus.timeout_s = 5.0
        bus.publish(_event(3))
        assert _subjects(bus.read("audit", "c1")) == ["s1", "s3"]  # the hanging broker never took s2
    finally:
        bus.close()


@pytest.mark.slow
@LEAKED_SOCKETS
def test_after_a_broker_restart_publishing_and_reading_work_again(
    kafka_broker: KafkaBroker, collect_sockets: None
) -> None:
    bus = kafka_bus_on(kafka_broker, timeout_s=3.0)
    try:
        bus.publish(_event(1))
        [first] = bus.read("audit", "c1")
        bus.ack("audit", [first.id])

        kafka_broker.stop()
        with pytest.raises(BusError):
            bus.publish(_event(2))
        kafka_broker.start()  # the same port; the log, the groups and their offsets as they were

        bus.timeout_s = 10.0
        bus.publish(_event(3))
        assert _subjects(bus.read("audit", "c1")) == ["s3"]
    finally:
        bus.close()
    assert kafka_broker.groups.committed("audit") == {(TOPIC, 0): 1}


# -- choosing the bus ---------------------------------------------------------------------------------------


def test_the_settings_choose_kafka_when_it_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert get_settings().event_bus == "redis"  # Redis Streams by default
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    get_settings.cache_clear()
    assert get_settings().event_bus == "kafka"  # Kafka when configured
    monkeypatch.setenv("REVIEWLAB_EVENT_BUS", "redis")
    get_settings.cache_clear()
    assert get_settings().event_bus == "redis"  # unless told otherwise
    monkeypatch.setenv("REVIEWLAB_EVENT_BUS", "inprocess")
    get_settings.cache_clear()
    assert get_settings().event_bus == "inprocess"

    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS")
    monkeypatch.setenv("REVIEWLAB_EVENT_BUS", "kafka")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="REVIEWLAB_EVENT_BUS=kafka needs KAFKA_BOOTSTRAP_SERVERS"):
        get_settings()


def test_default_bus_is_kafka_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1, 127.0.0.1:2")
    monkeypatch.setenv("REVIEWLAB_KAFKA_TOPIC", "platform.events")
    get_settings.cache_clear()
    address = "kafka://127.0.0.1:1, 127.0.0.1:2/platform.events"
    try:
        bus = default_bus()  # nothing connects yet: the clients start on first use
        assert isinstance(bus, KafkaBus)
        assert (bus.servers, bus.topic) == (["127.0.0.1:1", "127.0.0.1:2"], "platform.events")
        assert default_bus() is bus
        assert bus_module.bus_address(get_settings()) == address
    finally:
        bus_module.set_default_bus(None, address)

    # an explicit choice wins over configured servers (default_bus on a Redis URL: tests/events/test_bus.py)
    monkeypatch.setenv("REVIEWLAB_EVENT_BUS", "inprocess")
    get_settings.cache_clear()
    assert isinstance(default_bus(), InProcessBus)


def test_without_kafka_python_the_kafka_bus_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kafka", None)  # as if the extra were not installed

    with pytest.raises(SettingsError, match=r"needs kafka-python: pip install 'reviewlab\[kafka\]'"):
        KafkaBus("127.0.0.1:9092")
