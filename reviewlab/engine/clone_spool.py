"""Clone detection over a spooled review: the window index on disk, the files' tokens read from disk.

``find_clones`` holds every file's kind sequence and its window index in memory. Here the same detector
(``clones._Detector``) runs against:
- per token of every file, its kind, first and last line and the CRC of its text, laid out (per language family,
  one file after the other) in files of the spool's directory, read where needed (``os.pread``): the scan reads an
  earlier file's kinds, a group its copies' lines and texts, and the pages are the operating system's to cache or
  drop (mapping them would count them in the process's resident memory);
- the index in a table of the spool's database: every sampled window ``(family, hash, number << 32 | position)``,
  written in one pass before the scan and cut to the ``BUCKET`` earliest per hash. The in-memory index, when it
  scans file ``n``, holds the earliest ``BUCKET`` windows of files ``0..n`` per hash: exactly the table's entries
  of files up to ``n``, so the scan proposes, checks and reports the same matches, and the groups are identical.

Looking every position of every file up in SQLite would be slow: a fixed table of ``_SLOTS`` flags (one per hash
value modulo its size, 16 MiB; see ``_DiskIndex``) answers "certainly not indexed (yet)" for most positions, and a
hit's windows are read only when the scan needs them (a hit inside a copy already reported is skipped unread).
What stays in memory per file is two integers (where its facts are in the spool, where its tokens end). The pairs
found go to a table of the spool and come back in the order the clustering reads them; the groups wait in another
for their report order (``sort_groups``); and each copy's fingerprint occurrence is counted there
(:func:`each_spooled_clone_finding`): a group is held only while it is made or reported.
"""

from __future__ import annotations

import os
import pickle
import struct
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from reviewlab.engine.clones import (
    BUCKET,
    DEFAULT_MIN_LINES,
    DEFAULT_MIN_TOKENS,
    SHIFT,
    CloneGroup,
    Pair,
    TokenFile,
    _Detector,
    check_options,
    each_clone_finding,
    sampling,
)

if TYPE_CHECKING:
    from reviewlab.engine.model import Finding
    from reviewlab.engine.spool import Spool

CLONE_FACTS = "clones"
_SLOTS = 1 << 24  # one byte per slot (quicker to test than a bit): 16 MiB, whatever the number of files
_MASK = _SLOTS - 1
_COLUMNS = ("kinds", "first-lines", "last-lines", "crcs")  # per token: 2 bytes, then 4 bytes each
_SIZES = (2, 4, 4, 4)  # bytes per token in each column
_ROWS = 512  # rows written or read at a time


class _SpooledFiles:
    """One family's files by number, from the spool's directory: per token, its kind, first and last line and
    text's CRC, each column a file read where needed (``pread``: the operating system caches the pages, the
    process does not hold them)."""

    def __init__(self, spool: Spool, columns: Sequence[int], rows: array[int], ends: array[int]) -> None:
        self.spool = spool
        self.columns = columns  # file descriptors, as _COLUMNS
        self.rows = rows  # per file, its facts' row in the spool (for its path)
        self.ends = ends  # per file, the token after its last one in the columns; each starts where the last ends

    def __len__(self) -> int:
        return len(self.rows)

    def start(self, number: int) -> int:
        return self.ends[number - 1] if number else 0

    def read(self, column: int, first: int, stop: int) -> bytes:
        """The values of tokens ``first:stop`` (counted from the family's first token) in a column."""
        size = _SIZES[column]
        return os.pread(self.columns[column], (stop - first) * size, first * size)

    def kinds(self, number: int) -> bytes:
        return self.read(0, self.start(number), self.ends[number])

    def __getitem__(self, number: int) -> _Copies:
        return _Copies(self, number)


class _Copies:
    """A file with copies in a group: its path, and the lines and texts of its tokens, from the columns."""

    def __init__(self, files: _SpooledFiles, number: int) -> None:
        self.files = files
        self.base = files.start(number)
        self.path = files.spool.fact_path(files.rows[number])

    def lines(self, start: int, length: int) -> tuple[int, int]:
        first, last = self.base + start, self.base + start + length - 1
        return _value(self.files.read(1, first, first + 1)) + 1, _value(self.files.read(2, last, last + 1)) + 1

    def texts(self, start: int, length: int) -> list[tuple[int, int]]:
        first, stop = self.base + start, self.base + start + length
        kinds = array("H", self.files.read(0, first, stop))
        crcs = array("I", self.files.read(3, first, stop))
        return list(zip(kinds, crcs, strict=True))


def _value(data: bytes) -> int:
    return int(array("I", data)[0])


class _DiskIndex:
    """The sampled windows of every family's files in the spool's database, behind a table of flags: per slot (a
    hash value modulo ``_SLOTS``), 0 when no window has it, else the earliest *era* of a file that indexed a window
    there (1 + its number in its family over ``step``: 1 to 254). A file's scan only looks up the hashes whose slot
    was set by an earlier era or its own: most of those that only later files have are never read."""

    def __init__(self, spool: Spool, window: int, stride: int, files: int) -> None:
        self.db = spool.db
        self.window = window
        self.stride = stride
        self.step = max(1, -(-files // 254))
        self.flags = bytearray(_SLOTS)
        self.db.execute("CREATE TABLE windows (family INTEGER, hash INTEGER, packed INTEGER)")

    def add(self, family: int, number: int, data: bytes) -> None:
        """Index the sampled windows of file ``number`` of ``family`` (files are added in path order)."""
        flags, window, width, era = self.flags, self.window, self.window * 2, number // self.step + 1
        rows = []
        for position in range(0, len(data) // 2 - window + 1, self.stride):
            key = hash(data[position * 2 : position * 2 + width])
            set_by = flags[key & _MASK]  # families interleave: a later family's file may have an earlier era
            if not set_by or era < set_by:
                flags[key & _MASK] = era
            rows.append((family, key, number << SHIFT | position))
        self.db.executemany("INSERT INTO windows VALUES (?, ?, ?)", rows)

    def finish(self) -> None:
        """Keep the ``BUCKET`` earliest windows per hash, what the in-memory index keeps, and index them."""
        self.db.execute("CREATE INDEX windows_hash ON windows (family, hash, packed)")
        self.db.execute(
            "DELETE FROM windows WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER "
            "(PARTITION BY family, hash ORDER BY packed) AS k FROM windows) WHERE k > ?)",
            (BUCKET,),
        )


class _FamilyIndex:
    """One family's part of the index, as ``clones.Index``: the windows of the files scanned so far."""

    def __init__(self, index: _DiskIndex, family: int) -> None:
        self.db = index.db
        self.flags = index.flags
        self.step = index.step
        self.family = family

    def buckets(self, number: int, data: bytes, hashes: list[int], stride: int) -> Mapping[int, Sequence[int]]:
        flags, mask, era = self.flags, _MASK, number // self.step + 1
        # May hold hashes no earlier window has (another slot's, a later file's of this era): they match nothing.
        return _Buckets(self, number, (key for key in set(hashes) if 0 < flags[key & mask] <= era))


class _Buckets(dict[int, Sequence[int]]):
    """The hashes one file's scan may find in the index, their windows read only when a hit needs them (a hit
    inside a copy already reported is skipped unread)."""

    def __init__(self, index: _FamilyIndex, number: int, keys: Iterable[int]) -> None:
        super().__init__(dict.fromkeys(keys, ()))
        self.index = index
        self.last = (number + 1) << SHIFT  # windows of this file and earlier ones: what the scan has indexed
        self.read: set[int] = set()

    def __getitem__(self, key: int) -> Sequence[int]:
        if key in self.read:
            return super().__getitem__(key)
        rows = self.index.db.execute(
            "SELECT packed FROM windows WHERE family = ? AND hash = ? AND packed < ? ORDER BY packed",
            (self.index.family, key, self.last),
        ).fetchall()
        bucket = [packed for (packed,) in rows]
        self[key] = bucket
        self.read.add(key)
        return bucket


@dataclass(slots=True)
class _Family:
    """One language family's files as they are found: their number, their facts' rows, and per token their kind,
    lines and text's CRC laid out in files (``_COLUMNS``)."""

    number: int
    columns: Sequence[BinaryIO]
    rows: array[int] = field(default_factory=lambda: array("q"))
    ends: array[int] = field(default_factory=lambda: array("q"))

    def add(self, rowid: int, file: TokenFile) -> None:
        self.rows.append(rowid)
        self.ends.append((self.ends[-1] if self.ends else 0) + file.size)
        self.columns[0].write(file.data)
        for column, values in zip(self.columns[1:], file.columns(), strict=True):
            column.write(values.tobytes())


def find_clones_spooled(
    spool: Spool, *, min_tokens: int = DEFAULT_MIN_TOKENS, min_lines: int = DEFAULT_MIN_LINES
) -> list[CloneGroup]:
    """``clones.find_clones`` of the spool's clone facts: the same groups, in the same order."""
    _store_groups(spool, min_tokens, min_lines)
    return list(_ordered_groups(spool))


def each_spooled_clone_finding(
    spool: Spool, *, min_tokens: int = DEFAULT_MIN_TOKENS, min_lines: int = DEFAULT_MIN_LINES
) -> Iterator[Finding]:
    """``clones.each_clone_finding(find_clones(...))`` of the spool's clone facts, one finding at a time: the
    groups wait in the spool for their report order, and each copy's fingerprint occurrence (how many copies of
    the same digest in the same file came before it) is counted by SQL."""
    _store_groups(spool, min_tokens, min_lines)
    return stored_clone_findings(spool)


def stored_clone_findings(spool: Spool) -> Iterator[Finding]:
    """The findings of the groups in the spool's ``clone_groups`` table (``store_groups``), in report order."""
    db = spool.db
    db.execute("DROP TABLE IF EXISTS clone_copies")
    db.execute("CREATE TABLE clone_copies (ord INTEGER, idx INTEGER, path BLOB, digest TEXT)")
    for order, group in enumerate(_ordered_groups(spool)):
        db.executemany(
            "INSERT INTO clone_copies VALUES (?, ?, ?, ?)",
            ((order, idx, _key(copy.path), group.digest) for idx, copy in enumerate(group.locations[1:])),
        )
    occurrences = db.execute(
        "SELECT row_number() OVER (PARTITION BY path, digest ORDER BY ord, idx) - 1 FROM clone_copies ORDER BY ord, idx"
    )
    yield from each_clone_finding(_ordered_groups(spool), (occurrence for (occurrence,) in occurrences))


def _key(path: str) -> bytes:
    return path.encode("utf-8", "surrogatepass")


def _group_key(group: CloneGroup) -> bytes:
    """Bytes that order like ``group.locations`` (``sort_groups``): each copy's path, a NUL (no path has one, and
    it sorts before every other character), then its lines, big-endian."""
    return b"".join(
        _key(copy.path) + b"\0" + struct.pack(">II", copy.start_line, copy.end_line) for copy in group.locations
    )


def _store_groups(spool: Spool, min_tokens: int, min_lines: int) -> None:
    """Detect the clones of the spool's files into its ``clone_groups`` table (the pairs wait in ``clone_pairs``),
    once."""
    db = spool.db
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'clone_groups'").fetchone():
        return  # detected already
    db.execute(
        "CREATE TABLE clone_pairs (family INTEGER, file INTEGER, a INTEGER, later INTEGER, b INTEGER, length INTEGER)"
    )
    store_groups(spool, _groups(spool, min_tokens, min_lines))


def store_groups(spool: Spool, groups: Iterable[CloneGroup]) -> None:
    """Keep ``groups`` in the spool's ``clone_groups`` table, to be read in report order."""
    db = spool.db
    db.execute("CREATE TABLE clone_groups (seq INTEGER PRIMARY KEY, key BLOB, tokens INTEGER, data BLOB)")
    for group in groups:
        db.execute(
            "INSERT INTO clone_groups (key, tokens, data) VALUES (?, ?, ?)",
            (_group_key(group), group.tokens, pickle.dumps(group, protocol=pickle.HIGHEST_PROTOCOL)),
        )


def _ordered_groups(spool: Spool) -> Iterator[CloneGroup]:
    """The stored groups in ``sort_groups`` order (ties as found)."""
    cursor = spool.db.execute("SELECT data FROM clone_groups ORDER BY key, tokens DESC, seq")
    while rows := cursor.fetchmany(_ROWS):
        for (data,) in rows:
            yield pickle.loads(data)  # noqa: S301 - written by this process to its own spool


class _SpooledPairs:
    """One family's pairs in the spool's ``clone_pairs`` table, written in batches, read back in ``pair_order``."""

    def __init__(self, spool: Spool, family: int) -> None:
        self._db = spool.db
        self._family = family
        self._batch: list[Pair] = []

    def append(self, pair: Pair) -> None:
        self._batch.append(pair)
        if len(self._batch) >= _ROWS:
            self._flush()

    def extend(self, pairs: Iterable[Pair]) -> None:
        for pair in pairs:
            self.append(pair)

    def _flush(self) -> None:
        self._db.executemany(
            "INSERT INTO clone_pairs VALUES (?, ?, ?, ?, ?, ?)", ((self._family, *pair) for pair in self._batch)
        )
        self._batch.clear()

    def ordered(self) -> Iterator[Pair]:
        self._flush()
        cursor = self._db.execute(
            "SELECT file, a, later, b, length FROM clone_pairs WHERE family = ? "
            "ORDER BY file, a, length DESC, later, b",
            (self._family,),
        )
        while rows := cursor.fetchmany(_ROWS):
            yield from rows


def _groups(spool: Spool, min_tokens: int, min_lines: int) -> Iterator[CloneGroup]:
    """The clone groups of each language family in turn, as the detector completes them."""
    kind_ids: dict[str, int] = {}
    families: dict[str, _Family] = {}
    index: _DiskIndex | None = None
    with ExitStack() as stack:
        for rowid, path, facts in spool.fact_ids(CLONE_FACTS):
            check_options(min_tokens, min_lines)
            file = TokenFile(path, facts, kind_ids)
            if file.family is None or file.size < min_tokens:
                continue
            if index is None:
                index = _DiskIndex(spool, *sampling(min_tokens), spool.fact_count(CLONE_FACTS))
            family = families.get(file.family)
            if family is None:
                number = len(families)
                columns = [
                    stack.enter_context(open(spool.directory / f"{column}-{number}.bin", "w+b")) for column in _COLUMNS
                ]
                family = families[file.family] = _Family(number, columns)
            index.add(family.number, len(family.rows), file.data)
            family.add(rowid, file)
        if index is None:
            return
        index.finish()
        names = list(kind_ids)
        for name in sorted(families):
            family = families[name]
            for column in family.columns:
                column.flush()
            files = _SpooledFiles(spool, [column.fileno() for column in family.columns], family.rows, family.ends)
            pairs = _SpooledPairs(spool, family.number)
            detector = _Detector(files, _FamilyIndex(index, family.number), names, min_tokens, min_lines, pairs)
            yield from detector.groups()
