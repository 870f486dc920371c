"""The rule pack version: what cached results are keyed on.

It changes whenever anything that decides a file's findings changes — any rule, taint or secrets
module, the analyzer and its redaction, the finding model, the language table, reviewlab's version
or a grammar wheel's version — and it is computed from the files themselves, so a warm review need
not import the rules or tree-sitter.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from reviewlab import __version__

_ENGINE = Path(__file__).resolve().parent
_SOURCES = (
    "analyzer.py",
    "clones.py",
    "facts.py",
    "fixes.py",
    "languages.py",
    "model.py",
    "project.py",
    "redaction.py",
)
_PACKAGES = ("rules", "taint", "secrets", "metrics", "architecture")
_DISTRIBUTIONS = (
    "tree-sitter",
    "tree-sitter-python",
    "tree-sitter-javascript",
    "tree-sitter-typescript",
    "tree-sitter-java",
    "tree-sitter-go",
)


def hashed_sources() -> list[Path]:
    """The engine sources the version is computed over: the rule and taint modules, then ``_SOURCES``."""
    paths = [path for package in _PACKAGES for path in sorted((_ENGINE / package).glob("*.py"))]
    return paths + [_ENGINE / name for name in _SOURCES]


@cache
def rule_pack_version() -> str:
    """``<reviewlab version>+<12 hex digits>`` over the rule and taint sources, analyzer and grammar versions."""
    digest = hashlib.sha256(__version__.encode())
    for path in hashed_sources():
        digest.update(path.relative_to(_ENGINE).as_posix().encode() + b"\0" + path.read_bytes())
    for distribution in _DISTRIBUTIONS:
        try:
            digest.update(f"{distribution}=={version(distribution)}".encode())
        except PackageNotFoundError:
            digest.update(f"{distribution}==missing".encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"
