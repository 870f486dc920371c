"""What every cost ledger must do (the in-process, Redis and database ones): shared checks and their inputs."""

from __future__ import annotations

import pytest

from reviewlab.ai.base import Completion
from reviewlab.ai.costs import Ledger

DAY = 20_000 * 86400.0  # 2024-10-04 00:00 UTC


def completion(provider: str = "openai", model: str = "gpt-4o-mini", i: int = 1000, o: int = 200) -> Completion:
    return Completion("{}", provider, model, i, o, latency_s=0.5)


class WallClock:
    def __init__(self, now: float = DAY + 3600) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def check_totals_per_review_user_provider_and_model(ledger: Ledger) -> None:
    ledger.record(completion(), 0.01, user="alice", review="r1")
    ledger.record(completion("ollama", "codellama:34b", 500, 50), 0.0, user="alice", review="r1")
    ledger.record(completion(), 0.01, user="bob", review="r2")

    r1 = ledger.usage("review", "r1")
    assert (r1.calls, r1.input_tokens, r1.output_tokens, r1.cost_usd) == (2, 1500, 250, 0.01)
    assert r1.by_model == {"gpt-4o-mini": 1, "codellama:34b": 1}
    assert r1.latency_s == pytest.approx(1.0)
    alice = ledger.usage("user", "alice")
    assert (alice.calls, alice.input_tokens + alice.output_tokens, alice.cost_usd) == (2, 1750, 0.01)
    openai = ledger.usage("provider", "openai")
    assert (openai.calls, openai.cost_usd) == (2, pytest.approx(0.02))
    assert ledger.usage("model", "codellama:34b").calls == 1
    assert ledger.usage("user", "nobody").calls == 0
    assert ledger.usage("review", "nothing").calls == 0
    assert ledger.spent_today("user", "alice") == (1750, 0.01)
    assert ledger.spent_today("provider", "anthropic") == (0, 0.0)


def check_a_cache_hit_counts_as_a_call_without_tokens_or_cost(ledger: Ledger) -> None:
    hit = Completion("{}", "openai", "gpt-4o-mini", 1000, 200, 0.001, cached=True)
    ledger.record(hit, 0.0, user="alice", review="r1")
    usage = ledger.usage("review", "r1")
    assert (usage.calls, usage.cached_calls, usage.input_tokens, usage.cost_usd) == (1, 1, 0, 0.0)
    assert ledger.spent_today("user", "alice") == (0, 0.0)
