"""The review tasks end to end against the scripted completer, the prompt registry, and patch checking."""

from __future__ import annotations

import json
import re

import pytest

from reviewlab.ai.base import AllProvidersFailed, TaskKind
from reviewlab.ai.prompts import PromptError, all_prompts, load_prompt
from reviewlab.ai.schemas import AIDiagnosticKind, ReviewAnswer
from reviewlab.ai.tasks import (
    AI_RULE_ID,
    PatchError,
    answer_question,
    apply_patch,
    describe_diff,
    explain_finding,
    propose_fix,
    review_file,
    review_hunk,
)
from reviewlab.engine.model import Category, Confidence, Finding, Severity, Span
from tests.ai.completers import ScriptedCompleter, findings_json, item, unavailable

CODE = """import sqlite3


def find_user(db, name):
    query = "SELECT * FROM users WHERE name = '" + name + "'"
    return db.execute(query).fetchall()


def total(values):
    result = 0
    for value in values:
        result = result + value
    return result
"""


# --- prompts ----------------------------------------------------------------------------------------------------

TASK_PROMPTS = {
    "review_file",
    "review_hunk",
    "reflect",
    "explain_finding",
    "propose_fix",
    "describe_diff",
    "answer_question",
    "retry",
}


def test_every_prompt_file_loads_and_declares_what_it_uses() -> None:
    prompts = all_prompts()
    assert set(prompts) == TASK_PROMPTS
    for name, versions in prompts.items():
        for version, prompt in versions.items():
            assert prompt.ref == f"{name}@v{version}"
            assert isinstance(prompt.task, TaskKind)
            assert prompt.description
            system, user = prompt.render(**{v: f"<{v}>" for v in prompt.variables})
            assert system.role == "system"
            assert user.role == "user"
            assert "{{" not in system.content + user.content


def test_render_needs_exactly_the_declared_variables_and_substitutes_once() -> None:
    prompt = load_prompt("retry")
    with pytest.raises(PromptError, match="missing"):
        prompt.render()
    with pytest.raises(PromptError, match="unknown"):
        prompt.render(error="e", extra="x")
    _, user = prompt.render(error="the code says {{error}}")
    assert "the code says {{error}}" in user.content
    with pytest.raises(PromptError, match="no prompt named"):
        load_prompt("nonexistent")
    with pytest.raises(PromptError, match="no version 99"):
        load_prompt("retry", 99)


# --- review ------------------------------------------------------------------------------------------------------


def test_review_file_end_to_end() -> None:
    answer = findings_json(
        item(5, end_line=6, cwe=89, message="SQL built by concatenation", suggestion="use a parameter"),
        item(12, severity="low", category="performance", message="use sum()"),
    )
    completer = ScriptedCompleter(answer)
    result = review_file(completer, "app/users.py", CODE, user="ana", review="r7")
    call = completer.calls[0]
    assert call.prompt_version == "review_file@v1"
    assert call.task is TaskKind.CODE_REVIEW
    assert (call.user, call.review) == ("ana", "r7")
    assert call.request.json_schema == ReviewAnswer.model_json_schema()
    assert " 5 | " + '    query = "SELECT' in call.text  # numbered lines, the file's numbers
    assert "Lines 1-13" in call.text or "lines 1-13" in call.text
    sql, perf = result.findings
    f = sql.finding
    assert (f.rule_id, f.category, f.severity, f.cwe, f.confidence) == (
        AI_RULE_ID,
        Category.SECURITY,
        Severity.HIGH,
        89,
        Confidence.LOW,
    )
    assert f.path == "app/users.py"
    assert f.span == Span(5, 5, 6, len("    return db.execute(query).fetchall()") + 1)
    assert f.snippet == CODE.splitlines()[4].strip()
    assert f.message == "SQL built by concatenation Suggestion: use a parameter"
    assert re.fullmatch(r"[0-9a-f]{32}", f.fingerprint)
    assert (sql.provider, sql.model, sql.prompt_version, sql.score) == ("fake", "fake-coder:7b", "review_file@v1", None)
    assert perf.finding.category is Category.PERFORMANCE
    assert perf.finding.severity is Severity.LOW
    assert sql.to_dict()["ai"]["provider"] == "fake"
    json.dumps([x.to_dict() for x in result.findings])
    again = review_file(ScriptedCompleter(answer), "app/users.py", CODE)
    assert [x.finding.fingerprint for x in again.findings] == [x.finding.fingerprint for x in result.findings]


def test_review_file_static_findings_are_listed_in_the_prompt() -> None:
    static = Finding(
        "PY-S001",
        Category.SECURITY,
        Severity.HIGH,
        Confidence.HIGH,
        89,
        "a.py",
        Span(5, 5, 5, 60),
        "q",
        "SQL injection",
    )
    completer = ScriptedCompleter('{"findings": []}')
    result = review_file(completer, "a.py", CODE, known=[static])
    assert result.findings == []
    assert "- line 5: PY-S001 SQL injection" in completer.calls[0].text


def test_review_file_garbage_answer_gives_diagnostics_not_an_exception() -> None:
    completer = ScriptedCompleter("<html>502 Bad Gateway</html>", "still not json")
    result = review_file(completer, "a.py", CODE)
    assert result.findings == []
    assert [d.kind for d in result.diagnostics] == [AIDiagnosticKind.RETRIED, AIDiagnosticKind.INVALID_ANSWER]
    assert len(result.completions) == 2


def test_review_hunk_keeps_findings_on_changed_lines_only() -> None:
    completer = ScriptedCompleter(findings_json(item(5), item(10, category="quality", severity="low")))
    result = review_hunk(completer, "a.py", CODE, [5], context_lines=5)
    call = completer.calls[0]
    assert call.prompt_version == "review_hunk@v1"
    assert "+ 5 | " in call.text
    assert "  4 | " in call.text
    assert " 11 | " not in call.text
    assert [x.finding.span.start_line for x in result.findings] == [5]
    assert any(
        d.kind is AIDiagnosticKind.DROPPED_ITEM and "not on a line the change adds" in d.message
        for d in result.diagnostics
    )


def test_review_hunk_one_call_per_hunk() -> None:
    completer = ScriptedCompleter('{"findings": []}', '{"findings": []}')
    review_hunk(completer, "a.py", CODE, [2, 12], context_lines=1)
    assert [(c.text.count("+ 2 |"), c.text.count("+12 |")) for c in completer.calls] == [(1, 0), (0, 1)]


def test_tasks_let_no_provider_propagate() -> None:
    with pytest.raises(AllProvidersFailed):
        review_file(ScriptedCompleter(unavailable()), "a.py", CODE)


# --- explain, answer, describe ---------------------------------------------------------------------------------------


def _sql_finding() -> Finding:
    return Finding(
        "PY-S001",
        Category.SECURITY,
        Severity.HIGH,
        Confidence.HIGH,
        89,
        "app.py",
        Span(5, 5, 5, 60),
        "query = ...",
        "SQL injection: query built from a parameter",
    )


def test_explain_finding() -> None:
    answer = {"summary": "SQL injection", "explanation": "name reaches the query", "recommendation": "bind it"}
    completer = ScriptedCompleter("```json\n" + json.dumps(answer) + "\n```")
    result = explain_finding(completer, _sql_finding(), CODE, context_lines=1)
    assert result.value is not None
    assert result.value.recommendation == "bind it"
    call = completer.calls[0]
    assert call.prompt_version == "explain_finding@v1"
    assert "PY-S001" in call.text
    assert "CWE: 89" in call.text
    assert "4 | def find_user" in call.text
    assert "6 | " in call.text
    assert "7 | " not in call.text
    assert [d.kind for d in result.diagnostics] == [AIDiagnosticKind.REPAIRED]


def test_answer_question_checks_the_cited_lines() -> None:
    completer = ScriptedCompleter('{"answer": "It sums the values.", "lines": [9, "12", 40, 2]}')
    result = answer_question(completer, "What does total do?", "a.py", CODE, start_line=9, end_line=13)
    assert result.value is not None
    assert result.value.lines == [9, 12]
    assert completer.calls[0].prompt_version == "answer_question@v1"
    assert "What does total do?" in completer.calls[0].text
    assert sum(d.kind is AIDiagnosticKind.ADJUSTED_ITEM for d in result.diagnostics) == 2


DIFF = "".join(
    f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n@@ -1,1 +1,1 @@\n-old {name}\n+new {body}\n"
    for name, body in [("a.py", "a"), ("b.py", "b" * 400), ("c.py", "c")]
)


def test_describe_diff_and_what_did_not_fit() -> None:
    answer = '{"summary": "Renames things.", "changes": ["a.py: new a", 3], "risks": []}'
    completer = ScriptedCompleter(answer)
    result = describe_diff(completer, DIFF, max_input_tokens=80)
    assert result.value is not None
    assert result.value.changes == ["a.py: new a"]
    assert result.omitted == ["b.py"]
    sent = completer.calls[0].text
    assert "new a" in sent
    assert "new c" in sent
    assert "new bbbb" not in sent
    assert "1 more files not shown: b.py" in sent
    assert completer.calls[0].prompt_version == "describe_diff@v1"
    assert any(d.kind is AIDiagnosticKind.TRUNCATED_INPUT for d in result.diagnostics)


def test_describe_diff_that_fits_nowhere_is_not_sent() -> None:
    completer = ScriptedCompleter()
    result = describe_diff(completer, DIFF, max_input_tokens=5)
    assert result.value is None
    assert completer.calls == []
    assert result.omitted == ["a.py", "b.py", "c.py"]


# --- propose a fix ------------------------------------------------------------------------------------------------

PATCH = """--- a/app.py
+++ b/app.py
@@ -4,3 +4,3 @@
 def find_user(db, name):
-    query = "SELECT * FROM users WHERE name = '" + name + "'"
-    return db.execute(query).fetchall()
+    query = "SELECT * FROM users WHERE name = ?"
+    return db.execute(query, (name,)).fetchall()
"""
FIXED = CODE.replace('name = \'" + name + "\'"', 'name = ?"').replace("execute(query)", "execute(query, (name,))")


def test_propose_fix_applies_and_checks_the_patch() -> None:
    completer = ScriptedCompleter(json.dumps({"patch": PATCH, "explanation": "bind the parameter"}))
    result = propose_fix(completer, "app.py", CODE, "SQL injection", 5)
    assert completer.calls[0].prompt_version == "propose_fix@v1"
    assert result.fixed == FIXED
    assert result.patch is not None
    assert result.patch.startswith("--- a/app.py\n+++ b/app.py\n")
    assert '+    query = "SELECT * FROM users WHERE name = ?"' in result.patch
    assert result.explanation == "bind the parameter"


def test_patch_with_wrong_line_numbers_applies_at_the_nearest_match() -> None:
    moved = PATCH.replace("@@ -4,3 +4,3 @@", "@@ -7,3 +7,3 @@")
    assert apply_patch(moved, "app.py", CODE, CODE)[1] == FIXED


def test_patch_without_headers_or_with_copied_line_numbers_applies() -> None:
    bare = "\n".join(PATCH.splitlines()[3:]) + "\n"
    assert apply_patch(bare, "app.py", CODE, CODE)[1] == FIXED
    numbered = PATCH.replace(" def find_user", "  4 | def find_user").replace(
        "-    query = \"SELECT * FROM users WHERE name = '", "-  5 |     query = \"SELECT * FROM users WHERE name = '"
    )
    numbered = numbered.replace("-    return db.execute(query)", "-  6 |     return db.execute(query)")
    assert apply_patch(numbered, "app.py", CODE, CODE)[1] == FIXED


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        (PATCH.replace(" def find_user(db, name):", " def find_person(db, name):"), "does not match the file"),
        (PATCH.replace("a/app.py", "a/other.py").replace("b/app.py", "b/other.py"), "is for 'other.py'"),
        (PATCH.replace("(name,)).fetchall()", "(name,)).fetchall("), "would not parse"),
        (" def find_user(db, name):\n", "changes nothing"),
        ("Here is the fix: replace the query.", "is not a line of a unified diff"),
        (
            PATCH.replace('+    query = "SELECT * FROM users WHERE name = ?"', '+    token = "ghp_…(40 chars)"'),
            "redacted secret",
        ),
    ],
)
def test_patches_that_cannot_be_offered_are_rejected(patch: str, reason: str) -> None:
    with pytest.raises(PatchError, match=re.escape(reason)):
        apply_patch(patch, "app.py", CODE, CODE)
    completer = ScriptedCompleter(json.dumps({"patch": patch}))
    result = propose_fix(completer, "app.py", CODE, "SQL injection", 5)
    assert result.patch is None
    assert result.fixed is None
    assert result.diagnostics[-1].kind is AIDiagnosticKind.PATCH_REJECTED
    assert reason in result.diagnostics[-1].message


def test_ambiguous_hunk_without_position_is_rejected() -> None:
    text = "x = 1\ny = 2\nx = 1\ny = 2\n"
    with pytest.raises(PatchError, match="2 places"):
        apply_patch(" x = 1\n-y = 2\n+y = 3\n", "a.py", text, text)
    assert apply_patch("@@ -3,2 +3,2 @@\n x = 1\n-y = 2\n+y = 3\n", "a.py", text, text)[1] == (
        "x = 1\ny = 2\nx = 1\ny = 3\n"
    )


def test_patch_keeps_crlf_line_endings() -> None:
    text = "a = 1\r\nb = 2\r\n"
    assert apply_patch("@@ -2 +2 @@\n-b = 2\n+b = 3\n", "a.py", text, text)[1] == "a = 1\r\nb = 3\r\n"
