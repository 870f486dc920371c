"""The operational store: analysis sessions and findings in SQLite (default) or PostgreSQL (production).

The names below load on first use, so a schema's models can import ``reviewlab.store.base`` without
pulling in every other schema (``reviewlab.store.models`` imports them all for the migrations).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewlab.store.models import SessionStatus, SourceKind
    from reviewlab.store.repository import SessionSummary, Store, open_store

__all__ = ["SessionStatus", "SessionSummary", "SourceKind", "Store", "open_store"]

_HOMES = {
    "SessionStatus": "reviewlab.store.models",
    "SourceKind": "reviewlab.store.models",
    "SessionSummary": "reviewlab.store.repository",
    "Store": "reviewlab.store.repository",
    "open_store": "reviewlab.store.repository",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reviewlab.store' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
