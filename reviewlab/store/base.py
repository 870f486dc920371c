"""The one declarative base: shared metadata, the seed's schema names and portable column types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import BLANK_SCHEMA
from sqlalchemy.types import TypeDecorator, TypeEngine

SCHEMAS = ("auth", "projects", "experiments_v1", "production", "quarantine", "providers", "audits")
"""The PostgreSQL schemas of the seed's data architecture (section 8.1)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_translate_map(dialect_name: str) -> dict[str, str | None]:
    """How the seed's schemas map onto a dialect: unchanged on PostgreSQL, folded into ``main`` on SQLite."""
    if dialect_name == "postgresql":
        return {}
    return dict.fromkeys(SCHEMAS)


def metadata_for(metadata: MetaData, dialect_name: str) -> MetaData:
    """``metadata`` as ``dialect_name`` sees it: a copy without schemas on SQLite (for autogenerate)."""
    if not schema_translate_map(dialect_name):
        return metadata
    # to_metadata documents None (no schema) and BLANK_SCHEMA (no referred schema); its annotations omit them.
    no_schema: Any = None
    blank_schema: Any = BLANK_SCHEMA
    copy = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(copy, schema=no_schema, referred_schema_fn=lambda *_: blank_schema)
    return copy


def json_type(*, none_as_null: bool = False) -> TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL."""
    return JSON(none_as_null=none_as_null).with_variant(JSONB(none_as_null=none_as_null), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every table in every schema, so one MetaData describes the whole database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
