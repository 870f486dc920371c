"""Scoring a review against a case's labels, and the metrics of an evaluation.

A finding matches a label when it is in the label's file, within ``tolerance`` lines of it, of its category,
with its CWE (or a parent or child of it, ``CWE_PARENTS``) when both carry one, and of its rule when the label
names one. Findings and labels are paired one to one, as many pairs as possible (nearer pairs tried first); a
finding left over that matches a paired label is a duplicate and counts for nothing.
In a case with complete labels every other finding of a judged category is a false positive; in a partial
case only findings matching a ``not_expected`` label are. Findings of categories the case does not judge
are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewlab.lifecycle.dataset import CATEGORIES, Case, Label


@dataclass(frozen=True, slots=True)
class Reported:
    """What scoring needs of a finding."""

    file: str
    line: int
    category: str
    cwe: int | None
    rule_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "category": self.category, "cwe": self.cwe, "rule": self.rule_id}


@dataclass(frozen=True, slots=True)
class CaseScore:
    true_positives: tuple[tuple[Label, Reported], ...] = ()
    false_negatives: tuple[Label, ...] = ()
    false_positives: tuple[Reported, ...] = ()


# CWE parents (MITRE's ChildOf) among the weaknesses the rules report, so a finding tagged with the class and a
# label tagged with the member (or the other way round) agree: a weak hash (328) is a broken algorithm (327).
CWE_PARENTS = {328: 327, 916: 327, 759: 916, 760: 916, 23: 22, 36: 22, 564: 89, 80: 79}


def _lineage(cwe: int) -> set[int]:
    found = {cwe}
    while cwe in CWE_PARENTS:
        cwe = CWE_PARENTS[cwe]
        found.add(cwe)
    return found


def same_weakness(a: int, b: int) -> bool:
    """Whether CWEs ``a`` and ``b`` are the same weakness, or one is an ancestor of the other."""
    return a == b or a in _lineage(b) or b in _lineage(a)


def _matches(found: Reported, label: Label, tolerance: int) -> bool:
    return (
        found.file == label.file
        and abs(found.line - label.line) <= tolerance
        and found.category == label.category
        and (label.cwe is None or found.cwe is None or same_weakness(found.cwe, label.cwe))
        and (label.rule is None or found.rule_id == label.rule)
    )


def score_case(case: Case, findings: Iterable[Reported], tolerance: int) -> CaseScore:
    judged = sorted((f for f in findings if case.judged(f.category)), key=lambda f: (f.file, f.line, f.rule_id))
    labels = list(case.expected)
    options = [
        sorted(
            (j for j, label in enumerate(labels) if _matches(found, label, tolerance)),
            key=lambda j: abs(labels[j].line - found.line),
        )
        for found in judged
    ]
    paired = _maximum_matching(options, len(labels))
    true_positives = [(labels[j], judged[i]) for j, i in sorted(paired.items())]
    matched = set(paired.values())
    unmatched = [
        found
        for i, found in enumerate(judged)
        if i not in matched and not any(_matches(found, label, tolerance) for label, _ in true_positives)
    ]
    if case.complete:
        false_positives = unmatched
    else:
        false_positives = [f for f in unmatched if any(_matches(f, label, tolerance) for label in case.not_expected)]
    missed = [label for j, label in enumerate(labels) if j not in paired]
    return CaseScore(tuple(true_positives), tuple(missed), tuple(false_positives))


def _maximum_matching(options: list[list[int]], labels: int) -> dict[int, int]:
    """Label index -> finding index for a largest one-to-one pairing (Kuhn's augmenting paths)."""
    owner: dict[int, int] = {}

    def augment(finding: int, seen: set[int]) -> bool:
        for label in options[finding]:
            if label in seen:
                continue
            seen.add(label)
            if label not in owner or augment(owner[label], seen):
                owner[label] = finding
                return True
        return False

    for finding in range(len(options)):
        if len(owner) == labels:
            break
        augment(finding, set())
    return owner


@dataclass(slots=True)
class CaseOutcome:
    """One case of an evaluation: its score, or the error that kept it from being scored."""

    case_id: str
    language: str
    clean: bool
    origin: str
    latency_s: float
    score: CaseScore = field(default_factory=CaseScore)
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def to_row(self) -> dict[str, Any]:
        """One row of the per-case results table."""
        return {
            "case": self.case_id,
            "language": self.language,
            "clean": self.clean,
            "origin": self.origin,
            "latency_s": round(self.latency_s, 6),
            "error": self.error,
            "tp": len(self.score.true_positives),
            "fp": len(self.score.false_positives),
            "fn": len(self.score.false_negatives),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "matched": [
                {"label": label.to_dict(), "found": found.to_dict()} for label, found in self.score.true_positives
            ],
            "missed": [label.to_dict() for label in self.score.false_negatives],
            "false_positives": [found.to_dict() for found in self.score.false_positives],
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def counts_metrics(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall and F1 of counts; a ratio with nothing to divide by is None (0 when labels were missed)."""
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    if precision is None and fn:
        precision = 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0-100) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def aggregate(outcomes: Sequence[CaseOutcome]) -> dict[str, Any]:
    """The evaluation's metrics: overall and per category, FPR on clean cases, latency, tokens, cost, errors.

    Errored cases are not scored (their findings are incomplete); ``error_rate`` says how many there were.
    """
    scored = [o for o in outcomes if o.error is None]
    tp = sum(len(o.score.true_positives) for o in scored)
    fp = sum(len(o.score.false_positives) for o in scored)
    fn = sum(len(o.score.false_negatives) for o in scored)
    per_category: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        c_tp = sum(1 for o in scored for label, _ in o.score.true_positives if label.category == category)
        c_fp = sum(1 for o in scored for found in o.score.false_positives if found.category == category)
        c_fn = sum(1 for o in scored for label in o.score.false_negatives if label.category == category)
        if c_tp or c_fp or c_fn:
            per_category[category] = counts_metrics(c_tp, c_fp, c_fn)
    clean = [o for o in scored if o.clean]
    flagged = sum(1 for o in clean if o.score.false_positives)
    latencies = [o.latency_s for o in outcomes]
    overall = counts_metrics(tp, fp, fn)
    return {
        "cases": len(outcomes),
        "errors": len(outcomes) - len(scored),
        "error_rate": _ratio(len(outcomes) - len(scored), len(outcomes)) or 0.0,
        **overall,
        "false_positive_rate": _ratio(flagged, len(clean)),
        "clean_cases": len(clean),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "input_tokens": sum(o.input_tokens for o in outcomes),
        "output_tokens": sum(o.output_tokens for o in outcomes),
        "tokens": sum(o.input_tokens + o.output_tokens for o in outcomes),
        "cost_usd": round(sum(o.cost_usd for o in outcomes), 6),
        "per_category": per_category,
    }
