"""Every experiment candidate is a review configuration the library accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.engine.config import ReviewConfig, load_config
from reviewlab.engine.rules import get_rule
from tests.faces.conftest import REPO_ROOT

CANDIDATES = sorted((REPO_ROOT / "experiments" / "candidates").glob("*.toml"))


def test_the_baseline_and_the_strict_candidate_exist() -> None:
    assert {path.stem for path in CANDIDATES} >= {"static-default", "static-strict"}


@pytest.mark.parametrize("candidate", CANDIDATES, ids=lambda p: p.stem)
def test_candidate_validates(candidate: Path) -> None:
    config = load_config(candidate)

    assert isinstance(config, ReviewConfig)


def test_default_candidate_is_the_engine_default() -> None:
    assert load_config(REPO_ROOT / "experiments" / "candidates" / "static-default.toml") == ReviewConfig()


def test_strict_candidate_lowers_every_limit_it_sets() -> None:
    strict = load_config(REPO_ROOT / "experiments" / "candidates" / "static-strict.toml")

    assert strict.rules
    for rule_id, options in strict.rules.items():
        rule = get_rule(rule_id)
        assert rule is not None
        for name, value in options.items():
            assert value < rule.options[name], f"{rule_id}.{name}={value} is not stricter than {rule.options[name]}"
