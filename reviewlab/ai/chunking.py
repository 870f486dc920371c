"""Chunking: fit a review's files into the model's context, highest risk first, and say what was left out.

The budget of one chunk is what the context holds besides the prompt and the answer
(``context_budget``); tokens are counted on the text exactly as it is sent (numbered lines, see
``render``) with a token counter (``estimate_tokens`` unless the provider's tokenizer is known). The order
is the risk order of the issue: files with static security findings first (the highest severity, then
the most findings, first), then the files and hunks a change touches, then the rest. A file too large for
one chunk is split where a function or class starts (tree-sitter for the languages the engine parses, a
blank line before an unindented line otherwise), else into windows of lines overlapping a little. Line
numbers stay the file's. A review's total budget (chunks, tokens) is filled in that order; every file,
part or hunk not sent is listed with the reason (``NotSent``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reviewlab.ai.base import estimate_tokens
from reviewlab.engine.languages import LANGUAGES, parser_for
from reviewlab.engine.model import Category, Finding

TokenCounter = Callable[[str], int]

# Node types that start a unit worth keeping whole: functions, methods, classes and their kin.
_DEFINITION = re.compile(r"function|method|class|interface|struct|impl|enum|definition|constructor|type_declaration")
_MAX_DEPTH = 6


class ChunkKind(StrEnum):
    FILE = "file"  # a whole file
    PART = "part"  # a part of a file too large for one chunk
    HUNK = "hunk"  # the lines a change adds or modifies, with context around them


class NotSentReason(StrEnum):
    OVER_BUDGET = "over-budget"  # the review's chunk or token budget was spent on higher-risk code
    TOO_LARGE = "too-large"  # larger than the configured file size, or a line longer than a whole chunk
    BINARY = "binary"  # not UTF-8 text
    EXCLUDED = "excluded"  # excluded by configuration, not code, or not part of the reviewed change
    EMPTY = "empty"  # nothing to review
    UNREADABLE = "unreadable"  # could not be read
    UNAVAILABLE = "unavailable"  # no provider answered before this chunk's turn


@dataclass(frozen=True, slots=True)
class NotSent:
    """A file, or lines of one, that the model did not see, and why."""

    path: str
    reason: NotSentReason
    detail: str
    start_line: int | None = None
    end_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "reason": self.reason.value,
            "detail": self.detail,
            "start_line": self.start_line,
            "end_line": self.end_line,
        }


@dataclass(frozen=True, slots=True)
class SourceText:
    """A file as it may be sent (already redacted), with what ranks it: its static security findings and,
    when a change is reviewed, the lines the change adds or modifies (only those hunks are sent)."""

    path: str
    language: str
    text: str
    security: tuple[Finding, ...] = ()
    changed: frozenset[int] | None = None

    @property
    def lines(self) -> list[str]:
        return file_lines(self.text)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Lines ``start_line``-``end_line`` (1-based, inclusive) of a file, as the model sees them."""

    path: str
    language: str
    kind: ChunkKind
    start_line: int
    end_line: int
    lines: tuple[str, ...]  # the text of each line, without line breaks
    width: int  # digits of the file's last line number, so every chunk of a file is numbered alike
    changed: frozenset[int] = frozenset()
    tokens: int = 0

    def line(self, number: int) -> str:
        """The text of file line ``number`` (which must be in the chunk)."""
        return self.lines[number - self.start_line]

    def render(self) -> str:
        """The lines with their numbers, ``  12 | code``; a hunk marks changed lines ``+``."""
        return render(self.lines, self.start_line, self.width, self.changed if self.kind is ChunkKind.HUNK else None)


def file_lines(text: str) -> list[str]:
    """The lines of ``text`` as the engine numbers them: split at ``\\n`` only, without line breaks."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def render(lines: Sequence[str], start_line: int, width: int, changed: Collection[int] | None = None) -> str:
    """Numbered lines as prompts show code; ``changed`` given, each line is prefixed ``+`` or a space."""
    if changed is None:
        return "\n".join(f"{n:>{width}} | {text}" for n, text in enumerate(lines, start_line))
    return "\n".join(f"{'+' if n in changed else ' '}{n:>{width}} | {text}" for n, text in enumerate(lines, start_line))


def context_budget(context_tokens: int, prompt_tokens: int, answer_tokens: int) -> int:
    """Tokens of code one chunk may hold: the context less the prompt around the code and the answer."""
    budget = context_tokens - prompt_tokens - answer_tokens
    if budget <= 0:
        raise ValueError(
            f"a context of {context_tokens} tokens holds no code beside a {prompt_tokens}-token prompt "
            f"and a {answer_tokens}-token answer"
        )
    return budget


@dataclass(slots=True)
class ChunkPlan:
    """The chunks to send, in order, and everything that will not be sent."""

    chunks: list[Chunk]
    not_sent: list[NotSent]

    @property
    def tokens(self) -> int:
        return sum(chunk.tokens for chunk in self.chunks)


def hunk_ranges(changed: Collection[int], line_count: int, context: int) -> list[tuple[int, int]]:
    """The changed lines as ranges with ``context`` lines around each, merged where they touch."""
    ranges: list[tuple[int, int]] = []
    for line in sorted(n for n in changed if 1 <= n <= line_count):
        low, high = max(1, line - context), min(line_count, line + context)
        if ranges and low <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], high))
        else:
            ranges.append((low, high))
    return ranges


def boundaries(text: str, language: str) -> dict[int, int]:
    """Lines where a split keeps code whole, with a weight: 1 a top-level definition (function, class) starts,
    2 a nested one (a method), 3 a top-level statement, 4 a nested statement. The line a preceding comment or
    decorator starts on stands for its definition."""
    lines = file_lines(text)
    found: dict[int, int] = {}
    if language in LANGUAGES:
        tree = parser_for(language).parse(text.encode("utf-8", "surrogatepass"))
        stack = [(child, 1) for child in tree.root_node.named_children]
        while stack:
            node, depth = stack.pop()
            row = node.start_point.row
            line = lines[row] if row < len(lines) else ""
            if node.start_point.column == len(line) - len(line.lstrip()):
                definition = _DEFINITION.search(node.type) is not None
                weight = (1 if definition else 3) + (depth > 1)
                if depth <= 4 or definition:
                    found[row + 1] = min(weight, found.get(row + 1, weight))
            if depth < _MAX_DEPTH:
                stack.extend((child, depth + 1) for child in node.named_children)
        prefix = LANGUAGES[language].comment_prefix
        for line_number in sorted(found):
            start = line_number
            while start > 1 and lines[start - 2].lstrip().startswith((prefix, "@", "/*", "*")):
                start -= 1
            if start != line_number:
                found[start] = min(found.pop(line_number), found.get(start, 4))
    else:
        for row in range(1, len(lines)):
            if not lines[row - 1].strip() and lines[row].strip():
                found[row + 1] = 1 if lines[row] == lines[row].lstrip() else 3
    return found


def split(
    source: SourceText,
    first: int,
    last: int,
    limit: int,
    count_tokens: TokenCounter = estimate_tokens,
    *,
    overlap: int = 3,
    kind: ChunkKind = ChunkKind.FILE,
) -> tuple[list[Chunk], list[NotSent]]:
    """Lines ``first``-``last`` of ``source`` as chunks of at most ``limit`` tokens each (parts of a file are
    ``ChunkKind.PART`` chunks; the pieces of a hunk stay hunks)."""
    lines = source.lines
    width = len(str(max(1, len(lines))))
    changed = source.changed or frozenset()
    marked = kind is ChunkKind.HUNK

    def rendered(low: int, high: int) -> str:
        return render(lines[low - 1 : high], low, width, changed if marked else None)

    def make(low: int, high: int, tokens: int, shape: ChunkKind) -> Chunk:
        mine = frozenset(n for n in changed if low <= n <= high)
        return Chunk(source.path, source.language, shape, low, high, tuple(lines[low - 1 : high]), width, mine, tokens)

    whole = count_tokens(rendered(first, last))
    if whole <= limit:
        return [make(first, last, whole, kind)], []
    piece_kind = ChunkKind.PART if kind is ChunkKind.FILE else kind
    cost = {n: count_tokens(rendered(n, n) + "\n") for n in range(first, last + 1)}
    cuts = boundaries(source.text, source.language)
    chunks: list[Chunk] = []
    skipped: list[NotSent] = []
    start = first
    while start <= last:
        total, end = 0, start - 1
        while end < last and total + cost[end + 1] <= limit:
            end += 1
            total += cost[end]
        if end < start:  # one line longer than a whole chunk (minified code): it cannot be sent
            if skipped and skipped[-1].end_line == start - 1:
                skipped[-1] = NotSent(
                    source.path, NotSentReason.TOO_LARGE, skipped[-1].detail, skipped[-1].start_line, start
                )
            else:
                detail = f"a line longer than the {limit} tokens one chunk holds"
                skipped.append(NotSent(source.path, NotSentReason.TOO_LARGE, detail, start, start))
            start += 1
            continue
        following = end + 1
        if end < last:
            following = _cut(cuts, start, end) or following
        high = following - 1
        tokens = count_tokens(rendered(start, high))
        while tokens > limit and high > start:  # a tokenizer that is not additive over lines
            high -= 1
            tokens = count_tokens(rendered(start, high))
        chunks.append(make(start, high, tokens, piece_kind))
        if high >= last:
            break
        structural = following == high + 1 and following in cuts
        start = high + 1 if structural or high - start < 2 * overlap else high + 1 - overlap
    return chunks, skipped


def _cut(cuts: dict[int, int], start: int, end: int) -> int | None:
    """The line to start the next chunk at: the strongest boundary in the second half of the window, else the
    strongest anywhere in it, the furthest among equals; None when there is none."""
    inside = [(weight, line) for line, weight in cuts.items() if start < line <= end + 1]
    if not inside:
        return None
    half = start + (end - start + 1) // 2
    late = [pair for pair in inside if pair[1] > half] or inside
    return min(late, key=lambda pair: (pair[0], -pair[1]))[1]


def _risk(source: SourceText) -> tuple[int, int, int]:
    """Sort key of a file: security findings first (highest severity, most findings), then changed files."""
    security = [f for f in source.security if f.category is Category.SECURITY]
    if security:
        return (0, -max(f.severity.rank for f in security), -len(security))
    if source.changed:
        return (1, 0, 0)
    return (2, 0, 0)


def plan_chunks(
    sources: Iterable[SourceText],
    *,
    limit: int,
    count_tokens: TokenCounter = estimate_tokens,
    max_chunks: int | None = None,
    max_tokens: int | None = None,
    overhead: int = 0,
    hunk_context: int = 5,
    overlap: int = 3,
) -> ChunkPlan:
    """Chunks of at most ``limit`` tokens in risk order, within ``max_chunks`` chunks and ``max_tokens`` tokens
    (each chunk counting its tokens plus ``overhead``, the prompt around it); everything else as ``NotSent``."""
    ranked: list[tuple[tuple[Any, ...], Chunk]] = []
    not_sent: list[NotSent] = []
    for source in sources:
        lines = source.lines
        if not lines or not source.text.strip():
            not_sent.append(NotSent(source.path, NotSentReason.EMPTY, "the file is empty"))
            continue
        if source.changed is not None:
            spans = hunk_ranges(source.changed, len(lines), hunk_context)
            kind = ChunkKind.HUNK
            if not spans:
                not_sent.append(NotSent(source.path, NotSentReason.EXCLUDED, "no line of it is changed"))
                continue
        else:
            spans, kind = [(1, len(lines))], ChunkKind.FILE
        risk = _risk(source)
        security_lines = {
            n
            for f in source.security
            if f.category is Category.SECURITY
            for n in range(f.span.start_line, f.span.end_line + 1)
        }
        for first, last in spans:
            pieces, skipped = split(source, first, last, limit, count_tokens, overlap=overlap, kind=kind)
            not_sent.extend(skipped)
            for piece in pieces:
                hot = any(piece.start_line <= n <= piece.end_line for n in security_lines)
                ranked.append(((*risk, source.path, 0 if hot else 1, piece.start_line), piece))
    ranked.sort(key=lambda pair: pair[0])
    chunks: list[Chunk] = []
    spent = 0
    for _, chunk in ranked:
        if max_chunks is not None and len(chunks) >= max_chunks:
            detail = f"the review's budget of {max_chunks} chunks was spent on higher-risk code"
        elif max_tokens is not None and spent + chunk.tokens + overhead > max_tokens:
            detail = (
                f"{chunk.tokens + overhead} tokens would exceed the review's budget of {max_tokens} ({spent} spent)"
            )
        else:
            chunks.append(chunk)
            spent += chunk.tokens + overhead
            continue
        not_sent.append(NotSent(chunk.path, NotSentReason.OVER_BUDGET, detail, chunk.start_line, chunk.end_line))
    return ChunkPlan(chunks, not_sent)
