"""Dead letters: a message a consumer group gives up on is kept (payload, last error, deliveries) before it is
acknowledged, a failing write leaves it pending, a replay gets it handled once; ``reviewlab events dead-letters``
and ``reviewlab events replay``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, create_engine

from reviewlab.audit import AuditLog
from reviewlab.cli import main
from reviewlab.events.bus import GroupConsumer, InProcessBus, Message, RedisStreamsBus
from reviewlab.events.consumers import AUDIT_GROUP, METRICS_GROUP, AuditConsumer, EventConsumers
from reviewlab.events.deadletters import DeadLetters, UnknownDeadLetter, dead_letters, replay
from reviewlab.events.model import DomainEvent, gate_failed, review_started
from reviewlab.events.notifications import GROUP as NOTIFICATIONS
from reviewlab.mail import Mail, MailError, MemoryMailer
from reviewlab.observability.metrics import Instruments
from reviewlab.store.connect import translated
from tests._services import redis_namespace
from tests.events.conftest import kafka_bus_on
from tests.events.kafka_broker import KafkaBroker
from tests.events.test_notifications import GATE, PUBLIC_URL, add_user, submit
from tests.providerstore import secret_box


@contextmanager
def redis_bus() -> Iterator[RedisStreamsBus]:
    with redis_namespace() as (client, prefix):
        yield RedisStreamsBus(client, stream=f"{prefix}reviewlab:events")


@pytest.fixture
def metrics() -> Instruments:
    return Instruments(CollectorRegistry())


def given_up(metrics: Instruments, group: str) -> float:
    assert metrics.registry is not None
    return metrics.registry.get_sample_value("reviewlab_event_messages_given_up_total", {"group": group}) or 0.0


def rename(engine: Engine, schema: str, table: str, to: str) -> None:
    """Rename a table: a real cause for a consumer's store to fail, and to fix again."""
    qualified = f"{schema}.{table}" if engine.dialect.name == "postgresql" else table
    with engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {qualified} RENAME TO {to}")


def audited(engine: Engine, event: DomainEvent) -> list[Any]:
    rows = AuditLog(engine).query(action_prefix="event.", limit=1000)
    return [r for r in rows if (r.details or {}).get("event_id") == event.id]


def started(engine: Engine) -> DomainEvent:
    owner = add_user(engine, "auditee")
    return review_started(submit(engine, owner), actor=owner, attempt=1, worker="w1")


# -- keeping ------------------------------------------------------------------------------------------------


def test_an_audit_message_failing_five_times_is_kept_acknowledged_and_replayed_once(
    own_engine: Engine, fresh_bus: InProcessBus, metrics: Instruments, caplog: pytest.LogCaptureFixture
) -> None:
    engine = own_engine  # the chain is verified whole: a database of this test's own
    event = started(engine)
    fresh_bus.publish(event)
    rename(engine, "audits", "audit_log", "audit_log_away")  # every append now fails
    audit = AuditConsumer(engine, fresh_bus, consumer="c1", instruments=metrics)

    with caplog.at_level(logging.WARNING, logger="reviewlab.events.consumers"):
        passes = [audit.drain() for _ in range(5)]

    assert passes == [(0, 1)] * 4 + [(1, 0)]
    assert fresh_bus._groups[AUDIT_GROUP].pending == {}
    [kept] = dead_letters(engine)
    assert (kept.group, kept.event_id, kept.event_type) == (AUDIT_GROUP, event.id, "review.started")
    assert kept.payload == event.to_dict()
    assert kept.event == event
    assert "audit_log" in kept.last_error
    assert kept.deliveries == 5
    assert kept.replayed_at is None
    assert f"after 5 attempts: {kept.last_error} (dead letter {kept.id})" in caplog.text
    assert given_up(metrics, AUDIT_GROUP) == 1

    rename(engine, "audits", "audit_log_away", "audit_log")  # the cause fixed
    assert replay(engine, fresh_bus, [kept.id]) == [kept]
    assert audit.drain() == (1, 0)
    replay(engine, fresh_bus, [kept.id])  # once more: append_once finds the row
    assert audit.drain() == (1, 0)

    [row] = audited(engine, event)
    assert row.action == "event.review.started"
    [after] = dead_letters(engine)
    assert after.replayed_at is not None
    assert dead_letters(engine, replayed=False) == []
    assert AuditLog(engine).verify().ok


def test_an_event_given_up_again_updates_its_dead_letter(sqlite_engine: Engine, fresh_bus: InProcessBus) -> None:
    event = started(sqlite_engine)
    fresh_bus.publish(event)
    rename(sqlite_engine, "audits", "audit_log", "audit_log_away")
    audit = AuditConsumer(sqlite_engine, fresh_bus, consumer="c1", max_deliveries=2)
    audit.drain(), audit.drain()
    [first] = dead_letters(sqlite_engine)

    replay(sqlite_engine, fresh_bus, [first.id])  # the cause not fixed: given up again
    audit.drain(), audit.drain()

    [again] = dead_letters(sqlite_engine)
    assert again.id == first.id
    assert again.deliveries == 4  # both give-ups' attempts
    assert again.replayed_at is None  # given up since its replay
    assert again.given_up_at >= first.given_up_at
    assert audit.given_up == 2


def test_a_dead_letter_that_cannot_be_written_leaves_the_message_pending(
    sqlite_engine: Engine, fresh_bus: InProcessBus, metrics: Instruments, caplog: pytest.LogCaptureFixture
) -> None:
    event = started(sqlite_engine)
    fresh_bus.publish(event)
    rename(sqlite_engine, "audits", "audit_log", "audit_log_away")
    rename(sqlite_engine, "production", "event_dead_letters", "event_dead_letters_away")
    audit = AuditConsumer(sqlite_engine, fresh_bus, consumer="c1", max_deliveries=2, instruments=metrics)

    with caplog.at_level(logging.WARNING, logger="reviewlab.events.consumers"):
        assert [audit.drain(), audit.drain(), audit.drain()] == [(0, 1), (0, 1), (0, 1)]

    assert "cannot keep message 1 as a dead letter of audit (left pending, retried next pass)" in caplog.text
    assert "giving up" not in caplog.text
    assert list(fresh_bus._groups[AUDIT_GROUP].pending) == ["1"]
    assert audit.given_up == 0
    assert given_up(metrics, AUDIT_GROUP) == 0

    rename(sqlite_engine, "production", "event_dead_letters_away", "event_dead_letters")
    assert audit.drain() == (1, 0)  # the fourth delivery: kept, then acknowledged
    [kept] = dead_letters(sqlite_engine)
    assert (kept.event_id, kept.deliveries) == (event.id, 4)
    assert given_up(metrics, AUDIT_GROUP) == 1


class Refusing(MemoryMailer):
    def send(self, message: Mail) -> None:
        raise MailError(f"SMTP server refused {message.to}: 550 5.1.1 no such user")


class Uncountable(Instruments):
    def domain_event(self, event_type: str) -> None:
        raise RuntimeError("the registry is gone")


def test_the_platforms_consumers_keep_what_they_give_up(sqlite_engine: Engine, fresh_bus: InProcessBus) -> None:
    owner = add_user(sqlite_engine, "owner")
    event = gate_failed(submit(sqlite_engine, owner), actor=owner, gate=GATE)
    fresh_bus.publish(event)
    loop = EventConsumers(
        sqlite_engine,
        fresh_bus,
        box=secret_box(),
        mailer=Refusing(),
        public_url=PUBLIC_URL,
        consumer="c1",
        instruments=Uncountable(CollectorRegistry()),
    )

    for _ in range(5):  # MAX_DELIVERIES for every group
        loop.run_pass()

    kept = {(d.group, d.event_id) for d in dead_letters(sqlite_engine)}
    assert kept == {(NOTIFICATIONS, event.id), (METRICS_GROUP, event.id)}
    [mail] = dead_letters(sqlite_engine, group=NOTIFICATIONS)
    assert "550 5.1.1 no such user" in mail.last_error
    [count] = dead_letters(sqlite_engine, group=METRICS_GROUP)
    assert count.last_error == "RuntimeError: the registry is gone"


@pytest.mark.integration
def test_an_unreadable_message_has_nothing_to_keep(sqlite_engine: Engine, redis_bus: RedisStreamsBus) -> None:
    class Failing(GroupConsumer):
        def handle(self, message: Message) -> None:
            raise RuntimeError("cannot")

    redis_bus.ensure_group("failing")
    redis_bus.client.xadd(redis_bus.stream, {"event": "not json"})
    consumer = Failing(
        redis_bus, group="failing", consumer="c1", max_deliveries=1, dead_letters=DeadLetters(sqlite_engine)
    )

    assert consumer.pump() == (1, 0)  # given up, acknowledged

    assert consumer.given_up == 1
    assert dead_letters(sqlite_engine) == []


# -- replaying ----------------------------------------------------------------------------------------------


def keep(engine: Engine, group: str, event: DomainEvent, error: str = "boom") -> str:
    return DeadLetters(engine).keep(group, Message("1-0", event, deliveries=5), error)


def test_replay_publishes_the_same_event_and_refuses_unknown_ids(engine: Engine, fresh_bus: InProcessBus) -> None:
    event = review_started("s1", actor=None, attempt=1, worker="w1")
    audit, mail = f"audit-{event.id}", f"mail-{event.id}"  # groups of this test's own in a shared database
    audit_id = keep(engine, audit, event)
    mail_id = keep(engine, mail, event)

    with pytest.raises(UnknownDeadLetter, match=re.escape(f"no dead letter nope, {audit_id} of group '{mail}'")):
        replay(engine, fresh_bus, ["nope", audit_id], group=mail)
    assert fresh_bus.read("g", "c1") == []  # nothing published

    [replayed] = replay(engine, fresh_bus, None, group=mail)  # every one of the group not replayed yet
    assert replayed.id == mail_id
    [message] = fresh_bus.read("g", "c1")
    assert message.event == event
    assert message.only_for == mail  # for the group that gave it up, not every group
    assert replay(engine, fresh_bus, None, group=mail) == []
    assert [d.id for d in dead_letters(engine, group=audit, replayed=False)] == [audit_id]
    assert [d.id for d in dead_letters(engine, group=mail, replayed=True)] == [mail_id]


def test_the_cli_lists_and_replays_dead_letters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fresh_bus: InProcessBus
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    assert main(["events", "dead-letters"]) == 0  # migrates
    assert capsys.readouterr().out == "no dead letters\n"
    engine = translated(create_engine(url))
    try:
        event = started(engine)
        audit_id = keep(engine, AUDIT_GROUP, event, "no such table: audit_log")
        keep(engine, NOTIFICATIONS, event)

        assert main(["events", "dead-letters", "--group", "audit"]) == 0
        [line] = capsys.readouterr().out.splitlines()
        assert line.startswith(f"{audit_id}  audit  review.started {event.id}  given up ")
        assert line.endswith("after 5 deliveries, not replayed: no such table: audit_log")
        assert main(["events", "dead-letters", "--format", "json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert sorted(d["group"] for d in listed) == [AUDIT_GROUP, NOTIFICATIONS]
        assert {d["payload"]["id"] for d in listed} == {event.id}

        assert main(["events", "replay", "nope"]) == 2
        assert capsys.readouterr().err == "reviewlab: error: no dead letter nope\n"

        assert main(["events", "replay", audit_id]) == 0  # no REDIS_URL: a pass runs here
        out = capsys.readouterr().out
        assert f"replayed {audit_id}: review.started event {event.id} (given up by audit)" in out
        assert "audit: 1 events handled, 0 left for the next pass" in out
        [row] = audited(engine, event)
        assert row.action == "event.review.started"

        assert main(["events", "replay", "--all", "--group", "audit"]) == 0
        assert capsys.readouterr().out == "nothing to replay\n"
        assert main(["events", "dead-letters", "--format", "json", "--group", "audit"]) == 0
        [shown] = json.loads(capsys.readouterr().out)
        assert shown["replayed_at"] is not None
    finally:
        engine.dispose()


class Recording(GroupConsumer):
    def __init__(self, bus: Any, group: str) -> None:
        super().__init__(bus, group=group, consumer="c1")
        self.handled: list[str] = []

    def handle(self, message: Message) -> None:
        assert message.event is not None
        self.handled.append(message.event.id)


@pytest.mark.parametrize("bus_kind", ["inprocess", pytest.param("redis", marks=pytest.mark.integration), "kafka"])
def test_a_replayed_dead_letter_reaches_only_the_group_that_gave_it_up(
    sqlite_engine: Engine, fresh_bus: InProcessBus, bus_kind: str
) -> None:
    with ExitStack() as stack:
        bus: Any = fresh_bus
        if bus_kind == "redis":
            bus = stack.enter_context(redis_bus())
        elif bus_kind == "kafka":
            bus = kafka_bus_on(stack.enter_context(KafkaBroker(partitions=1)))
            stack.callback(bus.close)
        gave_up, others = Recording(bus, "gave-up"), Recording(bus, "others")
        for consumer in (gave_up, others):
            bus.ensure_group(consumer.group)
        event = review_started("s1", actor=None, attempt=1, worker="w1")
        keep(sqlite_engine, "gave-up", event)

        replay(sqlite_engine, bus, None, group="gave-up")

        assert gave_up.drain() == (1, 0)
        assert others.drain() == (1, 0)  # acknowledged, not handled: it had handled the event the first time
        assert gave_up.handled == [event.id]
        assert others.handled == []
