"""Review tasks: review code (findings), explain a finding, propose a fix, describe a diff, answer a question.

Each task renders its versioned prompt (``reviewlab/ai/prompts``), asks the ``Completer`` for JSON matching
its answer model (``structured.ask``: repaired, retried once, invalid items dropped) and checks the answer
against the code it was about: a finding must sit on a line the model was shown (on a changed line, for a
hunk), a patch must apply to the file and keep it parsing (``patches``). Code is redacted before it is sent
(``privacy``) unless a caller that already redacted it says ``redact=False``. A bad answer never raises:
the result carries the diagnostics. ``AllProvidersFailed`` does: no provider answering is for the caller
to report (``review.ai_review`` turns it into an "AI review unavailable" outcome).
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, TypeVar

from pydantic import BaseModel

from reviewlab.ai.base import Completion, Message, TaskKind, estimate_tokens
from reviewlab.ai.chunking import Chunk, ChunkKind, SourceText, TokenCounter, file_lines, hunk_ranges, render, split
from reviewlab.ai.patches import PatchError as PatchError
from reviewlab.ai.patches import apply_patch as apply_patch
from reviewlab.ai.privacy import RedactedText, redact_text
from reviewlab.ai.prompts import Prompt, load_prompt
from reviewlab.ai.schemas import (
    AIDiagnostic,
    AIDiagnosticKind,
    DiffSummaryAnswer,
    ExplainAnswer,
    FixAnswer,
    QuestionAnswer,
    ReviewAnswer,
    ReviewItem,
)
from reviewlab.ai.structured import Completer, Structured, ask, structured_request
from reviewlab.engine.analyzer import MAX_SNIPPET, fingerprint
from reviewlab.engine.languages import language_for_path
from reviewlab.engine.model import PLAIN_TEXT, Category, Confidence, Finding, Severity, Span

AI_RULE_ID = "AI-REVIEW"
MAX_KNOWN = 10  # static findings listed in a review prompt
MAX_KNOWN_MESSAGE = 100  # characters of each one's message
_EVERYTHING = sys.maxsize  # a token limit that never splits: the task callers sized the input already

A = TypeVar("A", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class AIFinding:
    """A finding a model made, with where it came from. ``score`` is self-reflection's 0-10, None when unscored.
    (``Finding`` has no field for these yet; ``to_dict`` adds them under ``"ai"``.)"""

    finding: Finding
    provider: str
    model: str
    prompt_version: str
    score: float | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = self.finding.to_dict()
        data["ai"] = {
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "score": self.score,
            "reason": self.reason,
        }
        return data


@dataclass(slots=True)
class TaskResult:
    diagnostics: list[AIDiagnostic] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)

    def add(self, answer: Structured[Any]) -> None:
        """Keep what asking for ``answer`` took and found: its completions and diagnostics."""
        self.diagnostics.extend(answer.diagnostics)
        self.completions.extend(answer.completions)


@dataclass(slots=True)
class ReviewTaskResult(TaskResult):
    findings: list[AIFinding] = field(default_factory=list)


@dataclass(slots=True)
class ExplainResult(TaskResult):
    value: ExplainAnswer | None = None


@dataclass(slots=True)
class FixResult(TaskResult):
    """A checked fix: ``patch`` is the unified diff as the model saw the file (secrets redacted), ``fixed`` the
    file's whole text after the fix, ready to write; both None when no usable patch came back."""

    patch: str | None = None
    fixed: str | None = None
    explanation: str = ""


@dataclass(slots=True)
class DiffSummaryResult(TaskResult):
    value: DiffSummaryAnswer | None = None
    omitted: list[str] = field(default_factory=list)  # files of the diff left out to fit the context


@dataclass(slots=True)
class AnswerResult(TaskResult):
    value: QuestionAnswer | None = None


def ask_prompt(
    completer: Completer,
    prompt: Prompt,
    messages: tuple[Message, ...],
    schema: type[A],
    *,
    task: TaskKind | None = None,
    max_tokens: int | None = None,
    context: Mapping[str, Any] | None = None,
    path: str | None = None,
    user: str | None = None,
    review: str | None = None,
    temperature: float = 0.0,
) -> Structured[A]:
    """``structured.ask`` with ``messages`` rendered from ``prompt``: routed by its task and limited to its
    ``max_tokens`` unless the caller sets either, under its version."""
    request = structured_request(messages, schema, max_tokens or prompt.max_tokens, temperature=temperature)
    return ask(
        completer,
        task or prompt.task,
        request,
        schema,
        prompt_version=prompt.ref,
        context=context,
        path=path,
        user=user,
        review=review,
    )


def _prepare(path: str, text: str, redact: bool, result: TaskResult) -> RedactedText:
    prepared = redact_text(text, path) if redact else RedactedText(text, 0)
    if prepared.secrets:
        result.diagnostics.append(
            AIDiagnostic(AIDiagnosticKind.REDACTED, f"{prepared.secrets} secret(s) redacted before sending", path)
        )
    return prepared


def _language(path: str) -> str:
    return language_for_path(path) or PLAIN_TEXT


def _window(lines: list[str], first: int, last: int) -> str:
    return render(lines[first - 1 : last], first, len(str(max(1, len(lines)))))


# --- review -----------------------------------------------------------------------------------------------


def review_chunk(
    completer: Completer,
    chunk: Chunk,
    *,
    known: Sequence[Finding] = (),
    task: TaskKind | None = None,
    max_tokens: int | None = None,
    user: str | None = None,
    review: str | None = None,
    prompt_version: int | None = None,
    temperature: float = 0.0,
) -> ReviewTaskResult:
    """The model's findings on one chunk (already redacted), each on a line of the chunk; for a hunk, on a
    changed line. ``known`` are static findings the prompt lists so the model does not repeat them.
    ``prompt_version`` picks the review prompt's version (None: the latest)."""
    prompt = load_prompt("review_hunk" if chunk.kind is ChunkKind.HUNK else "review_file", prompt_version)
    nearby = [f for f in known if chunk.start_line <= f.span.start_line <= chunk.end_line][:MAX_KNOWN]
    listed = (
        "\n".join(f"- line {f.span.start_line}: {f.rule_id} {f.message[:MAX_KNOWN_MESSAGE]}" for f in nearby)
        or "(none)"
    )
    messages = prompt.render(
        path=chunk.path,
        language=chunk.language,
        start_line=chunk.start_line,
        end_line=chunk.end_line,
        code=chunk.render(),
        known=listed,
    )
    answer = ask_prompt(
        completer,
        prompt,
        messages,
        ReviewAnswer,
        task=task,
        max_tokens=max_tokens,
        context={"first_line": chunk.start_line, "last_line": chunk.end_line},
        path=chunk.path,
        user=user,
        review=review,
        temperature=temperature,
    )
    result = ReviewTaskResult()
    result.add(answer)
    completion = answer.completion
    if answer.value is None or completion is None:
        return result
    for item in answer.value.findings:
        end = item.end_line or item.line
        if chunk.kind is ChunkKind.HUNK and not any(item.line <= n <= end for n in chunk.changed):
            result.diagnostics.append(
                AIDiagnostic(
                    AIDiagnosticKind.DROPPED_ITEM,
                    f"finding on line {item.line} dropped: not on a line the change adds or modifies",
                    chunk.path,
                    item.line,
                )
            )
            continue
        result.findings.append(AIFinding(_finding(chunk, item), completion.provider, completion.model, prompt.ref))
    return result


def _finding(chunk: Chunk, item: ReviewItem) -> Finding:
    end = item.end_line or item.line
    first, last = chunk.line(item.line), chunk.line(end)
    message = item.message if not item.suggestion else f"{item.message} Suggestion: {item.suggestion}"
    return Finding(
        rule_id=AI_RULE_ID,
        category=Category(item.category),
        severity=Severity(item.severity),
        confidence=Confidence.LOW,  # raised by self-reflection's score (``reflection.confidence_for``)
        cwe=item.cwe,
        path=chunk.path,
        span=Span(item.line, len(first) - len(first.lstrip()) + 1, end, len(last) + 1),
        snippet=first.strip()[:MAX_SNIPPET],
        message=message,
    )


def with_fingerprints(findings: Sequence[AIFinding]) -> list[AIFinding]:
    """``findings`` with stable fingerprints (the engine's: rule and category, path, the line's text, its
    occurrence), in report order."""
    ordered = sorted(findings, key=lambda a: (a.finding.path, a.finding.span.start_line, a.finding.category))
    occurrences: dict[tuple[str, str, str], int] = {}
    marked: list[AIFinding] = []
    for item in ordered:
        finding = item.finding
        rule = f"{AI_RULE_ID}/{finding.category.value}"
        normalized = " ".join(finding.snippet.split())
        nth = occurrences.get((rule, finding.path, normalized), 0)
        occurrences[(rule, finding.path, normalized)] = nth + 1
        marked.append(
            replace(item, finding=replace(finding, fingerprint=fingerprint(rule, finding.path, normalized, nth)))
        )
    return marked


def scrubbed(item: AIFinding, redacted: RedactedText) -> AIFinding:
    """``item`` with any secret of its file removed from its message (a model that saw the code unredacted)."""
    message = redacted.scrub(item.finding.message)
    return item if message == item.finding.message else replace(item, finding=replace(item.finding, message=message))


def review_file(
    completer: Completer,
    path: str,
    text: str,
    *,
    known: Sequence[Finding] = (),
    redact: bool = True,
    user: str | None = None,
    review: str | None = None,
) -> ReviewTaskResult:
    """Review a whole file in one call (``review.ai_review`` chunks large inputs to the context first)."""
    result = ReviewTaskResult()
    prepared = _prepare(path, text, redact, result)
    source = SourceText(path, _language(path), prepared.text)
    lines = source.lines
    if not lines:
        return result
    chunks, _ = split(source, 1, len(lines), _EVERYTHING)
    return _merge(result, [review_chunk(completer, c, known=known, user=user, review=review) for c in chunks], prepared)


def review_hunk(
    completer: Completer,
    path: str,
    text: str,
    changed: Sequence[int] | frozenset[int],
    *,
    context_lines: int = 5,
    known: Sequence[Finding] = (),
    redact: bool = True,
    user: str | None = None,
    review: str | None = None,
) -> ReviewTaskResult:
    """Review the lines of ``text`` (the file after the change) a change adds or modifies, one call per hunk."""
    result = ReviewTaskResult()
    prepared = _prepare(path, text, redact, result)
    source = SourceText(path, _language(path), prepared.text, changed=frozenset(changed))
    parts: list[ReviewTaskResult] = []
    for first, last in hunk_ranges(changed, len(source.lines), context_lines):
        chunks, _ = split(source, first, last, _EVERYTHING, kind=ChunkKind.HUNK)
        parts.extend(review_chunk(completer, c, known=known, user=user, review=review) for c in chunks)
    return _merge(result, parts, prepared)


def _merge(result: ReviewTaskResult, parts: list[ReviewTaskResult], prepared: RedactedText) -> ReviewTaskResult:
    found: list[AIFinding] = []
    for part in parts:
        result.diagnostics.extend(part.diagnostics)
        result.completions.extend(part.completions)
        found.extend(scrubbed(item, prepared) for item in part.findings)
    result.findings = with_fingerprints(found)
    return result


# --- explain, answer ---------------------------------------------------------------------------------------


def explain_finding(
    completer: Completer,
    finding: Finding,
    text: str,
    *,
    context_lines: int = 15,
    redact: bool = True,
    user: str | None = None,
    review: str | None = None,
) -> ExplainResult:
    """Explain ``finding`` (of the file whose content is ``text``) from the code around it."""
    result = ExplainResult()
    prepared = _prepare(finding.path, text, redact, result)
    lines = file_lines(prepared.text)
    first = max(1, finding.span.start_line - context_lines)
    last = min(len(lines), finding.span.end_line + context_lines)
    prompt = load_prompt("explain_finding")
    messages = prompt.render(
        path=finding.path,
        language=_language(finding.path),
        line=finding.span.start_line,
        rule_id=finding.rule_id,
        severity=finding.severity.value,
        category=finding.category.value,
        cwe=finding.cwe if finding.cwe is not None else "none",
        message=prepared.scrub(finding.message),
        code=_window(lines, first, last),
    )
    answer = ask_prompt(completer, prompt, messages, ExplainAnswer, path=finding.path, user=user, review=review)
    result.add(answer)
    if answer.value is not None:
        result.value = answer.value.model_copy(
            update={
                name: prepared.scrub(getattr(answer.value, name))
                for name in ("summary", "explanation", "recommendation")
            }
        )
    return result


def answer_question(
    completer: Completer,
    question: str,
    path: str,
    text: str,
    *,
    start_line: int = 1,
    end_line: int | None = None,
    redact: bool = True,
    user: str | None = None,
    review: str | None = None,
) -> AnswerResult:
    """Answer ``question`` about lines ``start_line``-``end_line`` of a file; the lines the answer cites are
    checked to be among them."""
    result = AnswerResult()
    prepared = _prepare(path, text, redact, result)
    lines = file_lines(prepared.text)
    first, last = max(1, start_line), min(len(lines), end_line or len(lines))
    prompt = load_prompt("answer_question")
    messages = prompt.render(
        path=path,
        language=_language(path),
        start_line=first,
        end_line=last,
        code=_window(lines, first, last),
        question=question,
    )
    bounds = {"first_line": first, "last_line": last}
    answer = ask_prompt(
        completer, prompt, messages, QuestionAnswer, context=bounds, path=path, user=user, review=review
    )
    result.add(answer)
    if answer.value is not None:
        result.value = answer.value.model_copy(update={"answer": prepared.scrub(answer.value.answer)})
    return result


# --- describe a diff --------------------------------------------------------------------------------------

_FILE_HEADER = re.compile(r"^diff --git a/(\S+) b/(\S+)", re.MULTILINE)


def describe_diff(
    completer: Completer,
    diff: str,
    *,
    max_input_tokens: int = 6000,
    count_tokens: TokenCounter = estimate_tokens,
    redact: bool = True,
    user: str | None = None,
    review: str | None = None,
) -> DiffSummaryResult:
    """Summarise a unified diff. Files of the diff past ``max_input_tokens`` are left out, and listed."""
    result = DiffSummaryResult()
    prepared = _prepare("change.diff", diff, redact, result)
    # One section per file of the diff; text before the first file header goes with the first file.
    bounds = [0, *(m.start() for m in _FILE_HEADER.finditer(prepared.text) if m.start() > 0), len(prepared.text)]
    kept: list[str] = []
    spent = 0
    for low, high in pairwise(bounds):
        section = prepared.text[low:high]
        tokens = count_tokens(section)
        if spent + tokens > max_input_tokens:
            match = _FILE_HEADER.search(section)
            result.omitted.append(match.group(2) if match else f"{section.count(chr(10)) + 1} lines")
            continue
        kept.append(section)
        spent += tokens
    if not kept:
        result.diagnostics.append(
            AIDiagnostic(
                AIDiagnosticKind.TRUNCATED_INPUT, f"no file of the diff fits {max_input_tokens} tokens; not sent"
            )
        )
        return result
    omitted = f"({len(result.omitted)} more files not shown: {', '.join(result.omitted)})" if result.omitted else ""
    if result.omitted:
        result.diagnostics.append(AIDiagnostic(AIDiagnosticKind.TRUNCATED_INPUT, f"not sent, over budget: {omitted}"))
    prompt = load_prompt("describe_diff")
    messages = prompt.render(diff="".join(kept).rstrip("\n"), omitted=omitted)
    answer = ask_prompt(completer, prompt, messages, DiffSummaryAnswer, user=user, review=review)
    result.add(answer)
    result.value = answer.value
    return result


# --- propose a fix ----------------------------------------------------------------------------------------


def propose_fix(
    completer: Completer,
    path: str,
    text: str,
    problem: str,
    line: int,
    *,
    context_lines: int = 40,
    redact: bool = True,
    user: str | None = None,
    review: str | None = None,
) -> FixResult:
    """A patch fixing ``problem`` at ``line`` of the file, checked to apply and to keep the file parsing; a patch
    that does not is dropped with a diagnostic."""
    result = FixResult()
    prepared = _prepare(path, text, redact, result)
    lines = file_lines(prepared.text)
    first, last = max(1, line - context_lines), min(len(lines), line + context_lines)
    prompt = load_prompt("propose_fix")
    messages = prompt.render(
        path=path,
        language=_language(path),
        line=line,
        problem=prepared.scrub(problem),
        code=_window(lines, first, last),
    )
    answer = ask_prompt(completer, prompt, messages, FixAnswer, path=path, user=user, review=review)
    result.add(answer)
    if answer.value is None:
        return result
    try:
        new_seen, fixed = apply_patch(answer.value.patch, path, prepared.text, text)
    except PatchError as err:
        result.diagnostics.append(AIDiagnostic(AIDiagnosticKind.PATCH_REJECTED, f"patch dropped: {err}", path, line))
        return result
    result.patch = "".join(
        difflib.unified_diff(
            prepared.text.splitlines(keepends=True),
            new_seen.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
    result.fixed = fixed
    result.explanation = prepared.scrub(answer.value.explanation)
    return result
