"""The AI review as one step of a review: what ``reviewlab review --ai``, the API and Dagster call.

``add_ai_review`` runs the AI review (``reviewlab.ai.review.ai_review``) over a finished static review
with the orchestrator the settings and the project's ``[reviewlab.ai]`` table describe, merges the AI
findings into the result (each carrying its provider, model, prompt version and self-reflection score
in ``Finding.ai``; the project's ``select``/``ignore`` and severity overrides apply to ``AI-REVIEW``
like to any rule), and records what it cost in ``ReviewResult.ai``: status, the reason when no
provider could answer (every attempt with its error and duration), what was not sent and why, and per
provider and model the calls, tokens, latency and cost. It never raises because a provider failed: the
static review stands on its own.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from reviewlab.ai.config import PROVIDERS, AIConfig
from reviewlab.ai.costs import PriceTable
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.review import AIReviewOutcome, ai_review
from reviewlab.ai.tasks import AI_RULE_ID, AIFinding
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import AIOrigin, Finding, ReviewResult, Severity
from reviewlab.settings import Settings


def add_ai_review(
    result: ReviewResult,
    root: Path,
    config: ReviewConfig,
    settings: Settings,
    *,
    changed: Mapping[str, Collection[int]] | None = None,
    diff: str | None = None,
    user: str | None = None,
    orchestrator: Orchestrator | None = None,
) -> AIReviewOutcome:
    """Run the AI review of ``result`` (the static review of ``root``) and merge it in; returns the outcome."""
    ai_config, review_config = config.ai_settings()
    owned = orchestrator is None
    orchestrator = orchestrator or Orchestrator.from_settings(settings, ai_config)
    try:
        review_id = uuid.uuid4().hex
        outcome = ai_review(
            result, root, orchestrator, config=review_config, changed=changed, diff=diff, user=user, review_id=review_id
        )
    finally:
        if owned:
            orchestrator.close()
    if config.rule_enabled(AI_RULE_ID):
        added = _with_overrides([_finding(f) for f in outcome.findings], config)
        result.findings = sorted(
            [*result.findings, *added], key=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id)
        )
    result.ai = summary(outcome, ai_config)
    return outcome


def _finding(found: AIFinding) -> Finding:
    origin = AIOrigin(found.provider, found.model, found.prompt_version, found.score, found.reason)
    return dataclasses.replace(found.finding, ai=origin)


def _with_overrides(findings: list[Finding], config: ReviewConfig) -> list[Finding]:
    changed: list[Finding] = []
    for finding in findings:
        wanted = config.severity_for(finding.rule_id)
        changed.append(dataclasses.replace(finding, severity=Severity(wanted)) if wanted else finding)
    return changed


def summary(outcome: AIReviewOutcome, ai_config: AIConfig) -> dict[str, Any]:
    """The outcome as the reports show it: everything but the findings (they are in the review's findings),
    with each provider's cost from the price table and the totals."""
    prices = PriceTable.from_config(ai_config.costs)
    data = outcome.to_dict()
    del data["findings"]
    data["findings_count"] = len(outcome.findings)
    usage: list[dict[str, Any]] = []
    for entry in outcome.usage:
        spec = PROVIDERS.get(entry.provider)
        price = None if spec is None else prices.price(spec.kind, entry.model)
        cost = 0.0 if price is None else price.cost_usd(entry.billed_input_tokens, entry.billed_output_tokens)
        usage.append({**entry.to_dict(), "cost_usd": round(cost, 6)})
    data["usage"] = usage
    data["totals"] = {
        "calls": sum(u["calls"] for u in usage),
        "input_tokens": sum(u["input_tokens"] for u in usage),
        "output_tokens": sum(u["output_tokens"] for u in usage),
        "latency_s": round(sum(u["latency_s"] for u in usage), 6),
        "cost_usd": round(sum(u["cost_usd"] for u in usage), 6),
    }
    return data
