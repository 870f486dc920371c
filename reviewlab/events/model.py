"""``DomainEvent``: what happened, to which subject, by whom, when; JSON in and out."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reviewlab.errors import InputError

REVIEW_STARTED = "review.started"
REVIEW_FINISHED = "review.finished"
GATE_FAILED = "gate.failed"
MODEL_PROMOTED = "model.promoted"
MODEL_QUARANTINED = "model.quarantined"
USER_CHANGED = "user.changed"
KEY_CHANGED = "key.changed"
EVENT_TYPES = frozenset(
    {REVIEW_STARTED, REVIEW_FINISHED, GATE_FAILED, MODEL_PROMOTED, MODEL_QUARANTINED, USER_CHANGED, KEY_CHANGED}
)
FIELDS = ("type", "id", "occurred_at", "actor", "subject_type", "subject_id", "data")


class EventError(InputError):
    """An event that cannot be built or read (unknown type, malformed JSON, missing field)."""


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One domain event: ``type`` (one of ``EVENT_TYPES``), a unique ``id``, a UTC ``occurred_at``, the ``actor``
    (a user id, or None for the system), the subject (``subject_type``, ``subject_id``) and JSON ``data``."""

    type: str
    id: str
    occurred_at: datetime
    actor: str | None
    subject_type: str
    subject_id: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise EventError(f"unknown event type {self.type!r}; known: {', '.join(sorted(EVENT_TYPES))}")
        if self.occurred_at.tzinfo is None:
            raise EventError(f"event {self.id} has a naive occurred_at")

    @classmethod
    def create(
        cls,
        type: str,
        subject_type: str,
        subject_id: str,
        data: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        occurred_at: datetime | None = None,
    ) -> DomainEvent:
        """A new event with a fresh id, occurring now unless told otherwise."""
        return cls(
            type=type,
            id=str(uuid.uuid4()),
            occurred_at=(occurred_at or datetime.now(UTC)).astimezone(UTC),
            actor=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            data=dict(data or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "actor": self.actor,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "data": dict(self.data),
        }

    def to_json(self) -> str:
        """Compact, key-sorted JSON (the exact bytes a webhook signs)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> DomainEvent:
        missing = [name for name in FIELDS if name not in value]
        if missing:
            raise EventError(f"event without {', '.join(missing)}")
        try:
            occurred_at = datetime.fromisoformat(str(value["occurred_at"]))
        except ValueError as err:
            raise EventError(f"event occurred_at is not an ISO timestamp: {err}") from err
        data = value["data"]
        if not isinstance(data, Mapping):
            raise EventError("event data is not an object")
        actor = value["actor"]
        return cls(
            type=str(value["type"]),
            id=str(value["id"]),
            occurred_at=occurred_at,
            actor=None if actor is None else str(actor),
            subject_type=str(value["subject_type"]),
            subject_id=str(value["subject_id"]),
            data=dict(data),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> DomainEvent:
        try:
            value = json.loads(text)
        except ValueError as err:
            raise EventError(f"event is not JSON: {err}") from err
        if not isinstance(value, dict):
            raise EventError("event JSON is not an object")
        return cls.from_dict(value)


# -- constructors of each type ------------------------------------------------------------------------------


def review_started(session_id: str, *, actor: str | None, attempt: int | None, worker: str) -> DomainEvent:
    return DomainEvent.create(
        REVIEW_STARTED, "analysis", session_id, {"attempt": attempt, "worker": worker}, actor=actor
    )


def review_finished(
    session_id: str,
    *,
    actor: str | None,
    status: str,
    counts: Mapping[str, Any] | None = None,
    gate: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> DomainEvent:
    """``status`` (completed, failed, cancelled), the finding ``counts``, the gate verdict (or None), an error."""
    verdict = None if gate is None else {"passed": bool(gate.get("passed")), **dict(gate)}
    data = {"status": status, "counts": dict(counts or {}), "gate": verdict, "error": error}
    return DomainEvent.create(REVIEW_FINISHED, "analysis", session_id, data, actor=actor)


def gate_failed(session_id: str, *, actor: str | None, gate: Mapping[str, Any]) -> DomainEvent:
    return DomainEvent.create(GATE_FAILED, "analysis", session_id, {"gate": dict(gate)}, actor=actor)


def model_promoted(
    model_id: str,
    *,
    actor: str | None,
    name: str,
    config_hash: str,
    outcome: str,
    previous: str | None,
    dataset: str | None,
    reason: str | None,
) -> DomainEvent:
    data = {
        "name": name,
        "config_hash": config_hash,
        "outcome": outcome,
        "previous": previous,
        "dataset": dataset,
        "reason": reason,
    }
    return DomainEvent.create(MODEL_PROMOTED, "model", model_id, data, actor=actor)


def model_quarantined(
    model_id: str, *, actor: str | None, name: str, config_hash: str, reason: str, manual: bool, restored: str | None
) -> DomainEvent:
    data = {"name": name, "config_hash": config_hash, "reason": reason, "manual": manual, "restored": restored}
    return DomainEvent.create(MODEL_QUARANTINED, "model", model_id, data, actor=actor)


def user_changed(user_id: str, *, actor: str | None, change: str, fields: Mapping[str, Any]) -> DomainEvent:
    return DomainEvent.create(USER_CHANGED, "user", user_id, {"change": change, **dict(fields)}, actor=actor)


def key_changed(key_id: str, *, actor: str | None, change: str, fields: Mapping[str, Any]) -> DomainEvent:
    return DomainEvent.create(KEY_CHANGED, "key", key_id, {"change": change, **dict(fields)}, actor=actor)
