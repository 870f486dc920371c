"""Supported languages: how a file's language is detected and which tree-sitter grammar parses it.

Grammars come from the official per-language wheels (``tree-sitter-python`` and friends), which
ship compiled parsers; nothing is downloaded at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tree_sitter


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """One language reviewlab parses."""

    name: str
    extensions: tuple[str, ...]
    interpreters: tuple[str, ...]
    comment_prefix: str
    loader: Callable[[], Any]


def _python() -> Any:
    import tree_sitter_python

    return tree_sitter_python.language()


def _javascript() -> Any:
    import tree_sitter_javascript

    return tree_sitter_javascript.language()


def _typescript() -> Any:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_typescript()


def _tsx() -> Any:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_tsx()


def _java() -> Any:
    import tree_sitter_java

    return tree_sitter_java.language()


def _go() -> Any:
    import tree_sitter_go

    return tree_sitter_go.language()


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", (".py", ".pyw", ".pyi"), ("python", "python2", "python3"), "#", _python),
        LanguageSpec("javascript", (".js", ".mjs", ".cjs", ".jsx"), ("node", "nodejs"), "//", _javascript),
        LanguageSpec("typescript", (".ts", ".mts", ".cts"), ("ts-node", "deno", "bun"), "//", _typescript),
        LanguageSpec("tsx", (".tsx",), (), "//", _tsx),
        LanguageSpec("java", (".java",), (), "//", _java),
        LanguageSpec("go", (".go",), (), "//", _go),
    )
}

# Rule packs target language families: a JavaScript rule also runs on TypeScript and TSX.
FAMILY: dict[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "javascript",
    "tsx": "javascript",
    "java": "java",
    "go": "go",
}

_BY_EXTENSION = {ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions}
_SHEBANG = re.compile(rb"^#!\s*(?:/usr/bin/env\s+(?:-S\s+)?)?(?:\S*/)?([A-Za-z0-9_.+-]+)")
_BY_INTERPRETER = {interp: spec.name for spec in LANGUAGES.values() for interp in spec.interpreters}


def language_for_path(name: str) -> str | None:
    """The language of a file judged by its name alone, or None."""
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return _BY_EXTENSION.get(name[dot:].lower())


def language_for_shebang(head: bytes) -> str | None:
    """The language named by a ``#!`` line at the start of ``head``, or None."""
    match = _SHEBANG.match(head)
    if match is None:
        return None
    interpreter = match.group(1).decode("ascii", "replace")
    interpreter = re.sub(r"[0-9.]+$", "", interpreter) or interpreter
    return _BY_INTERPRETER.get(interpreter) or _BY_INTERPRETER.get(match.group(1).decode("ascii", "replace"))


@cache
def ts_language(name: str) -> tree_sitter.Language:
    """The tree-sitter language object for ``name``, loaded once per process."""
    import tree_sitter

    return tree_sitter.Language(LANGUAGES[name].loader())


def parser_for(name: str) -> tree_sitter.Parser:
    import tree_sitter

    return tree_sitter.Parser(ts_language(name))
