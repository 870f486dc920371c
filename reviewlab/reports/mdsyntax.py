"""Markdown escaping: plain text, table cells, code spans, fenced blocks and link targets."""

from __future__ import annotations

import re
from urllib.parse import quote

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")
_BACKTICKS = re.compile(r"`+")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def _one_line(text: str) -> str:
    return _NEWLINES.sub(" ", text).strip()


def escape_text(text: str) -> str:
    """Text shown literally on one line: every Markdown and HTML special character backslash-escaped."""
    return _BLOCK_START.sub(_escape_block_start, _SPECIAL.sub(r"\\\1", _one_line(text)))


def _escape_block_start(match: re.Match[str]) -> str:
    """Keep a leading ``1.``, ``-``, ``+`` or ``=`` from starting a list or a heading."""
    if match.group(1):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"\\{match.group(3)}"


def _longest_backtick_run(text: str) -> int:
    return max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)


def code_span(text: str, *, in_table: bool = False) -> str:
    """``text`` as an inline code span, whatever backticks it holds; pipes escaped inside tables."""
    text = _one_line(text)
    fence = "`" * (_longest_backtick_run(text) + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip()):
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def code_block(code: str, language: str = "") -> str:
    """``code`` as a fenced block longer than any backtick run inside it."""
    fence = "`" * max(3, _longest_backtick_run(code) + 1)
    return f"{fence}{language}\n{code.rstrip(chr(10))}\n{fence}"


def link_target(path: str, fragment: str = "") -> str:
    """A relative link destination for a POSIX path, percent-encoded so spaces and parentheses are safe."""
    target = quote(path, safe="/")
    return f"{target}#{fragment}" if fragment else target
