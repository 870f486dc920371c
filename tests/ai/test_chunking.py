"""Chunking: exact line numbers, splits at definitions, risk order, budgets and the not-sent report."""

from __future__ import annotations

import itertools

import pytest

from reviewlab.ai.base import estimate_tokens
from reviewlab.ai.chunking import (
    ChunkKind,
    NotSentReason,
    SourceText,
    boundaries,
    context_budget,
    file_lines,
    hunk_ranges,
    plan_chunks,
    render,
    split,
)
from reviewlab.engine.model import Category, Confidence, Finding, Severity, Span


def big_python(functions: int = 40, body: int = 8) -> str:
    parts = ["import os\n", "\n"]
    for n in range(functions):
        parts.append(f"# helper {n}\n@decorate\ndef f{n}(x):\n")
        parts.extend(f"    x = x + {j}\n" for j in range(body))
        parts.append("    return x\n\n")
    parts.append("class Service:\n")
    for n in range(15):
        parts.append(f"    def method_{n}(self):\n        return {n}\n\n")
    return "".join(parts)


def security(path: str, line: int, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        "PY-S001", Category.SECURITY, severity, Confidence.HIGH, 89, path, Span(line, 1, line, 5), "s", "SQL injection"
    )


def test_file_lines_number_lines_like_the_engine() -> None:
    text = "a = 1\r\nb = '\x0c'\nc = 3"  # a form feed is not a line break for the engine
    assert file_lines(text) == ["a = 1", "b = '\x0c'", "c = 3"]
    assert file_lines("a\n\n") == ["a", ""]


def test_render_numbers_lines_and_marks_changes() -> None:
    assert render(["x", "y"], 9, 2) == " 9 | x\n10 | y"
    assert render(["x", "y"], 9, 2, {10}) == "  9 | x\n+10 | y"


def test_hunk_ranges_merge_and_clip() -> None:
    assert hunk_ranges({3, 4, 20, 23, 99}, 30, 2) == [(1, 6), (18, 25)]
    assert hunk_ranges(set(), 30, 2) == []


def test_context_budget() -> None:
    assert context_budget(8192, 1200, 1024) == 5968
    with pytest.raises(ValueError, match="holds no code"):
        context_budget(1000, 800, 400)


def test_a_file_that_fits_is_one_chunk() -> None:
    text = "x = 1\ny = 2\n"
    chunks, skipped = split(SourceText("a.py", "python", text), 1, 2, 1000)
    assert skipped == []
    (chunk,) = chunks
    assert (chunk.kind, chunk.start_line, chunk.end_line, chunk.lines) == (ChunkKind.FILE, 1, 2, ("x = 1", "y = 2"))
    assert chunk.tokens == estimate_tokens(chunk.render())


def test_huge_file_is_split_at_definitions_with_exact_line_numbers() -> None:
    text = big_python()
    lines = file_lines(text)
    chunks, skipped = split(SourceText("big.py", "python", text), 1, len(lines), 300)
    assert skipped == []
    assert len(chunks) > 3
    assert all(chunk.kind is ChunkKind.PART and chunk.tokens <= 300 for chunk in chunks)
    covered = [n for chunk in chunks for n in range(chunk.start_line, chunk.end_line + 1)]
    assert covered == list(range(1, len(lines) + 1))  # every line once, in order: no gap, no overlap
    for chunk in chunks:
        assert all(chunk.line(n) == lines[n - 1] for n in range(chunk.start_line, chunk.end_line + 1))
        assert f"{chunk.start_line:>{chunk.width}} | {lines[chunk.start_line - 1]}" in chunk.render()
    for chunk in chunks[1:]:  # each part starts where a definition (with its comment) starts
        assert lines[chunk.start_line - 1].startswith(("# helper", "class Service", "    def method_"))


def test_split_weights_prefer_top_level_definitions() -> None:
    text = big_python(functions=2, body=2)
    found = boundaries(text, "python")
    lines = file_lines(text)
    assert found[lines.index("# helper 0") + 1] == 1  # the comment above a decorated definition
    assert found[lines.index("class Service:") + 1] == 1
    assert found[lines.index("    def method_0(self):") + 1] == 2
    assert found[lines.index("    x = x + 0") + 1] >= 3


def test_text_without_definitions_is_split_into_overlapping_windows() -> None:
    text = "".join(f"value {n}\n" for n in range(1, 201))  # plain text: no blank lines, no definitions
    chunks, _ = split(SourceText("notes.txt", "text", text), 1, 200, 100, overlap=3)
    assert len(chunks) > 2
    assert chunks[0].start_line == 1
    assert chunks[-1].end_line == 200
    for before, after in itertools.pairwise(chunks):
        assert after.start_line == before.end_line - 2  # three lines seen twice
        assert after.line(after.start_line) == f"value {after.start_line}"


def test_a_line_longer_than_a_chunk_is_reported_not_sent() -> None:
    text = "a = 1\n" + "b = '" + "x" * 4000 + "'\n" + "".join(f"c{n} = {n}\n" for n in range(100))
    chunks, skipped = split(SourceText("min.js", "javascript", text), 1, 102, 200)
    assert [(s.reason, s.start_line, s.end_line) for s in skipped] == [(NotSentReason.TOO_LARGE, 2, 2)]
    covered = {n for chunk in chunks for n in range(chunk.start_line, chunk.end_line + 1)}
    assert covered == set(range(1, 103)) - {2}


def test_token_counter_is_the_callers() -> None:
    def words(text: str) -> int:
        return len(text.split())

    text = "".join(f"x{n} = {n}\n" for n in range(50))
    chunks, _ = split(SourceText("a.py", "python", text), 1, 50, 60, words)
    assert all(words(chunk.render()) <= 60 for chunk in chunks)
    assert len(chunks) > 1


def test_plan_orders_by_risk_and_reports_what_was_not_sent() -> None:
    small = "def f():\n    return 1\n"
    sources = [
        SourceText("z_plain.py", "python", small),
        SourceText("y_changed.py", "python", small * 3, changed=frozenset({2})),
        SourceText("x_medium.py", "python", small, security=(security("x_medium.py", 1, Severity.MEDIUM),) * 3),
        SourceText("w_high.py", "python", small, security=(security("w_high.py", 2),)),
        SourceText("v_empty.py", "python", ""),
        SourceText("u_unchanged.py", "python", small, changed=frozenset()),
    ]
    plan = plan_chunks(sources, limit=1000, hunk_context=1)
    assert [c.path for c in plan.chunks] == ["w_high.py", "x_medium.py", "y_changed.py", "z_plain.py"]
    hunk = plan.chunks[2]
    assert (hunk.kind, hunk.start_line, hunk.end_line, hunk.changed) == (ChunkKind.HUNK, 1, 3, frozenset({2}))
    assert "+2 | " in hunk.render()
    assert {(n.path, n.reason) for n in plan.not_sent} == {
        ("v_empty.py", NotSentReason.EMPTY),
        ("u_unchanged.py", NotSentReason.EXCLUDED),
    }


def test_within_a_split_file_the_part_with_the_security_finding_goes_first() -> None:
    text = big_python()
    late = file_lines(text).index("class Service:") + 2
    plan = plan_chunks([SourceText("big.py", "python", text, security=(security("big.py", late),))], limit=300)
    first = plan.chunks[0]
    assert first.start_line <= late <= first.end_line
    assert [c.start_line for c in plan.chunks[1:]] == sorted(c.start_line for c in plan.chunks[1:])


def test_budgets_leave_the_lowest_risk_out_and_say_so() -> None:
    small = "def f():\n    return 1\n"
    sources = [
        SourceText("c.py", "python", small),
        SourceText("b.py", "python", small, changed=frozenset({1, 2})),
        SourceText("a.py", "python", small, security=(security("a.py", 1),)),
    ]
    plan = plan_chunks(sources, limit=1000, max_chunks=2)
    assert [c.path for c in plan.chunks] == ["a.py", "b.py"]
    (left,) = plan.not_sent
    assert (left.path, left.reason, left.start_line, left.end_line) == ("c.py", NotSentReason.OVER_BUDGET, 1, 2)
    assert "budget of 2 chunks" in left.detail
    each = plan.chunks[0].tokens + 50
    by_tokens = plan_chunks(sources, limit=1000, max_tokens=2 * each, overhead=50)
    assert [c.path for c in by_tokens.chunks] == ["a.py", "b.py"]
    assert by_tokens.not_sent[0].reason is NotSentReason.OVER_BUDGET
    assert "tokens" in by_tokens.not_sent[0].detail
    assert by_tokens.tokens == sum(c.tokens for c in by_tokens.chunks)
