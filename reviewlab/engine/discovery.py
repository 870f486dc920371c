"""Find the files to review: walk a tree honouring .gitignore and built-in excludes, detect languages.

Discovery never follows symbolic links and never reads file contents except the first bytes of
extensionless files (for a ``#!`` line). What it passes over for a reason the user should know —
a symlink, a FIFO, an unreadable directory — becomes a ``Diagnostic``; files of languages we do
not review are passed over silently. With ``text_files`` it also yields, as language ``"text"``,
the text files that hold secrets though no language pack parses them (config files, ``.env``,
key files, Dockerfiles, shell scripts, docs), for the rules that scan text; dependency lock files
are not among them.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.languages import language_for_path, language_for_shebang
from reviewlab.engine.model import PLAIN_TEXT, Diagnostic, DiagnosticKind
from reviewlab.engine.secrets.paths import is_text_file
from reviewlab.errors import InputError, PathNotFoundError

# Directories that hold third-party, generated or tool state rather than the project's own code.
BUILTIN_EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        "third-party",
        ".venv",
        "venv",
        "site-packages",
        "__pycache__",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".next",
        ".nuxt",
        "build",
        "dist",
        "target",
        "coverage",
    }
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to review: where it is, its path relative to the review root, its language and size."""

    path: Path
    relpath: str
    language: str
    size: int


@dataclass(frozen=True, slots=True)
class _IgnoreScope:
    base: str  # relative posix dir of the .gitignore, "" for the root
    spec: pathspec.GitIgnoreSpec

    def ignores(self, relpath: str, is_dir: bool) -> bool:
        rel = relpath[len(self.base) + 1 :] if self.base else relpath
        return self.spec.match_file(rel + "/" if is_dir else rel)


def _load_gitignore(directory: Path, base: str, diagnostics: list[Diagnostic]) -> _IgnoreScope | None:
    path = directory / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError as err:
        diagnostics.append(Diagnostic(DiagnosticKind.UNREADABLE, _join(base, ".gitignore"), f"cannot read: {err}"))
        return None
    return _IgnoreScope(base, pathspec.GitIgnoreSpec.from_lines(lines))


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _name_language(name: str, text_files: bool) -> str | None:
    """The language judged by the name alone: a language pack's, ``"text"`` for a text file, or None."""
    language = language_for_path(name)
    if language is None and text_files and is_text_file(name):
        return PLAIN_TEXT
    return language


def _detect(entry_path: str, name: str, text_files: bool) -> str | None:
    language = _name_language(name, text_files)
    if language is not None or "." in name.lstrip("."):
        return language
    try:
        with open(entry_path, "rb") as handle:
            head = handle.read(128)
    except OSError:
        return None
    language = language_for_shebang(head)
    if language is None and text_files and head.startswith(b"#!"):
        return PLAIN_TEXT  # a shell or other script
    return language


def discover(
    root: Path, config: ReviewConfig, diagnostics: list[Diagnostic], *, text_files: bool = False
) -> Iterator[SourceFile]:
    """Yield the reviewable files under ``root`` (or ``root`` itself if it is a file), in a stable order.

    ``text_files`` adds the text files no language pack parses, as language ``"text"``.
    """
    try:
        root_stat = root.stat()
    except FileNotFoundError as err:
        raise PathNotFoundError(f"path does not exist: {root}") from err
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise InputError(f"path is a symlink loop: {root}") from err
        raise InputError(f"cannot access {root}: {err.strerror}") from err

    if stat.S_ISREG(root_stat.st_mode):
        language = _detect(str(root), root.name, text_files)
        if language is None:
            raise InputError(f"not a file of a supported language: {root}")
        yield SourceFile(root, root.name, language, root_stat.st_size)
        return
    if not stat.S_ISDIR(root_stat.st_mode):
        raise InputError(f"not a regular file or directory: {root}")

    extra = _IgnoreScope("", pathspec.GitIgnoreSpec.from_lines(config.exclude)) if config.exclude else None
    found = _walk(root, "", [s for s in (extra,) if s is not None], diagnostics, text_files)
    if config.include:
        wanted = pathspec.GitIgnoreSpec.from_lines(config.include)
        found = (f for f in found if wanted.match_file(f.relpath))
    yield from found


def _walk(
    root: Path, base: str, scopes: list[_IgnoreScope], diagnostics: list[Diagnostic], text_files: bool
) -> Iterator[SourceFile]:
    # An explicit stack, not recursion: a hostile tree may nest deeper than Python's recursion limit.
    stack: list[tuple[Path, str, list[_IgnoreScope]]] = [(root, base, scopes)]
    while stack:
        directory, base, scopes = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as err:
            diagnostics.append(
                Diagnostic(DiagnosticKind.UNREADABLE, base or ".", f"cannot list directory: {err.strerror}")
            )
            continue
        if any(entry.name == ".gitignore" for entry in entries):
            own = _load_gitignore(directory, base, diagnostics)
            if own is not None:
                scopes = [*scopes, own]
        subdirs: list[tuple[Path, str, list[_IgnoreScope]]] = []
        for entry in entries:
            relpath = _join(base, entry.name)
            found = _classify(entry, relpath, scopes, diagnostics, text_files)
            if isinstance(found, SourceFile):
                yield found
            elif found:
                subdirs.append((Path(entry.path), relpath, scopes))
        stack.extend(reversed(subdirs))


def _classify(
    entry: os.DirEntry[str], relpath: str, scopes: list[_IgnoreScope], diagnostics: list[Diagnostic], text_files: bool
) -> SourceFile | bool:
    """A file to review, True for a directory to descend into, False for anything passed over."""
    try:
        is_symlink = entry.is_symlink()
        is_dir = not is_symlink and entry.is_dir(follow_symlinks=False)
    except OSError as err:
        diagnostics.append(Diagnostic(DiagnosticKind.UNREADABLE, relpath, f"cannot stat: {err.strerror}"))
        return False
    if is_dir and entry.name in BUILTIN_EXCLUDED_DIRS:
        return False
    if any(scope.ignores(relpath, is_dir) for scope in scopes):
        return False
    if is_dir:
        return True
    if is_symlink:
        diagnostic = _symlink_diagnostic(entry.path, relpath, _name_language(entry.name, text_files))
        if diagnostic is not None:
            diagnostics.append(diagnostic)
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError as err:
        diagnostics.append(Diagnostic(DiagnosticKind.UNREADABLE, relpath, f"cannot stat: {err.strerror}"))
        return False
    if not stat.S_ISREG(info.st_mode):
        # Never open a FIFO or device: reading one can block forever.
        if _name_language(entry.name, text_files) is not None:
            diagnostics.append(
                Diagnostic(DiagnosticKind.SKIPPED_SPECIAL, relpath, "not a regular file (FIFO, socket or device)")
            )
        return False
    language = _detect(entry.path, entry.name, text_files)
    if language is None:
        return False
    return SourceFile(Path(entry.path), relpath, language, info.st_size)


def _symlink_diagnostic(path: str, relpath: str, language: str | None) -> Diagnostic | None:
    """Why a symlink is not followed, or None for a link to a file we would not review anyway."""
    try:
        target = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return Diagnostic(DiagnosticKind.SYMLINK_LOOP, relpath, "symbolic link loop; not followed")
        if language is None:
            return None
        return Diagnostic(DiagnosticKind.SKIPPED_SYMLINK, relpath, f"broken symbolic link ({err.strerror}); skipped")
    if stat.S_ISDIR(target.st_mode):
        return Diagnostic(DiagnosticKind.SKIPPED_SYMLINK, relpath, "symbolic link to a directory; not followed")
    if language is None:
        return None
    return Diagnostic(DiagnosticKind.SKIPPED_SYMLINK, relpath, "symbolic link; not followed")
