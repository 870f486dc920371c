"""``AuditLog``: append events to the hash chain, query them, verify the chain. There is no update or delete.
``append_once`` appends unless a row already records the same key (an event consumer's event id).

Appends are serialised so two writers never chain from the same row: on PostgreSQL by a transaction-level
advisory lock (``pg_advisory_xact_lock(APPEND_LOCK_KEY)``, released at commit or rollback); on SQLite by
``BEGIN IMMEDIATE``, which takes the database's write lock before the last row is read (this needs an engine
from ``reviewlab.store.connect.create_engine``, whose ``begin`` hook emits the mode). Under that lock the next
id is the last id + 1, so ids are contiguous and ``verify`` reads a gap as a deletion.

On PostgreSQL ``audits.audit_log`` is range-partitioned by month on ``occurred_at``; the partition of a month
(``audits_partitions.audit_log_yYYYYmMM``) is created on demand by the first append into that month, inside the
append's locked transaction, so concurrent appenders never race to create it. The application role therefore
needs CREATE on ``audits_partitions``.

Rows are hashed with the seal's key (v2) and, after each append commits, the seal's anchor outside the database
moves to the new row (``reviewlab.audit.seal``): ``verify`` then catches a cut tail or a recomputed chain too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import redis
from sqlalchemy import Connection, Engine, String, cast, func, insert, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from reviewlab.audit.chain import (
    GENESIS,
    VERIFY_BATCH_SIZE,
    Problem,
    VerifyResult,
    canonical_json,
    is_keyed,
    row_hash,
    verify_connection,
)
from reviewlab.audit.models import PARTITION_SCHEMA, AuditLogRow
from reviewlab.audit.seal import AnchorInvalid, ChainSeal
from reviewlab.errors import ReviewlabError
from reviewlab.settings import get_settings
from reviewlab.store.connect import BEGIN_MODE_OPTION, create_engine, translated
from reviewlab.store.failures import store_errors

log = logging.getLogger(__name__)

APPEND_LOCK_KEY = 0x61756469746C6F67
"""``pg_advisory_xact_lock`` key serialising appends ("auditlog" in ASCII)."""

TABLE = AuditLogRow.__table__


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the audit log as the library hands it out."""

    id: int
    occurred_at: datetime
    actor: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


def _record(row: Any) -> AuditRecord:
    return AuditRecord(**{name: getattr(row, name) for name in AuditRecord.__dataclass_fields__})


def partition_name(moment: datetime) -> str:
    """The PostgreSQL partition holding ``moment``'s month (UTC)."""
    utc = moment.astimezone(UTC)
    return f"audit_log_y{utc.year:04d}m{utc.month:02d}"


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def ensure_partition(connection: Connection, moment: datetime) -> None:
    """Create the partition of ``moment``'s month unless it exists (call under the append lock)."""
    name = f"{PARTITION_SCHEMA}.{partition_name(moment)}"
    if connection.execute(select(func.to_regclass(name))).scalar() is not None:
        return
    start, end = _month_bounds(moment)
    # Identifiers come from partition_name (digits only); the bounds are ISO timestamps we formatted.
    connection.exec_driver_sql(
        f"CREATE TABLE {name} PARTITION OF audits.audit_log "
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )


def verify(
    source: Engine | Connection | Session,
    *,
    seal: ChainSeal | None = None,
    expected_head: str | None = None,
    batch_size: int = VERIFY_BATCH_SIZE,
) -> VerifyResult:
    """Walk the chain behind ``source`` in id order against ``seal`` (default: the process settings' key and
    anchors); the result names the first broken link, if any.

    An engine is translated here; a connection or session must come from a ``translated`` engine (as the
    store's are), so ``audits.`` resolves on SQLite too.
    """
    seal = seal if seal is not None else ChainSeal.from_settings(get_settings())
    if isinstance(source, Engine):
        engine = translated(source)
        with store_errors(engine.url, "verifying the audit log"), engine.connect() as connection:
            return _verify(connection, seal, expected_head, batch_size)
    connection = source.connection() if isinstance(source, Session) else source
    with store_errors(connection.engine.url, "verifying the audit log"):
        return _verify(connection, seal, expected_head, batch_size)


def _verify(connection: Connection, seal: ChainSeal, expected_head: str | None, batch_size: int) -> VerifyResult:
    try:
        anchor = seal.read(connection.engine.url)
    except AnchorInvalid as err:
        return VerifyResult(0, None, GENESIS, Problem.ANCHOR_INVALID, None, str(err))
    return verify_connection(
        connection, key=seal.key, anchor=anchor, expected_head=expected_head, batch_size=batch_size
    )


def first_keyed_id(connection: Connection, key: bytes, last_id: int) -> int:
    """The first row hashed with ``key``, by binary search over ids ``1..last_id`` (row ``last_id`` is keyed):
    v1 rows only ever precede v2 ones, so a log upgraded from v1 or an anchor lost costs ~log2(n) reads."""
    low, high = 1, last_id
    while low < high:
        middle = (low + high) // 2
        row = connection.execute(select(TABLE).where(TABLE.c.id == middle)).first()
        if row is not None and is_keyed(row, key):
            high = middle
        else:
            low = middle + 1
    return low


class AuditLog:
    """The append-only audit log in ``audits.audit_log``; every database failure is a ``StoreError``."""

    def __init__(
        self,
        engine: Engine,
        *,
        seal: ChainSeal | None = None,
        clock: Callable[[], datetime] | None = None,
        owns_engine: bool = False,
    ) -> None:
        """``seal`` defaults to the process settings' (``ChainSeal.from_settings(get_settings())``)."""
        self._owned = engine if owns_engine else None
        self._engine = translated(engine)
        self._seal = seal if seal is not None else ChainSeal.from_settings(get_settings())
        self._clock = clock or (lambda: datetime.now(UTC))
        self._partitions: set[str] = set()

    @classmethod
    def from_url(
        cls, url: str | URL, *, seal: ChainSeal | None = None, clock: Callable[[], datetime] | None = None
    ) -> AuditLog:
        """An audit log on ``url`` that owns (and on ``close`` disposes) its engine."""
        return cls(create_engine(url), seal=seal, clock=clock, owns_engine=True)

    def close(self) -> None:
        if self._owned is not None:
            self._owned.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def append(
        self,
        action: str,
        *,
        actor: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        ip: str | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """Append one event chained to the current last row, in its own transaction."""
        record = self._append(action, actor, target_type, target_id, ip, request_id, details, None)
        if record is None:  # pragma: no cover - only append_once passes a check
            raise AssertionError("an unconditional append appended nothing")
        return record

    def _append(
        self,
        action: str,
        actor: str | None,
        target_type: str | None,
        target_id: str | None,
        ip: str | None,
        request_id: str | None,
        details: dict[str, Any] | None,
        skip: Callable[[Connection], bool] | None,
    ) -> AuditRecord | None:
        # Through canonical JSON: tuples become lists, NaN and non-JSON values fail here, not in verify.
        normalized: dict[str, Any] = json.loads(canonical_json(details or {}))
        with store_errors(self._engine.url, "appending to the audit log"), self._engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if not postgres:
                connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
            with connection.begin():
                if postgres:
                    # Take the append lock and hash what JSONB will give back (it rewrites e.g. 1e20 as
                    # 100000000000000000000) in one round trip. The text is bound as text and cast by the server
                    # (binding it as JSONB would store a JSON string).
                    as_text = literal(canonical_json(normalized), String())
                    locked = select(func.pg_advisory_xact_lock(APPEND_LOCK_KEY), cast(as_text, JSONB))
                    normalized = connection.execute(locked).one()[1]
                if skip is not None and skip(connection):
                    return None
                last = connection.execute(
                    select(TABLE.c.id, TABLE.c.hash).order_by(TABLE.c.id.desc(), TABLE.c.occurred_at.desc()).limit(1)
                ).first()
                occurred_at = self._clock().astimezone(UTC)
                if postgres:
                    self._ensure_partition(connection, occurred_at)
                values: dict[str, Any] = {
                    "occurred_at": occurred_at,
                    "actor": actor,
                    "action": action,
                    "target_type": target_type,
                    "target_id": target_id,
                    "ip": ip,
                    "request_id": request_id,
                    "details": normalized,
                    "prev_hash": GENESIS if last is None else last.hash,
                }
                values["hash"] = row_hash(**values, key=self._seal.key)
                values["id"] = 1 if last is None else last.id + 1
                connection.execute(insert(AuditLogRow).values(**values))
        self._anchor(values["id"], values["hash"])
        return AuditRecord(**values)

    def _anchor(self, head_id: int, head_hash: str) -> None:
        """Move the anchor to the committed row; a failure is logged: the row is in the log either way."""

        def keyed_from() -> int:
            with self._engine.connect() as connection:
                return first_keyed_id(connection, self._seal.key, head_id)

        try:
            with store_errors(self._engine.url, "finding the first keyed audit row"):
                self._seal.advance(self._engine.url, head_id, head_hash, keyed_from)
        except (OSError, ReviewlabError, redis.RedisError) as err:
            log.error("could not anchor audit row %s outside the database: %s", head_id, err)

    def _ensure_partition(self, connection: Connection, moment: datetime) -> None:
        name = partition_name(moment)
        if name not in self._partitions:
            ensure_partition(connection, moment)
            self._partitions.add(name)

    def query(
        self,
        *,
        actor: str | None = None,
        action_prefix: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditRecord]:
        """Events newest first, filtered by actor, action prefix and ``since <= occurred_at < until``."""
        query = select(TABLE).order_by(TABLE.c.id.desc(), TABLE.c.occurred_at.desc())
        if actor is not None:
            query = query.where(TABLE.c.actor == actor)
        if action_prefix:
            escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(TABLE.c.action.like(f"{escaped}%", escape="\\"))
        if since is not None:
            query = query.where(TABLE.c.occurred_at >= since)
        if until is not None:
            query = query.where(TABLE.c.occurred_at < until)
        query = query.limit(max(limit, 0)).offset(max(offset, 0))
        with store_errors(self._engine.url, "querying the audit log"), self._engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def head(self) -> AuditRecord | None:
        """The last row (its hash is what to anchor outside the database), or None for an empty log."""
        rows = self.query(limit=1)
        return rows[0] if rows else None

    def verify(self, *, expected_head: str | None = None, batch_size: int = VERIFY_BATCH_SIZE) -> VerifyResult:
        """Walk the whole chain against the anchor; see ``reviewlab.audit.seal`` for what it detects and what not."""
        return verify(self._engine, seal=self._seal, expected_head=expected_head, batch_size=batch_size)


def append_once(
    audit: AuditLog,
    action: str,
    *,
    key: str,
    since: datetime,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any],
) -> AuditRecord | None:
    """``audit.append`` unless a row with the same ``action`` and ``target_id``, occurred at or after ``since``,
    already has ``details[key]`` (e.g. the id of the event it records); None when it has.

    The check runs under the append lock, so two writers never both append the same key."""
    wanted = details[key]

    def recorded(connection: Connection) -> bool:
        query = select(TABLE.c.details).where(
            TABLE.c.action == action, TABLE.c.occurred_at >= since, TABLE.c.target_id == target_id
        )
        return any((row.details or {}).get(key) == wanted for row in connection.execute(query))

    return audit._append(action, actor, target_type, target_id, None, None, details, recorded)
