"""The publication seams: one call at each place the platform changes state. Each builds its event and publishes
it on the process's bus; nothing here raises (a failure is logged), so no analysis or transition fails for it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from reviewlab.events import model
from reviewlab.events.bus import EventBus, publish_safely
from reviewlab.events.model import DomainEvent

log = logging.getLogger(__name__)


def _publish(build: Callable[[], list[DomainEvent]], bus: EventBus | None) -> None:
    try:
        events = build()
    except Exception:
        log.warning("could not build a domain event", exc_info=True)
        return
    for event in events:
        publish_safely(event, bus)


def analysis_started(
    session_id: str, owner_id: str | None, data: Mapping[str, Any], *, bus: EventBus | None = None
) -> None:
    """``review.started`` once a worker has claimed the analysis (``data``: its attempt and worker)."""
    _publish(
        lambda: [
            model.review_started(
                session_id, actor=owner_id, attempt=data.get("attempt"), worker=str(data.get("worker"))
            )
        ],
        bus,
    )


def analysis_finished(
    session_id: str,
    owner_id: str | None,
    status: str,
    *,
    result: Any = None,
    error: str | None = None,
    bus: EventBus | None = None,
) -> None:
    """``review.finished`` (status, counts, gate verdict), then ``gate.failed`` when the gate failed.
    ``result`` is the ``ReviewResult`` of a completed analysis (None when it failed or was cancelled)."""

    def build() -> list[DomainEvent]:
        counts: dict[str, Any] = {}
        gate = None
        if result is not None:
            counts = {"findings": len(result.findings), "by_severity": result.counts_by_severity()}
            gate = result.gate
        events = [
            model.review_finished(session_id, actor=owner_id, status=status, counts=counts, gate=gate, error=error)
        ]
        if gate is not None and not gate.get("passed"):
            events.append(model.gate_failed(session_id, actor=owner_id, gate=gate))
        return events

    _publish(build, bus)


def model_promoted(
    record: Any,
    *,
    actor: str | None,
    outcome: str,
    previous: Any,
    dataset: str | None,
    reason: str | None,
    bus: EventBus | None = None,
) -> None:
    """``model.promoted`` for a lifecycle ``ModelRecord`` that became production (``outcome``: promoted, forced)."""
    _publish(
        lambda: [
            model.model_promoted(
                record.id,
                actor=actor,
                name=record.name,
                config_hash=record.config_hash,
                outcome=outcome,
                previous=None if previous is None else previous.name,
                dataset=dataset,
                reason=reason,
            )
        ],
        bus,
    )


def model_quarantined(
    record: Any, *, actor: str | None, reason: str, manual: bool, restored: Any, bus: EventBus | None = None
) -> None:
    """``model.quarantined`` for a lifecycle ``ModelRecord`` moved to V3 (``restored``: production now, or None)."""
    _publish(
        lambda: [
            model.model_quarantined(
                record.id,
                actor=actor,
                name=record.name,
                config_hash=record.config_hash,
                reason=reason,
                manual=manual,
                restored=None if restored is None else restored.name,
            )
        ],
        bus,
    )


def user_changed(user: Any, change: str, *, actor: str | None, bus: EventBus | None = None, **fields: Any) -> None:
    """``user.changed`` once ``change`` to an account (a ``reviewlab.accounts.User``, as it is now) committed: its
    email, role and activity, and ``fields`` (e.g. the previous role); never a password, a hash or a token."""
    _publish(
        lambda: [
            model.user_changed(
                user.id,
                actor=actor,
                change=change,
                fields={"email": user.email, "role": str(user.role), "is_active": bool(user.is_active), **fields},
            )
        ],
        bus,
    )


def key_changed(
    key_id: str, change: str, *, user_id: str, provider: str, actor: str | None, bus: EventBus | None = None
) -> None:
    """``key.changed`` once a provider API key was stored, replaced or deleted: whose key, for which provider;
    never the key, not even masked."""
    _publish(
        lambda: [
            model.key_changed(key_id, actor=actor, change=change, fields={"user_id": user_id, "provider": provider})
        ],
        bus,
    )
