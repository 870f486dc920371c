"""What a cache backend does: JSON values under ``(group, key)`` with a TTL, and a whole group dropped at once.

A *group* is what is invalidated together: ``session:{id}`` (everything cached for one session) or
``project:{id}`` (every analysis result of one project). Values are JSON (``dict``, ``list``, ``str``,
numbers, booleans), encoded when stored, so a value read back is a fresh copy (tuples come back as
lists) and both backends accept exactly the same values. ``None`` cannot be stored: ``get`` answers
``None`` for a miss.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

_PART = re.compile(r"[^\s:\x00-\x1f\x7f]{1,128}")  # no whitespace, control characters or ':'
_KEY = re.compile(r"[^\s\x00-\x1f\x7f]{1,256}")


class TtlCache(Protocol):
    """A cache of JSON values under ``(group, key)``, each with its own time to live."""

    name: str

    def get(self, group: str, key: str) -> Any | None:
        """The value, or None when it is missing, expired, invalidated, or the cache cannot be reached."""
        ...

    def peek(self, group: str, key: str) -> Any | None:
        """The value if it can be had without waiting on I/O (a copy in this process), else None."""
        ...

    def set(self, group: str, key: str, value: Any, ttl_s: float) -> None:
        """Store ``value`` for ``ttl_s`` seconds (never raises for an unreachable cache)."""
        ...

    def delete(self, group: str, key: str) -> None: ...

    def invalidate(self, group: str) -> None:
        """Forget every key of ``group`` at once."""
        ...

    def close(self) -> None: ...


def encode(value: Any) -> str:
    """``value`` as compact JSON; ``TypeError`` for None or what JSON cannot hold (a bug, not a cache failure)."""
    if value is None:
        raise TypeError("None cannot be cached: get() answers None for a miss")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"cache values must be JSON: {err}") from err


def check_group(group: str) -> str:
    """``group`` when it is ``kind:id`` with parts free of whitespace, control characters and further ':'."""
    kind, _, ident = group.partition(":")
    if not (_PART.fullmatch(kind) and _PART.fullmatch(ident)):
        raise ValueError(f"cache group must be 'kind:id' without spaces or further ':', not {group[:80]!r}")
    return group


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"cache key must be 1-256 characters without spaces or control characters: {key[:80]!r}")
    return key


def check_ttl(ttl_s: float) -> float:
    if not ttl_s > 0:
        raise ValueError("ttl_s must be positive")
    return ttl_s
