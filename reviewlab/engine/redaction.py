"""Redaction: no finding leaves the analyzer holding a secret of its file.

The secrets are the ranges text-scanning rules reported as ``secret`` plus everything the secrets
detector finds in the file (known token formats and non-placeholder values of secret-like keys),
whether or not the secret rules are enabled. A finding's snippet is cut from the line with each
secret replaced by its redacted form (``ghp_…(40 chars)``) before it is stripped or truncated;
its message, fix description and flow messages have every secret's text replaced; a fix whose
replacement text holds a secret is dropped. Findings are redacted before they are cached,
stored or rendered, so every report format, the cache and the store only ever see the redacted form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reviewlab.engine.rules.base import TextContext, TextHit
from reviewlab.engine.secrets import FileSecrets
from reviewlab.engine.secrets.base import ELLIPSIS, redacted

# Pieces of a multi-line secret (a private key's body lines) shorter than this are not searched for in messages.
_MIN_FRAGMENT = 8


@dataclass(frozen=True, slots=True)
class _Range:
    start: int
    end: int
    shown: int


class Redactor:
    """Hides one file's secrets in the text of its findings; finds them on first use."""

    __slots__ = ("_ctx", "_hits", "_ranges", "_texts")

    def __init__(self, ctx: TextContext, secret_hits: Iterable[TextHit]) -> None:
        self._ctx = ctx
        self._hits = [_Range(h.start, h.end, h.shown) for h in secret_hits]
        self._ranges: list[_Range] | None = None
        self._texts: list[tuple[str, str]] | None = None

    def ranges(self) -> list[_Range]:
        """Every secret of the file by position, overlapping ones merged."""
        if self._ranges is None:
            found = self._hits + [_Range(s.start, s.end, s.shown) for s in FileSecrets.of(self._ctx).all()]
            merged: list[_Range] = []
            for item in sorted(found, key=lambda r: (r.start, -r.end)):
                if merged and item.start < merged[-1].end:
                    last = merged[-1]
                    merged[-1] = _Range(last.start, max(last.end, item.end), last.shown)
                else:
                    merged.append(item)
            self._ranges = merged
        return self._ranges

    def line(self, row: int) -> str:
        """Line ``row`` of the file, decoded, with the part of every secret on it redacted."""
        ctx = self._ctx
        starts = ctx.line_starts()
        if row >= len(starts):
            return ""
        raw = ctx.line_bytes(row)
        begin, finish = starts[row], starts[row] + len(raw)
        pieces: list[str] = []
        cursor = begin
        for item in self.ranges():
            if item.end <= begin or item.start >= finish:
                continue
            low, high = max(item.start, begin), min(item.end, finish)
            pieces.append(ctx.source[cursor:low].decode("utf-8", "replace"))
            starts_here = item.start >= begin
            pieces.append(redacted(ctx.source, item.start, item.end, item.shown) if starts_here else ELLIPSIS)
            cursor = high
        pieces.append(ctx.source[cursor:finish].decode("utf-8", "replace"))
        return "".join(pieces)

    def text(self, value: str) -> str:
        """``value`` with the text of every secret of the file replaced by its redacted form."""
        for secret, replacement in self._secret_texts():
            if secret in value:
                value = value.replace(secret, replacement)
        return value

    def touches(self, value: str) -> bool:
        """Whether ``value`` holds the text of a secret of the file."""
        return any(secret in value for secret, _ in self._secret_texts())

    def _secret_texts(self) -> list[tuple[str, str]]:
        if self._texts is None:
            source = self._ctx.source
            texts: dict[str, str] = {}
            for item in self.ranges():
                whole = source[item.start : item.end].decode("utf-8", "replace")
                texts[whole] = redacted(source, item.start, item.end, item.shown)
                for piece in whole.splitlines():
                    fragment = piece.strip()
                    if len(fragment) >= _MIN_FRAGMENT and fragment not in texts:
                        texts[fragment] = ELLIPSIS
            self._texts = sorted(texts.items(), key=lambda pair: -len(pair[0]))
        return self._texts
