"""Self-reflection and de-duplication: which AI suggestions survive into the report.

Self-reflection is a second call: the model sees the code and its own suggestions by index and scores each
0-10 (``reflect`` prompt). Suggestions scored below the threshold are dropped; a score sets the finding's
confidence. When the reflection call fails (no provider, an unusable answer even after the retry) the
suggestions are kept unscored with a diagnostic: losing the reviewer's second opinion must not lose the
first one. A suggestion the answer does not score is kept unscored too.

De-duplication prefers the engine: an AI finding in the same file, on overlapping lines, of the same category
(and the same CWE when both name one) as a static finding is dropped in favour of the static one, which is
precise, explained and reproducible. Among AI findings (overlapping chunks can see a line twice) the
higher-scored of two such duplicates is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from reviewlab.ai.base import AllProvidersFailed, Completion
from reviewlab.ai.chunking import Chunk
from reviewlab.ai.prompts import load_prompt
from reviewlab.ai.schemas import AIDiagnostic, AIDiagnosticKind, ReflectionAnswer, ScoreItem
from reviewlab.ai.structured import Completer
from reviewlab.ai.tasks import AIFinding, ask_prompt
from reviewlab.engine.model import Confidence, Finding

DEFAULT_THRESHOLD = 6.0


def confidence_for(score: float | None) -> Confidence:
    """How sure the report says an AI finding is: self-reflection's score of 8 or more is high, 5 or more medium."""
    if score is None or score < 5:
        return Confidence.LOW
    return Confidence.HIGH if score >= 8 else Confidence.MEDIUM


@dataclass(slots=True)
class ReflectionResult:
    kept: list[AIFinding] = field(default_factory=list)
    dropped: list[AIFinding] = field(default_factory=list)
    diagnostics: list[AIDiagnostic] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)


def _listing(suggestions: Sequence[AIFinding]) -> str:
    rows = []
    for index, item in enumerate(suggestions):
        f = item.finding
        cwe = f", CWE-{f.cwe}" if f.cwe is not None else ""
        rows.append(
            f"[{index}] lines {f.span.start_line}-{f.span.end_line} ({f.severity.value} {f.category.value}{cwe}): "
            f"{f.message}"
        )
    return "\n".join(rows)


def reflect(
    completer: Completer,
    chunk: Chunk,
    suggestions: Sequence[AIFinding],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_tokens: int | None = None,
    user: str | None = None,
    review: str | None = None,
    temperature: float = 0.0,
) -> ReflectionResult:
    """Score ``suggestions`` (made on ``chunk``) and keep those scoring ``threshold`` or more."""
    result = ReflectionResult()
    if not suggestions:
        return result
    prompt = load_prompt("reflect")
    messages = prompt.render(
        path=chunk.path,
        language=chunk.language,
        start_line=chunk.start_line,
        end_line=chunk.end_line,
        code=chunk.render(),
        suggestions=_listing(suggestions),
    )
    try:
        answer = ask_prompt(
            completer,
            prompt,
            messages,
            ReflectionAnswer,
            max_tokens=max_tokens,
            path=chunk.path,
            user=user,
            review=review,
            temperature=temperature,
        )
    except AllProvidersFailed as err:
        result.kept = list(suggestions)
        result.diagnostics.append(_failed(chunk, f"no provider answered ({err})", len(suggestions)))
        return result
    result.diagnostics.extend(answer.diagnostics)
    result.completions.extend(answer.completions)
    if answer.value is None:
        result.kept = list(suggestions)
        result.diagnostics.append(_failed(chunk, "its answer could not be used", len(suggestions)))
        return result
    scores: dict[int, ScoreItem] = {}
    for item in answer.value.scores:
        if item.index >= len(suggestions):
            result.diagnostics.append(
                AIDiagnostic(
                    AIDiagnosticKind.DROPPED_ITEM,
                    f"a score for suggestion {item.index}, which does not exist",
                    chunk.path,
                )
            )
        else:
            scores.setdefault(item.index, item)
    for index, suggestion in enumerate(suggestions):
        line = suggestion.finding.span.start_line
        score = scores.get(index)
        if score is None:
            result.kept.append(suggestion)
            result.diagnostics.append(
                AIDiagnostic(
                    AIDiagnosticKind.UNSCORED,
                    f"self-reflection did not score suggestion {index}; kept",
                    chunk.path,
                    line,
                )
            )
            continue
        scored = replace(
            suggestion,
            finding=replace(suggestion.finding, confidence=confidence_for(score.score)),
            score=score.score,
            reason=score.reason,
        )
        if score.score < threshold:
            result.dropped.append(scored)
            why = f": {score.reason}" if score.reason else ""
            result.diagnostics.append(
                AIDiagnostic(
                    AIDiagnosticKind.LOW_SCORE,
                    f"suggestion dropped, self-reflection scored it {score.score:g} < {threshold:g}{why}",
                    chunk.path,
                    line,
                )
            )
        else:
            result.kept.append(scored)
    return result


def _failed(chunk: Chunk, why: str, count: int) -> AIDiagnostic:
    return AIDiagnostic(
        AIDiagnosticKind.REFLECTION_FAILED,
        f"self-reflection failed: {why}; {count} suggestion(s) kept unscored",
        chunk.path,
        chunk.start_line,
    )


def same_problem(a: Finding, b: Finding) -> bool:
    """Same file, overlapping lines, same category, and the same CWE when both name one."""
    return (
        a.path == b.path
        and a.span.start_line <= b.span.end_line
        and b.span.start_line <= a.span.end_line
        and a.category is b.category
        and (a.cwe is None or b.cwe is None or a.cwe == b.cwe)
    )


def dedupe(suggestions: Sequence[AIFinding], static: Sequence[Finding]) -> tuple[list[AIFinding], list[AIDiagnostic]]:
    """``suggestions`` without those a static finding already reports, nor duplicates among themselves."""
    by_path: dict[str, list[Finding]] = {}
    for finding in static:
        by_path.setdefault(finding.path, []).append(finding)
    diagnostics: list[AIDiagnostic] = []
    ranked = sorted(suggestions, key=lambda s: -(s.score if s.score is not None else -1.0))
    kept: list[AIFinding] = []
    for item in ranked:
        f = item.finding
        twin = next((s for s in by_path.get(f.path, ()) if same_problem(f, s)), None)
        if twin is not None:
            diagnostics.append(
                AIDiagnostic(
                    AIDiagnosticKind.DUPLICATE,
                    f"AI finding dropped: {twin.rule_id} at line {twin.span.start_line} reports the same problem",
                    f.path,
                    f.span.start_line,
                )
            )
        elif any(same_problem(f, other.finding) for other in kept):
            diagnostics.append(
                AIDiagnostic(
                    AIDiagnosticKind.DUPLICATE,
                    "AI finding dropped: reported twice by the model",
                    f.path,
                    f.span.start_line,
                )
            )
        else:
            kept.append(item)
    order = {id(item): n for n, item in enumerate(suggestions)}
    kept.sort(key=lambda item: order[id(item)])
    return kept, diagnostics
