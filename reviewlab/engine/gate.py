"""The quality gate: conditions a review must meet, from ``[reviewlab.gate]`` in ``.reviewlab.toml``.

Complexity limits read the metrics stored with the review (``max_complexity`` is the highest
cyclomatic complexity of any function, ``max_cognitive`` the highest cognitive complexity).

The verdict is computed after any baseline is applied, so with ``--baseline`` the gate judges only new
findings — SonarQube's "new code" gate. It sets the command's exit code and appears in every report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from reviewlab.engine.config import GateConfig
from reviewlab.engine.model import ReviewResult, Severity


@dataclass(frozen=True, slots=True)
class Condition:
    """One gate condition: what it measures, its limit, the review's value, and whether it holds."""

    name: str
    limit: int
    actual: int
    passed: bool


@dataclass(slots=True)
class GateVerdict:
    conditions: list[Condition] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(condition.passed for condition in self.conditions)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "conditions": [asdict(c) for c in self.conditions]}


def evaluate(result: ReviewResult, gate: GateConfig) -> GateVerdict | None:
    """The verdict of ``gate`` on ``result`` (None when the project configures no condition)."""
    conditions: list[Condition] = []
    findings = result.findings
    if gate.fail_on is not None:
        threshold = Severity(gate.fail_on)
        at_or_above = sum(1 for f in findings if f.severity.rank >= threshold.rank)
        conditions.append(Condition(f"findings at or above {threshold.value}", 0, at_or_above, at_or_above == 0))
    if gate.max_findings is not None:
        conditions.append(Condition("findings", gate.max_findings, len(findings), len(findings) <= gate.max_findings))
    counts = result.counts_by_severity()
    for severity, limit in sorted(gate.max_per_severity.items(), key=lambda kv: -Severity(kv[0]).rank):
        actual = counts.get(severity, 0)
        conditions.append(Condition(f"{severity} findings", limit, actual, actual <= limit))
    for prefix in gate.forbidden_rules:
        actual = sum(1 for f in findings if f.rule_id.startswith(prefix))
        conditions.append(Condition(f"findings of {prefix}", 0, actual, actual == 0))
    for metric, most in (("cyclomatic", gate.max_complexity), ("cognitive", gate.max_cognitive)):
        if most is not None:
            highest = _highest(result, metric)
            conditions.append(Condition(f"highest {metric} complexity of a function", most, highest, highest <= most))
    if not conditions:
        return None
    verdict = GateVerdict(conditions)
    result.gate = verdict.to_dict()
    return verdict


def _highest(result: ReviewResult, metric: str) -> int:
    """The highest value of a function metric over the review's files (0 without metrics)."""
    return max(
        (f[metric] for record in result.files if record.metrics for f in record.metrics.get("functions", [])),
        default=0,
    )
