"""The AI review driver over a finished static review: findings, reflection, de-duplication, the not-sent
report, usage per provider, and the static review surviving when no provider answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewlab.ai.base import ChatRequest, TaskKind
from reviewlab.ai.chunking import NotSentReason
from reviewlab.ai.review import AIReviewConfig, AIReviewOutcome, AIReviewStatus, ai_review
from reviewlab.ai.schemas import AIDiagnosticKind
from reviewlab.engine.languages import language_for_path
from reviewlab.engine.model import PLAIN_TEXT, Category, Confidence, FileRecord, Finding, ReviewResult, Severity, Span
from reviewlab.engine.pipeline import review
from reviewlab.errors import ConfigError
from tests.ai.completers import ScriptedCompleter, unavailable

APP = """import sqlite3


def find_user(db, name):
    return db.execute("SELECT * FROM users WHERE name = '%s'" % name).fetchall()


def run(expression):
    return eval(expression)


def total(values):
    result = 0
    for value in values:
        result = result + value
    return result
"""

_NUMBERED = re.compile(r"^[+ ]?\s*(\d+) \| (.*)$", re.MULTILINE)


def _user(request: ChatRequest) -> str:
    return next(m.content for m in request.messages if m.role == "user")


def spotter(request: ChatRequest) -> str:
    """A model that reports every ``eval(`` (security, CWE-95), every ``execute(`` (security, CWE-89) and every
    ``result = result +`` (performance)."""
    found = []
    for number, code in _NUMBERED.findall(_user(request)):
        if "eval(" in code:
            found.append(
                {"line": int(number), "severity": "high", "category": "security", "cwe": 95, "message": "eval"}
            )
        if "execute(" in code:
            found.append({"line": int(number), "severity": "high", "category": "security", "cwe": 89, "message": "sql"})
        if "result = result +" in code:
            found.append(
                {"line": int(number), "severity": "low", "category": "performance", "message": "use sum() instead"}
            )
    return json.dumps({"findings": found})


def judge(request: ChatRequest) -> str:
    """Self-reflection that believes security findings (9) and doubts the rest (2)."""
    suggestions = re.findall(r"^\[(\d+)\] lines \S+ \((\w+) (\w+)", _user(request), re.MULTILINE)
    return json.dumps(
        {
            "scores": [
                {"index": int(i), "score": 9 if category == "security" else 2, "reason": category}
                for i, _, category in suggestions
            ]
        }
    )


def model() -> ScriptedCompleter:
    return ScriptedCompleter(routes={"review_file": spotter, "review_hunk": spotter, "reflect": judge})


def static_finding(path: str, line: int, rule: str = "PY-S001", cwe: int | None = 95) -> Finding:
    return Finding(
        rule, Category.SECURITY, Severity.HIGH, Confidence.HIGH, cwe, path, Span(line, 12, line, 30), "s", "m"
    )


def project(tmp_path: Path, files: dict[str, str | bytes], findings: list[Finding] | None = None) -> ReviewResult:
    records = []
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        target.write_bytes(data)
        lines = data.count(b"\n")
        records.append(FileRecord(name, language_for_path(name) or PLAIN_TEXT, lines, "0" * 64))
    return ReviewResult(str(tmp_path), "test", "2026-01-01T00:00:00Z", files=records, findings=findings or [])


def test_ai_review_over_a_real_static_review(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    static = review(tmp_path, jobs=1)
    assert {(f.rule_id, f.span.start_line) for f in static.findings} >= {("PY-S003", 5), ("PY-S001", 9)}
    completer = model()
    outcome = ai_review(static, tmp_path, completer, user="ana", review_id="r42")
    assert outcome.status is AIReviewStatus.COMPLETE
    assert outcome.chunks_sent == 1
    # eval (line 9) and SQL (line 5) are static findings already; the performance remark scored 2 < 6.
    assert outcome.findings == []
    kinds = [d.kind for d in outcome.diagnostics]
    assert kinds.count(AIDiagnosticKind.DUPLICATE) == 2
    assert kinds.count(AIDiagnosticKind.LOW_SCORE) == 1
    assert [c.prompt_version for c in completer.calls] == ["review_file@v1", "reflect@v1"]
    assert completer.calls[0].task is TaskKind.SECURITY  # the chunk holds static security findings
    assert all((c.user, c.review) == ("ana", "r42") for c in completer.calls)
    assert "PY-S001" in completer.calls[0].text  # the static findings are listed in the prompt


def test_ai_findings_carry_provider_model_score_and_a_stable_fingerprint(tmp_path: Path) -> None:
    result = project(tmp_path, {"app.py": APP})
    outcome = ai_review(result, tmp_path, model(), config=AIReviewConfig(reflection_threshold=1))
    by_line = {f.finding.span.start_line: f for f in outcome.findings}
    assert sorted(by_line) == [5, 9, 15]
    sql = by_line[5]
    assert (sql.provider, sql.model, sql.score, sql.prompt_version) == ("fake", "fake-coder:7b", 9.0, "review_file@v1")
    assert (sql.finding.rule_id, sql.finding.cwe, sql.finding.confidence) == ("AI-REVIEW", 89, Confidence.HIGH)
    assert sql.finding.snippet == APP.splitlines()[4].strip()
    assert by_line[15].finding.confidence is Confidence.LOW
    assert by_line[15].score == 2.0
    again = ai_review(result, tmp_path, model(), config=AIReviewConfig(reflection_threshold=1))
    assert [f.finding.fingerprint for f in again.findings] == [f.finding.fingerprint for f in outcome.findings]
    assert len({f.finding.fingerprint for f in outcome.findings}) == 3
    json.dumps(outcome.to_dict())


def test_usage_per_provider_and_model(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP, "b.py": APP})
    outcome = ai_review(result, tmp_path, model())
    (usage,) = outcome.usage
    assert (usage.provider, usage.model, usage.calls, usage.cached_calls) == ("fake", "fake-coder:7b", 4, 0)
    assert usage.latency_s == pytest.approx(1.0)
    assert usage.input_tokens > 0
    assert usage.output_tokens > 0
    assert outcome.to_dict()["usage"][0]["calls"] == 4


def test_no_provider_the_review_says_ai_was_unavailable_and_why(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP, "b.py": APP})
    outcome = ai_review(result, tmp_path, ScriptedCompleter(unavailable()))
    assert outcome.status is AIReviewStatus.UNAVAILABLE
    assert outcome.findings == []
    assert outcome.unavailable_reason is not None
    assert "connection refused" in outcome.unavailable_reason
    assert [(a.provider, a.error) for a in outcome.attempts] == [
        ("ollama", "ProviderUnavailable"),
        ("openai", "RateLimited"),
    ]
    assert sorted((n.path, n.reason) for n in outcome.not_sent) == [
        ("a.py", NotSentReason.UNAVAILABLE),
        ("b.py", NotSentReason.UNAVAILABLE),
    ]
    assert outcome.to_dict()["attempts"][1]["message"] == "429 Too Many Requests"
    assert result.findings == []
    assert len(result.files) == 2


def test_providers_failing_midway_keep_what_was_answered(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP, "b.py": APP})
    completer = ScriptedCompleter(spotter, judge, unavailable())
    outcome = ai_review(result, tmp_path, completer)
    assert outcome.status is AIReviewStatus.PARTIAL
    assert outcome.chunks_sent == 1
    assert {f.finding.path for f in outcome.findings} == {"a.py"}
    assert [(n.path, n.reason) for n in outcome.not_sent] == [("b.py", NotSentReason.UNAVAILABLE)]


def test_bad_answers_never_crash_the_review(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP})
    completer = ScriptedCompleter(routes={"review_file": "```\nI think the code is fine!\n```"})
    outcome = ai_review(result, tmp_path, completer)
    assert outcome.status is AIReviewStatus.COMPLETE
    assert outcome.findings == []
    assert [d.kind for d in outcome.diagnostics] == [AIDiagnosticKind.RETRIED, AIDiagnosticKind.INVALID_ANSWER]
    assert outcome.usage[0].calls == 2


def test_reflection_failure_keeps_the_suggestions_unscored(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP})
    completer = ScriptedCompleter(spotter, unavailable())
    outcome = ai_review(result, tmp_path, completer)
    assert outcome.status is AIReviewStatus.COMPLETE
    assert len(outcome.findings) == 3
    assert all(f.score is None for f in outcome.findings)
    assert any(d.kind is AIDiagnosticKind.REFLECTION_FAILED for d in outcome.diagnostics)


def test_the_not_sent_report(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "hot.py": APP,
        "cold.py": APP.replace("eval", "print"),
        "blob.py": b"\x00\x01\x02binary",
        "latin.py": "caf\xe9 = 1\n".encode("latin-1"),
        "huge.py": "x = 1\n" * 2000,
        "settings.yaml": "debug: true\n",
        "vendor/lib.py": APP,
        "empty.py": "",
    }
    result = project(tmp_path, files, [static_finding("hot.py", 9)])
    config = AIReviewConfig(max_chunks=1, max_file_bytes=5000, exclude=("vendor/*",), tasks=("review",))
    completer = model()
    outcome = ai_review(result, tmp_path, config=config, completer=completer)
    assert [c.text.count("hot.py") > 0 for c in completer.calls] == [True]  # the risky file went first
    report = {n.path: (n.reason, n.detail) for n in outcome.not_sent}
    assert report["blob.py"][0] is NotSentReason.BINARY
    assert report["latin.py"] == (NotSentReason.BINARY, "not UTF-8 text")
    assert report["huge.py"][0] is NotSentReason.TOO_LARGE
    assert "12000 bytes" in report["huge.py"][1]
    assert report["settings.yaml"][0] is NotSentReason.EXCLUDED
    assert report["vendor/lib.py"] == (NotSentReason.EXCLUDED, "matches the exclude pattern 'vendor/*'")
    assert report["empty.py"][0] is NotSentReason.EMPTY
    assert report["cold.py"][0] is NotSentReason.OVER_BUDGET
    assert "budget of 1 chunks" in report["cold.py"][1]
    assert len(outcome.not_sent) == 7


def test_a_change_sends_only_its_hunks(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP, "b.py": APP})
    completer = model()
    outcome = ai_review(result, tmp_path, completer, changed={"a.py": {9}}, config=AIReviewConfig(hunk_context_lines=2))
    (call, _reflect) = completer.calls
    assert call.prompt_version == "review_hunk@v1"
    assert "+ 9 |" in call.text
    assert " 6 |" not in call.text
    assert "12 |" not in call.text
    assert [f.finding.span.start_line for f in outcome.findings] == [9]
    assert [(n.path, n.reason, n.detail) for n in outcome.not_sent] == [
        ("b.py", NotSentReason.EXCLUDED, "not changed by the reviewed change")
    ]


def test_describe_task_summarises_the_diff(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP})
    completer = ScriptedCompleter(
        routes={"review_file": '{"findings": []}', "describe_diff": '{"summary": "Adds run()."}'}
    )
    config = AIReviewConfig(tasks=("review", "describe"))
    outcome = ai_review(result, tmp_path, completer, config=config, diff="diff --git a/a.py b/a.py\n+x\n")
    assert outcome.description is not None
    assert outcome.description.summary == "Adds run()."
    assert outcome.to_dict()["description"]["summary"] == "Adds run()."


def test_nothing_to_send(tmp_path: Path) -> None:
    result = project(tmp_path, {"settings.yaml": "a: 1\n"})
    outcome = ai_review(result, tmp_path, ScriptedCompleter())
    assert outcome.status is AIReviewStatus.NOTHING_TO_SEND
    assert [n.reason for n in outcome.not_sent] == [NotSentReason.EXCLUDED]


def test_a_single_reviewed_file_as_root(tmp_path: Path) -> None:
    result = project(tmp_path, {"app.py": APP})
    outcome = ai_review(result, tmp_path / "app.py", model())
    assert outcome.chunks_sent == 1


# --- configuration ----------------------------------------------------------------------------------------------


def test_config_from_its_table() -> None:
    config = AIReviewConfig.from_table({"reflection_threshold": 7.5, "tasks": ["review"], "max_chunks": 3})
    assert (config.reflection_threshold, config.tasks, config.max_chunks) == (7.5, ("review",), 3)
    assert AIReviewConfig.from_table(None) == AIReviewConfig()
    with pytest.raises(ConfigError, match="reflection_treshold"):
        AIReviewConfig.from_table({"reflection_treshold": 7})
    with pytest.raises(ConfigError, match="tasks"):
        AIReviewConfig.from_table({"tasks": ["review", "poetry"]})
    with pytest.raises(ConfigError, match="max_answer_tokens must leave"):
        AIReviewConfig.from_table({"context_tokens": 1024, "max_answer_tokens": 1000})
    with pytest.raises(ValueError, match="frozen"):
        config.max_chunks = 9


def test_a_context_too_small_for_any_code_is_a_config_error(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP})
    with pytest.raises(ConfigError, match="holds no code"):
        ai_review(result, tmp_path, model(), config=AIReviewConfig(context_tokens=600, max_answer_tokens=300))


def test_reflection_can_be_turned_off(tmp_path: Path) -> None:
    result = project(tmp_path, {"a.py": APP})
    completer = model()
    outcome = ai_review(result, tmp_path, completer, config=AIReviewConfig(tasks=("review",)))
    assert [c.prompt for c in completer.calls] == ["review_file"]
    assert len(outcome.findings) == 3
    assert all(f.score is None for f in outcome.findings)


def test_outcome_defaults_are_empty() -> None:
    outcome = AIReviewOutcome()
    assert outcome.to_dict()["status"] == "complete"
    assert outcome.to_dict()["findings"] == []
