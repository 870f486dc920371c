"""Where a SARIF result is: artifact URIs resolved to paths under the review root, regions to ``Span``s.

A URI may be ``file://``, absolute, relative, percent-encoded, or an index into ``run.artifacts``; a relative
one is resolved through ``originalUriBaseIds``, else tried against the review root, the log's directory and
the working directory. Columns are 1-based with an exclusive end, like ``Span``; a missing start column is 1
and a missing end column the end of the line. UTF-16 columns are converted when the run declares
``columnKind``. Files are read once, for their lines and their secret redactor.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from reviewlab.engine.languages import language_for_path
from reviewlab.engine.model import PLAIN_TEXT, Span
from reviewlab.engine.redaction import Redactor
from reviewlab.engine.rules.base import TextContext
from reviewlab.engine.sarif_import.values import JSONObject, array, integer, obj

LineReader = Callable[[int], str | None]


class Locator:
    """Resolves a run's artifact locations to paths relative to the review root, and reads their lines."""

    def __init__(self, root: Path, run: JSONObject, fallbacks: list[Path]) -> None:
        self.base = root if root.is_dir() else root.parent
        self.only = None if root.is_dir() else root
        self.fallbacks = [self.base, *fallbacks]
        self.bases = obj(run.get("originalUriBaseIds"))
        self.artifacts = array(run.get("artifacts"))
        self.utf16 = run.get("columnKind") == "utf16CodeUnits"
        self._files: dict[str, SourceLines | None] = {}

    def resolve(self, physical: JSONObject) -> str | None:
        """The path of a physical location relative to the root, or None when it is elsewhere."""
        artifact = obj(physical.get("artifactLocation"))
        index = artifact.get("index")
        if "uri" not in artifact and isinstance(index, int) and 0 <= index < len(self.artifacts):
            artifact = obj(obj(self.artifacts[index]).get("location"))
        uri = artifact.get("uri")
        if not isinstance(uri, str) or not uri:
            return None
        path = _uri_path(uri)
        if path is None:
            return None
        if not path.is_absolute():
            base = self._base(artifact.get("uriBaseId"), set())
            if base is not None:
                path = base / path
            else:
                path = next((d / path for d in self.fallbacks if _exists(d / path)), self.base / path)
        return self._relative(Path(os.path.normpath(path)))

    def _base(self, base_id: Any, seen: set[str]) -> Path | None:
        if not isinstance(base_id, str) or base_id in seen:
            return None
        entry = obj(self.bases.get(base_id))
        uri = entry.get("uri")
        path = _uri_path(uri) if isinstance(uri, str) else None
        if path is None or path.is_absolute():
            return path
        parent = self._base(entry.get("uriBaseId"), seen | {base_id})
        return None if parent is None else parent / path

    def _relative(self, path: Path) -> str | None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
            real = path
        for candidate in (path, real):
            if self.only is not None:
                if candidate == self.only:
                    return self.only.name
                continue
            try:
                relative = candidate.relative_to(self.base)
            except ValueError:
                continue
            if relative.parts:
                return relative.as_posix()
        return None

    def file(self, path: str) -> SourceLines | None:
        """The file at ``path`` under the root, read once; None when it cannot be read."""
        if path not in self._files:
            try:
                source = (self.base / path).read_bytes()
            except (OSError, ValueError):
                self._files[path] = None
            else:
                context = TextContext(path, language_for_path(path) or PLAIN_TEXT, source, {})
                self._files[path] = SourceLines(context)
        return self._files[path]

    def lines(self, path: str) -> LineReader:
        """The line reader of the file at ``path``; one that knows no line when the file cannot be read."""
        file = self.file(path)
        return file.line if file is not None else lambda _: None

    def span(self, region: JSONObject, path: str) -> Span:
        """The ``Span`` of a region of the file at ``path``."""
        return region_span(region, self.lines(path), self.utf16)


class SourceLines:
    """A file's lines and its secret redactor."""

    def __init__(self, ctx: TextContext) -> None:
        self.ctx = ctx
        self.redactor = Redactor(ctx, ())

    def line(self, number: int) -> str | None:
        """The text of 1-based line ``number``, or None past the end."""
        if number < 1 or number > len(self.ctx.line_starts()):
            return None
        return self.ctx.line_bytes(number - 1).decode("utf-8", "replace")


def first_physical(locations: Any) -> JSONObject | None:
    """The first physical location of a result's ``locations`` that names an artifact."""
    for location in array(locations):
        physical = obj(obj(location).get("physicalLocation"))
        if physical.get("artifactLocation"):
            return physical
    return None


def describe(physical: JSONObject) -> str:
    """A physical location's URI as written, for a warning."""
    uri = obj(physical.get("artifactLocation")).get("uri")
    return uri if isinstance(uri, str) else "an unnamed artifact"


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, a NUL in it
        return False


def _uri_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path)) if parts.netloc in ("", "localhost") else None
    if len(parts.scheme) > 1:  # http: and the like name no file here (one letter is a Windows drive)
        return None
    return Path(unquote(uri))


def region_span(region: JSONObject, line_of: LineReader, utf16: bool) -> Span:
    """A SARIF region as a ``Span``, its end column filled in from the line when the region has none."""
    start_line = max(integer(region.get("startLine")) or 1, 1)
    end_line = max(integer(region.get("endLine")) or start_line, start_line)
    start_column = max(integer(region.get("startColumn")) or 1, 1)
    end_column = integer(region.get("endColumn"))
    end_text = line_of(end_line)
    if utf16:
        start_column = _from_utf16(line_of(start_line), start_column)
        end_column = None if end_column is None else _from_utf16(end_text, end_column)
    if end_column is None:  # SARIF: the region runs to the end of its last line
        end_column = len(end_text) + 1 if end_text is not None else start_column
    if end_line == start_line:
        end_column = max(end_column, start_column)
    return Span(start_line, start_column, end_line, max(end_column, 1))


def _from_utf16(line: str | None, column: int) -> int:
    """A 1-based UTF-16 column of ``line`` as a 1-based code point column."""
    if line is None:
        return column
    units = 0
    for index, char in enumerate(line):
        if units >= column - 1:
            return index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line) + 1 + max(column - 1 - units, 0)
