"""The reviewed project as the Python dataflow sees it: which file a module import names, and its parsed tree.

A review sets the current :class:`Project` (a context variable, set in each worker process too); the taint
analysis then follows a call such as ``build_query(region)`` imported from ``helpers`` into
``helpers.py`` and applies that function's summary. Modules are found the way Python would find them
for code run from the project: relative imports from the importing file's package, absolute imports
from the project root or from any directory between the importing file and the root (a script's own
directory is on ``sys.path``). Nothing outside the project is read.

Because a file's findings then depend on the modules it imports, the result cache key of a Python file
includes the content of its project imports, followed transitively (:meth:`Project.dependency_digest`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path, PurePosixPath
from typing import Any

from reviewlab.engine.rules.base import FileContext

_CURRENT: ContextVar[Project | None] = ContextVar("reviewlab_project", default=None)
_MAX_PARSED = 64  # parsed modules kept per process
_MAX_DEPENDENCIES = 64  # imports followed per file for the cache key
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?P<dots>\.*)(?P<module>[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]+)"
    rb"|import[ \t]+(?P<plain>[^\n#;]+))",
    re.MULTILINE,
)
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_METHOD = re.compile(rb"^[ \t]+(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.MULTILINE)


class Project:
    """The files of one reviewed project, resolved and parsed on demand (bounded, per process)."""

    def __init__(self, root: Path, max_file_size: int) -> None:
        self.root = root
        self.max_file_size = max_file_size
        self._exists: dict[str, bool] = {}
        self._parsed: OrderedDict[str, FileContext | None] = OrderedDict()
        self._digests: dict[str, str | None] = {}
        self._modules: dict[tuple[str, str, int], str | None] = {}
        self._imports: dict[str, list[str]] = {}
        self._methods: dict[str, frozenset[str]] = {}
        self._mentions: dict[str, bool] = {}
        self.in_progress: set[tuple[str, str]] = set()  # (relpath, function) summaries being computed
        # What analyses learn of other modules, kept for the rest of the review without their syntax trees (the
        # taint summaries of imported functions, the methods of imported classes): a module many files import is
        # parsed and summarised once, not again each time the parse cache above dropped it.
        self.memo: dict[tuple[str, Any], Any] = {}

    # -- resolution ----------------------------------------------------------------------------

    def module_file(self, importer: str, module: str, level: int = 0) -> str | None:
        """The project-relative path of the file ``module`` names when imported from ``importer``."""
        importer_dir = importer.rpartition("/")[0] or "."
        key = (importer_dir, module, level)
        if key not in self._modules:
            self._modules[key] = self._find_module(importer_dir, module, level)
        return self._modules[key]

    def _find_module(self, importer_dir: str, module: str, level: int) -> str | None:
        parts = [p for p in module.split(".") if p]
        directory = PurePosixPath(importer_dir)
        if level:
            base = directory
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = [directory, *directory.parents]
        for base in bases:
            candidate = "/".join((str(base), *parts)).removeprefix("./")
            for relpath in (f"{candidate}.py", f"{candidate}/__init__.py"):
                if not relpath.startswith("..") and self._is_file(relpath):
                    return relpath
        return None

    def resolve(self, importer: str, qualified: str) -> tuple[str, str] | None:
        """``(relpath, name)`` of the function a qualified name points to: ``helpers.utils.build`` is ``build``
        in ``helpers/utils.py``; ``helpers.Factory.create`` is the method ``create`` in ``helpers.py``."""
        level = len(qualified) - len(qualified.lstrip("."))
        parts = qualified.lstrip(".").split(".")
        name = parts[-1]
        for end in range(len(parts) - 1, 0, -1):
            relpath = self.module_file(importer, ".".join(parts[:end]), level)
            if relpath is not None:
                return (relpath, name) if relpath != importer else None
        return None

    def _is_file(self, relpath: str) -> bool:
        known = self._exists.get(relpath)
        if known is None:
            path = self.root / relpath
            known = self._exists[relpath] = path.is_file() and not path.is_symlink()
        return known

    def defines_method(self, relpath: str, name: str) -> bool:
        """Whether the module has an indented ``def name(`` (a method), read without parsing, once per review."""
        methods = self._methods.get(relpath)
        if methods is None:
            content = self._read(relpath) or b""
            methods = frozenset(m.decode("utf-8", "replace") for m in _METHOD.findall(content))
            self._methods[relpath] = methods
        return name in methods

    # -- parsing -------------------------------------------------------------------------------

    def context(self, relpath: str) -> FileContext | None:
        """The parsed file (None when unreadable, too large or not Python), kept in a small LRU."""
        if relpath in self._parsed:
            self._parsed.move_to_end(relpath)
            return self._parsed[relpath]
        ctx = self._parse(relpath)
        self._parsed[relpath] = ctx
        if len(self._parsed) > _MAX_PARSED:
            self._parsed.popitem(last=False)
        return ctx

    def _parse(self, relpath: str) -> FileContext | None:
        from reviewlab.engine.languages import parser_for

        source = self._read(relpath)
        if source is None:
            return None
        tree = parser_for("python").parse(source)
        return FileContext(relpath, "python", source, tree, {})

    def _read(self, relpath: str) -> bytes | None:
        if not relpath.endswith(".py") or not self._is_file(relpath):
            return None
        try:
            with open(self.root / relpath, "rb") as handle:
                source = handle.read(self.max_file_size + 1)
        except OSError:
            return None
        return source if len(source) <= self.max_file_size and b"\0" not in source[:8192] else None

    # -- cache dependencies --------------------------------------------------------------------

    def imported_files(self, relpath: str, source: bytes | None = None) -> list[str]:
        """The project files ``relpath`` imports directly (modules, and ``from pkg import module``);
        read from disk (once per review) unless ``source`` is given."""
        if source is None and relpath in self._imports:
            return self._imports[relpath]
        content = source if source is not None else self._read(relpath)
        found: list[str] = []
        for module, level in _imported_modules(content or b""):
            resolved = self.module_file(relpath, module, level)
            if resolved is not None and resolved != relpath and resolved not in found:
                found.append(resolved)
        if source is None:
            self._imports[relpath] = found
        return found

    def closure(self, relpath: str, source: bytes | None = None) -> set[str]:
        """The project modules ``relpath`` imports, followed transitively (at most ``_MAX_DEPENDENCIES``)."""
        seen: set[str] = set()
        queue = deque(self.imported_files(relpath, source))
        while queue and len(seen) < _MAX_DEPENDENCIES:
            current = queue.popleft()
            if current in seen or current == relpath:
                continue
            seen.add(current)
            queue.extend(self.imported_files(current))
        return seen

    def mentions_source(self, relpath: str) -> bool:
        """Whether the module's text mentions something a taint source is made of (cached per module)."""
        if relpath not in self._mentions:
            from reviewlab.engine.taint.spec import mentions_source

            self._mentions[relpath] = mentions_source(self._read(relpath) or b"")
        return self._mentions[relpath]

    def dependency_digest(self, relpath: str, source: bytes) -> str:
        """A digest of the content of every project module ``source`` imports, followed transitively."""
        seen = self.closure(relpath, source)
        if not seen:
            return ""
        material = "\x1f".join(f"{dep}={self._digest(dep)}" for dep in sorted(seen))
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def _digest(self, relpath: str) -> str | None:
        if relpath not in self._digests:
            content = self._read(relpath)
            self._digests[relpath] = hashlib.sha256(content).hexdigest() if content is not None else None
        return self._digests[relpath]


def _imported_modules(source: bytes) -> Iterator[tuple[str, int]]:
    """``(module, level)`` for every import statement, with ``from pkg import name`` also as ``pkg.name``."""
    if b"import" not in source:
        return
    for match in _IMPORT.finditer(source):
        plain = match.group("plain")
        if plain is not None:
            for part in plain.decode("utf-8", "replace").split(","):
                names = _NAME.findall(part.split(" as ")[0])
                if names:
                    yield names[0], 0
            continue
        level = len(match.group("dots") or b"")
        module = (match.group("module") or b"").decode("utf-8", "replace")
        yield module, level
        for part in (match.group("names") or b"").decode("utf-8", "replace").strip("()").split(","):
            names = _NAME.findall(part.split(" as ")[0])
            if names and names[0] != "*":
                yield f"{module}.{names[0]}" if module else names[0], level


def current_project() -> Project | None:
    """The project of the review running in this context, if any."""
    return _CURRENT.get()


def set_project(project: Project | None) -> None:
    """Make ``project`` current for the rest of this context (a worker process's initializer uses this)."""
    _CURRENT.set(project)


@contextlib.contextmanager
def using_project(project: Project | None) -> Iterator[None]:
    """Make ``project`` current inside the block."""
    token = _CURRENT.set(project)
    try:
        yield
    finally:
        _CURRENT.reset(token)
