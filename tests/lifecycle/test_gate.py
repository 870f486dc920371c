"""The promotion gate: each check of the policy, at its boundaries, with and without a production to compare with."""

from __future__ import annotations

from typing import Any

import pytest

from reviewlab.lifecycle.gate import Verdict, judge
from reviewlab.lifecycle.policy import PromotionPolicy

POLICY = PromotionPolicy()  # min_f1_gain 0, max_category_drop 0.02, max_fpr_increase 0, p95 30 s, errors 5 %


def metrics(
    f1: float | None = 0.7,
    *,
    error_rate: float = 0.0,
    p95: float | None = 1.0,
    fpr: float | None = 0.1,
    categories: dict[str, float | None] | None = None,
) -> dict[str, Any]:
    per_category = {name: {"f1": value} for name, value in (categories or {"security": 0.8}).items()}
    return {
        "f1": f1,
        "error_rate": error_rate,
        "latency_p95_s": p95,
        "false_positive_rate": fpr,
        "per_category": per_category,
    }


def check(verdict: Verdict, name: str) -> bool:
    [found] = [c for c in verdict.checks if c.name == name]
    return found.passed


def test_without_production_the_checks_are_errors_latency_and_minimum_f1() -> None:
    verdict = judge(metrics(), None, POLICY)

    assert verdict.passed
    assert [c.name for c in verdict.checks] == ["error_rate", "latency_p95", "min_f1"]
    assert verdict.failures == []


@pytest.mark.parametrize(
    ("candidate", "policy", "failed", "detail"),
    [
        (metrics(error_rate=0.05), POLICY, None, None),
        (metrics(error_rate=0.0501), POLICY, "error_rate", "error rate 5.0% (at most 5.0%)"),
        (metrics(error_rate=0.2), POLICY, "error_rate", "error rate 20.0% (at most 5.0%)"),
        (metrics(p95=30.0), POLICY, None, None),
        (metrics(p95=30.01), POLICY, "latency_p95", "p95 latency 30.01s (budget 30.00s)"),
        (metrics(f1=0.5), PromotionPolicy(min_f1=0.5), None, None),
        (metrics(f1=0.499), PromotionPolicy(min_f1=0.5), "min_f1", "F1 0.499 (at least 0.500)"),
        (metrics(f1=None), PromotionPolicy(min_f1=0.1), "min_f1", "F1 0.000 (at least 0.100)"),
        (metrics(f1=None), POLICY, None, None),
    ],
)
def test_each_check_without_production_at_its_boundary(
    candidate: dict[str, Any], policy: PromotionPolicy, failed: str | None, detail: str | None
) -> None:
    verdict = judge(candidate, None, policy)

    assert verdict.passed is (failed is None)
    assert [c.name for c in verdict.checks if not c.passed] == ([failed] if failed else [])
    assert verdict.failures == ([detail] if detail else [])


def test_with_production_f1_must_not_fall() -> None:
    production = metrics(0.7)

    equal = judge(metrics(0.7), production, POLICY)
    assert equal.passed
    assert [c.name for c in equal.checks] == [
        "error_rate",
        "latency_p95",
        "f1",
        "category:security",
        "false_positive_rate",
    ]

    worse = judge(metrics(0.699), production, POLICY)
    assert not worse.passed
    assert worse.failures == ["F1 0.699 vs production 0.700 (-0.1 points; at least +0.0 points)"]
    [f1] = [c for c in worse.checks if c.name == "f1"]
    assert (f1.candidate, f1.production, f1.limit) == (0.699, 0.7, 0.0)

    assert judge(metrics(0.9), production, POLICY).passed


def test_the_f1_gain_the_policy_asks_for() -> None:
    policy = PromotionPolicy(min_f1_gain=0.05)
    production = metrics(0.6)

    assert judge(metrics(0.65), production, policy).passed
    assert not judge(metrics(0.649), production, policy).passed
    assert judge(metrics(0.58), production, PromotionPolicy(min_f1_gain=-0.02)).passed


@pytest.mark.parametrize(("mine", "passed"), [(0.78, True), (0.779, False), (0.9, True), (0.8, True)])
def test_a_category_may_fall_by_at_most_two_points(mine: float, passed: bool) -> None:
    production = metrics(0.7, categories={"security": 0.8, "quality": 0.5})
    candidate = metrics(0.7, categories={"security": mine, "quality": 0.5})

    verdict = judge(candidate, production, POLICY)

    assert verdict.passed is passed
    assert check(verdict, "category:security") is passed
    assert check(verdict, "category:quality")


def test_a_category_drop_is_described_in_points() -> None:
    production = metrics(0.7, categories={"security": 0.8})
    verdict = judge(metrics(0.7, categories={"security": 0.7}), production, POLICY)

    assert verdict.failures == ["security F1 0.700 vs 0.800 (-10.0 points; may fall 2.0 points)"]


def test_a_category_production_had_and_the_candidate_lacks_counts_as_f1_zero() -> None:
    production = metrics(0.7, categories={"security": 0.8, "performance": 0.5})
    candidate = metrics(0.7, categories={"security": 0.8})

    verdict = judge(candidate, production, POLICY)

    assert not verdict.passed
    [performance] = [c for c in verdict.checks if c.name == "category:performance"]
    assert (performance.passed, performance.candidate, performance.production) == (False, 0.0, 0.5)
    assert verdict.failures == ["performance F1 0.000 vs 0.500 (-50.0 points; may fall 2.0 points)"]
    # a category with no F1 (only false positives) is F1 0 too
    unjudged = metrics(0.7, categories={"security": 0.8, "performance": None})
    assert not check(judge(unjudged, production, POLICY), "category:performance")
    # a production category below the allowed drop may disappear
    small = metrics(0.7, categories={"security": 0.8, "performance": 0.02})
    assert judge(candidate, small, POLICY).passed


def test_a_category_only_the_candidate_has_is_not_checked() -> None:
    production = metrics(0.7, categories={"security": 0.8})
    candidate = metrics(0.7, categories={"security": 0.8, "quality": 0.1})

    verdict = judge(candidate, production, POLICY)

    assert verdict.passed
    assert "category:quality" not in {c.name for c in verdict.checks}
    no_f1 = metrics(0.7, categories={"security": 0.8, "quality": None})
    assert "category:quality" not in {c.name for c in judge(candidate, no_f1, POLICY).checks}


def test_the_false_positive_rate_may_not_rise() -> None:
    production = metrics(0.7, fpr=0.1)

    assert judge(metrics(0.7, fpr=0.1), production, POLICY).passed
    assert judge(metrics(0.7, fpr=0.0), production, POLICY).passed
    higher = judge(metrics(0.7, fpr=0.2), production, POLICY)
    assert not higher.passed
    assert higher.failures == ["false-positive rate 20.0% vs production 10.0%"]
    assert judge(metrics(0.7, fpr=0.2), production, PromotionPolicy(max_fpr_increase=0.1)).passed
    assert not judge(metrics(0.7, fpr=0.21), production, PromotionPolicy(max_fpr_increase=0.1)).passed


def test_no_false_positive_rate_check_without_clean_cases() -> None:
    for candidate, production in ((metrics(fpr=None), metrics()), (metrics(), metrics(fpr=None))):
        verdict = judge(candidate, production, POLICY)
        assert "false_positive_rate" not in {c.name for c in verdict.checks}
        assert verdict.passed


def test_with_production_errors_and_latency_still_count() -> None:
    production = metrics(0.5)

    verdict = judge(metrics(0.9, error_rate=0.5, p95=45.0), production, POLICY)

    assert not verdict.passed
    assert verdict.failures == ["error rate 50.0% (at most 5.0%)", "p95 latency 45.00s (budget 30.00s)"]
    assert "min_f1" not in {c.name for c in verdict.checks}


def test_every_failure_is_listed_and_the_verdict_serialises() -> None:
    production = metrics(0.8, fpr=0.0, categories={"security": 0.9, "quality": 0.6})
    candidate = metrics(0.5, error_rate=0.1, p95=31.0, fpr=0.5, categories={"security": 0.5})

    verdict = judge(candidate, production, POLICY)

    assert verdict.failures == [
        "error rate 10.0% (at most 5.0%)",
        "p95 latency 31.00s (budget 30.00s)",
        "F1 0.500 vs production 0.800 (-30.0 points; at least +0.0 points)",
        "quality F1 0.000 vs 0.600 (-60.0 points; may fall 2.0 points)",
        "security F1 0.500 vs 0.900 (-40.0 points; may fall 2.0 points)",
        "false-positive rate 50.0% vs production 0.0%",
    ]
    data = verdict.to_dict()
    assert data["passed"] is False
    assert data["checks"][2] == {
        "name": "f1",
        "passed": False,
        "detail": "F1 0.500 vs production 0.800 (-30.0 points; at least +0.0 points)",
        "candidate": 0.5,
        "production": 0.8,
        "limit": 0.0,
    }
