"""Scoring: which findings match which labels, and the metrics of an evaluation, on hand-computed examples."""

from __future__ import annotations

import pytest

from reviewlab.lifecycle.dataset import Case, Label
from reviewlab.lifecycle.scoring import (
    CaseOutcome,
    CaseScore,
    Reported,
    aggregate,
    counts_metrics,
    percentile,
    score_case,
)

SEC = Label("a.py", 10, "security", 89)


def case(*expected: Label, categories: tuple[str, ...] = ("security",), clean: bool = False) -> Case:
    return Case("c", "python", {"a.py": b"x\n" * 40}, frozenset(categories), expected, clean=clean)


def partial(expected: tuple[Label, ...] = (), not_expected: tuple[Label, ...] = ()) -> Case:
    return Case("t", "python", {"a.py": b"x\n" * 40}, frozenset({"security"}), expected, not_expected, complete=False)


def found(
    line: int, category: str = "security", cwe: int | None = 89, rule: str = "PY-S003", file: str = "a.py"
) -> Reported:
    return Reported(file, line, category, cwe, rule)


def counts(score: CaseScore) -> tuple[int, int, int]:
    return len(score.true_positives), len(score.false_positives), len(score.false_negatives)


@pytest.mark.parametrize(
    ("tolerance", "line", "matched"),
    [
        (1, 9, True),
        (1, 10, True),
        (1, 11, True),
        (1, 8, False),
        (1, 12, False),
        (0, 10, True),
        (0, 11, False),
        (0, 9, False),
        (3, 13, True),
        (3, 7, True),
        (3, 14, False),
    ],
)
def test_a_finding_matches_within_the_line_tolerance(tolerance: int, line: int, matched: bool) -> None:
    score = score_case(case(SEC), [found(line)], tolerance)

    assert counts(score) == ((1, 0, 0) if matched else (0, 1, 1))


def test_a_match_records_the_label_and_the_finding() -> None:
    finding = found(11)
    score = score_case(case(SEC), [finding], 1)

    assert score.true_positives == ((SEC, finding),)
    assert score.false_negatives == ()


def test_the_file_and_category_must_match() -> None:
    other_file = found(10, file="b.py")
    other_category = found(10, category="quality")

    assert counts(score_case(case(SEC), [other_file], 1)) == (0, 1, 1)
    assert counts(score_case(case(SEC, categories=("security", "quality")), [other_category], 1)) == (0, 1, 1)


@pytest.mark.parametrize(
    ("label_cwe", "found_cwe", "matched"),
    [(89, 89, True), (89, 78, False), (None, 78, True), (89, None, True), (None, None, True)],
)
def test_the_cwe_must_match_only_when_both_have_one(
    label_cwe: int | None, found_cwe: int | None, matched: bool
) -> None:
    label = Label("a.py", 10, "security", label_cwe)
    score = score_case(case(label), [found(10, cwe=found_cwe)], 1)

    assert counts(score) == ((1, 0, 0) if matched else (0, 1, 1))


@pytest.mark.parametrize(
    ("label_cwe", "found_cwe", "matched"),
    [(89, 564, True), (564, 89, True), (327, 759, True), (759, 327, True), (328, 916, False), (22, 79, False)],
)
def test_a_cwe_matches_its_ancestors_and_descendants_not_its_siblings(
    label_cwe: int, found_cwe: int, matched: bool
) -> None:
    label = Label("a.py", 10, "security", label_cwe)
    score = score_case(case(label), [found(10, cwe=found_cwe)], 1)

    assert counts(score) == ((1, 0, 0) if matched else (0, 1, 1))


def test_a_label_naming_a_rule_needs_that_rule() -> None:
    label = Label("a.py", 10, "security", 89, rule="PY-S003")

    assert counts(score_case(case(label), [found(10, rule="PY-S003")], 1)) == (1, 0, 0)
    assert counts(score_case(case(label), [found(10, rule="PY-S001")], 1)) == (0, 1, 1)
    assert counts(score_case(case(SEC), [found(10, rule="ANY-RULE")], 1)) == (1, 0, 0)


def test_a_label_is_matched_once_and_duplicates_are_not_false_positives() -> None:
    score = score_case(case(SEC), [found(10), found(11), found(9, rule="PY-S009")], 1)

    assert counts(score) == (1, 0, 0)
    assert score.true_positives[0][0] == SEC


def test_two_labels_are_two_true_positives() -> None:
    upper, lower = Label("a.py", 10, "security", 89), Label("a.py", 20, "security", 89)
    at_ten, at_twenty = found(10), found(21)

    score = score_case(case(upper, lower), [at_twenty, at_ten], 1)

    assert counts(score) == (2, 0, 0)
    assert set(score.true_positives) == {(upper, at_ten), (lower, at_twenty)}


def test_a_finding_takes_the_nearest_of_the_labels_it_matches() -> None:
    ten, eleven = Label("a.py", 10, "security", 89), Label("a.py", 11, "security", 89)

    score = score_case(case(ten, eleven), [found(11)], 1)

    assert score.true_positives == ((eleven, found(11)),)
    assert score.false_negatives == (ten,)


def test_matching_pairs_as_many_findings_with_labels_as_possible() -> None:
    low, high = Label("a.py", 10, "security", 89), Label("a.py", 13, "security", 89)

    # 12 can match either label (2 and 1 lines away), 15 only the label on 13.
    score = score_case(case(low, high), [found(12), found(15)], 2)

    assert counts(score) == (2, 0, 0)


def test_in_a_complete_case_every_other_judged_finding_is_a_false_positive() -> None:
    stray = found(30, cwe=78)
    score = score_case(case(SEC), [found(10), stray], 1)

    assert counts(score) == (1, 1, 0)
    assert score.false_positives == (stray,)


def test_findings_of_categories_the_case_does_not_judge_are_ignored() -> None:
    quality = found(30, category="quality", cwe=None, rule="PY-Q003")
    performance = found(10, category="performance", cwe=None, rule="PY-P001")

    assert counts(score_case(case(SEC), [found(10), quality, performance], 1)) == (1, 0, 0)
    assert counts(score_case(case(clean=True), [quality], 1)) == (0, 0, 0)
    assert counts(score_case(case(clean=True), [found(3)], 1)) == (0, 1, 0)


def test_in_a_partial_case_only_not_expected_matches_are_false_positives() -> None:
    accepted = Label("a.py", 10, "security", 89)
    rejected = Label("a.py", 20, "security", 78)
    again = found(21, cwe=78)
    elsewhere = found(30, cwe=22)

    score = score_case(partial((accepted,), (rejected,)), [found(10), again, elsewhere, found(11)], 1)

    assert counts(score) == (1, 1, 0)
    assert score.false_positives == (again,)
    only_rejected = score_case(partial(not_expected=(rejected,)), [elsewhere], 1)
    assert counts(only_rejected) == (0, 0, 0)
    missed = score_case(partial((accepted,)), [], 1)
    assert counts(missed) == (0, 0, 1)


def test_to_row_reports_the_counts_and_the_details() -> None:
    stray = found(30, cwe=78)
    score = score_case(case(SEC, Label("a.py", 20, "security")), [found(10), stray], 1)
    row = CaseOutcome("c", "python", False, "curated", 0.1234567, score, input_tokens=3).to_row()

    assert (row["tp"], row["fp"], row["fn"], row["latency_s"], row["error"]) == (1, 1, 1, 0.123457, None)
    assert row["matched"] == [{"label": SEC.to_dict(), "found": found(10).to_dict()}]
    assert row["missed"] == [{"file": "a.py", "line": 20, "category": "security"}]
    assert row["false_positives"] == [
        {"file": "a.py", "line": 30, "category": "security", "cwe": 78, "rule": "PY-S003"}
    ]


def labels(category: str, n: int) -> tuple[Label, ...]:
    return tuple(Label("a.py", i + 1, category) for i in range(n))


def reported(category: str, n: int) -> tuple[Reported, ...]:
    return tuple(Reported("a.py", i + 1, category, None, "R") for i in range(n))


def outcome(
    case_id: str,
    latency: float,
    *,
    tp: tuple[Label, ...] = (),
    fp: tuple[Reported, ...] = (),
    fn: tuple[Label, ...] = (),
    clean: bool = False,
    error: str | None = None,
    tokens: tuple[int, int] = (0, 0),
    cost: float = 0.0,
) -> CaseOutcome:
    score = CaseScore(
        tuple((label, Reported(label.file, label.line, label.category, None, "R")) for label in tp), fn, fp
    )
    return CaseOutcome(case_id, "python", clean, "curated", latency, score, error, tokens[0], tokens[1], cost)


def test_aggregate_on_a_hand_computed_example() -> None:
    outcomes = [
        # security: 2 found, 2 false positives, 1 missed
        outcome(
            "a",
            1.0,
            tp=labels("security", 2),
            fp=reported("security", 2),
            fn=labels("security", 1),
            tokens=(100, 10),
            cost=0.001,
        ),
        # performance: 1 found, 1 missed
        outcome("b", 2.0, tp=labels("performance", 1), fn=labels("performance", 1), tokens=(50, 5), cost=0.0005),
        # a clean case with a quality false positive, and one without
        outcome("c", 3.0, fp=reported("quality", 1), clean=True),
        outcome("d", 5.0, clean=True),
        # errored: not scored (its counts would change every number), but its time, tokens and cost count
        outcome(
            "e",
            4.0,
            tp=labels("security", 5),
            fp=reported("security", 5),
            clean=True,
            error="model unavailable",
            tokens=(7, 3),
            cost=0.0000004,
        ),
    ]

    metrics = aggregate(outcomes)

    # tp 3, fp 3, fn 2: precision 3/6, recall 3/5, F1 2PR/(P+R) = 0.6/1.1
    assert (metrics["cases"], metrics["errors"], metrics["error_rate"]) == (5, 1, 0.2)
    assert (metrics["tp"], metrics["fp"], metrics["fn"]) == (3, 3, 2)
    assert metrics["precision"] == pytest.approx(0.5)
    assert metrics["recall"] == pytest.approx(0.6)
    assert metrics["f1"] == pytest.approx(6 / 11)
    # FPR is case-level: one of the two scored clean cases has a false positive (the errored clean one is out)
    assert (metrics["false_positive_rate"], metrics["clean_cases"]) == (0.5, 2)
    # nearest rank over every case's latency [1, 2, 3, 4, 5]: p50 rank 3, p95 rank 5
    assert (metrics["latency_p50_s"], metrics["latency_p95_s"]) == (3.0, 5.0)
    assert (metrics["input_tokens"], metrics["output_tokens"], metrics["tokens"]) == (157, 18, 175)
    assert metrics["cost_usd"] == 0.0015
    per = metrics["per_category"]
    assert set(per) == {"security", "performance", "quality"}
    assert (per["security"]["tp"], per["security"]["fp"], per["security"]["fn"]) == (2, 2, 1)
    assert per["security"]["precision"] == pytest.approx(0.5)
    assert per["security"]["recall"] == pytest.approx(2 / 3)
    assert per["security"]["f1"] == pytest.approx(4 / 7)
    assert per["performance"] == {
        "tp": 1,
        "fp": 0,
        "fn": 1,
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
    }
    assert per["quality"] == {"tp": 0, "fp": 1, "fn": 0, "precision": 0.0, "recall": None, "f1": None}


def test_aggregate_of_scored_outcomes_from_score_case() -> None:
    scored = score_case(case(SEC, Label("a.py", 20, "security")), [found(10), found(30)], 1)
    metrics = aggregate([CaseOutcome("c", "python", False, "curated", 0.5, scored)])

    assert (metrics["tp"], metrics["fp"], metrics["fn"]) == (1, 1, 1)
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == (0.5, 0.5, 0.5)
    assert metrics["false_positive_rate"] is None
    assert metrics["clean_cases"] == 0


def test_precision_is_zero_not_none_when_labels_exist_and_nothing_is_found() -> None:
    metrics = aggregate([outcome("a", 1.0, fn=labels("security", 3))])

    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == (0.0, 0.0, 0.0)
    assert metrics["per_category"]["security"]["precision"] == 0.0
    assert counts_metrics(0, 0, 3)["precision"] == 0.0


def test_ratios_with_nothing_to_divide_by_are_none() -> None:
    assert counts_metrics(0, 0, 0) == {"tp": 0, "fp": 0, "fn": 0, "precision": None, "recall": None, "f1": None}
    assert counts_metrics(0, 2, 0)["recall"] is None
    assert counts_metrics(0, 2, 0)["f1"] is None
    assert counts_metrics(0, 2, 1)["f1"] == 0.0

    nothing = aggregate([outcome("clean", 1.0, clean=True)])
    assert (nothing["precision"], nothing["recall"], nothing["f1"]) == (None, None, None)
    assert (nothing["false_positive_rate"], nothing["per_category"], nothing["error_rate"]) == (0.0, {}, 0.0)
    empty = aggregate([])
    assert (empty["cases"], empty["error_rate"], empty["latency_p50_s"], empty["false_positive_rate"]) == (
        0,
        0.0,
        None,
        None,
    )


def test_only_errored_outcomes_score_nothing() -> None:
    metrics = aggregate([outcome("a", 2.0, tp=labels("security", 1), error="boom")] * 2)

    assert (metrics["errors"], metrics["error_rate"], metrics["tp"], metrics["precision"]) == (2, 1.0, 0, None)
    assert metrics["per_category"] == {}
    assert metrics["latency_p95_s"] == 2.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(20, 0, -1)]  # unsorted on purpose

    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile(values, 100) == 20.0
    assert percentile(values, 0) == 1.0
    assert percentile(values, 96) == 20.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
