"""Running a candidate configuration on a dataset version.

Each case's files are written to a temporary directory and reviewed exactly as ``reviewlab review`` would
with the candidate's configuration (one process, no result cache), then, for a candidate with a model, AI
reviewed by an orchestrator holding only the candidate's provider and model (no response cache, so latency,
tokens and errors are the model's own). A case whose review raises, or whose AI review was unavailable or
partial, is an error: it is not scored and counts in ``error_rate``. When more cases fail than the policy
allows, or the candidate cannot run at all, the evaluation fails with the reason: ``EvaluationFailed``,
never a score of zero.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewlab.engine.cache import NullCache
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import ReviewResult
from reviewlab.engine.pipeline import review
from reviewlab.errors import ReviewlabError
from reviewlab.lifecycle.candidates import Candidate
from reviewlab.lifecycle.dataset import Case, Dataset
from reviewlab.lifecycle.scoring import CaseOutcome, Reported, aggregate, score_case
from reviewlab.settings import Settings

if TYPE_CHECKING:
    from reviewlab.ai.orchestrator import Orchestrator

MAX_ERROR_LENGTH = 500


class EvaluationFailed(ReviewlabError):
    """The evaluation could not produce a score; ``str(err)`` says why."""


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """What an evaluation measured: the metrics and the per-case table."""

    candidate: str
    config_hash: str
    dataset_version: str
    metrics: dict[str, Any]
    cases: list[dict[str, Any]]
    duration_s: float


OrchestratorFactory = Callable[[Candidate, ReviewConfig], "Orchestrator"]


def default_orchestrator(settings: Settings) -> OrchestratorFactory:
    """Orchestrators for candidates with a model: their provider only, no response cache, in-memory costs."""

    def build(candidate: Candidate, config: ReviewConfig) -> Orchestrator:
        from reviewlab.ai.orchestrator import Orchestrator

        ai_config, _ = config.ai_settings()
        ai_config = ai_config.model_copy(
            update={
                "cache": ai_config.cache.model_copy(update={"backend": "off"}),
                "costs": ai_config.costs.model_copy(update={"backend": "memory"}),
            }
        )
        return Orchestrator.from_settings(settings, ai_config)

    return build


def evaluate(
    candidate: Candidate,
    dataset: Dataset,
    settings: Settings,
    *,
    max_error_rate: float = 0.5,
    orchestrators: OrchestratorFactory | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvaluationResult:
    """Review every case of ``dataset`` with ``candidate`` and score it; ``EvaluationFailed`` when it cannot."""
    started = clock()
    try:
        config = candidate.review_config()
    except ReviewlabError as err:
        raise EvaluationFailed(f"candidate {candidate.name} is not valid: {err}") from err
    orchestrator = None
    if candidate.ai is not None:
        try:
            orchestrator = (orchestrators or default_orchestrator(settings))(candidate, config)
        except ReviewlabError as err:
            raise EvaluationFailed(f"cannot set up {candidate.ai.provider} for {candidate.name}: {err}") from err
    try:
        outcomes = [
            _run_case(case, dataset, candidate, config, settings, orchestrator, clock) for case in dataset.cases
        ]
    finally:
        if orchestrator is not None:
            orchestrator.close()
    metrics = aggregate(outcomes)
    if metrics["error_rate"] > max_error_rate:
        first = next(o for o in outcomes if o.error is not None)
        raise EvaluationFailed(
            f"{metrics['errors']} of {metrics['cases']} cases failed (more than {max_error_rate:.0%}); "
            f"first, {first.case_id}: {first.error}"
        )
    return EvaluationResult(
        candidate=candidate.name,
        config_hash=candidate.config_hash,
        dataset_version=dataset.version,
        metrics=metrics,
        cases=[o.to_row() for o in outcomes],
        duration_s=clock() - started,
    )


def _run_case(
    case: Case,
    dataset: Dataset,
    candidate: Candidate,
    config: ReviewConfig,
    settings: Settings,
    orchestrator: Orchestrator | None,
    clock: Callable[[], float],
) -> CaseOutcome:
    outcome = CaseOutcome(case.id, case.language, case.clean, case.origin, 0.0)
    started = clock()
    with tempfile.TemporaryDirectory(prefix="reviewlab-eval-") as tmp:
        root = case.write(Path(tmp) / "case")
        try:
            result = review(root, config, jobs=1, cache=NullCache())
            if orchestrator is not None:
                outcome.error = _ai_review(result, root, config, settings, orchestrator, outcome)
        except (ReviewlabError, OSError, ValueError) as err:
            outcome.error = f"{type(err).__name__}: {err}"[:MAX_ERROR_LENGTH]
            outcome.latency_s = clock() - started
            return outcome
    outcome.latency_s = clock() - started
    if outcome.error is None:
        reported = [Reported(f.path, f.span.start_line, f.category.value, f.cwe, f.rule_id) for f in result.findings]
        outcome.score = score_case(case, reported, dataset.line_tolerance)
    return outcome


def _ai_review(
    result: ReviewResult,
    root: Path,
    config: ReviewConfig,
    settings: Settings,
    orchestrator: Orchestrator,
    outcome: CaseOutcome,
) -> str | None:
    from reviewlab.ai.run import add_ai_review

    add_ai_review(result, root, config, settings, orchestrator=orchestrator)
    ai = result.ai or {}
    totals = ai.get("totals") or {}
    outcome.input_tokens = int(totals.get("input_tokens", 0))
    outcome.output_tokens = int(totals.get("output_tokens", 0))
    outcome.cost_usd = float(totals.get("cost_usd", 0.0))
    status = ai.get("status")
    if status == "unavailable":
        return f"AI review unavailable: {ai.get('unavailable_reason') or 'no provider answered'}"[:MAX_ERROR_LENGTH]
    if status == "partial":
        return f"AI review partial: {ai.get('unavailable_reason') or 'the provider stopped answering'}"[
            :MAX_ERROR_LENGTH
        ]
    return None
