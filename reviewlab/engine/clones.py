"""Duplicated code across the project: token-based detection of type-1 and type-2 clones (GEN-Q002).

A type-1 clone is the same code apart from layout and comments; a type-2 clone is the same code apart
from the names of identifiers and the values of literals. Detection runs in two phases.

**Phase 1, per file** (``clone_facts``, in a worker, cached): one ``TreeCursor`` walk of the syntax tree
turns the file into tokens, its leaves in source order. Comments, Python line continuations and
docstrings (a statement that is only a string), and the ``;`` that JavaScript and Go may insert
themselves are skipped. Every token gets a *kind*: ``<id>`` for any identifier, ``<lit>`` for any
literal (number, string, template string, regex, character, boolean, null; a string with
interpolations is one token), and its own type for keywords, operators and punctuation. The raw text
of an identifier or literal is kept only as a CRC-32, enough to tell a type-1 copy from a type-2 one. The facts are a
vocabulary (the kind names; per distinct token its kind and CRC) and three integer arrays (vocabulary
index, start-line delta and line span per token), each packed to the narrowest width,
zlib-compressed and base64-encoded: about a sixth of the source's size, JSON included.

**Phase 2, once per project** (``find_clones``): per language family (Python never meets Java;
JavaScript, TypeScript and TSX meet each other), the files' kind sequences are scanned in path order
against one hash index, so the work grows with the number of tokens, never with the number of file
pairs. With ``m = min_tokens`` and a stride ``s = min(16, max(1, m // 6))``, the index holds the hash of the
``w = m - s + 1``-token window at every ``s``-th position of every file (at most ``BUCKET`` positions
per hash, the earliest); each file is then looked up at *every* position. A common run of ``m`` tokens
contains an indexed window of its earlier copy, so it is hit within ``s`` tokens of its start. A hit is
checked token for token (hashes only propose) and extended left and right as far as the two sequences
agree, by comparing slices of the packed sequences in C. Of the matches hit within one stride, the
longest is kept; it is maximal, so none of its sub-clones is reported, and the scan resumes after its
end (a later match is trimmed where it would overlap a reported copy). Pairs whose earlier copies
share 90% of their tokens form one group over what they share: three copies make one group.

A match of a file with itself whose copies overlap is a *periodic run*, ``b - a`` tokens repeated: a
table of data or look-alike statements. It is split into back-to-back copies of one period when the
period reaches ``min_tokens`` (a series of look-alike functions), and otherwise skipped whole, so a
table never matches itself shifted row by row. A group must have two copies of ``min_lines`` lines that
do not overlap, and must not be *data*: a fragment of fewer than ``_MIN_KINDS`` distinct token kinds
(an import list, a table of literals) or without a single keyword (a table of records or of calls) is
not reported.

Defaults: ``min_tokens=100`` is PMD CPD's default tile size and about 10-15 lines of ordinary code.
jscpd's 50 tokens mostly flag short type-2 look-alikes once identifiers and literals are normalised: on
SQLAlchemy they give 775 groups, mostly five to ten lines such as the query of a test or the head of a
``visit_*`` method, against 132 groups at 100 tokens. ``min_lines=6`` (jscpd: 5) keeps dense code and
long one-line expressions, where 100 tokens fit on two or three lines, from being reported.

One module, over the usual size, because both phases share the private format of the facts.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zlib
from array import array
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Protocol

import tree_sitter

from reviewlab.engine.languages import FAMILY
from reviewlab.engine.model import Category, Confidence, Finding, Related, Severity, Span
from reviewlab.engine.rules.base import Rule, RuleDocs
from reviewlab.errors import ConfigError, InputError

DEFAULT_MIN_TOKENS = 100
DEFAULT_MIN_LINES = 6
FACTS_VERSION = 1

RULE = Rule(
    id="GEN-Q002",
    title="Duplicated code",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1041,  # Use of Redundant Code
    languages=("python", "javascript", "java", "go"),
    message="This code duplicates code elsewhere in the project.",
    docs=RuleDocs(
        what="Finds fragments of at least `min_tokens` tokens (default 100) over at least `min_lines` lines "
        "(default 6) that occur more than once in the project, in one file or across files of the same language: "
        "identical apart from layout and comments (type-1), or apart from the names of identifiers and the "
        "values of literals (type-2). Each copy after the first is reported, with the other copies as related "
        "locations.",
        why="Duplicated code multiplies maintenance: a bug fixed in one copy stays in the others, and readers "
        "must compare the copies to learn whether their differences matter.",
        example="def export_csv(rows, path):\n    with open(path, 'w') as out:\n        for row in rows:\n"
        "            out.write(','.join(map(str, row)) + '\\n')\n\n"
        "def export_tsv(rows, path):\n    with open(path, 'w') as out:\n        for row in rows:\n"
        "            out.write('\\t'.join(map(str, row)) + '\\n')",
        use_instead="def export(rows, path, separator=','):\n    with open(path, 'w') as out:\n"
        "        for row in rows:\n            out.write(separator.join(map(str, row)) + '\\n')",
    ),
    references=(
        "https://cwe.mitre.org/data/definitions/1041.html",
        "https://pmd.github.io/pmd/pmd_userdocs_cpd.html",
    ),
    options={"min_tokens": DEFAULT_MIN_TOKENS, "min_lines": DEFAULT_MIN_LINES},
    project=True,
)
RULES = (RULE,)


@dataclass(frozen=True, slots=True, order=True)
class CloneLocation:
    """One copy: 1-based first and last line of its tokens in ``path``."""

    path: str
    start_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class CloneGroup:
    """Copies of one fragment: ``kind`` is "type-1" when all copies have the same token texts, else "type-2";
    ``digest`` identifies the normalised token sequence (stable across runs and unrelated edits)."""

    kind: str
    tokens: int
    locations: tuple[CloneLocation, ...]
    digest: str


# ---------------------------------------------------------------- phase 1: the facts of one file

_ID, _LIT = "<id>", "<lit>"
_SKIP, _DESCEND, _IDENT, _LITERAL, _STATEMENT = range(5)


@dataclass(frozen=True, slots=True)
class _Lexicon:
    """How one language family's tree becomes tokens."""

    literals: frozenset[str]  # named nodes read as one literal token, whatever their children
    ignored: frozenset[str]  # comments, layout, and terminators the grammar may insert itself
    docstrings: bool = False  # Python: a statement that is only a string documents, it does not compute


_COMMENTS = frozenset({"comment", "line_comment", "block_comment", "html_comment", "hash_bang_line"})
_LEXICONS = {
    "python": _Lexicon(
        frozenset({"string", "concatenated_string", "integer", "float", "true", "false", "none"}),
        _COMMENTS | {"line_continuation"},
        True,
    ),
    "javascript": _Lexicon(
        frozenset({"string", "template_string", "regex", "number", "true", "false", "null", "undefined", "jsx_text"}),
        _COMMENTS | {";"},
    ),
    "java": _Lexicon(
        frozenset(
            [
                "string_literal",
                "character_literal",
                "decimal_integer_literal",
                "hex_integer_literal",
                "octal_integer_literal",
                "binary_integer_literal",
                "decimal_floating_point_literal",
                "hex_floating_point_literal",
                "true",
                "false",
                "null_literal",
            ]
        ),
        _COMMENTS,
    ),
    "go": _Lexicon(
        frozenset(
            [
                "interpreted_string_literal",
                "raw_string_literal",
                "rune_literal",
                "int_literal",
                "float_literal",
                "imaginary_literal",
                "true",
                "false",
                "nil",
            ]
        ),
        _COMMENTS | {";"},
    ),
}
_DOCSTRINGS = frozenset({"string", "concatenated_string"})


def _classify(node: tree_sitter.Node, lexicon: _Lexicon) -> tuple[int, str]:
    """What the walk does with nodes of this node's kind, and the token kind they make."""
    kind, named = node.type, node.is_named
    if kind in lexicon.ignored:
        return _SKIP, ""
    if named and kind in lexicon.literals:
        return _LITERAL, _LIT
    if named and kind.endswith("identifier"):
        return _IDENT, _ID
    if named and lexicon.docstrings and kind == "expression_statement":
        return _STATEMENT, "<expression_statement>"
    return _DESCEND, f"<{kind}>" if named else kind


class _Tokens:
    """The tokens of one file as the walk collects them, and their packing into facts."""

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}  # kind name -> its index in the facts' ``kinds``
        self.vocab: dict[tuple[int, int], int] = {}  # (kind index, crc of the text) -> vocabulary index
        self.tokens: list[int] = []  # vocabulary index per token
        self.rows: list[int] = []  # 0-based start line per token
        self.spans: list[int] = []  # end line - start line per token

    def entry(self, kind: str, crc: int) -> int:
        """The vocabulary index of a token of ``kind`` whose text has ``crc`` (0 for keywords and operators)."""
        kind_index = self.kinds.setdefault(kind, len(self.kinds))
        return self.vocab.setdefault((kind_index, crc), len(self.vocab))

    def facts(self, language: str) -> dict[str, Any]:
        rows = self.rows
        return {
            "version": FACTS_VERSION,
            "language": language,
            "kinds": list(self.kinds),
            "vocab_kinds": _pack([kind for kind, _ in self.vocab]),
            "vocab_crcs": _pack([crc for _, crc in self.vocab]),
            "tokens": _pack(self.tokens),
            "rows": _pack([row - previous for previous, row in zip([0, *rows], rows, strict=False)]),
            "spans": _pack(self.spans),
        }


def clone_facts(tree: tree_sitter.Tree, source: bytes, language: str) -> dict[str, Any]:
    """Compact JSON-serialisable summary of one file for clone detection (computed per file in a worker, cached).

    ``language`` is a name of ``languages.LANGUAGES``; any other language gives facts without tokens.
    """
    tokens = _Tokens()
    family = FAMILY.get(language)
    if family is not None:
        _walk(tree, source, _LEXICONS[family], tokens)
    return tokens.facts(language)


def _walk(tree: tree_sitter.Tree, source: bytes, lexicon: _Lexicon, out: _Tokens) -> None:
    """Every token of the tree in source order, by one cursor walk (no per-node lists; the hot loop of phase 1)."""
    classes: dict[int, tuple[int, str]] = {}  # per node kind id: what to do, the token kind
    fixed: dict[int, int] = {}  # per node kind id of a keyword or operator: its vocabulary index
    texts: tuple[dict[bytes, int], dict[bytes, int]] = ({}, {})  # identifier, literal text -> vocabulary index
    tokens, rows, spans = out.tokens, out.rows, out.spans
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node is None:  # a cursor always stands on a node; the bindings' type allows None
            return
        kind_id = node.kind_id
        action, kind = classes.get(kind_id) or classes.setdefault(kind_id, _classify(node, lexicon))
        if action == _STATEMENT:
            action = _SKIP if _is_docstring(node) else _DESCEND
        if action == _DESCEND and cursor.goto_first_child():
            continue
        if action != _SKIP and node.end_byte > node.start_byte:
            row = node.start_point.row
            if action == _DESCEND:
                entry = fixed.get(kind_id)
                if entry is None:
                    entry = fixed[kind_id] = out.entry(kind, 0)
                spans.append(0)
            else:
                text = source[node.start_byte : node.end_byte]
                table = texts[action == _LITERAL]
                entry = table.get(text)
                if entry is None:
                    entry = table[text] = out.entry(kind, zlib.crc32(text))
                spans.append(node.end_point.row - row if action == _LITERAL else 0)
            tokens.append(entry)
            rows.append(row)
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _is_docstring(statement: tree_sitter.Node) -> bool:
    """A Python statement that is only a string: a docstring, or a string used as a comment."""
    first = statement.child(0)
    return statement.child_count == 1 and first is not None and first.type in _DOCSTRINGS


def _pack(values: Sequence[int]) -> str:
    """Integers (0 <= v < 2**32) as the narrowest array type code, then base64 of the zlib-compressed bytes."""
    top = max(values, default=0)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I"
    packed = array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return code + base64.b64encode(zlib.compress(packed.tobytes(), 6)).decode("ascii")


def _unpack(text: str) -> array[int]:
    values = array(text[0])
    values.frombytes(zlib.decompress(base64.b64decode(text[1:])))
    if sys.byteorder == "big":
        values.byteswap()
    return values


# ---------------------------------------------------------------- phase 2: clones across the project

_MAX_STRIDE = 16
BUCKET = 8  # earliest indexed positions kept per window hash: a fragment repeated 1000 times costs 8 checks
_CHUNK = 64  # tokens compared per slice while extending a match (doubling while they agree)
_MIN_KINDS = 10  # a fragment of fewer distinct token kinds is data (imports, tables of literals), not logic
_SAME_LENGTH = 0.9  # pairs whose earlier copies share 90% of their tokens form one group
_TOKEN = 2  # bytes per token in the kind sequences (array "H")
SHIFT = 32  # an index entry is ``file number << SHIFT | token position``
_POSITION = (1 << SHIFT) - 1

Match = tuple[int, int, int, int]  # file of the earlier copy, its first token, first token of the later copy, length
Pair = tuple[int, int, int, int, int]  # file and first token of the earlier copy and of the later one, length


class TokenFile:
    """One file's kinds as bytes (for hashing and comparing slices); lines and texts decoded on demand."""

    __slots__ = ("_crcs", "_ends", "_rows", "_tokens", "data", "facts", "family", "kinds", "path", "size")

    def __init__(self, path: str, facts: Mapping[str, Any], kind_ids: dict[str, int]) -> None:
        if not isinstance(facts, Mapping) or facts.get("version") != FACTS_VERSION:
            raise InputError(f"clone facts of {path} are not version {FACTS_VERSION} facts")
        try:
            self.family = FAMILY.get(facts["language"])
            names = [kind_ids.setdefault(name, len(kind_ids)) for name in facts["kinds"]]
            self.kinds = [names[kind] for kind in _unpack(facts["vocab_kinds"])]
            self.data = array("H", map(self.kinds.__getitem__, _unpack(facts["tokens"]))).tobytes()
        except (KeyError, IndexError, TypeError, ValueError, OverflowError, zlib.error) as err:
            raise InputError(f"clone facts of {path} are malformed: {err!r}") from err
        self.path = path
        self.facts = facts
        self.size = len(self.data) // _TOKEN
        self._rows: list[int] = []
        self._ends: list[int] = []
        self._crcs: array[int] | None = None
        self._tokens: array[int] | None = None

    def lines(self, start: int, length: int) -> tuple[int, int]:
        """1-based first and last line of the tokens ``start:start + length``."""
        if not self._rows:
            self._rows = list(accumulate(_unpack(self.facts["rows"])))
            self._ends = [row + span for row, span in zip(self._rows, _unpack(self.facts["spans"]), strict=False)]
        return self._rows[start] + 1, self._ends[start + length - 1] + 1

    def columns(self) -> tuple[array[int], array[int], array[int]]:
        """Per token: its first line, its last line (0-based) and the CRC of its text (``lines`` and ``texts``
        of every token at once, for a spool to keep)."""
        rows = array("I", accumulate(_unpack(self.facts["rows"])))
        ends = array("I", (row + span for row, span in zip(rows, _unpack(self.facts["spans"]), strict=False)))
        crcs = _unpack(self.facts["vocab_crcs"])
        return rows, ends, array("I", map(crcs.__getitem__, _unpack(self.facts["tokens"])))

    def texts(self, start: int, length: int) -> list[tuple[int, int]]:
        """The tokens ``start:start + length`` as (kind, crc of the text): equal lists are type-1 copies."""
        if self._crcs is None or self._tokens is None:
            self._crcs = _unpack(self.facts["vocab_crcs"])
            self._tokens = _unpack(self.facts["tokens"])
        crcs, kinds = self._crcs, self.kinds
        return [(kinds[token], crcs[token]) for token in self._tokens[start : start + length]]


def find_clones(
    facts: Mapping[str, dict[str, Any]], *, min_tokens: int = DEFAULT_MIN_TOKENS, min_lines: int = DEFAULT_MIN_LINES
) -> list[CloneGroup]:
    """Clone groups across the files (keys are relative paths), deterministic order."""
    check_options(min_tokens, min_lines)
    kind_ids: dict[str, int] = {}
    families: dict[str, list[TokenFile]] = {}
    for path in sorted(facts):
        file = TokenFile(path, facts[path], kind_ids)
        if file.family is not None and file.size >= min_tokens:
            families.setdefault(file.family, []).append(file)
    names = list(kind_ids)
    groups: list[CloneGroup] = []
    for family in sorted(families):
        files = families[family]
        groups.extend(_Detector(_Held(files), WindowIndex(), names, min_tokens, min_lines).groups())
    return sort_groups(groups)


def check_options(min_tokens: int, min_lines: int) -> None:
    if min_tokens < 2 or min_lines < 1:
        raise ConfigError(f"{RULE.id}: min_tokens must be at least 2 and min_lines at least 1")


def sampling(min_tokens: int) -> tuple[int, int]:
    """The length of the indexed windows and the stride between them, for runs of ``min_tokens``."""
    stride = max(1, min(_MAX_STRIDE, min_tokens // 6))
    return min_tokens - stride + 1, stride


def sort_groups(groups: list[CloneGroup]) -> list[CloneGroup]:
    """The groups in report order: by their copies, the longer of two groups with the same copies first."""
    return sorted(groups, key=lambda group: (group.locations, -group.tokens))


class Files(Protocol):
    """A language family's files in path order, by number (``find_clones`` holds them; a spool loads them)."""

    def __len__(self) -> int: ...

    def kinds(self, number: int) -> bytes:
        """The file's token kinds (``TokenFile.data``): all the scan reads of a file."""
        ...

    def __getitem__(self, number: int) -> Copies:
        """The file, for the lines and texts of the copies in a group."""
        ...


class Copies(Protocol):
    """What a group needs of a file with copies in it (``TokenFile`` has it)."""

    path: str

    def lines(self, start: int, length: int) -> tuple[int, int]: ...

    def texts(self, start: int, length: int) -> list[tuple[int, int]]: ...


class _Held(list[TokenFile]):
    """Files held in memory, as ``Files``."""

    def kinds(self, number: int) -> bytes:
        return self[number].data


class Index(Protocol):
    """The sampled windows of the files scanned so far."""

    def buckets(self, number: int, data: bytes, hashes: list[int], stride: int) -> Mapping[int, Sequence[int]]:
        """Index the sampled windows of file ``number`` (``hashes`` at every position, of its kinds ``data``),
        then give the indexed positions (``number << 32 | position``, at most ``BUCKET``, the earliest) of
        each of ``hashes`` found in the index. The mapping may also hold hashes with no position: such a hit
        matches nothing, so the scan's result is the same."""
        ...


class WindowIndex:
    """The index in memory: window hash -> its positions (a single one, by far the commonest, stored bare)."""

    def __init__(self) -> None:
        self.index: dict[int, int | list[int]] = {}

    def buckets(self, number: int, data: bytes, hashes: list[int], stride: int) -> dict[int, Sequence[int]]:
        index = self.index
        for position in range(0, len(hashes), stride):
            key, packed = hashes[position], number << SHIFT | position
            bucket = index.get(key)
            if bucket is None:
                index[key] = packed
            elif isinstance(bucket, int):
                index[key] = [bucket, packed]
            elif len(bucket) < BUCKET:
                bucket.append(packed)
        found: dict[int, Sequence[int]] = {}
        for key in set(hashes):
            bucket = index.get(key)
            if bucket is not None:
                found[key] = (bucket,) if isinstance(bucket, int) else bucket
        return found


class _Detector:
    """The scan of one language family's files, in path order, against one index of sampled windows."""

    def __init__(
        self,
        files: Files,
        index: Index,
        names: list[str],
        min_tokens: int,
        min_lines: int,
        pairs: Pairs | None = None,
    ) -> None:
        self.files = files
        self.names = names
        self.min_tokens = min_tokens
        self.min_lines = min_lines
        self.window, self.stride = sampling(min_tokens)
        self.index = index
        self.pairs: Pairs = pairs if pairs is not None else HeldPairs()

    def groups(self) -> Iterator[CloneGroup]:
        """The groups of the family's files, as their clusters of pairs are complete."""
        for number in range(len(self.files)):
            self._scan(number, self.files.kinds(number))
        for cluster in _clusters(self.pairs.ordered()):
            group = self._group(cluster.stop - cluster.start, cluster.copies())
            if group is not None:
                yield group

    def _scan(self, number: int, data: bytes) -> None:
        """Index the file's sampled windows, then report each match of its tokens (``data``) with earlier ones."""
        stride = self.stride
        hashes = window_hashes(data, self.window)
        index = self.index.buckets(number, data, hashes, stride)
        hits = [position for position, value in enumerate(hashes) if value in index]
        found: dict[int, Match | None] = {}

        def match_at(hit: int, resume: int) -> Match | None:
            if hit not in found:
                found[hit] = self._longest(number, data, hit, index[hashes[hit]])
            return _after(found[hit], resume)

        resume = 0  # the tokens before it are a copy already reported
        for first, position in enumerate(hits):
            if position < resume or (best := match_at(position, resume)) is None:
                continue
            # A match starting before the next stride is hit there too: take the best of them, not the first.
            for hit in hits[first + 1 : bisect_left(hits, position + stride, first)]:
                match = match_at(hit, resume)
                if match is not None and _rank(match) < _rank(best):
                    best = match
            other, a, b, length = best
            if other == number and a + length > b:  # overlapping copies: a run repeating every b - a tokens
                period, end = b - a, b + length
                if period >= self.min_tokens:  # back-to-back copies of one period, the last as far as the run goes
                    self.pairs.extend(
                        (number, a, number, copy, min(period, end - copy))
                        for copy in range(b, end - self.min_tokens + 1, period)
                    )
                resume = end
            elif length >= self.min_tokens:
                self.pairs.append((other, a, number, b, length))
                resume = b + length

    def _longest(self, number: int, data: bytes, position: int, bucket: Sequence[int]) -> Match | None:
        """The longest match through the window at ``position`` of file ``number`` (its kinds ``data``) with an
        earlier indexed window."""
        width = self.window * _TOKEN
        window = data[position * _TOKEN : position * _TOKEN + width]
        size = len(data) // _TOKEN
        best: Match | None = None
        for packed in bucket:
            other, start = packed >> SHIFT, packed & _POSITION
            if other == number and start >= position:
                break  # the bucket is in scan order: the rest is not earlier
            source = self.files.kinds(other)
            if source[start * _TOKEN : start * _TOKEN + width] != window:
                continue  # two windows with one hash
            back = _common(source, start, data, position, -min(start, position))
            ahead = _common(
                source,
                start + self.window,
                data,
                position + self.window,
                min(len(source) // _TOKEN - start, size - position) - self.window,
            )
            match = (other, start - back, position - back, back + self.window + ahead)
            if best is None or _rank(match) < _rank(best):
                best = match
        return best

    def _group(self, length: int, copies: list[tuple[int, int]]) -> CloneGroup | None:
        """The group of ``length`` tokens at ``copies`` (the first copy first), if it is worth reporting."""
        head, at = copies[0]
        kinds = array("H", self.files.kinds(head)[at * _TOKEN : (at + length) * _TOKEN])
        if _is_data({self.names[kind] for kind in set(kinds)}):
            return None
        kept: list[tuple[int, int]] = []
        locations: list[CloneLocation] = []
        free: dict[int, int] = {}  # per file, the first token after the copies kept there
        for number, start in sorted(copies):
            if start < free.get(number, 0):
                continue  # overlaps a copy already in the group
            file = self.files[number]
            first, last = file.lines(start, length)
            if last - first + 1 >= self.min_lines:
                kept.append((number, start))
                free[number] = start + length
                locations.append(CloneLocation(file.path, first, last))
        if len(kept) < 2:
            return None
        texts = self.files[kept[0][0]].texts(kept[0][1], length)  # compared one copy at a time: a group may be large
        kind = "type-1" if all(self.files[n].texts(at, length) == texts for n, at in kept[1:]) else "type-2"
        digest = hashlib.sha256("\x1f".join(self.names[k] for k in kinds).encode()).hexdigest()[:16]
        return CloneGroup(kind, length, tuple(locations), digest)


def window_hashes(data: bytes, window: int) -> list[int]:
    """The hash of the ``window``-token window at every position of the kinds ``data``."""
    width = window * _TOKEN
    return [hash(data[at : at + width]) for at in range(0, len(data) - width + 1, _TOKEN)]


def _rank(match: Match) -> tuple[int, int, int]:
    """Longest first; of equally long matches, the one with the earliest earlier copy, for stable groups."""
    return -match[3], match[0], match[1]


def _is_data(kinds: set[str]) -> bool:
    """Too few kinds of token, or no keyword (a word among the kinds): a list or a table, not logic."""
    return len(kinds) < _MIN_KINDS or not any(kind.isalpha() for kind in kinds)


def _after(match: Match | None, resume: int) -> Match | None:
    """``match`` without its tokens before ``resume`` in the later copy (they belong to a reported copy)."""
    if match is None:
        return None
    other, a, b, length = match
    cut = max(0, resume - b)
    return (other, a + cut, b + cut, length - cut) if length > cut else None


@dataclass(slots=True)
class _Cluster:
    """Pairs with one earlier copy, its tokens ``start:stop`` (what all the pairs have in common)."""

    file: int
    start: int
    stop: int
    longest: int
    pairs: list[Pair]

    def copies(self) -> list[tuple[int, int]]:
        """(file, first token) of every copy, the earlier one first."""
        return [(self.file, self.start), *((later, b + self.start - a) for _, a, later, b, _ in self.pairs)]


class Pairs(Protocol):
    """Where a scan puts the pairs it finds, and gives them back in :func:`pair_order`."""

    def append(self, pair: Pair) -> None: ...

    def extend(self, pairs: Iterable[Pair]) -> None: ...

    def ordered(self) -> Iterable[Pair]: ...


def pair_order(pair: Pair) -> tuple[int, int, int, int, int]:
    """Pairs by earlier copy (file, first token), the longest first, then by later copy."""
    return pair[0], pair[1], -pair[4], pair[2], pair[3]


class HeldPairs(list[Pair]):
    """The pairs in memory."""

    def ordered(self) -> list[Pair]:
        return sorted(self, key=pair_order)


def _clusters(pairs: Iterable[Pair]) -> Iterator[_Cluster]:
    """The pairs (in :func:`pair_order`) grouped by earlier copy: pairs whose earlier copies share 90% of their
    tokens join one group. Each pair joins one of the last ``BUCKET`` groups of its file if it can, so a group is
    complete, and given out, once ``BUCKET`` groups came after it or the pairs moved on to another file."""
    clusters: deque[_Cluster] = deque()
    for pair in pairs:
        file, a, _, _, length = pair
        while clusters and (clusters[0].file != file or len(clusters) > BUCKET):
            yield clusters.popleft()
        for cluster in reversed(clusters):
            start, stop = max(cluster.start, a), min(cluster.stop, a + length)
            if cluster.file == file and stop - start >= _SAME_LENGTH * max(cluster.longest, length):
                cluster.start, cluster.stop, cluster.longest = start, stop, max(cluster.longest, length)
                cluster.pairs.append(pair)
                break
        else:
            clusters.append(_Cluster(file, a, a + length, length, [pair]))
    yield from clusters


def _common(x: bytes, i: int, y: bytes, j: int, limit: int) -> int:
    """How many tokens agree from token ``i`` of ``x`` and ``j`` of ``y``: forward for a positive ``limit``,
    backward (from ``i - 1`` and ``j - 1``) for a negative one, at most ``abs(limit)``."""
    backward = limit < 0
    limit = abs(limit)
    count, step = 0, _CHUNK
    while count < limit:
        step = min(step, limit - count)
        if backward:
            p, q = (i - count - step) * _TOKEN, (j - count - step) * _TOKEN
        else:
            p, q = (i + count) * _TOKEN, (j + count) * _TOKEN
        size = step * _TOKEN
        if x[p : p + size] == y[q : q + size]:
            count += step
            step *= 2
        elif step > 1:
            step //= 2
        else:
            break
    return count


# ---------------------------------------------------------------- findings


def clone_findings(groups: Sequence[CloneGroup]) -> list[Finding]:
    """:func:`each_clone_finding` as a list."""
    return list(each_clone_finding(groups))


def each_clone_finding(groups: Iterable[CloneGroup], occurrences: Iterator[int] | None = None) -> Iterator[Finding]:
    """One GEN-Q002 finding per copy after the first of each group, at that copy, the other copies related.

    Facts keep lines, not columns: a copy's span runs from column 1 of its first line to column 1 of its
    last line. The fingerprint is the rule, the path, the clone's normalised token digest and the count of
    earlier findings with the same path and digest, so it survives edits elsewhere in the file (counted here,
    or given by ``occurrences``: one number per copy after the first, in order).
    """
    seen: Counter[tuple[str, str]] = Counter()
    for group in groups:
        first = group.locations[0]
        where = f"{first.path}:{first.start_line}-{first.end_line}"
        for copy in group.locations[1:]:
            related = tuple(
                Related(other.path, _span(other), "first copy" if other is first else "other copy")
                for other in group.locations
                if other is not copy
            )
            if occurrences is None:
                occurrence = seen[copy.path, group.digest]
                seen[copy.path, group.digest] += 1
            else:
                occurrence = next(occurrences)
            others = len(group.locations) - 2
            message = (
                f"Lines {copy.start_line}-{copy.end_line} duplicate {where} ({group.kind} clone, "
                f"{group.tokens} tokens)"
                + (f" and {others} other cop{'y' if others == 1 else 'ies'}." if others else ".")
            )
            material = "\x1f".join((RULE.id, copy.path, group.digest, str(occurrence)))
            yield (
                Finding(
                    rule_id=RULE.id,
                    category=RULE.category,
                    severity=RULE.severity,
                    confidence=RULE.confidence,
                    cwe=RULE.cwe,
                    path=copy.path,
                    span=_span(copy),
                    snippet=f"lines {copy.start_line}-{copy.end_line} duplicate {where}",
                    message=message,
                    fingerprint=hashlib.sha256(material.encode()).hexdigest()[:32],
                    related=related,
                )
            )


def _span(location: CloneLocation) -> Span:
    return Span(location.start_line, 1, location.end_line, 1)
