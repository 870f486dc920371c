"""The AI review of a finished static review (``reviewlab review --ai``).

``ai_review`` reads the reviewed files, redacts their secrets, chunks them to the model's context in risk
order (``chunking``), asks for findings chunk by chunk (``tasks.review_chunk``), lets the model score its
own suggestions (``reflection.reflect``), drops what a static rule already reports (``reflection.dedupe``)
and returns the AI findings with everything the user should know: what was not sent and why, which answers
were repaired, retried or dropped, and the tokens and latency each provider and model used.

The static review never depends on it: when no provider answers (``AllProvidersFailed``) the outcome says
AI review was unavailable, with every attempt, and holds no findings. If providers stop answering midway,
the findings of the chunks already answered are kept, the outcome is ``partial`` and the chunks left are
listed as not sent. Configuration is the ``[reviewlab.ai.review]`` table::

    [reviewlab.ai.review]
    tasks = ["review", "reflect"]    # add "describe" for a summary of the reviewed diff
    reflection_threshold = 6         # self-reflection scores 0-10; lower-scored suggestions are dropped
    context_tokens = 8192            # the model's context; a chunk gets what the prompt and answer leave
    max_answer_tokens = 1024
    max_chunks = 40                  # per review, highest-risk code first
    max_input_tokens = 200000        # per review, prompts included
    max_file_bytes = 524288          # larger files are not sent
    hunk_context_lines = 5           # lines around each changed line, when a change is reviewed
    overlap_lines = 3                # between windows of a file split where no function or class starts
    include_text_files = false       # config and text files the secret rules read (.env, YAML) are not code
    exclude = ["tests/fixtures/*"]   # fnmatch patterns of paths never sent
    redact_secrets = true            # for every provider (see ``privacy``)
    prompt_version = 1               # the review prompts' version (default: the latest); a model configuration pins it
    temperature = 0.0                # sampling temperature of every call (0: deterministic)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reviewlab.ai.base import AllProvidersFailed, Attempt, Completion, TaskKind, estimate_tokens
from reviewlab.ai.chunking import Chunk, NotSent, NotSentReason, SourceText, TokenCounter, context_budget, plan_chunks
from reviewlab.ai.privacy import RedactedText, redact_text
from reviewlab.ai.prompts import all_prompts, load_prompt
from reviewlab.ai.reflection import dedupe, reflect
from reviewlab.ai.schemas import AIDiagnostic, AIDiagnosticKind, DiffSummaryAnswer, ReflectionAnswer, ReviewAnswer
from reviewlab.ai.structured import Completer
from reviewlab.ai.tasks import MAX_KNOWN, MAX_KNOWN_MESSAGE, AIFinding, describe_diff, review_chunk, with_fingerprints
from reviewlab.engine.analyzer import MAX_SNIPPET
from reviewlab.engine.model import PLAIN_TEXT, Category, Finding, ReviewResult
from reviewlab.errors import ConfigError

ReviewTask = Literal["review", "reflect", "describe"]


class AIReviewConfig(BaseModel):
    """The ``[reviewlab.ai.review]`` table (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tasks: tuple[ReviewTask, ...] = ("review", "reflect")
    reflection_threshold: float = Field(default=6.0, ge=0, le=10)
    context_tokens: int = Field(default=8192, ge=512)
    max_answer_tokens: int = Field(default=1024, ge=64)
    max_chunks: int = Field(default=40, ge=0)
    max_input_tokens: int = Field(default=200_000, ge=0)
    max_file_bytes: int = Field(default=512 * 1024, ge=1)
    hunk_context_lines: int = Field(default=5, ge=0)
    overlap_lines: int = Field(default=3, ge=0)
    include_text_files: bool = False
    exclude: tuple[str, ...] = ()
    redact_secrets: bool = True
    prompt_version: int | None = Field(default=None, ge=1)  # of review_file / review_hunk; None: the latest
    temperature: float = Field(default=0.0, ge=0, le=2)

    @model_validator(mode="after")
    def _room_for_code(self) -> AIReviewConfig:
        if self.max_answer_tokens * 2 > self.context_tokens:
            raise ValueError("max_answer_tokens must leave at least half of context_tokens for the prompt and code")
        if self.prompt_version is not None:
            for name in ("review_file", "review_hunk"):
                if self.prompt_version not in all_prompts().get(name, {}):
                    raise ValueError(f"prompt_version: there is no version {self.prompt_version} of the {name} prompt")
        return self

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None, *, source: str = "[reviewlab.ai.review]") -> AIReviewConfig:
        """Validate a parsed ``[reviewlab.ai.review]`` table (None: all defaults); problems are one ``ConfigError``."""
        try:
            return cls.model_validate(dict(table or {}))
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'table'}: {str(e['msg']).removeprefix('Value error, ')}"
                for e in err.errors(include_url=False)
            )
            raise ConfigError(f"invalid AI review configuration in {source}: {problems}") from err


class AIReviewStatus(StrEnum):
    COMPLETE = "complete"  # every chunk planned was answered
    PARTIAL = "partial"  # providers stopped answering midway; the chunks answered before count
    UNAVAILABLE = "unavailable"  # no provider answered: no AI findings
    NOTHING_TO_SEND = "nothing-to-send"  # no file qualified (see ``not_sent``)


@dataclass(slots=True)
class ProviderUsage:
    """What one provider's model was asked for during the review, as its completions reported it."""

    provider: str
    model: str
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    billed_input_tokens: int = 0  # the tokens of the calls the response cache did not answer: what costs money
    billed_output_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_s": round(self.latency_s, 6),
        }


@dataclass(slots=True)
class AIReviewOutcome:
    status: AIReviewStatus = AIReviewStatus.COMPLETE
    findings: list[AIFinding] = field(default_factory=list)
    diagnostics: list[AIDiagnostic] = field(default_factory=list)
    not_sent: list[NotSent] = field(default_factory=list)
    usage: list[ProviderUsage] = field(default_factory=list)
    chunks_sent: int = 0
    unavailable_reason: str | None = None  # why no provider answered, every attempt in one sentence
    attempts: list[Attempt] = field(default_factory=list)
    description: DiffSummaryAnswer | None = None

    def record(self, completions: list[Completion]) -> None:
        """Count ``completions`` into the per-provider, per-model usage."""
        for completion in completions:
            usage = next(
                (u for u in self.usage if (u.provider, u.model) == (completion.provider, completion.model)), None
            )
            if usage is None:
                usage = ProviderUsage(completion.provider, completion.model)
                self.usage.append(usage)
            usage.calls += 1
            usage.cached_calls += int(completion.cached)
            usage.input_tokens += completion.input_tokens
            usage.output_tokens += completion.output_tokens
            usage.latency_s += completion.latency_s
            if not completion.cached:
                usage.billed_input_tokens += completion.input_tokens
                usage.billed_output_tokens += completion.output_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "unavailable_reason": self.unavailable_reason,
            "attempts": [a.to_dict() for a in self.attempts],
            "chunks_sent": self.chunks_sent,
            "findings": [f.to_dict() for f in self.findings],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "not_sent": [n.to_dict() for n in self.not_sent],
            "usage": [u.to_dict() for u in self.usage],
            "description": None if self.description is None else self.description.model_dump(),
        }


def _reserve(config: AIReviewConfig, count_tokens: TokenCounter) -> tuple[int, int]:
    """Tokens a chunk's calls need besides its code: (for the review call's prompt, for the worst call)."""
    known = "\n".join(f"- line 99999: XX-X999 {'m' * MAX_KNOWN_MESSAGE}" for _ in range(MAX_KNOWN))
    review = 0
    for name in ("review_file", "review_hunk"):
        prompt = load_prompt(name, config.prompt_version)
        system, user = prompt.render(
            path="p" * 120, language="typescript", start_line=99999, end_line=99999, code="", known=known
        )
        review = max(review, count_tokens(system.content) + count_tokens(user.content))
    review += count_tokens(json.dumps(ReviewAnswer.model_json_schema()))
    worst = review + config.max_answer_tokens
    if "reflect" in config.tasks:
        prompt = load_prompt("reflect")
        system, user = prompt.render(
            path="p" * 120, language="typescript", start_line=99999, end_line=99999, code="", suggestions=""
        )
        reflect_prompt = count_tokens(system.content) + count_tokens(user.content)
        reflect_prompt += count_tokens(json.dumps(ReflectionAnswer.model_json_schema()))
        # The suggestions listed are the review's answer again, at most max_answer_tokens of it.
        worst = max(worst, reflect_prompt + config.max_answer_tokens + prompt.max_tokens)
    return review, worst


def _sources(
    result: ReviewResult,
    root: Path,
    config: AIReviewConfig,
    changed: Mapping[str, Collection[int]] | None,
    outcome: AIReviewOutcome,
) -> tuple[list[SourceText], dict[str, RedactedText]]:
    security: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.category is Category.SECURITY:
            security.setdefault(finding.path, []).append(finding)
    sources: list[SourceText] = []
    redactions: dict[str, RedactedText] = {}

    def skip(path: str, reason: NotSentReason, detail: str) -> None:
        outcome.not_sent.append(NotSent(path, reason, detail))

    for record in result.files:
        path = record.path
        if record.language == PLAIN_TEXT and not config.include_text_files:
            skip(path, NotSentReason.EXCLUDED, "not source code (include_text_files sends config and text files)")
            continue
        pattern = next((p for p in config.exclude if fnmatch(path, p)), None)
        if pattern is not None:
            skip(path, NotSentReason.EXCLUDED, f"matches the exclude pattern {pattern!r}")
            continue
        if changed is not None and not changed.get(path):
            skip(path, NotSentReason.EXCLUDED, "not changed by the reviewed change")
            continue
        file = root if root.is_file() else root / path
        try:
            size = file.stat().st_size
            if size > config.max_file_bytes:
                skip(path, NotSentReason.TOO_LARGE, f"{size} bytes, over max_file_bytes ({config.max_file_bytes})")
                continue
            data = file.read_bytes()
        except OSError as err:
            skip(path, NotSentReason.UNREADABLE, f"cannot read: {err.strerror or err}")
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            skip(path, NotSentReason.BINARY, "not UTF-8 text")
            continue
        if "\x00" in text:
            skip(path, NotSentReason.BINARY, "holds NUL bytes")
            continue
        redacted = redact_text(text, path, record.language)
        redactions[path] = redacted
        if config.redact_secrets and redacted.secrets:
            outcome.diagnostics.append(
                AIDiagnostic(AIDiagnosticKind.REDACTED, f"{redacted.secrets} secret(s) redacted before sending", path)
            )
        lines = frozenset(changed[path]) if changed is not None else None
        sent = redacted.text if config.redact_secrets else text
        sources.append(SourceText(path, record.language, sent, tuple(security.get(path, ())), lines))
    return sources, redactions


def _safe(item: AIFinding, redacted: RedactedText) -> AIFinding:
    """The finding's snippet cut from the redacted file and its message scrubbed, whatever the model saw."""
    finding = item.finding
    lines = redacted.text.split("\n")
    row = finding.span.start_line - 1
    snippet = lines[row].strip()[:MAX_SNIPPET] if row < len(lines) else finding.snippet
    message = redacted.scrub(finding.message)
    return replace(item, finding=replace(finding, snippet=snippet, message=message))


def ai_review(
    result: ReviewResult,
    root: Path,
    completer: Completer,
    *,
    config: AIReviewConfig | None = None,
    changed: Mapping[str, Collection[int]] | None = None,
    diff: str | None = None,
    count_tokens: TokenCounter = estimate_tokens,
    user: str | None = None,
    review_id: str | None = None,
) -> AIReviewOutcome:
    """AI findings for a finished static review of ``root`` (the reviewed directory, or file).

    ``changed`` maps the reviewed files' paths (as in ``result.files``) to the lines a reviewed change adds or
    modifies: then only those hunks are sent. ``diff`` is the change's unified diff, for the ``describe`` task.
    ``count_tokens`` is the tokenizer of the model, when known. Raises ``ConfigError`` when the context cannot
    hold a prompt, an answer and any code; a bad answer or no provider never raises.
    """
    config = config or AIReviewConfig()
    outcome = AIReviewOutcome()
    review_prompt, worst = _reserve(config, count_tokens)
    try:
        limit = context_budget(config.context_tokens, worst, 0)
    except ValueError as err:
        raise ConfigError(f"[reviewlab.ai.review] context_tokens: {err}") from err
    sources, redactions = _sources(result, root, config, changed, outcome) if "review" in config.tasks else ([], {})
    plan = plan_chunks(
        sources,
        limit=limit,
        count_tokens=count_tokens,
        max_chunks=config.max_chunks,
        max_tokens=config.max_input_tokens,
        overhead=review_prompt,
        hunk_context=config.hunk_context_lines,
        overlap=config.overlap_lines,
    )
    outcome.not_sent.extend(plan.not_sent)
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    collected: list[AIFinding] = []
    for index, chunk in enumerate(plan.chunks):
        known = by_path.get(chunk.path, [])
        hot = any(
            f.category is Category.SECURITY and chunk.start_line <= f.span.start_line <= chunk.end_line for f in known
        )
        try:
            reviewed = review_chunk(
                completer,
                chunk,
                known=known,
                task=TaskKind.SECURITY if hot else None,
                max_tokens=config.max_answer_tokens,
                user=user,
                review=review_id,
                prompt_version=config.prompt_version,
                temperature=config.temperature,
            )
        except AllProvidersFailed as err:
            _unavailable(outcome, err, plan.chunks[index:])
            break
        outcome.chunks_sent += 1
        outcome.record(reviewed.completions)
        outcome.diagnostics.extend(reviewed.diagnostics)
        # Scrubbed before reflection too: a secret a model echoes must not be sent back.
        found = [_safe(item, redactions[chunk.path]) for item in reviewed.findings]
        if "reflect" in config.tasks and found:
            reflected = reflect(
                completer,
                chunk,
                found,
                threshold=config.reflection_threshold,
                user=user,
                review=review_id,
                temperature=config.temperature,
            )
            outcome.record(reflected.completions)
            outcome.diagnostics.extend(reflected.diagnostics)
            found = reflected.kept
        collected.extend(found)
    kept, duplicates = dedupe(collected, result.findings)
    outcome.diagnostics.extend(duplicates)
    outcome.findings = with_fingerprints(kept)
    if "describe" in config.tasks and diff and outcome.status is AIReviewStatus.COMPLETE:
        try:
            described = describe_diff(
                completer,
                diff,
                max_input_tokens=limit,
                count_tokens=count_tokens,
                redact=config.redact_secrets,
                user=user,
                review=review_id,
            )
        except AllProvidersFailed as err:
            _unavailable(outcome, err, [])
        else:
            outcome.record(described.completions)
            outcome.diagnostics.extend(described.diagnostics)
            outcome.description = described.value
    if outcome.status is AIReviewStatus.COMPLETE and not outcome.usage:
        outcome.status = AIReviewStatus.NOTHING_TO_SEND
    return outcome


def _unavailable(outcome: AIReviewOutcome, err: AllProvidersFailed, left: list[Chunk]) -> None:
    """Record that no provider answered; the chunks ``left`` were not sent."""
    outcome.status = AIReviewStatus.PARTIAL if outcome.usage else AIReviewStatus.UNAVAILABLE
    outcome.unavailable_reason = str(err)
    outcome.attempts = list(err.attempts)
    outcome.diagnostics.append(AIDiagnostic(AIDiagnosticKind.UNAVAILABLE, str(err)))
    for chunk in left:
        outcome.not_sent.append(
            NotSent(chunk.path, NotSentReason.UNAVAILABLE, "no provider answered", chunk.start_line, chunk.end_line)
        )
