"""Signed webhooks against a real loopback HTTP receiver that checks the signature: delivery, retries with
exponential backoff, giving up, no duplicates on a re-delivered bus message, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.cli import main
from reviewlab.errors import InputError
from reviewlab.events.bus import InProcessBus, default_bus
from reviewlab.events.model import DomainEvent, gate_failed, review_started
from reviewlab.events.models import WebhookRow
from reviewlab.events.webhooks import (
    Deliverer,
    RetryPolicy,
    WebhookFanout,
    deliveries,
    drain,
    set_active,
    sign,
    subscribe,
    verify,
    webhooks,
)
from reviewlab.jobs.db import table_of
from tests.events.conftest import SECRET, Receiver
from tests.providerstore import secret_box

BOX = secret_box()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _event() -> DomainEvent:
    return review_started("s1", actor="u1", attempt=1, worker="w1")


def test_a_delivery_is_signed_and_the_receiver_verifies_it(engine: Engine, receiver: Receiver) -> None:
    hook = subscribe(engine, receiver.url, SECRET, ["review.started"], box=BOX)
    bus = InProcessBus()
    event = _event()
    bus.publish(event)

    report = drain(engine, bus, box=BOX, consumer="c1")

    assert report.queued_messages == 1
    assert [a.status for a in report.attempts] == ["delivered"]
    [request] = receiver.received
    assert request.valid
    assert request.headers["X-Reviewlab-Event"] == "review.started"
    assert request.headers["X-Reviewlab-Signature"].startswith("sha256=")
    assert request.headers["Content-Type"] == "application/json"
    assert DomainEvent.from_json(request.body) == event
    [row] = deliveries(engine, webhook_id=hook.id)
    assert row["status"] == "delivered"
    assert row["attempts"] == 1
    assert row["last_status_code"] == 200
    assert row["last_duration_ms"] >= 0
    assert row["delivered_at"] is not None
    assert request.headers["X-Reviewlab-Delivery"] == row["id"]


def test_a_failing_receiver_gets_retries_with_backoff_then_success(engine: Engine, receiver: Receiver) -> None:
    receiver.statuses = [500, 500]
    clock = Clock()
    policy = RetryPolicy(max_attempts=5, base_seconds=10, max_seconds=3600)
    subscribe(engine, receiver.url, SECRET, box=BOX)
    bus = InProcessBus()
    bus.publish(_event())
    WebhookFanout(engine, bus, consumer="c1", clock=clock).pump()
    deliverer = Deliverer(engine, box=BOX, policy=policy, clock=clock)

    [first] = deliverer.deliver_due()
    assert (first.status, first.status_code, first.attempt) == ("pending", 500, 1)
    assert first.next_attempt_at == clock.now + timedelta(seconds=10)
    assert deliverer.deliver_due() == []  # not due yet
    clock.now += timedelta(seconds=10)
    [second] = deliverer.deliver_due()
    assert (second.status, second.attempt) == ("pending", 2)
    assert second.next_attempt_at == clock.now + timedelta(seconds=20)  # doubled
    clock.now += timedelta(seconds=19)
    assert deliverer.deliver_due() == []
    clock.now += timedelta(seconds=1)
    [third] = deliverer.deliver_due()

    assert (third.status, third.status_code, third.attempt) == ("delivered", 200, 3)
    assert len(receiver.received) == 3
    assert all(r.valid for r in receiver.received)
    assert len({r.headers["X-Reviewlab-Delivery"] for r in receiver.received}) == 1  # one delivery, three tries
    [row] = deliveries(engine)
    assert [(e["attempt"], e["status_code"]) for e in row["log"]] == [(1, 500), (2, 500), (3, 200)]
    assert row["log"][0]["error"].startswith("HTTP 500")
    assert row["last_error"] is None
    assert row["next_attempt_at"] is None


def test_delivery_gives_up_after_the_last_attempt(engine: Engine) -> None:
    clock = Clock()
    subscribe(engine, "http://127.0.0.1:1/refused", SECRET, box=BOX)
    bus = InProcessBus()
    bus.publish(_event())
    policy = RetryPolicy(max_attempts=2, base_seconds=1, timeout_seconds=2)
    drain(engine, bus, box=BOX, consumer="c1", clock=clock, policy=policy)
    clock.now += timedelta(seconds=1)

    [attempt] = Deliverer(engine, box=BOX, policy=policy, clock=clock).deliver_due()

    assert (attempt.status, attempt.attempt, attempt.status_code) == ("failed", 2, None)
    assert attempt.error is not None
    assert "ConnectError" in attempt.error
    clock.now += timedelta(days=1)
    assert Deliverer(engine, box=BOX, policy=policy, clock=clock).deliver_due() == []


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(base_seconds=30, max_seconds=300)

    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_only_matching_active_subscriptions_get_deliveries_and_redelivery_adds_none(engine: Engine) -> None:
    clock = Clock()
    everything = subscribe(engine, "http://127.0.0.1:1/all", SECRET, box=BOX)
    gates = subscribe(engine, "http://127.0.0.1:1/gates", SECRET, ["gate.failed"], box=BOX)
    paused = subscribe(engine, "http://127.0.0.1:1/paused", SECRET, box=BOX)
    set_active(engine, paused.id, False)
    bus = InProcessBus()
    bus.publish(_event())
    bus.publish(gate_failed("s1", actor=None, gate={"passed": False}))
    fanout = WebhookFanout(engine, bus, consumer="c1", clock=clock)

    messages = bus.read("webhooks", "c1")  # read, then "crash" before acknowledging
    for message in messages:
        fanout._queue(message)
    assert fanout.pump() == 2  # the same two messages, re-delivered: queued already, now acknowledged
    assert fanout.pump() == 0

    rows = deliveries(engine)
    assert sorted((r["webhook_id"], r["event_type"]) for r in rows) == sorted(
        [(everything.id, "review.started"), (everything.id, "gate.failed"), (gates.id, "gate.failed")]
    )
    assert [w.active for w in webhooks(engine)] == [True, True, False]


def test_subscriptions_are_validated(engine: Engine) -> None:
    with pytest.raises(InputError, match="http"):
        subscribe(engine, "file:///etc/passwd", SECRET, box=BOX)
    with pytest.raises(InputError, match="16 to 128 characters"):
        subscribe(engine, "https://example.com/hook", "short", box=BOX)
    with pytest.raises(InputError, match="unknown event types"):
        subscribe(engine, "https://example.com/hook", SECRET, ["review.exploded"], box=BOX)
    with pytest.raises(InputError, match="no webhook"):
        set_active(engine, "nope", False)


def test_verify_rejects_a_tampered_body_a_wrong_secret_and_a_replay() -> None:
    body = b'{"a":1}'
    now = 1_800_000_000
    signature = sign(SECRET, now, body)

    assert verify(SECRET, body, str(now), signature, now=now + 10)
    assert not verify(SECRET, b'{"a":2}', str(now), signature, now=now)
    assert not verify("another-secret-xxxxx", body, str(now), signature, now=now)
    assert not verify(SECRET, body, str(now + 1), signature, now=now)  # the timestamp is signed too
    assert not verify(SECRET, body, str(now), signature, now=now + 301)  # too old: a replay
    assert not verify(SECRET, body, None, signature, now=now)
    assert not verify(SECRET, body, "soon", signature, now=now)


def test_the_cli_subscribes_and_delivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")

    assert main(["events", "subscribe", receiver.url, "--type", "review.started"]) == 0
    out = capsys.readouterr().out
    receiver.secret = out.split("shown once; verify X-Reviewlab-Signature with it): ")[1].strip()
    default_bus().publish(_event())  # the process's (in-process) bus, as a publisher in this process would
    assert main(["events", "deliver", "--consumer", "cli-test"]) == 0

    assert "1 events read, 1 deliveries attempted: 1 delivered" in capsys.readouterr().out
    [request] = receiver.received
    assert request.valid
    assert json.loads(request.body)["type"] == "review.started"


def test_a_webhook_secret_is_stored_encrypted_and_bound_to_its_row(engine: Engine) -> None:
    from sqlalchemy import select, update

    from reviewlab.security.errors import DecryptionError

    first = subscribe(engine, "https://example.com/one", SECRET, box=BOX)
    second = subscribe(engine, "https://example.com/two", "another secret, also long", box=BOX)
    table = table_of(WebhookRow)
    with engine.begin() as connection:
        stored = dict(connection.execute(select(table.c.id, table.c.secret)).all())
        assert SECRET not in stored[first.id]
        connection.execute(update(table).where(table.c.id == second.id).values(secret=stored[first.id]))
    with pytest.raises(DecryptionError):  # a ciphertext moved to another subscription does not decrypt there
        BOX.decrypt(stored[first.id], context=f"webhook:{second.id}")
    assert BOX.decrypt(stored[first.id], context=f"webhook:{first.id}") == SECRET
