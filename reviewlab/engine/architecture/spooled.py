"""The module graph of a large review, built in its spool and reported from there (``engine.spool``).

``build_graph`` holds every file's facts, every module and every import edge in memory, and its report is one
dictionary: fine for a project, not for 100,000 files. ``build_spooled`` gives the same report, findings and JSON
from a spooled review's facts with the graph kept in the spool's database:

- the resolvers' names go to an ``arch_index`` table (:class:`SpoolIndex`), with the most used look-ups cached;
- each file's node and each import site to ``arch_files`` and ``arch_sites`` as the facts are read, one file at
  a time; modules and edges are SQL aggregates of them (``arch_modules``, numbered in id order, ``arch_edges``);
- import cycles are found on the numbered graph (two arrays of integers: ``graph.strongly_connected_numbered``);
  layering and god-module checks, package metrics and the list of outside packages stream through SQL;
- the report is a :class:`SpooledArchitecture`: a read-only mapping equal to ``ArchitectureReport.to_dict()``,
  whose long lists (modules, edges, outside packages, packages) are read from the spool each time they are
  iterated, and which the JSON report writes one element at a time (:meth:`SpooledArchitecture.json_chunks`).

Orders are the in-memory path's: strings are compared as their UTF-8 bytes (surrogates passed through), which
orders like Python's ``str``; sites of an edge by path, line and column, ties in the order first met.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewlab.engine.architecture.build import _god_modules, _layering, _package, _run_time_site
from reviewlab.engine.architecture.config import ArchitectureConfig
from reviewlab.engine.architecture.export import mermaid_of_packages
from reviewlab.engine.architecture.graph import shortest_cycle, strongly_connected_numbered
from reviewlab.engine.architecture.inputs import FileFacts, file_facts
from reviewlab.engine.architecture.metrics import package_row
from reviewlab.engine.architecture.report import (
    REPORT_VERSION,
    ArchitectureReport,
    Cycle,
    Edge,
    ImportSite,
    ModuleNode,
    PackageMetrics,
)
from reviewlab.engine.architecture.resolve import GoResolver, JavaResolver, PythonResolver, Resolver, ScriptResolver
from reviewlab.engine.architecture.rules import cycle_finding
from reviewlab.engine.languages import FAMILY
from reviewlab.engine.model import Finding, Span
from reviewlab.engine.spool import Spool

_SCHEMA = """
CREATE TABLE arch_index (kind TEXT, key BLOB, value BLOB);
CREATE TABLE arch_files (path BLOB PRIMARY KEY, node BLOB, name BLOB, language TEXT, package BLOB, lines INTEGER,
                         types INTEGER, abstract_types INTEGER) WITHOUT ROWID;
CREATE TABLE arch_sets (node BLOB, kind INTEGER, value BLOB, PRIMARY KEY (node, kind, value)) WITHOUT ROWID;
CREATE TABLE arch_sites (seq INTEGER PRIMARY KEY, source BLOB, target BLOB, path BLOB, line INTEGER, col INTEGER,
                         end_line INTEGER, end_col INTEGER, text BLOB, type_only INTEGER);
CREATE UNIQUE INDEX arch_sites_unique ON arch_sites (source, target, path, line, col, end_line, end_col, text,
                                                     type_only);
"""
_EXTERNAL, _UNRESOLVED = 0, 1  # arch_sets kinds
_LOOKUPS_KEPT = 2048  # index look-ups cached
_LAYERS_KEPT = 8192  # modules whose layer is remembered
_ROWS = 512


def _key(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


class SpoolIndex:
    """The resolvers' :class:`~reviewlab.engine.architecture.resolve.Index` in the spool's database."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._values = lru_cache(maxsize=_LOOKUPS_KEPT)(self._select)
        self._indexed = False

    def add(self, kind: str, key: str, value: str) -> None:
        self._db.execute("INSERT INTO arch_index VALUES (?, ?, ?)", (kind, _key(key), _key(value)))

    def values(self, kind: str, key: str) -> list[str]:
        if not self._indexed:
            self._db.execute("CREATE INDEX arch_index_key ON arch_index (kind, key)")
            self._indexed = True
        return list(self._values(kind, key))

    def _select(self, kind: str, key: str) -> tuple[str, ...]:
        rows = self._db.execute(
            "SELECT value FROM arch_index WHERE kind = ? AND key = ? ORDER BY rowid", (kind, _key(key))
        )
        return tuple(_text(value) for (value,) in rows)


class _Family:
    """The files of one language family, read from the spool each time they are iterated (without imports)."""

    def __init__(self, spool: Spool, family: str) -> None:
        self._spool = spool
        self._family = family

    def __iter__(self) -> Iterator[FileFacts]:
        for file in _files(self._spool):
            if FAMILY[file.language] == self._family:
                yield FileFacts(file.relpath, file.language, file.package, (), 0, 0, 0)


def _files(spool: Spool) -> Iterator[FileFacts]:
    from reviewlab.engine.crossfile import ARCHITECTURE_FACTS

    for path, raw in spool.facts(ARCHITECTURE_FACTS):
        file = file_facts(path, raw)
        if file is not None:
            yield file


def _resolvers(spool: Spool, root: Path | None, index: SpoolIndex) -> dict[str, Resolver]:
    return {
        "python": PythonResolver(_Family(spool, "python"), root, index),
        "javascript": ScriptResolver(_Family(spool, "javascript"), index),
        "java": JavaResolver(_Family(spool, "java"), index),
        "go": GoResolver(_Family(spool, "go"), root),
    }


def build_spooled(spool: Spool, root: Path | None, config: ArchitectureConfig) -> SpooledArchitecture:
    """What ``build_graph`` gives for the spooled review's facts, with the graph kept in ``spool``."""
    db = spool.db
    _script(db, _SCHEMA)  # in the spool's writing transaction (``Spool.finish`` commits it)
    _collect(spool, _resolvers(spool, root, SpoolIndex(db)), db)
    _script(db, _AGGREGATE)
    graph = SpooledArchitecture(spool)
    cycles = _cycles(graph)
    layer_of = lru_cache(maxsize=_LAYERS_KEPT)(config.layer_of)
    findings = [finding for _, finding in cycles] + _layering(graph.edges(), config, layer_of)
    if config.max_fan_out or config.max_fan_in or config.max_lines:
        findings += _god_modules(graph.modules(), config)
    findings.sort(key=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id, f.fingerprint))
    graph.cycles = tuple(cycle for cycle, _ in cycles)
    graph.findings = tuple(findings)
    return graph


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run the statements of ``script`` one by one (``executescript`` would commit the transaction first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _collect(spool: Spool, resolvers: dict[str, Resolver], db: sqlite3.Connection) -> None:
    """Each file's node and import sites, as ``build._collect`` assembles them, written to the spool."""
    for file in _files(spool):
        family = FAMILY[file.language]
        resolver = resolvers[family]
        source = resolver.node(file)
        row = (_key(file.relpath), _key(source), _key(resolver.name(file)), file.language)
        added = db.execute(
            "INSERT OR IGNORE INTO arch_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*row, _key(_package(source, file.language)), file.lines, file.types, file.abstract_types),
        )
        if not added.rowcount:
            continue  # two spellings of one path: the first counts, as in memory
        sets: list[tuple[bytes, int, bytes]] = []
        sites: list[tuple[Any, ...]] = []
        for fact in file.imports:
            resolution = resolver.resolve(file, fact)
            if resolution.external is not None:
                sets.append((row[1], _EXTERNAL, _key(resolution.external)))
            elif not resolution.targets:
                sets.append((row[1], _UNRESOLVED, _key(fact.spec)))
            for target in resolution.targets:
                if target.node == source and (not target.exact or family == "go"):
                    continue
                site, span = fact.site, fact.site.span
                sites.append(
                    (
                        row[1],
                        _key(target.node),
                        _key(site.path),
                        span.start_line,
                        span.start_column,
                        span.end_line,
                        span.end_column,
                        _key(site.text),
                        int(site.type_only),
                    )
                )
        db.executemany("INSERT OR IGNORE INTO arch_sets VALUES (?, ?, ?)", sets)
        db.executemany(
            "INSERT OR IGNORE INTO arch_sites (source, target, path, line, col, end_line, end_col, text, type_only) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sites,
        )


_AGGREGATE = """
        CREATE INDEX arch_files_node ON arch_files (node, path);
        CREATE TABLE arch_modules (num INTEGER PRIMARY KEY, id BLOB UNIQUE, name BLOB, language TEXT, package BLOB,
                                   path BLOB, lines INTEGER, types INTEGER, abstract_types INTEGER,
                                   fan_in INTEGER DEFAULT 0, fan_out INTEGER DEFAULT 0);
        -- name, language and package are the first file's (by path), as in memory: the one min() picks
        INSERT INTO arch_modules (num, id, name, language, package, path, lines, types, abstract_types)
            SELECT NULL, node, name, language, package, min(path), sum(lines), sum(types), sum(abstract_types)
            FROM arch_files GROUP BY node ORDER BY node;
        CREATE INDEX arch_sites_order ON arch_sites (source, target, path, line, col, seq);
        CREATE TABLE arch_edges (source BLOB, target BLOB, type_only INTEGER, PRIMARY KEY (source, target))
            WITHOUT ROWID;
        INSERT INTO arch_edges SELECT source, target, min(type_only) FROM arch_sites GROUP BY source, target;
        CREATE INDEX arch_edges_target ON arch_edges (target);
        UPDATE arch_modules SET
            fan_out = (SELECT count(*) FROM arch_edges e WHERE e.source = arch_modules.id AND e.target != e.source),
            fan_in = (SELECT count(*) FROM arch_edges e WHERE e.target = arch_modules.id AND e.target != e.source);
        CREATE INDEX arch_modules_package ON arch_modules (package);
"""
"""Modules (numbered in id order), edges, and the modules' fan-in and fan-out."""


# -- the findings ---------------------------------------------------------------------------------------------


def _numbered_graph(db: sqlite3.Connection) -> tuple[int, array[int], array[int]]:
    """The modules' run-time imports as numbered adjacency lists: node count, offsets and targets (in order)."""
    count = int(db.execute("SELECT count(*) FROM arch_modules").fetchone()[0])
    offsets = array("i", [0]) * (count + 1)
    targets = array("i")
    cursor = db.execute(
        "SELECT s.num, t.num FROM arch_edges e JOIN arch_modules s ON s.id = e.source "
        "JOIN arch_modules t ON t.id = e.target WHERE e.type_only = 0 ORDER BY s.num, t.num"
    )
    while rows := cursor.fetchmany(_ROWS * 8):
        for source, target in rows:
            offsets[source] += 1  # numbers start at 1: offsets[n] counts node n - 1's successors
            targets.append(target - 1)
    for node in range(1, count + 1):
        offsets[node] += offsets[node - 1]
    return count, offsets, targets


class _Successors(Mapping[int, Sequence[int]]):
    """Numbered adjacency lists as the mapping ``graph.shortest_cycle`` reads."""

    def __init__(self, offsets: array[int], targets: array[int]) -> None:
        self._offsets = offsets
        self._targets = targets

    def __getitem__(self, node: int) -> Sequence[int]:
        return self._targets[self._offsets[node] : self._offsets[node + 1]]

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._offsets) - 1))

    def __len__(self) -> int:
        return len(self._offsets) - 1


def _cycles(graph: SpooledArchitecture) -> list[tuple[Cycle, Finding]]:
    db = graph.db
    count, offsets, targets = _numbered_graph(db)
    successors = _Successors(offsets, targets)
    found: list[tuple[Cycle, Finding]] = []
    for members in strongly_connected_numbered(count, successors.__getitem__):
        start = members[0]
        if len(members) == 1 and start not in successors[start]:
            continue
        path = shortest_cycle(start, successors, set(members))
        if not path:
            continue
        names = graph.module_ids(members)
        path_ids = [names[node] for node in path]
        sites = [_run_time_site(graph.edge(path_ids[i], path_ids[i + 1])) for i in range(len(path_ids) - 1)]
        member_ids = [names[node] for node in members]
        found.append((Cycle(tuple(path_ids), tuple(member_ids)), cycle_finding(path_ids, sites, member_ids)))
    found.sort(key=lambda pair: pair[0].path)
    return found


# -- the report -----------------------------------------------------------------------------------------------


class _Rows:
    """A long list of the report (dictionaries), read from the spool each time it is iterated."""

    def __init__(self, count: Callable[[], int], rows: Callable[[], Iterator[dict[str, Any]]]) -> None:
        self._count = count
        self._rows = rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._rows()

    def __len__(self) -> int:
        return self._count()

    def __getitem__(self, index: int) -> dict[str, Any]:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Rows | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} spooled rows>"


_KEYS = ("version", "summary", "modules", "edges", "external", "packages", "cycles", "findings")
_LONG = ("modules", "edges", "external", "packages")


class SpooledArchitecture(Mapping[str, Any]):
    """A large review's architecture report, equal to the ``ArchitectureReport.to_dict()`` of the same graph:
    the summary, cycles and findings held, the modules, edges, outside packages and packages listed from the
    spool when iterated (so only while the review's result is open)."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.cycles: tuple[Cycle, ...] = ()
        self.findings: tuple[Finding, ...] = ()
        self._counts: dict[str, int] = {}

    @property
    def db(self) -> sqlite3.Connection:
        return self.spool.db

    def _count(self, name: str) -> int:
        if name not in self._counts:
            query = {
                "modules": "SELECT count(*) FROM arch_modules",
                "edges": "SELECT count(*) FROM arch_edges",
                "external": f"SELECT count(DISTINCT value) FROM arch_sets WHERE kind = {_EXTERNAL}",  # noqa: S608
                "packages": "SELECT count(DISTINCT package) FROM arch_modules",
            }[name]
            self._counts[name] = int(self.db.execute(query).fetchone()[0])
        return self._counts[name]

    # ---------------------------------------------------------------- the mapping

    def __getitem__(self, key: str) -> Any:
        if key == "version":
            return REPORT_VERSION
        if key == "summary":
            return {
                **{name: self._count(name) for name in ("modules", "edges", "packages")},
                "cycles": len(self.cycles),
                "external": self._count("external"),
                "findings": len(self.findings),
            }
        if key in _LONG:
            listing = {
                "modules": lambda: (m.to_dict() for m in self.modules()),
                "edges": lambda: (e.to_dict() for e in self.edges()),
                "external": self._external,
                "packages": lambda: (p.to_dict() for p in self.packages()),
            }[key]
            return _Rows(lambda: self._count(key), listing)
        if key == "cycles":
            return [cycle.to_dict() for cycle in self.cycles]
        if key == "findings":
            return [finding.to_dict() for finding in self.findings]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return list(self) == list(other) and all(self[key] == other[key] for key in self)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<architecture of {self._count('modules')} modules, spooled>"

    def to_dict(self) -> dict[str, Any]:
        """The whole report in memory (to store it, say)."""
        return {key: list(value) if key in _LONG else value for key, value in self.items()}

    def json_chunks(self) -> Iterator[str]:
        """``json.dumps(self.to_dict(), ensure_ascii=False)`` in pieces, one element of a long list at a time."""
        opening = "{"
        for key in _KEYS:
            value = self[key]
            yield f"{opening}{json.dumps(key)}: "
            if key in _LONG:
                separator = "["
                for item in value:
                    yield separator + json.dumps(item, ensure_ascii=False)
                    separator = ", "
                yield "[]" if separator == "[" else "]"
            else:
                yield json.dumps(value, ensure_ascii=False)
            opening = ", "
        yield "}"

    # ---------------------------------------------------------------- the graph

    def module_ids(self, numbers: list[int]) -> dict[int, str]:
        """The ids of numbered modules (numbers from 0, in id order)."""
        found: dict[int, str] = {}
        for start in range(0, len(numbers), _ROWS):
            part = [number + 1 for number in numbers[start : start + _ROWS]]
            marks = ", ".join("?" * len(part))
            rows = self.db.execute(f"SELECT num, id FROM arch_modules WHERE num IN ({marks})", part)  # noqa: S608
            found.update((num - 1, _text(module)) for num, module in rows)
        return found

    def modules(self) -> Iterator[ModuleNode]:
        """The modules, by id, with what they import from outside and what they import that names nothing."""
        sets = self.db.execute("SELECT node, kind, value FROM arch_sets ORDER BY node, kind, value")
        pending = sets.fetchone()
        cursor = self.db.execute(
            "SELECT id, name, language, package, path, lines, types, abstract_types, fan_in, fan_out "
            "FROM arch_modules ORDER BY num"
        )
        while rows := cursor.fetchmany(_ROWS):
            for node, name, language, package, path, lines, types, abstract, fan_in, fan_out in rows:
                found: tuple[list[str], list[str]] = ([], [])
                while pending is not None and pending[0] <= node:
                    if pending[0] == node:
                        found[pending[1]].append(_text(pending[2]))
                    pending = sets.fetchone()
                module = _text(node)
                yield ModuleNode(
                    module,
                    _text(name),
                    language,
                    _text(package),
                    _text(path),
                    lines,
                    types,
                    abstract,
                    fan_in,
                    fan_out,
                    tuple(found[_EXTERNAL]),
                    tuple(found[_UNRESOLVED]),
                )

    def edges(self, where: str = "", parameters: tuple[Any, ...] = ()) -> Iterator[Edge]:
        """The edges, by source and target, each with its import sites."""
        cursor = self.db.execute(
            "SELECT source, target, path, line, col, end_line, end_col, text, type_only FROM arch_sites "  # noqa: S608
            f"{where} ORDER BY source, target, path, line, col, seq",
            parameters,
        )
        current: tuple[bytes, bytes] | None = None
        sites: list[ImportSite] = []
        while rows := cursor.fetchmany(_ROWS):
            for source, target, path, line, col, end_line, end_col, text, type_only in rows:
                if (source, target) != current:
                    if current is not None:
                        yield Edge(_text(current[0]), _text(current[1]), tuple(sites))
                    current, sites = (source, target), []
                sites.append(ImportSite(_text(path), Span(line, col, end_line, end_col), _text(text), bool(type_only)))
        if current is not None:
            yield Edge(_text(current[0]), _text(current[1]), tuple(sites))

    def edge(self, source: str, target: str) -> Edge:
        """The edge from ``source`` to ``target`` (which must exist)."""
        return next(self.edges("WHERE source = ? AND target = ?", (_key(source), _key(target))))

    def _external(self) -> Iterator[dict[str, Any]]:
        cursor = self.db.execute(
            "SELECT value, count(DISTINCT node) FROM arch_sets WHERE kind = ? GROUP BY value ORDER BY value",
            (_EXTERNAL,),
        )
        while rows := cursor.fetchmany(_ROWS):
            yield from ({"name": _text(name), "modules": modules} for name, modules in rows)

    def packages(self) -> Iterator[PackageMetrics]:
        """``metrics.package_metrics`` of the modules and edges, by package name."""
        coupling = (
            "SELECT {side}.package, count(DISTINCT e.{counted}) FROM arch_edges e "
            "JOIN arch_modules s ON s.id = e.source JOIN arch_modules t ON t.id = e.target "
            "WHERE s.package != t.package GROUP BY {side}.package"
        )
        afferent = dict(self.db.execute(coupling.format(side="t", counted="source")).fetchall())
        efferent = dict(self.db.execute(coupling.format(side="s", counted="target")).fetchall())
        cursor = self.db.execute(
            "SELECT package, count(*), sum(types), sum(abstract_types) FROM arch_modules "
            "GROUP BY package ORDER BY package"
        )
        while rows := cursor.fetchmany(_ROWS):
            for package, modules, types, abstract in rows:
                ca, ce = afferent.get(package, 0), efferent.get(package, 0)
                yield package_row(_text(package), modules, types, abstract, ca, ce)

    def to_mermaid(self, max_nodes: int = 60) -> str:
        """``ArchitectureReport.to_mermaid`` of the graph, its package view computed in SQL."""
        if self._count("modules") <= max(max_nodes, 1):
            return ArchitectureReport.from_dict(self.to_dict()).to_mermaid(max_nodes)
        rows = self.db.execute(
            "SELECT s.package, t.package, min(e.type_only) FROM arch_edges e "
            "JOIN arch_modules s ON s.id = e.source JOIN arch_modules t ON t.id = e.target "
            "WHERE s.package != t.package GROUP BY s.package, t.package"
        )
        edges = OrderedDict(((_text(source), _text(target)), bool(type_only)) for source, target, type_only in rows)
        names = [_text(name) for (name,) in self.db.execute("SELECT DISTINCT package FROM arch_modules")]
        return mermaid_of_packages(self._count("modules"), edges, names, max_nodes)
