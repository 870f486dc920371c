"""Phase 2, step 1: which of the project's own modules each import names.

Nodes are files, except in Go where a package (a directory) is the unit of import. Per language:

- Python: a file's dotted name comes from its path, from the highest directory of its chain of
  ``__init__.py`` packages (``src/pkg/a.py`` with ``src/pkg/__init__.py`` is ``pkg.a``, whatever
  directory the project is reviewed from; when the reviewed root is itself a package, its directory
  name leads). Directories above that chain are also tried as namespace packages (``app.api.x`` for
  ``app/api/x.py`` without ``__init__.py`` files). ``import a.b.c`` names the longest prefix that is a
  project module; ``from m import n`` names ``m.n`` when that is a module, else ``m``; relative
  imports count from the importing file's package. A lone module outside any package
  (``scripts/helpers.py``) is importable as ``helpers`` only from its own directory, like a script's
  neighbour (a ``src/`` directory excepted). When several files have one name, the one nearest the
  importer wins.
- JavaScript/TypeScript: relative specifiers, with the extension and ``/index`` resolution of
  bundlers and TypeScript (``./a.js`` also finds ``a.ts``). Bare specifiers are outside packages.
- Java: a file declares ``package.FileName``; ``import a.b.C`` (or ``a.b.C.Inner``, or a static
  import of a member) names that file, ``import a.b.*`` every file of package ``a.b``.
- Go: a directory's import path is the ``module`` path of the nearest ``go.mod`` (from ``root``,
  nested modules included) joined with the directory below it; without a ``go.mod`` no Go import
  resolves. The external test package of a directory (``package x_test`` in ``_test.go`` files) is a
  node of its own, ``dir/_test``: it may import what imports the package under test.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reviewlab.engine.architecture.inputs import FileFacts, ImportFact

_PY_SUFFIXES = (".pyi", ".pyw", ".py")
_SCRIPT_SUFFIXES = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_MAX_GO_MOD = 64 * 1024
_TEST_NODE = "_test"  # the node of a directory's external test package: Go ignores directories named ``_*``


@dataclass(frozen=True, slots=True)
class Target:
    """A project module an import names; ``exact`` when the import names that very module (not a prefix
    of a longer name, not the module an imported attribute comes from), so that a module importing
    itself is a real self-import and not a fallback that landed on it."""

    node: str
    exact: bool


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an import names: project modules, or an outside package, or (neither) nothing it can find."""

    targets: tuple[Target, ...] = ()
    external: str | None = None


_NOTHING = Resolution()


class Index(Protocol):
    """Where resolvers keep what names which file: a multimap of strings, in memory (``MemoryIndex``) or, for a
    large review, in its spool (``architecture.spooled``). Values come back in the order they were added."""

    def add(self, kind: str, key: str, value: str) -> None: ...

    def values(self, kind: str, key: str) -> list[str]: ...


class MemoryIndex:
    """An :class:`Index` held in dictionaries."""

    def __init__(self) -> None:
        self._kinds: dict[str, dict[str, list[str]]] = defaultdict(dict)

    def add(self, kind: str, key: str, value: str) -> None:
        self._kinds[kind].setdefault(key, []).append(value)

    def values(self, kind: str, key: str) -> list[str]:
        return self._kinds[kind].get(key, [])


class Resolver(Protocol):
    def node(self, file: FileFacts) -> str:
        """The id of the graph node the file belongs to."""
        ...

    def name(self, file: FileFacts) -> str:
        """The node's name as the language spells it (dotted module, class, import path)."""
        ...

    def resolve(self, file: FileFacts, fact: ImportFact) -> Resolution: ...


def _directory(relpath: str) -> str:
    return relpath.rpartition("/")[0]


# -- Python ------------------------------------------------------------------------------------------


def _python_parts(relpath: str) -> tuple[list[str], str]:
    """The directories of a Python file and its module stem (``__init__`` for a package)."""
    directory, _, filename = relpath.rpartition("/")
    stem = next((filename[: -len(s)] for s in _PY_SUFFIXES if filename.endswith(s)), filename)
    return (directory.split("/") if directory else []), stem


def _package_root_name(root: Path | None) -> str:
    """The name of the reviewed directory, which leads module names when it is itself a package."""
    try:
        name = root.absolute().name if root is not None else ""
    except OSError:  # a relative root and a working directory that no longer exists
        return ""
    return name if name.isidentifier() else ""


class PythonResolver:
    """Dotted module names for the project's Python files, and imports resolved against them.

    ``files`` is read twice (the packages first, then every file's names); the names are kept in ``index``."""

    def __init__(self, files: Iterable[FileFacts], root: Path | None, index: Index | None = None) -> None:
        self._inits = {_directory(f.relpath) for f in files if _python_parts(f.relpath)[1] == "__init__"}
        self._root_name = _package_root_name(root)
        # dotted name -> relpath and scope (the directory whose files can import it by that name, "" for all):
        # "primary" names from the package chain, "alias" names through the directories above it
        self._index = index if index is not None else MemoryIndex()
        for file in files:
            self._add(file.relpath)

    def _parts(self, relpath: str) -> tuple[list[str], int, list[str], str]:
        """The file's dotted name, how many of its directories lie above its package chain, the directories
        and the stem."""
        dirs, stem = _python_parts(relpath)
        top = len(dirs)
        while top > 0 and "/".join(dirs[:top]) in self._inits:
            top -= 1
        lead = [self._root_name] if top == 0 and "" in self._inits and self._root_name else []
        return lead + dirs[top:] + ([] if stem == "__init__" else [stem]), top, dirs, stem

    def _package(self, relpath: str) -> list[str]:
        """The package relative imports in the file count from."""
        parts, _, _, stem = self._parts(relpath)
        return parts if stem == "__init__" else parts[:-1]

    def _add(self, relpath: str) -> None:
        parts, top, dirs, stem = self._parts(relpath)
        # A lone module outside any package (``scripts/helpers.py``) is found from its own directory, as the
        # script beside it would; it must not capture ``import helpers`` (or ``import json``) elsewhere.
        root = "/".join(dirs[:top])
        lone = len(parts) == 1 and stem != "__init__" and root and dirs[top - 1] != "src"
        self._index.add("py", ".".join(parts), f"{relpath}\0{root if lone else ''}")
        for start in range(top - 1, -1, -1):
            prefix = dirs[start:top]
            if not all(p.isidentifier() for p in prefix):
                break
            self._index.add("py-alias", ".".join(prefix + parts), f"{relpath}\0")

    def node(self, file: FileFacts) -> str:
        return file.relpath

    def name(self, file: FileFacts) -> str:
        return ".".join(self._parts(file.relpath)[0]) or file.relpath

    def _lookup(self, dotted: str, importer: str) -> str | None:
        candidates = [
            relpath
            for relpath, _, scope in (
                entry.partition("\0")
                for entry in self._index.values("py", dotted) or self._index.values("py-alias", dotted)
            )
            if not scope or importer.startswith(scope + "/")
        ]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        here = importer.split("/")[:-1]

        def nearness(relpath: str) -> tuple[int, bool, str]:
            there = relpath.split("/")[:-1]
            shared = next((i for i, (a, b) in enumerate(zip(here, there, strict=False)) if a != b), None)
            common = min(len(here), len(there)) if shared is None else shared
            return (-common, relpath.endswith(".pyi"), relpath)

        return min(candidates, key=nearness)

    def _longest(self, parts: list[str], importer: str) -> Target | None:
        for end in range(len(parts), -1, -1):
            if end == 0 and parts:
                return None
            found = self._lookup(".".join(parts[:end]), importer)
            if found is not None:
                return Target(found, end == len(parts))
        return None

    def resolve(self, file: FileFacts, fact: ImportFact) -> Resolution:
        importer = file.relpath
        spec = fact.spec
        if fact.kind != "from":
            target = self._longest(spec.split("."), importer)
            return Resolution((target,)) if target else Resolution(external=spec.split(".")[0])
        level = len(spec) - len(spec.lstrip("."))
        module = [p for p in spec[level:].split(".") if p]
        if level:
            package = self._package(importer)
            if level - 1 > len(package):
                return _NOTHING
            module = package[: len(package) - (level - 1)] + module
        targets: list[Target] = []
        whole = not fact.names or "*" in fact.names
        for name in fact.names:
            found = self._lookup(".".join([*module, name]), importer) if name != "*" else None
            if found is not None:
                targets.append(Target(found, True))
            else:
                whole = True
        if whole:
            target = self._longest(module, importer)
            if target is not None:
                # Names taken from the module itself: a self-import only if the whole module is the name
                # (``from pkg import a`` in pkg/a.py), not ``from . import VERSION`` in pkg/__init__.py.
                targets.append(Target(target.node, False))
            elif not level and not targets and module:
                return Resolution(external=module[0])
        return Resolution(tuple(targets))


# -- JavaScript / TypeScript -------------------------------------------------------------------------


def _package_name(spec: str) -> str:
    """``react`` for ``react/jsx-runtime``, ``@scope/pkg`` for ``@scope/pkg/sub``."""
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") and len(parts) > 1 else parts[0]


class ScriptResolver:
    """Relative specifiers of JavaScript and TypeScript files, resolved like bundlers and ``tsc`` do."""

    def __init__(self, files: Iterable[FileFacts], index: Index | None = None) -> None:
        self._index = index if index is not None else MemoryIndex()
        for file in files:
            self._index.add("script", file.relpath, "")

    def node(self, file: FileFacts) -> str:
        return file.relpath

    def name(self, file: FileFacts) -> str:
        return file.relpath

    def _candidates(self, base: str) -> Iterable[str]:
        yield base
        yield from (base + suffix for suffix in _SCRIPT_SUFFIXES)
        stem, suffix = posixpath.splitext(base)
        yield from (stem + ts for ts in _JS_TO_TS.get(suffix, ()))
        yield from (f"{base}/index{suffix}" for suffix in _SCRIPT_SUFFIXES)

    def resolve(self, file: FileFacts, fact: ImportFact) -> Resolution:
        spec = fact.spec.split("?", 1)[0]
        if not (spec in {".", ".."} or spec.startswith(("./", "../"))):
            if spec.startswith("/") or not spec.strip():
                return _NOTHING
            return Resolution(external=_package_name(spec))
        base = posixpath.normpath(posixpath.join(_directory(file.relpath), spec))
        if base == ".." or base.startswith("../"):
            return _NOTHING
        base = "" if base == "." else base
        for candidate in self._candidates(base):
            candidate = candidate.removeprefix("/")
            if self._index.values("script", candidate):
                return Resolution((Target(candidate, True),))
        return _NOTHING


# -- Java --------------------------------------------------------------------------------------------


def _java_package(dotted: list[str], wildcard: bool) -> str:
    """The package part of an imported name: the segments before the first capitalised one (all of a
    wildcard import's, else all but the last, when none is)."""
    head = next((i for i, part in enumerate(dotted) if part[:1].isupper()), len(dotted) - (not wildcard))
    return ".".join(dotted[: max(head, 1)])


class JavaResolver:
    """Each Java file as the class ``package.FileName``; imports of classes and packages."""

    def __init__(self, files: Iterable[FileFacts], index: Index | None = None) -> None:
        # class name -> its files (the first one counts), package -> its files
        self._index = index if index is not None else MemoryIndex()
        for file in files:
            self._index.add("java-class", self.name(file), file.relpath)
            self._index.add("java-package", file.package or "", file.relpath)

    def node(self, file: FileFacts) -> str:
        return file.relpath

    def name(self, file: FileFacts) -> str:
        stem = file.relpath.rpartition("/")[2].removesuffix(".java")
        return f"{file.package}.{stem}" if file.package else stem

    def resolve(self, file: FileFacts, fact: ImportFact) -> Resolution:
        wildcard = fact.spec.endswith(".*")
        parts = [p for p in fact.spec.removesuffix(".*").split(".") if p]
        if not parts:
            return _NOTHING
        if fact.kind == "static" and not wildcard:
            parts = parts[:-1]  # the member
        elif wildcard and fact.kind != "static" and (members := self._index.values("java-package", ".".join(parts))):
            return Resolution(tuple(Target(m, True) for m in members if m != file.relpath))
        for end in range(len(parts), 0, -1):
            found = self._index.values("java-class", ".".join(parts[:end]))
            if found:
                return Resolution((Target(found[0], end == len(parts)),))
        return Resolution(external=_java_package(parts, wildcard)) if parts else _NOTHING


# -- Go ----------------------------------------------------------------------------------------------


def _read_module_path(go_mod: Path) -> str | None:
    """The ``module`` directive of a go.mod file; None when missing, unreadable or malformed."""
    try:
        if not go_mod.is_file() or go_mod.is_symlink():
            return None
        with open(go_mod, "rb") as handle:
            content = handle.read(_MAX_GO_MOD).decode("utf-8", "replace")
    except OSError:
        return None
    for line in content.splitlines():
        words = line.split("//", 1)[0].split()
        if len(words) == 2 and words[0] == "module":
            path = words[1].strip('"`')
            return path or None
    return None


def _external_test(file: FileFacts) -> bool:
    """A ``_test.go`` file of an external test package (``package store_test``): a package of its own."""
    return file.relpath.endswith("_test.go") and (file.package or "").endswith("_test")


class GoResolver:
    """Go packages (directories) and their import paths under the project's go.mod files."""

    def __init__(self, files: Iterable[FileFacts], root: Path | None) -> None:
        self._root = root
        self._modules: dict[str, str | None] = {}
        self._paths: dict[str, str] = {}
        self._by_import: dict[str, str] = {}
        for directory in sorted({_directory(f.relpath) for f in files}):
            path = self._import_path(directory)
            if path is not None:
                self._paths[directory] = path
                self._by_import.setdefault(path, directory or ".")

    def _module_at(self, directory: str) -> str | None:
        if directory not in self._modules:
            go_mod = self._root / directory / "go.mod" if self._root is not None else None
            self._modules[directory] = _read_module_path(go_mod) if go_mod is not None else None
        return self._modules[directory]

    def _import_path(self, directory: str) -> str | None:
        parts = directory.split("/") if directory else []
        for end in range(len(parts), -1, -1):
            module = self._module_at("/".join(parts[:end]))
            if module is not None:
                return "/".join([module, *parts[end:]])
        return None

    def node(self, file: FileFacts) -> str:
        directory = _directory(file.relpath)
        if _external_test(file):
            return f"{directory}/{_TEST_NODE}" if directory else _TEST_NODE
        return directory or "."

    def name(self, file: FileFacts) -> str:
        path = self._paths.get(_directory(file.relpath))
        if path is None:
            return self.node(file)
        return f"{path}_test" if _external_test(file) else path

    def resolve(self, file: FileFacts, fact: ImportFact) -> Resolution:
        found = self._by_import.get(fact.spec)
        if found is not None:
            return Resolution((Target(found, True),))
        return Resolution(external=fact.spec)
