"""The operational store: analysis sessions and findings in SQLite (default) or PostgreSQL (production)."""

from reviewlab.store.models import SessionStatus, SourceKind
from reviewlab.store.repository import SessionSummary, Store, open_store

__all__ = ["SessionStatus", "SessionSummary", "SourceKind", "Store", "open_store"]
