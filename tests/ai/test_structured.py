"""Structured answers: JSON repair, item-by-item validation, one retry with the error (asked through the
scripted completer of ``tests.ai.completers``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reviewlab.ai.base import AllProvidersFailed, ChatRequest, Message, TaskKind
from reviewlab.ai.schemas import MAX_MESSAGE, AIDiagnosticKind, ExplainAnswer, ReflectionAnswer, ReviewAnswer
from reviewlab.ai.structured import MAX_ITEMS, RepairError, ask, extract_json, parse_answer, structured_request
from tests.ai.completers import ScriptedCompleter, findings_json, item, unavailable

BOUNDS = {"first_line": 1, "last_line": 10}


def kinds(parsed: Any) -> list[AIDiagnosticKind]:
    return [d.kind for d in parsed.diagnostics]


# --- repair -------------------------------------------------------------------------------------------------


def test_clean_json_needs_no_repair() -> None:
    parsed = parse_answer(findings_json(item(2), item(3)), ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert [f.line for f in parsed.value.findings] == [2, 3]
    assert parsed.diagnostics == []


def test_fenced_json_with_prose_around_it() -> None:
    text = f"Sure! Here is my review:\n```json\n{findings_json(item(4))}\n```\nLet me know if you need more."
    parsed = parse_answer(text, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert parsed.value.findings[0].line == 4
    assert kinds(parsed) == [AIDiagnosticKind.REPAIRED]
    assert "code fence" in parsed.diagnostics[0].message


def test_prose_around_unfenced_json_and_brackets_in_the_prose() -> None:
    text = f"I looked at it [carefully]. {findings_json(item(5))} That is all."
    value, repairs = extract_json(text)
    assert value == {"findings": [item(5)]}
    assert "text before the JSON" in repairs
    assert "text after the JSON" in repairs


def test_trailing_commas_single_quotes_python_literals_and_comments() -> None:
    text = (
        "{'findings': [{'line': 3, 'severity': 'low', 'category': 'quality', 'cwe': None,\n"
        "  // the model's own remark\n"
        "  'message': 'it\\'s unused', 'suggestion': \"remove it\",},],}"
    )
    parsed = parse_answer(text, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert parsed.value.findings[0].message == "it's unused"
    assert parsed.value.findings[0].suggestion == "remove it"
    repaired = parsed.diagnostics[0].message
    for repair in ("trailing commas", "single-quoted strings", "Python literals", "comments"):
        assert repair in repaired


def test_unquoted_keys_and_a_nested_object_is_not_taken_for_the_answer() -> None:
    value, repairs = extract_json('{findings: [{line: 3, severity: "low", category: "quality", message: "x"}]}')
    assert value == {"findings": [{"line": 3, "severity": "low", "category": "quality", "message": "x"}]}
    assert repairs == ["unquoted keys"]
    value, _ = extract_json('{"findings": [{"line": 3, oops}]} Corrected: {"findings": []}')
    assert value == {"findings": []}


def test_truncated_array_keeps_the_complete_items() -> None:
    whole = findings_json(item(2), item(3), item(4))
    cut = whole[: whole.index('"problem on 4"') + 5]  # mid-string of the third item
    parsed = parse_answer(cut, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert [f.line for f in parsed.value.findings] == [2, 3]
    assert kinds(parsed) == [AIDiagnosticKind.REPAIRED]  # the half-written item is cut off, not reported invalid
    assert "cut off" in parsed.diagnostics[0].message


@pytest.mark.parametrize("length", range(0, len(findings_json(item(2), item(3))) + 1, 3))
def test_any_prefix_of_an_answer_parses_or_fails_cleanly(length: int) -> None:
    text = findings_json(item(2), item(3))[:length]
    parsed = parse_answer(text, ReviewAnswer, context=BOUNDS)
    if parsed.value is None:
        assert parsed.error
    else:
        assert [f.line for f in parsed.value.findings] in ([], [2], [2, 3])


@pytest.mark.parametrize(
    ("answer", "unwrapped"),
    [
        (json.dumps([item(2)]), "bare list"),
        (json.dumps({"issues": [item(2)]}), "list under 'issues'"),
        (json.dumps(item(2)), "a single item"),
        (json.dumps({"findings": item(2)}), "one object"),
    ],
)
def test_answer_shapes_are_unwrapped(answer: str, unwrapped: str) -> None:
    parsed = parse_answer(answer, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert [f.line for f in parsed.value.findings] == [2]
    assert unwrapped in parsed.diagnostics[0].message


def test_empty_list_is_a_valid_answer() -> None:
    parsed = parse_answer('{"findings": []}', ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert parsed.value.findings == []


@pytest.mark.parametrize("text", ["", "   ", "I found no problems.", "```\nno json\n```", '{"summary": "abc'])
def test_no_json_is_an_error_not_an_exception(text: str) -> None:
    with pytest.raises(RepairError):
        extract_json(text)
    assert parse_answer(text, ReviewAnswer).value is None


def test_object_answer_of_the_wrong_shape_is_unusable() -> None:
    parsed = parse_answer('{"verdict": "looks fine"}', ReviewAnswer)
    assert parsed.value is None
    assert "no 'findings' list" in (parsed.error or "")
    parsed_explain = parse_answer('{"explanation": 3}', ExplainAnswer)
    assert parsed_explain.value is None
    assert "summary" in (parsed_explain.error or "")


# --- items ----------------------------------------------------------------------------------------------------


def test_invalid_items_are_dropped_one_by_one_with_a_diagnostic() -> None:
    answer = findings_json(
        item(2),
        item("abc"),  # type: ignore[arg-type]
        item(42),  # outside the lines shown
        item(3, severity="catastrophic"),
        {"line": 4, "severity": "low"},  # no category, no message
        item(5),
    )
    parsed = parse_answer(answer, ReviewAnswer, context=BOUNDS, path="app.py")
    assert parsed.value is not None
    assert [f.line for f in parsed.value.findings] == [2, 5]
    dropped = [d for d in parsed.diagnostics if d.kind is AIDiagnosticKind.DROPPED_ITEM]
    assert [d.message.split(" dropped")[0] for d in dropped] == ["item 1", "item 2", "item 3", "item 4"]
    assert "line 42 is outside the lines the model was shown (1-10)" in dropped[1].message
    assert "severity" in dropped[2].message
    assert all(d.path == "app.py" for d in dropped)


def test_lenient_values_are_normalised() -> None:
    answer = findings_json(
        {"line": "3-5", "severity": "WARNING", "category": "Bug", "cwe": "CWE-79", "description": "xss"},
        {"start_line": "L7", "severity": "Major", "category": "perf", "issue": "slow", "fix": "cache it"},
    )
    parsed = parse_answer(answer, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    first, second = parsed.value.findings
    assert (first.line, first.end_line, first.severity, first.category, first.cwe) == (3, 5, "medium", "quality", 79)
    assert first.message == "xss"
    assert (second.line, second.severity, second.category, second.suggestion) == (7, "high", "performance", "cache it")


def test_adjusted_values_say_so() -> None:
    answer = findings_json(item(9, end_line=400, cwe="not-a-cwe", message="x" * 5000), item(6, end_line=2))
    parsed = parse_answer(answer, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    first, second = parsed.value.findings
    assert first.end_line == 10
    assert first.cwe is None
    assert len(first.message) == MAX_MESSAGE
    assert first.message.endswith("…")
    assert second.end_line == 6
    adjusted = [d.message for d in parsed.diagnostics if d.kind is AIDiagnosticKind.ADJUSTED_ITEM]
    assert any("clamped to 10" in m for m in adjusted)
    assert any("not a CWE number" in m for m in adjusted)
    assert any("truncated from 5000" in m for m in adjusted)
    assert any("before line 6" in m for m in adjusted)


def test_a_runaway_list_is_capped() -> None:
    answer = findings_json(*(item(2) for _ in range(MAX_ITEMS + 7)))
    parsed = parse_answer(answer, ReviewAnswer, context=BOUNDS)
    assert parsed.value is not None
    assert len(parsed.value.findings) == MAX_ITEMS
    assert any("7 items past" in d.message for d in parsed.diagnostics)


def test_reflection_scores_in_the_index_to_score_form() -> None:
    parsed = parse_answer('{"0": {"score": "7/10", "reason": "right"}, "1": 12, "2": -1}', ReflectionAnswer)
    assert parsed.value is not None
    assert [(s.index, s.score) for s in parsed.value.scores] == [(0, 7.0), (1, 10.0), (2, 0.0)]
    assert sum(d.kind is AIDiagnosticKind.ADJUSTED_ITEM for d in parsed.diagnostics) == 2


# --- ask: one retry ---------------------------------------------------------------------------------------------


def _request() -> ChatRequest:
    return structured_request((Message("system", "s"), Message("user", "review this")), ReviewAnswer, 256)


def test_request_carries_the_schema() -> None:
    request = _request()
    assert request.json_schema == ReviewAnswer.model_json_schema()
    assert request.temperature == 0.0
    assert request.max_tokens == 256


def test_unusable_answer_is_retried_once_with_the_error_then_succeeds() -> None:
    completer = ScriptedCompleter("I am sorry, I cannot review this.", findings_json(item(2)))
    result = ask(
        completer,
        TaskKind.CODE_REVIEW,
        _request(),
        ReviewAnswer,
        prompt_version="review_file@v1",
        context=BOUNDS,
        user="ana",
        review="r1",
    )
    assert result.value is not None
    assert [f.line for f in result.value.findings] == [2]
    assert [c.prompt_version for c in completer.calls] == ["review_file@v1", "review_file@v1+retry@v1"]
    retry = completer.calls[1]
    assert (retry.user, retry.review, retry.task) == ("ana", "r1", TaskKind.CODE_REVIEW)
    assert retry.request.json_schema == ReviewAnswer.model_json_schema()
    roles = [m.role for m in retry.request.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert retry.request.messages[2].content == "I am sorry, I cannot review this."
    assert "no JSON object or array in the answer" in retry.request.messages[3].content
    assert [d.kind for d in result.diagnostics] == [AIDiagnosticKind.RETRIED]
    assert len(result.completions) == 2
    assert result.completion is result.completions[1]


def test_all_items_invalid_is_retried_with_the_validation_errors() -> None:
    completer = ScriptedCompleter(findings_json(item(99)), findings_json(item(3)))
    result = ask(completer, TaskKind.CODE_REVIEW, _request(), ReviewAnswer, prompt_version="p@v1", context=BOUNDS)
    assert result.value is not None
    assert [f.line for f in result.value.findings] == [3]
    assert "line 99 is outside" in completer.calls[1].request.messages[-1].content


def test_two_bad_answers_give_no_value_and_never_raise() -> None:
    completer = ScriptedCompleter("nope", '{"findings": "none"}')
    result = ask(completer, TaskKind.CODE_REVIEW, _request(), ReviewAnswer, prompt_version="p@v1", path="a.py")
    assert result.value is None
    assert [d.kind for d in result.diagnostics] == [AIDiagnosticKind.RETRIED, AIDiagnosticKind.INVALID_ANSWER]
    assert "'findings' must be a list" in result.diagnostics[1].message
    assert len(completer.calls) == 2
    assert len(result.completions) == 2


def test_no_provider_on_the_first_call_propagates() -> None:
    completer = ScriptedCompleter(unavailable())
    with pytest.raises(AllProvidersFailed):
        ask(completer, TaskKind.CODE_REVIEW, _request(), ReviewAnswer, prompt_version="p@v1")


def test_no_provider_for_the_retry_is_a_diagnostic() -> None:
    completer = ScriptedCompleter("garbage", unavailable())
    result = ask(completer, TaskKind.CODE_REVIEW, _request(), ReviewAnswer, prompt_version="p@v1")
    assert result.value is None
    assert len(result.completions) == 1
    assert result.diagnostics[-1].kind is AIDiagnosticKind.INVALID_ANSWER
    assert "connection refused" in result.diagnostics[-1].message


def test_programming_errors_of_the_completer_propagate() -> None:
    completer = ScriptedCompleter(TypeError("bug"))
    with pytest.raises(TypeError):
        ask(completer, TaskKind.CODE_REVIEW, _request(), ReviewAnswer, prompt_version="p@v1")
