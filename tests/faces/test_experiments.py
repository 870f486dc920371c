"""Every experiment candidate is a review configuration the library accepts; the policy file is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.rules import get_rule
from reviewlab.lifecycle.candidates import load_candidate, load_candidates
from reviewlab.lifecycle.policy import Policy, load_policy
from tests.faces.conftest import REPO_ROOT

EXPERIMENTS = REPO_ROOT / "experiments"
CANDIDATES = sorted((EXPERIMENTS / "candidates").glob("*.yaml"))


def test_static_and_model_candidates_exist() -> None:
    loaded = load_candidates(EXPERIMENTS / "candidates")
    assert {c.name for c in loaded} >= {"static-default", "static-strict", "static-security", "llm-codellama-7b"}
    assert {c.kind for c in loaded} == {"static", "llm"}
    assert not list((EXPERIMENTS / "candidates").glob("*.toml")), "candidates are YAML"


@pytest.mark.parametrize("candidate", CANDIDATES, ids=lambda p: p.stem)
def test_candidate_validates(candidate: Path) -> None:
    assert isinstance(load_candidate(candidate).review_config(), ReviewConfig)


def test_default_candidate_is_the_engine_default() -> None:
    config = load_candidate(EXPERIMENTS / "candidates" / "static-default.yaml").review_config()
    assert config == ReviewConfig()


def test_strict_candidate_lowers_every_limit_it_sets() -> None:
    strict = load_candidate(EXPERIMENTS / "candidates" / "static-strict.yaml")

    assert strict.rule_pack.rules
    for rule_id, options in strict.rule_pack.rules.items():
        rule = get_rule(rule_id)
        assert rule is not None
        for name, value in options.items():
            assert value < rule.options[name], f"{rule_id}.{name}={value} is not stricter than {rule.options[name]}"


def test_the_policy_file_is_valid_and_states_the_issues_example() -> None:
    policy = load_policy(EXPERIMENTS / "policy.yaml")
    assert isinstance(policy, Policy)
    assert policy.promotion.min_f1_gain == 0.0  # F1 at least production's
    assert policy.promotion.max_category_drop == 0.02  # no category regressing by more than 2 points
    assert policy.promotion.max_fpr_increase == 0.0  # FPR not higher
