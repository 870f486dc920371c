"""The per-file result cache: unchanged files under an unchanged rule pack are not analysed again.

A key covers everything the analysis of one file depends on — its content hash, its path (findings
and fingerprints carry it), its language, the rule pack version, the rule options and, for Python, the
content of the project modules it imports (the dataflow follows calls into them) — so a hit is always
safe to reuse. The embedded implementation is one SQLite file under ``REVIEWLAB_HOME``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reviewlab.engine.model import Diagnostic, Finding


@dataclass(slots=True)
class Analysed:
    """What is kept per file: its findings, diagnostics, line count and facts (``reviewlab.engine.facts``)."""

    findings: list[Finding]
    diagnostics: list[Diagnostic]
    lines: int
    facts: dict[str, Any] = field(default_factory=dict)


class ResultCache(Protocol):
    """Where analysed files' results are kept between reviews."""

    def get(self, key: str) -> Analysed | None: ...

    def put_many(self, items: Iterable[tuple[str, Analysed]]) -> None: ...

    def close(self) -> None: ...


def cache_key(content_sha256: str, relpath: str, language: str, pack_version: str, options_digest: str) -> str:
    material = "\x1f".join((content_sha256, relpath, language, pack_version, options_digest))
    return hashlib.sha256(material.encode()).hexdigest()


def options_digest(options: Any) -> str:
    return hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _encode(analysed: Analysed) -> bytes:
    payload = {
        "f": [f.to_dict() for f in analysed.findings],
        "d": [d.to_dict() for d in analysed.diagnostics],
        "l": analysed.lines,
        "x": analysed.facts,
    }
    return zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 1)


def _decode(blob: bytes) -> Analysed:
    payload = json.loads(zlib.decompress(blob))
    return Analysed(
        [Finding.from_dict(f) for f in payload["f"]],
        [Diagnostic.from_dict(d) for d in payload["d"]],
        int(payload["l"]),
        dict(payload.get("x") or {}),
    )


class NullCache:
    """No caching."""

    def get(self, key: str) -> Analysed | None:
        return None

    def put_many(self, items: Iterable[tuple[str, Analysed]]) -> None:
        for _ in items:
            pass

    def close(self) -> None:
        return None


class SqliteResultCache:
    """The embedded cache: a SQLite key-value table. A corrupt cache file is replaced, never fatal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            path.unlink(missing_ok=True)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        return db

    def get(self, key: str) -> Analysed | None:
        row = self._db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return _decode(row[0])
        except (zlib.error, ValueError, KeyError, TypeError):
            return None

    def put_many(self, items: Iterable[tuple[str, Analysed]]) -> None:
        rows = [(key, _encode(analysed)) for key, analysed in items]
        if not rows:
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", rows)
        except sqlite3.Error:
            # The cache is an optimisation: failing to write it must not fail the review.
            return

    def close(self) -> None:
        self._db.close()
