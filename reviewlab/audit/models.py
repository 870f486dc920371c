"""The ``audits`` schema: one append-only, hash-chained audit log (partitioned by month on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime, json_type

PARTITION_SCHEMA = "audits_partitions"
"""Where the monthly partitions live on PostgreSQL: outside the seed's schemas, so autogenerate compares only
the partitioned parent ``audits.audit_log`` (every read and write goes through the parent)."""


class AuditLogRow(Base):
    """One audit event; ``hash`` chains it to the row before it (see ``reviewlab.audit.chain``).

    The primary key includes ``occurred_at`` because PostgreSQL requires the partition key in every unique
    constraint of a partitioned table; ``id`` is assigned by ``AuditLog.append`` under the append lock, so ids
    are contiguous from 1 and a gap means a deleted row.
    """

    __tablename__ = "audit_log"
    __table_args__ = ({"schema": "audits", "postgresql_partition_by": "RANGE (occurred_at)"},)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True, index=True)
    actor: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(128), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(json_type())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
