"""Finding triage kept across reviews: a finding's fingerprint, within a scope, has one status and a history.

A scope is ``project:<id>`` for the findings of a project's reviews and ``user:<id>`` for a user's reviews
outside any project. These functions work inside the caller's connection; ``Projects`` wraps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from reviewlab.projects.errors import InvalidTriage
from reviewlab.projects.models import TriageEventRow, TriageRow, TriageStatus
from reviewlab.projects.records import TriageEvent, TriageState, triage_event_from, triage_state_from

TRIAGE = cast(Table, TriageRow.__table__)
TRIAGE_EVENTS = cast(Table, TriageEventRow.__table__)
# Read with every page of findings: built once (an expanding IN takes any number of fingerprints).
_STATES_IN_SCOPE = select(TRIAGE).where(
    TRIAGE.c.scope == bindparam("scope"), TRIAGE.c.fingerprint.in_(bindparam("fingerprints", expanding=True))
)

SCOPE_KINDS = ("project", "user")
MAX_SCOPE_LENGTH = 80
MAX_FINGERPRINT_LENGTH = 128
MAX_COMMENT_LENGTH = 2000


def project_scope(project_id: str) -> str:
    """The triage scope of a project's findings."""
    return f"project:{project_id}"


def user_scope(user_id: str) -> str:
    """The triage scope of a user's findings outside any project."""
    return f"user:{user_id}"


def scope_project(scope: str) -> str | None:
    """The project id of a ``project:<id>`` scope; None for a user scope. :class:`InvalidTriage` if it is neither."""
    kind, colon, owner = scope.partition(":")
    if not colon or kind not in SCOPE_KINDS or not owner.strip() or len(scope) > MAX_SCOPE_LENGTH:
        raise InvalidTriage(f"unknown triage scope {scope!r}; use 'project:<id>' or 'user:<id>'")
    return owner if kind == "project" else None


def triage_status(status: TriageStatus | str) -> TriageStatus:
    """``status`` as a :class:`TriageStatus`; :class:`InvalidTriage` if it is none."""
    try:
        return TriageStatus(status)
    except ValueError:
        known = ", ".join(member.value for member in TriageStatus)
        raise InvalidTriage(f"unknown triage status {status!r}; use one of {known}") from None


def checked_fingerprint(fingerprint: str) -> str:
    """``fingerprint`` if it is one; :class:`InvalidTriage` if it is empty or too long."""
    if not fingerprint or len(fingerprint) > MAX_FINGERPRINT_LENGTH:
        raise InvalidTriage(f"a finding fingerprint has 1 to {MAX_FINGERPRINT_LENGTH} characters")
    return fingerprint


def checked_comment(comment: str | None) -> str | None:
    """``comment`` trimmed (None when blank); :class:`InvalidTriage` if it is too long."""
    if comment is None or not comment.strip():
        return None
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidTriage(f"a triage comment has at most {MAX_COMMENT_LENGTH} characters, not {len(comment)}")
    return comment


def write_triage(
    connection: Connection,
    scope: str,
    fingerprint: str,
    status: TriageStatus,
    comment: str | None,
    actor_id: str | None,
    now: datetime,
) -> TriageState:
    """Set the triage of ``fingerprint`` in ``scope`` and record the decision as a triage event."""
    values = {"status": status.value, "comment": comment, "updated_by": actor_id, "updated_at": now}
    key = (TRIAGE.c.scope == scope, TRIAGE.c.fingerprint == fingerprint)
    if connection.execute(update(TRIAGE).where(*key).values(**values)).rowcount == 0:
        connection.execute(insert(TRIAGE).values(scope=scope, fingerprint=fingerprint, **values))
    connection.execute(
        insert(TRIAGE_EVENTS).values(
            scope=scope, fingerprint=fingerprint, status=status.value, comment=comment, actor_id=actor_id, at=now
        )
    )
    return triage_state_from(connection.execute(select(TRIAGE).where(*key)).one())


def read_triage_states(connection: Connection, scope: str, fingerprints: Iterable[str]) -> dict[str, TriageState]:
    """The triage of each of ``fingerprints`` that has one in ``scope``, by fingerprint, in one query."""
    wanted = sorted(set(fingerprints))
    if not wanted:
        return {}
    rows = connection.execute(_STATES_IN_SCOPE, {"scope": scope, "fingerprints": wanted})
    return {row.fingerprint: triage_state_from(row) for row in rows}


def read_triage_events(connection: Connection, scope: str, fingerprint: str) -> list[TriageEvent]:
    """Every triage decision on ``fingerprint`` in ``scope``, oldest first."""
    query = (
        select(TRIAGE_EVENTS)
        .where(TRIAGE_EVENTS.c.scope == scope, TRIAGE_EVENTS.c.fingerprint == fingerprint)
        .order_by(TRIAGE_EVENTS.c.id)
    )
    return [triage_event_from(row) for row in connection.execute(query)]


def forget_scope(connection: Connection, scope: str) -> None:
    """Delete the triage and triage events of ``scope`` (its project is being deleted)."""
    connection.execute(TRIAGE.delete().where(TRIAGE.c.scope == scope))
    connection.execute(TRIAGE_EVENTS.delete().where(TRIAGE_EVENTS.c.scope == scope))
