"""Domain events: every type round-trips through JSON; malformed ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reviewlab.events import model
from reviewlab.events.model import EVENT_TYPES, DomainEvent, EventError

EXAMPLES = [
    model.review_started("s1", actor="u1", attempt=1, worker="w1"),
    model.review_finished(
        "s1", actor="u1", status="completed", counts={"findings": 2}, gate={"passed": False, "conditions": []}
    ),
    model.review_finished("s2", actor=None, status="failed", error="boom"),
    model.gate_failed("s1", actor="u1", gate={"passed": False, "conditions": [{"name": "findings"}]}),
    model.model_promoted(
        "m1",
        actor="alice",
        name="static",
        config_hash="abc",
        outcome="promoted",
        previous=None,
        dataset="d1",
        reason=None,
    ),
    model.model_quarantined(
        "m1", actor="alice", name="static", config_hash="abc", reason="bad", manual=True, restored="old"
    ),
    model.user_changed("u1", actor="admin", change="role", fields={"role": "admin"}),
    model.key_changed("k1", actor="u1", change="revoked", fields={}),
]


def test_the_examples_cover_every_type() -> None:
    assert {event.type for event in EXAMPLES} == EVENT_TYPES


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.type)
def test_every_type_round_trips_through_json(event: DomainEvent) -> None:
    again = DomainEvent.from_json(event.to_json())

    assert again == event
    assert again.occurred_at.tzinfo is not None
    assert DomainEvent.from_dict(event.to_dict()) == event


def test_review_finished_carries_status_counts_and_gate_verdict() -> None:
    event = EXAMPLES[1]

    assert event.data["status"] == "completed"
    assert event.data["counts"] == {"findings": 2}
    assert event.data["gate"]["passed"] is False
    assert event.subject_type == "analysis"


def test_events_are_frozen() -> None:
    with pytest.raises(AttributeError):
        EXAMPLES[0].type = "x"  # type: ignore[misc]


def test_an_unknown_type_or_a_naive_time_is_refused() -> None:
    with pytest.raises(EventError, match="unknown event type"):
        DomainEvent.create("review.exploded", "analysis", "s1")
    with pytest.raises(EventError, match="naive"):
        DomainEvent("review.started", "id", datetime(2026, 1, 1), None, "analysis", "s1", {})
    assert DomainEvent.create("review.started", "analysis", "s1", occurred_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "not an object"),
        ('{"type": "review.started"}', "without id"),
        (
            '{"type":"review.started","id":"i","occurred_at":"yesterday","actor":null,'
            '"subject_type":"a","subject_id":"s","data":{}}',
            "ISO timestamp",
        ),
        (
            '{"type":"review.started","id":"i","occurred_at":"2026-01-01T00:00:00+00:00","actor":null,'
            '"subject_type":"a","subject_id":"s","data":[]}',
            "data is not an object",
        ),
    ],
)
def test_malformed_json_is_an_event_error(text: str, message: str) -> None:
    with pytest.raises(EventError, match=message):
        DomainEvent.from_json(text)
