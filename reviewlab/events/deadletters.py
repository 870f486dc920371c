"""Dead letters: the messages a consumer group gave up on, kept in ``production.event_dead_letters`` to be listed
and replayed.

``GroupConsumer`` gives a message up after ``MAX_DELIVERIES`` failed attempts; with ``DeadLetters`` it first
keeps the event (its payload, the last error, the deliveries) and acknowledges the message only once that is
written. One row per (consumer group, event id): an event given up again — after a replay that failed too —
updates its row. ``replay`` publishes each kept event again on the bus, with its own id, so the consumers that
de-duplicate by event id (the audit's ``append_once``, the webhook fan-out) do not repeat what they already did.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from reviewlab.errors import InputError
from reviewlab.events.bus import EventBus, Message
from reviewlab.events.model import DomainEvent
from reviewlab.events.models import EventDeadLetterRow
from reviewlab.events.webhooks import Clock, utc_now
from reviewlab.jobs.db import prepared, reading, table_of, writing

DEAD_LETTERS = table_of(EventDeadLetterRow)
MAX_ERROR_LENGTH = 2000


class UnknownDeadLetter(InputError):
    """A dead letter id that is not in the table (or not in the group asked for)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One row of ``production.event_dead_letters``."""

    id: str
    group: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    last_error: str
    deliveries: int
    given_up_at: datetime
    replayed_at: datetime | None

    @property
    def event(self) -> DomainEvent:
        return DomainEvent.from_dict(self.payload)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "payload": self.payload,
            "last_error": self.last_error,
            "deliveries": self.deliveries,
            "given_up_at": self.given_up_at.isoformat(),
            "replayed_at": None if self.replayed_at is None else self.replayed_at.isoformat(),
        }


def _dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        group=row.consumer_group,
        event_id=row.event_id,
        event_type=row.event_type,
        payload=dict(row.payload),
        last_error=row.last_error,
        deliveries=row.deliveries,
        given_up_at=row.given_up_at,
        replayed_at=row.replayed_at,
    )


class DeadLetters:
    """Where a ``GroupConsumer`` keeps the messages it gives up on."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self.engine = prepared(engine)
        self.clock = clock

    def keep(self, group: str, message: Message, error: str) -> str:
        """Write ``message``'s event as given up by ``group`` with ``error``; returns the dead letter's id. Raises
        ``StoreError`` when the store cannot take it (the caller then leaves the message unacknowledged)."""
        event = message.event
        if event is None:
            raise ValueError(f"message {message.id} has no event to keep")
        values = {
            "event_type": event.type,
            "payload": event.to_dict(),
            "last_error": error[:MAX_ERROR_LENGTH],
            "given_up_at": self.clock(),
            "replayed_at": None,
        }
        with writing(self.engine, "keeping a dead letter") as connection:
            existing = connection.execute(
                select(DEAD_LETTERS.c.id).where(
                    DEAD_LETTERS.c.consumer_group == group, DEAD_LETTERS.c.event_id == event.id
                )
            ).scalar_one_or_none()
            if existing is not None:
                connection.execute(
                    update(DEAD_LETTERS)
                    .where(DEAD_LETTERS.c.id == existing)
                    .values(deliveries=DEAD_LETTERS.c.deliveries + message.deliveries, **values)
                )
                return str(existing)
            dead_letter_id = str(uuid.uuid4())
            connection.execute(
                insert(DEAD_LETTERS).values(
                    id=dead_letter_id,
                    consumer_group=group,
                    event_id=event.id,
                    deliveries=message.deliveries,
                    **values,
                )
            )
            return dead_letter_id


def dead_letters(engine: Engine, *, group: str | None = None, replayed: bool | None = None) -> list[DeadLetter]:
    """The dead letters, oldest given up first; of ``group`` only, replayed or not when told."""
    query = select(DEAD_LETTERS).order_by(DEAD_LETTERS.c.given_up_at, DEAD_LETTERS.c.id)
    if group is not None:
        query = query.where(DEAD_LETTERS.c.consumer_group == group)
    if replayed is not None:
        query = query.where(
            DEAD_LETTERS.c.replayed_at.is_not(None) if replayed else DEAD_LETTERS.c.replayed_at.is_(None)
        )
    with reading(prepared(engine), "reading dead letters") as connection:
        return [_dead_letter(row) for row in connection.execute(query).all()]


def replay(
    engine: Engine,
    bus: EventBus,
    ids: Sequence[str] | None = None,
    *,
    group: str | None = None,
    clock: Clock = utc_now,
) -> list[DeadLetter]:
    """Publish the events of dead letters ``ids`` again (None: every one of ``group``, or of every group, not
    replayed yet) and set their ``replayed_at``; returns them as they were before. An id that is not a dead
    letter (of ``group``, when given) raises ``UnknownDeadLetter`` before anything is published."""
    if ids is None:
        chosen = dead_letters(engine, group=group, replayed=False)
    else:
        known = {d.id: d for d in dead_letters(engine, group=group)}
        unknown = [i for i in ids if i not in known]
        if unknown:
            where = "" if group is None else f" of group {group!r}"
            raise UnknownDeadLetter(f"no dead letter {', '.join(unknown)}{where}")
        chosen = [known[i] for i in dict.fromkeys(ids)]
    engine = prepared(engine)
    for dead_letter in chosen:
        bus.publish(dead_letter.event, only_for=dead_letter.group)  # not the groups that handled it
        with writing(engine, "marking a dead letter replayed") as connection:
            connection.execute(
                update(DEAD_LETTERS).where(DEAD_LETTERS.c.id == dead_letter.id).values(replayed_at=clock())
            )
    return chosen
