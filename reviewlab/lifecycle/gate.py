"""The promotion gate: a candidate's evaluation against production's, on the same dataset version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reviewlab.lifecycle.policy import PromotionPolicy


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    detail: str
    candidate: float | None = None
    production: float | None = None
    limit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "candidate": self.candidate,
            "production": self.production,
            "limit": self.limit,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> list[str]:
        return [check.detail for check in self.checks if not check.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [c.to_dict() for c in self.checks]}


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _points(value: float) -> str:
    return f"{value * 100:+.1f} points"


def judge(candidate: dict[str, Any], production: dict[str, Any] | None, policy: PromotionPolicy) -> Verdict:
    """Every check of ``policy`` on the candidate's metrics (against production's when there is one)."""
    checks: list[Check] = []
    f1 = _num(candidate.get("f1")) or 0.0
    error_rate = _num(candidate.get("error_rate")) or 0.0
    p95 = _num(candidate.get("latency_p95_s")) or 0.0
    checks.append(
        Check(
            "error_rate",
            error_rate <= policy.max_error_rate,
            f"error rate {error_rate:.1%} (at most {policy.max_error_rate:.1%})",
            error_rate,
            None,
            policy.max_error_rate,
        )
    )
    checks.append(
        Check(
            "latency_p95",
            p95 <= policy.max_latency_p95_s,
            f"p95 latency {p95:.2f}s (budget {policy.max_latency_p95_s:.2f}s)",
            p95,
            None,
            policy.max_latency_p95_s,
        )
    )
    if production is None:
        checks.append(
            Check("min_f1", f1 >= policy.min_f1, f"F1 {f1:.3f} (at least {policy.min_f1:.3f})", f1, None, policy.min_f1)
        )
        return Verdict(all(c.passed for c in checks), tuple(checks))
    base_f1 = _num(production.get("f1")) or 0.0
    gain = f1 - base_f1
    checks.append(
        Check(
            "f1",
            gain >= policy.min_f1_gain - 1e-12,
            f"F1 {f1:.3f} vs production {base_f1:.3f} ({_points(gain)}; at least {_points(policy.min_f1_gain)})",
            f1,
            base_f1,
            policy.min_f1_gain,
        )
    )
    ours = candidate.get("per_category") or {}
    theirs = production.get("per_category") or {}
    for category in sorted(set(ours) | set(theirs)):
        mine = _num((ours.get(category) or {}).get("f1"))
        base = _num((theirs.get(category) or {}).get("f1"))
        if base is None:
            continue
        mine = mine or 0.0
        drop = base - mine
        checks.append(
            Check(
                f"category:{category}",
                drop <= policy.max_category_drop + 1e-12,
                f"{category} F1 {mine:.3f} vs {base:.3f} ({_points(-drop)}; "
                f"may fall {policy.max_category_drop * 100:.1f} points)",
                mine,
                base,
                policy.max_category_drop,
            )
        )
    fpr = _num(candidate.get("false_positive_rate"))
    base_fpr = _num(production.get("false_positive_rate"))
    if fpr is not None and base_fpr is not None:
        checks.append(
            Check(
                "false_positive_rate",
                fpr - base_fpr <= policy.max_fpr_increase + 1e-12,
                f"false-positive rate {fpr:.1%} vs production {base_fpr:.1%}",
                fpr,
                base_fpr,
                policy.max_fpr_increase,
            )
        )
    return Verdict(all(c.passed for c in checks), tuple(checks))
