"""Self-reflection scores and filters suggestions; de-duplication prefers static findings."""

from __future__ import annotations

import json
import sys

import pytest

from reviewlab.ai.base import TaskKind
from reviewlab.ai.chunking import Chunk, SourceText, split
from reviewlab.ai.reflection import confidence_for, dedupe, reflect, same_problem
from reviewlab.ai.schemas import AIDiagnosticKind
from reviewlab.ai.tasks import AI_RULE_ID, AIFinding
from reviewlab.engine.model import Category, Confidence, Finding, Severity, Span
from tests.ai.completers import ScriptedCompleter, unavailable

CODE = "".join(f"line_{n} = {n}\n" for n in range(1, 21))


def chunk() -> Chunk:
    chunks, _ = split(SourceText("a.py", "python", CODE), 1, 20, sys.maxsize)
    return chunks[0]


def finding(
    line: int,
    category: Category = Category.SECURITY,
    cwe: int | None = None,
    *,
    end: int | None = None,
    rule: str = AI_RULE_ID,
    path: str = "a.py",
) -> Finding:
    return Finding(
        rule, category, Severity.MEDIUM, Confidence.LOW, cwe, path, Span(line, 1, end or line, 10), "s", f"m{line}"
    )


def suggestion(line: int, category: Category = Category.SECURITY, cwe: int | None = None, **kw: object) -> AIFinding:
    return AIFinding(finding(line, category, cwe), "fake", "fake-coder:7b", "review_file@v1", **kw)  # type: ignore[arg-type]


def scores(*pairs: tuple[int, float]) -> str:
    return json.dumps({"scores": [{"index": i, "score": s, "reason": f"reason {i}"} for i, s in pairs]})


def test_reflection_drops_low_scores_and_scores_the_rest() -> None:
    suggestions = [suggestion(2), suggestion(5, Category.QUALITY), suggestion(9, cwe=79)]
    completer = ScriptedCompleter(scores((0, 9), (1, 3.5), (2, 6)))
    result = reflect(completer, chunk(), suggestions, user="ana", review="r1")
    call = completer.calls[0]
    assert call.prompt_version == "reflect@v1"
    assert call.task is TaskKind.QUICK
    assert (call.user, call.review) == ("ana", "r1")
    assert "[0] lines 2-2 (medium security): m2" in call.text
    assert "[2] lines 9-9 (medium security, CWE-79): m9" in call.text
    assert " 9 | line_9 = 9" in call.text
    assert [(s.finding.span.start_line, s.score, s.reason) for s in result.kept] == [
        (2, 9.0, "reason 0"),
        (9, 6.0, "reason 2"),
    ]
    assert [s.finding.confidence for s in result.kept] == [Confidence.HIGH, Confidence.MEDIUM]
    assert [(s.finding.span.start_line, s.score) for s in result.dropped] == [(5, 3.5)]
    low = [d for d in result.diagnostics if d.kind is AIDiagnosticKind.LOW_SCORE]
    assert len(low) == 1
    assert low[0].line == 5
    assert "3.5 < 6: reason 1" in low[0].message
    assert len(result.completions) == 1


def test_threshold_is_configurable() -> None:
    completer = ScriptedCompleter(scores((0, 9), (1, 3.5)))
    result = reflect(completer, chunk(), [suggestion(2), suggestion(5)], threshold=9.5)
    assert result.kept == []
    assert len(result.dropped) == 2


def test_index_to_score_answer_form() -> None:
    completer = ScriptedCompleter('```json\n{"0": 8, "1": {"score": "2/10", "reason": "wrong line"}}\n```')
    result = reflect(completer, chunk(), [suggestion(2), suggestion(5)])
    assert [s.score for s in result.kept] == [8.0]
    assert [s.reason for s in result.dropped] == ["wrong line"]


def test_unscored_suggestions_are_kept_and_unknown_indexes_reported() -> None:
    completer = ScriptedCompleter(scores((0, 7), (0, 1), (7, 9)))
    result = reflect(completer, chunk(), [suggestion(2), suggestion(5)])
    assert [(s.finding.span.start_line, s.score) for s in result.kept] == [(2, 7.0), (5, None)]
    kinds = [d.kind for d in result.diagnostics]
    assert AIDiagnosticKind.UNSCORED in kinds
    assert AIDiagnosticKind.DROPPED_ITEM in kinds


def test_reflection_without_a_provider_keeps_everything_unscored() -> None:
    suggestions = [suggestion(2), suggestion(5)]
    result = reflect(ScriptedCompleter(unavailable()), chunk(), suggestions)
    assert result.kept == suggestions
    assert result.dropped == []
    assert [d.kind for d in result.diagnostics] == [AIDiagnosticKind.REFLECTION_FAILED]
    assert "connection refused" in result.diagnostics[0].message
    assert "2 suggestion(s) kept" in result.diagnostics[0].message


def test_reflection_with_unusable_answers_keeps_everything_unscored() -> None:
    suggestions = [suggestion(2)]
    result = reflect(ScriptedCompleter("great suggestions!", "all good"), chunk(), suggestions)
    assert result.kept == suggestions
    assert all(s.score is None for s in result.kept)
    assert [d.kind for d in result.diagnostics][-1] is AIDiagnosticKind.REFLECTION_FAILED
    assert len(result.completions) == 2


def test_nothing_to_reflect_on_makes_no_call() -> None:
    completer = ScriptedCompleter()
    assert reflect(completer, chunk(), []).kept == []
    assert completer.calls == []


@pytest.mark.parametrize(
    ("score", "confidence"),
    [(None, Confidence.LOW), (4.9, Confidence.LOW), (5, Confidence.MEDIUM), (8, Confidence.HIGH)],
)
def test_confidence_follows_the_score(score: float | None, confidence: Confidence) -> None:
    assert confidence_for(score) is confidence


# --- de-duplication ---------------------------------------------------------------------------------------------------


def test_same_problem() -> None:
    static = finding(5, Category.SECURITY, 89, end=7, rule="PY-S001")
    assert same_problem(finding(7), static)  # overlapping lines, AI gave no CWE
    assert same_problem(finding(6, cwe=89), static)
    assert not same_problem(finding(6, cwe=79), static)  # both name a CWE, different ones
    assert not same_problem(finding(6, Category.QUALITY), static)
    assert not same_problem(finding(8), static)
    assert not same_problem(finding(6, path="b.py"), static)


def test_dedupe_prefers_static_findings_and_the_higher_score() -> None:
    static = [finding(5, Category.SECURITY, 89, rule="PY-S001"), finding(12, Category.QUALITY, rule="PY-Q003")]
    ai = [
        suggestion(5, cwe=89, score=9.0),  # static PY-S001 has it
        suggestion(5, Category.QUALITY, score=7.0),  # another category: kept
        suggestion(14, score=6.0),  # the same problem twice, the higher score wins
        suggestion(14, score=8.0),
        suggestion(12, Category.QUALITY, score=None),  # static PY-Q003 has it
    ]
    kept, diagnostics = dedupe(ai, static)
    assert [(s.finding.span.start_line, s.finding.category, s.score) for s in kept] == [
        (5, Category.QUALITY, 7.0),
        (14, Category.SECURITY, 8.0),
    ]
    messages = sorted(d.message for d in diagnostics)
    assert all(d.kind is AIDiagnosticKind.DUPLICATE for d in diagnostics)
    assert messages == [
        "AI finding dropped: PY-Q003 at line 12 reports the same problem",
        "AI finding dropped: PY-S001 at line 5 reports the same problem",
        "AI finding dropped: reported twice by the model",
    ]
