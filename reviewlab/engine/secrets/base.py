"""What a detected secret is, how it is shown redacted, and the value tests every detector shares."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret at the bytes ``start:end`` of a file.

    ``shown`` leading bytes are a public format prefix (``ghp_``, ``AKIA``, a PEM header) that
    reports may show; the rest never leaves the engine. ``known_format`` says a token format
    identified it; otherwise it is a value assigned to ``key``. ``random`` says whether its entropy
    and character mix say it was generated rather than chosen (a token format implies it; a
    password in a URL or a config value has to show it).
    """

    kind: str
    start: int
    end: int
    shown: int = 0
    known_format: bool = True
    random: bool = True
    key: str = ""

    def redacted(self, source: bytes) -> str:
        """``ghp_…(40 chars)``: the public prefix, an ellipsis and the secret's length."""
        return redacted(source, self.start, self.end, self.shown)

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


def redacted(source: bytes, start: int, end: int, shown: int) -> str:
    """How the secret at ``source[start:end]`` is shown: its first ``shown`` bytes, an ellipsis and its length."""
    value = source[start:end].decode("utf-8", "replace")
    prefix = source[start : start + min(shown, end - start)].decode("utf-8", "replace")
    return f"{prefix}{ELLIPSIS}({len(value)} chars)"


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution."""
    if not value:
        return 0.0
    total = len(value)
    return -sum(count / total * math.log2(count / total) for count in Counter(value).values())


# Substrings that mark a value as documentation or a stand-in, in any detector.
_PLACEHOLDER_WORDS = re.compile(
    r"(?i)example|sample|dummy|placeholder|change[-_.]?me|changeit|replace[-_.]?me|your[-_.]|"
    r"redacted|xxxx|\*\*\*|fake|mock|todo|fixme|insert[-_.]|\.\.\.|test"
)


def is_placeholder(value: str) -> bool:
    """Documentation stand-ins: ``changeme``, ``xxxx``, ``your-api-key``, ``EXAMPLE``, one repeated character."""
    if len(set(value)) <= 2:
        return True
    return _PLACEHOLDER_WORDS.search(value) is not None


def is_sequential(value: str) -> bool:
    """Runs such as ``abcdef123456``: more than half of the neighbouring characters are consecutive."""
    if len(value) < 4:
        return False
    steps = sum(1 for a, b in pairwise(value) if ord(b) - ord(a) in (1, -1))
    return steps * 2 > len(value) - 1
