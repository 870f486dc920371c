"""The hash chain: canonical row content, each row's hash, and ``verify`` walking the chain in id order.

A row's content is ``canonical_json({action, actor, details, ip, occurred_at, prev_hash, request_id, target_id,
target_type})`` as UTF-8, where canonical JSON has sorted keys, no whitespace, no ASCII escaping, no NaN/Infinity,
and ``occurred_at`` is ISO 8601 in UTC with microseconds (``2025-03-01T12:00:00.000000+00:00``). The first row's
``prev_hash`` is ``GENESIS``. The id is not hashed: a row's position is bound by ``prev_hash``, which is what lets
``verify`` tell an edited row from a reordered one.

Two hash schemes, hex encoded:

- v2 (every row appended now): ``hmac_sha256(audit_key, content)``, the key derived from a secret outside the
  database (``reviewlab.audit.seal``). Someone who can write the table cannot recompute a v2 hash.
- v1 (rows written before v2): ``sha256(content)``. Accepted only below the anchor's ``keyed_from`` id.

The seal's anchor, a signed ``(head id, head hash, keyed_from)`` kept outside the database and advanced by every
append, catches what the chain alone cannot: rows cut off the end (the anchored row is gone) and a chain rewritten
by someone who recomputes hashes (a v1 hash where v2 is due, or an anchored row with another hash).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, select

from reviewlab.audit.models import AuditLogRow
from reviewlab.audit.seal import Anchor

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row."""

VERIFY_BATCH_SIZE = 1000


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text, finite numbers only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def iso_utc(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 with microseconds."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} in the audit log")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(
    *,
    occurred_at: datetime,
    actor: str | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    ip: str | None,
    request_id: str | None,
    details: dict[str, Any],
    prev_hash: str,
    key: bytes | None = None,
) -> str:
    """The hash of one row's content chained to ``prev_hash``: v2 (HMAC-SHA256) with ``key``, else v1 (SHA-256)."""
    content = {
        "action": action,
        "actor": actor,
        "details": details,
        "ip": ip,
        "occurred_at": iso_utc(occurred_at),
        "prev_hash": prev_hash,
        "request_id": request_id,
        "target_id": target_id,
        "target_type": target_type,
    }
    data = canonical_json(content).encode("utf-8")
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


class Problem(StrEnum):
    """How the chain is broken at the first bad row."""

    EDITED = "edited"
    """The row's content does not match its hash (or a v1 hash stands where a keyed v2 one is due)."""
    MISSING = "missing"
    """Ids jump: rows before this one were deleted."""
    REORDERED = "reordered"
    """The row is intact but does not chain from the row before it (moved, swapped or replaced)."""
    DUPLICATE = "duplicate"
    """Two rows share an id."""
    ANCHOR_MISSING = "anchor_missing"
    """The chain is intact but does not contain the expected head (its tail was cut off or rewritten)."""
    TRUNCATED = "truncated"
    """The chain ends before the anchored row: rows were cut off the end."""
    REWRITTEN = "rewritten"
    """The anchored row is there with another hash: the chain was rewritten up to it."""
    UNANCHORED = "unanchored"
    """The log has rows but no anchor outside the database: a cut tail or a rewrite would go unseen."""
    ANCHOR_INVALID = "anchor_invalid"
    """The anchor outside the database does not carry the audit key's signature."""


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the chain: how many rows are intact and, if any, the first broken link."""

    rows_checked: int
    """Rows verified intact (all rows when ``ok``; those before ``row_id`` otherwise)."""
    head_id: int | None
    """The id of the last intact row (None for an empty log or a first row already broken)."""
    head_hash: str
    """The hash of the last intact row (``GENESIS`` when there is none): anchor it elsewhere."""
    problem: Problem | None = None
    row_id: int | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(connection: Connection, batch_size: int) -> Iterator[Row[Any]]:
    """Every row in id order, ``batch_size`` at a time (keyset pagination, so memory stays flat)."""
    table = AuditLogRow.__table__
    after: tuple[int, datetime] | None = None
    while True:
        query = select(table).order_by(table.c.id, table.c.occurred_at).limit(batch_size)
        if after is not None:
            last_id, last_at = after
            query = query.where((table.c.id > last_id) | ((table.c.id == last_id) & (table.c.occurred_at > last_at)))
        batch = list(connection.execute(query))
        yield from batch
        if len(batch) < batch_size:
            return
        after = (batch[-1].id, batch[-1].occurred_at)


def _recomputed(row: Row[Any], key: bytes | None) -> str:
    return row_hash(
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        ip=row.ip,
        request_id=row.request_id,
        details=row.details,
        prev_hash=row.prev_hash,
        key=key,
    )


def is_keyed(row: Row[Any], key: bytes) -> bool:
    """Whether ``row`` carries a valid v2 (keyed) hash."""
    return hmac.compare_digest(_recomputed(row, key), row.hash)


def verify_connection(
    connection: Connection,
    *,
    key: bytes,
    anchor: Anchor | None,
    expected_head: str | None = None,
    batch_size: int = VERIFY_BATCH_SIZE,
) -> VerifyResult:
    """Walk the chain on ``connection`` (schemas already translated) and report the first broken link.

    Rows from ``anchor.keyed_from`` on must carry a v2 hash under ``key``; rows below it a v1 hash. Without an
    anchor (none written yet) v1 rows may only precede v2 ones, and a non-empty log is reported unanchored."""
    checked = 0
    head_id: int | None = None
    head_hash = GENESIS
    anchor_seen = expected_head is None
    anchored_hash: str | None = None
    keyed_seen = False

    def broken(problem: Problem, row_id: int | None, message: str) -> VerifyResult:
        return VerifyResult(checked, head_id, head_hash, problem, row_id, message)

    for row in _rows(connection, batch_size):
        expected_id = 1 if head_id is None else head_id + 1
        if row.id < expected_id:
            return broken(Problem.DUPLICATE, row.id, f"row {row.id} appears more than once")
        if row.id > expected_id:
            missing = f"row {expected_id}" if row.id == expected_id + 1 else f"rows {expected_id}..{row.id - 1}"
            return broken(Problem.MISSING, row.id, f"{missing} missing before row {row.id} (deleted)")
        keyed = is_keyed(row, key)
        keyed_due = keyed_seen if anchor is None else row.id >= anchor.keyed_from
        if not keyed and (keyed_due or _recomputed(row, None) != row.hash):
            return broken(Problem.EDITED, row.id, f"row {row.id} does not match its hash (edited)")
        if row.prev_hash != head_hash:
            before = "the genesis value" if head_id is None else f"row {head_id}"
            return broken(
                Problem.REORDERED, row.id, f"row {row.id} does not chain from {before} (reordered or replaced)"
            )
        checked += 1
        keyed_seen = keyed_seen or keyed
        head_id, head_hash = row.id, row.hash
        anchor_seen = anchor_seen or row.hash == expected_head
        if anchor is not None and row.id == anchor.head_id:
            anchored_hash = row.hash
    if not anchor_seen:
        return broken(
            Problem.ANCHOR_MISSING,
            None,
            f"the expected head {expected_head} is not in the chain (rows cut off the end, or rewritten)",
        )
    if anchor is None:
        if checked:
            return broken(
                Problem.UNANCHORED, None, "the log has no anchor outside the database (the next append writes one)"
            )
    elif anchored_hash is None:
        return broken(
            Problem.TRUNCATED,
            None,
            f"the chain ends at row {head_id or 0} but row {anchor.head_id} was anchored (rows cut off the end)",
        )
    elif anchored_hash != anchor.head_hash:
        return broken(
            Problem.REWRITTEN,
            anchor.head_id,
            f"row {anchor.head_id} does not have its anchored hash (the chain was rewritten)",
        )
    return VerifyResult(checked, head_id, head_hash)
