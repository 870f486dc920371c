"""The rule pack version: what cached results are keyed on.

It changes whenever anything that decides a file's findings changes — any rule module, the
analyzer, the language table, reviewlab's version or a grammar wheel's version — and it is
computed from the files themselves, so a warm review need not import the rules or tree-sitter.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from reviewlab import __version__

_ENGINE = Path(__file__).resolve().parent
_SOURCES = ("analyzer.py", "languages.py", "model.py")
_DISTRIBUTIONS = (
    "tree-sitter",
    "tree-sitter-python",
    "tree-sitter-javascript",
    "tree-sitter-typescript",
    "tree-sitter-java",
    "tree-sitter-go",
)


@cache
def rule_pack_version() -> str:
    """``<reviewlab version>+<12 hex digits>`` over the rule sources, analyzer and grammar versions."""
    digest = hashlib.sha256(__version__.encode())
    paths = sorted((_ENGINE / "rules").glob("*.py")) + [_ENGINE / name for name in _SOURCES]
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for distribution in _DISTRIBUTIONS:
        try:
            digest.update(f"{distribution}=={version(distribution)}".encode())
        except PackageNotFoundError:
            digest.update(f"{distribution}==missing".encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"
