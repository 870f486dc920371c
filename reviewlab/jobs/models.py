"""The tables of analysis jobs: ``production.analysis_events`` and ``production.artifacts``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime, json_type


class AnalysisEventRow(Base):
    """One progress event of an analysis session, numbered 1..n within the session."""

    __tablename__ = "analysis_events"
    __table_args__ = ({"schema": "production"},)

    session_id: Mapped[str] = mapped_column(
        ForeignKey("production.analysis_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ArtifactRow(Base):
    """The uploaded input of an analysis job (an archive), kept so any worker can fetch it."""

    __tablename__ = "artifacts"
    __table_args__ = ({"schema": "production"},)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("production.analysis_sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
