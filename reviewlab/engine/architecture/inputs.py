"""The per-file facts read back for phase 2, tolerantly: they come from a cache, possibly of another version.

An entry that is not a mapping, or an import without a string specifier, is skipped rather than
trusted; a missing count is 0. Nothing here raises on malformed data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reviewlab.engine.architecture.report import ImportSite
from reviewlab.engine.languages import LANGUAGES
from reviewlab.engine.model import Span


@dataclass(frozen=True, slots=True)
class ImportFact:
    """One imported specifier: ``spec`` as written, how (``kind``), the names a Python ``from`` import takes."""

    spec: str
    kind: str
    names: tuple[str, ...]
    site: ImportSite


@dataclass(frozen=True, slots=True)
class FileFacts:
    """The facts of one file (see ``reviewlab.engine.architecture.facts``)."""

    relpath: str
    language: str
    package: str | None
    imports: tuple[ImportFact, ...]
    types: int
    abstract_types: int
    lines: int


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _import(relpath: str, raw: Any) -> ImportFact | None:
    if not isinstance(raw, Mapping):
        return None
    spec, kind = raw.get("spec"), raw.get("kind")
    if not isinstance(spec, str) or not spec or not isinstance(kind, str):
        return None
    names = raw.get("names")
    line = max(_int(raw.get("line")), 1)
    column = max(_int(raw.get("column")), 1)
    end_line = max(_int(raw.get("end_line")), line)
    end_column = _int(raw.get("end_column")) or column
    text = raw.get("text")
    site = ImportSite(
        relpath,
        Span(line, column, end_line, end_column),
        text if isinstance(text, str) else spec,
        raw.get("type_only") is True,
    )
    return ImportFact(
        spec,
        kind,
        tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else (),
        site,
    )


def file_facts(key: Any, raw: Any) -> FileFacts | None:
    """One file's usable facts (``key`` its relpath, ``raw`` its ``module_facts`` output), or None."""
    if not isinstance(key, str) or not isinstance(raw, Mapping) or raw.get("language") not in LANGUAGES:
        return None
    relpath = key.replace("\\", "/").removeprefix("./")
    if not relpath:
        return None
    imports = raw.get("imports")
    package = raw.get("package")
    found = (_import(relpath, i) for i in (imports if isinstance(imports, list) else ()))
    return FileFacts(
        relpath=relpath,
        language=raw["language"],
        package=package if isinstance(package, str) and package else None,
        imports=tuple(fact for fact in found if fact is not None),
        types=_int(raw.get("types")),
        abstract_types=min(_int(raw.get("abstract_types")), _int(raw.get("types"))),
        lines=_int(raw.get("lines")),
    )


def read_facts(facts: Mapping[str, Any]) -> list[FileFacts]:
    """The usable entries of ``facts`` (relpath -> ``module_facts`` output), sorted by path."""
    files = [file for key, raw in facts.items() if (file := file_facts(key, raw)) is not None]
    files.sort(key=lambda f: f.relpath)
    return [f for i, f in enumerate(files) if i == 0 or files[i - 1].relpath != f.relpath]
