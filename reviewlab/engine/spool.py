"""The spool: a large review's per-file outcomes on disk, so its memory does not grow with the number of files.

A review of many files writes each file's record, findings, diagnostics and project facts here as they arrive
(one SQLite database in a private temporary directory), and its ``ReviewResult`` lists them back from disk in
the order the in-memory path gives (:class:`Spooled`). The directory goes when the spool is closed or collected,
and when the process exits; nothing is left behind when a review fails.

Orders (both are the in-memory path's, exactly):
- files by path;
- findings by path, line, column and rule, then the per-file ones (by file, in the file's order) before the
  project-wide ones (in their order): the stable sort of the in-memory path;
- diagnostics as the review met them: discovery and reading first, then each analysed file's, by file.
  ``ordered("diagnostics")`` gives the reports' order (path, line, kind, message; ties as met).

Paths are compared as UTF-8 (with surrogates passed through), which orders like Python's ``str``.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, MutableSequence, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from reviewlab.engine.model import Diagnostic, FileRecord, Finding

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE files (path BLOB PRIMARY KEY, lines INTEGER, cached INTEGER, data BLOB) WITHOUT ROWID;
CREATE TABLE findings (path BLOB, line INTEGER, col INTEGER, rule TEXT, phase INTEGER, file BLOB, seq INTEGER,
                       severity TEXT, category TEXT, data BLOB);
CREATE TABLE diagnostics (phase INTEGER, file BLOB, seq INTEGER, path BLOB, line INTEGER, kind TEXT,
                          message TEXT, data BLOB);
CREATE TABLE facts (kind TEXT, path BLOB, data BLOB, PRIMARY KEY (kind, path));
CREATE TABLE discovered (seq INTEGER PRIMARY KEY, path BLOB, language TEXT, size INTEGER);
"""
_BY_RESULT = {
    "files": "SELECT data FROM files ORDER BY path",
    "findings": "SELECT data FROM findings ORDER BY path, line, col, rule, phase, file, seq",
    "diagnostics": "SELECT data FROM diagnostics ORDER BY phase, file, seq",
}
_BY_REPORT = {
    **_BY_RESULT,
    "diagnostics": "SELECT data FROM diagnostics ORDER BY path, coalesce(line, 0), kind, message, phase, file, seq",
}
_COLUMNS = {("findings", "severity"), ("findings", "category"), ("files", "lines"), ("files", "cached")}
_PER_FILE, _PROJECT = 0, 1  # findings' phases: the files' own, then the project-wide ones
_MET, _ANALYSED = 0, 1  # diagnostics' phases: met discovering and reading files, then the analysed files' own
_ROWS = 512  # rows fetched at a time when listing


def _key(path: str) -> bytes:
    return path.encode("utf-8", "surrogatepass")


def _dump(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _load(data: bytes) -> Any:
    return pickle.loads(data)  # noqa: S301 - written by this process to its own spool


def _remove(db: sqlite3.Connection, directory: tempfile.TemporaryDirectory[str]) -> None:
    db.close()
    directory.cleanup()


class Spool:
    """One review's outcomes on disk: written while the review runs, then read (by any thread) until closed."""

    def __init__(self) -> None:
        directory = tempfile.TemporaryDirectory(prefix="reviewlab-spool-")
        self.directory = Path(directory.name)
        self.db = sqlite3.connect(self.directory / "spool.sqlite3", isolation_level=None, check_same_thread=False)
        self._closer = weakref.finalize(self, _remove, self.db, directory)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-8192"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN")
        self._seq = 0  # diagnostics met before or besides the files, in order
        self._project = 0  # project-wide findings, in order
        self._counts: dict[str, int] = {}

    @property
    def closed(self) -> bool:
        return not self._closer.alive

    def close(self) -> None:
        """Remove the spool (its results can no longer be listed)."""
        self._closer()

    # ------------------------------------------------------------------ writing

    def add_file(
        self,
        record: FileRecord,
        findings: Sequence[Finding],
        diagnostics: Sequence[Diagnostic],
        facts: dict[str, Any],
    ) -> None:
        """One analysed file's outcome; ``facts`` are the ones the project-wide pass reads (kind -> fact)."""
        path = _key(record.path)
        self.db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?)", (path, record.lines, int(record.cached), _dump(record))
        )
        self._findings((_PER_FILE, path, seq, f) for seq, f in enumerate(findings))
        self.db.executemany(
            "INSERT INTO diagnostics VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((_ANALYSED, path, seq, *_diagnostic_row(d)) for seq, d in enumerate(diagnostics)),
        )
        self.db.executemany("INSERT INTO facts VALUES (?, ?, ?)", ((k, path, _dump(v)) for k, v in facts.items()))

    def add_discovered(self, files: Iterable[tuple[str, str, int]]) -> None:
        """Files found, to be read: (path, language, size), in the order found."""
        self.db.executemany(
            "INSERT INTO discovered (path, language, size) VALUES (?, ?, ?)",
            ((_key(path), language, size) for path, language, size in files),
        )

    def discovered(self) -> Iterator[tuple[str, str, int]]:
        """The files found, in the order found."""
        cursor = self.db.execute("SELECT path, language, size FROM discovered ORDER BY seq")
        while rows := cursor.fetchmany(_ROWS):
            for path, language, size in rows:
                yield path.decode("utf-8", "surrogatepass"), language, size

    def add_diagnostics(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Diagnostics not of an analysed file (discovery, reading), after the ones added before."""
        rows = []
        for diagnostic in diagnostics:
            rows.append((_MET, b"", self._seq, *_diagnostic_row(diagnostic)))
            self._seq += 1
        self.db.executemany("INSERT INTO diagnostics VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add_project_findings(self, findings: Iterable[Finding]) -> None:
        """Project-wide findings, after the ones added before."""
        for finding in findings:
            self._findings([(_PROJECT, b"", self._project, finding)])
            self._project += 1

    def _findings(self, rows: Iterable[tuple[int, bytes, int, Finding]]) -> None:
        self.db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    _key(f.path),
                    f.span.start_line,
                    f.span.start_column,
                    f.rule_id,
                    phase,
                    file,
                    seq,
                    f.severity.value,
                    f.category.value,
                    _dump(f),
                )
                for phase, file, seq, f in rows
            ),
        )

    def finish(self) -> None:
        """Commit and index what was written: the spool is read-only from here."""
        self.db.execute("COMMIT")
        self.db.execute("CREATE INDEX findings_order ON findings (path, line, col, rule, phase, file, seq)")
        for table in _BY_RESULT:
            self._counts[table] = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

    # ------------------------------------------------------------------ reading

    def count(self, table: str) -> int:
        return self._counts[table]

    def listed(self, table: str, report: bool = False) -> Iterator[Any]:
        """The rows of ``table`` in the result's order, or the reports' order."""
        cursor = self.db.execute((_BY_REPORT if report else _BY_RESULT)[table])
        while rows := cursor.fetchmany(_ROWS):
            for (data,) in rows:
                yield _load(data)

    def tally(self, table: str, column: str) -> dict[str, int]:
        """How many rows have each value of ``column`` (a severity or category of the findings)."""
        if (table, column) not in _COLUMNS:
            raise ValueError(f"cannot tally {table}.{column}")
        query = f"SELECT {column}, count(*) FROM {table} GROUP BY {column}"  # noqa: S608 - checked names
        return dict(self.db.execute(query).fetchall())

    def total(self, table: str, column: str) -> int:
        """The sum of ``column`` (the files' lines, or how many were cached)."""
        if (table, column) not in _COLUMNS:
            raise ValueError(f"cannot total {table}.{column}")
        return int(self.db.execute(f"SELECT coalesce(sum({column}), 0) FROM {table}").fetchone()[0])  # noqa: S608

    def facts(self, kind: str) -> Iterator[tuple[str, Any]]:
        """(path, fact) of every file with a fact of ``kind``, by path."""
        cursor = self.db.execute("SELECT path, data FROM facts WHERE kind = ? ORDER BY path", (kind,))
        while rows := cursor.fetchmany(_ROWS):
            for path, data in rows:
                yield path.decode("utf-8", "surrogatepass"), _load(data)

    def fact_ids(self, kind: str) -> Iterator[tuple[int, str, Any]]:
        """(row id, path, fact) of every file with a fact of ``kind``, by path (the id finds the path again)."""
        cursor = self.db.execute("SELECT rowid, path, data FROM facts WHERE kind = ? ORDER BY path", (kind,))
        while rows := cursor.fetchmany(_ROWS):
            for rowid, path, data in rows:
                yield rowid, path.decode("utf-8", "surrogatepass"), _load(data)

    def fact_count(self, kind: str) -> int:
        """How many files have a fact of ``kind``."""
        return int(self.db.execute("SELECT count(*) FROM facts WHERE kind = ?", (kind,)).fetchone()[0])

    def fact_path(self, rowid: int) -> str:
        """The path of the file whose fact is at ``rowid``."""
        path = self.db.execute("SELECT path FROM facts WHERE rowid = ?", (rowid,)).fetchone()[0]
        return str(path.decode("utf-8", "surrogatepass"))


def _diagnostic_row(diagnostic: Diagnostic) -> tuple[bytes, int | None, str, str, bytes]:
    return _key(diagnostic.path), diagnostic.line, diagnostic.kind.value, diagnostic.message, _dump(diagnostic)


class Spooled(MutableSequence[T]):
    """A result's files, findings or diagnostics, listed from the spool each time they are iterated.

    Counting and iterating never load the list. Indexing or changing it (a baseline, a diff, an AI review
    adding findings) loads it into memory once, and from then on it is an ordinary list."""

    def __init__(self, spool: Spool, table: str) -> None:
        self._spool = spool
        self._table = table
        self._items: list[T] | None = None

    @property
    def loaded(self) -> bool:
        return self._items is not None

    def _list(self) -> list[T]:
        if self._items is None:
            self._items = list(self._spool.listed(self._table))
        return self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items) if self._items is not None else self._spool.listed(self._table)

    def __len__(self) -> int:
        return len(self._items) if self._items is not None else self._spool.count(self._table)

    def __bool__(self) -> bool:
        return len(self) > 0

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self._list()[index]

    @overload
    def __setitem__(self, index: int, value: T) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[T]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        self._list()[index] = value

    def __delitem__(self, index: int | slice) -> None:
        del self._list()[index]

    def insert(self, index: int, value: T) -> None:
        self._list().insert(index, value)

    def sort(self, *, key: Callable[[T], Any] | None = None, reverse: bool = False) -> None:
        self._list().sort(key=key, reverse=reverse)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Spooled | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} {self._table} {'in memory' if self.loaded else 'spooled'}>"

    def ordered(self) -> Iterator[T] | None:
        """The reports' order from the spool (None once loaded: sort the list)."""
        return None if self._items is not None else self._spool.listed(self._table, report=True)

    def tally(self, column: str) -> dict[str, int] | None:
        """Rows per value of ``column`` from the spool (None once loaded: count the list)."""
        return None if self._items is not None else self._spool.tally(self._table, column)

    def total(self, column: str) -> int | None:
        """The sum of ``column`` from the spool (None once loaded: add up the list)."""
        return None if self._items is not None else self._spool.total(self._table, column)

    def close(self) -> None:
        """Remove the spool behind this list (and the result's other lists)."""
        self._spool.close()
