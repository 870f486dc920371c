"""The orchestrator: chain order, declared failures only, every attempt kept, breaker, quotas, costs, cache."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reviewlab.ai.base import (
    AllProvidersFailed,
    Attempt,
    InvalidAnswer,
    ProviderError,
    ProviderKind,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TaskKind,
    estimate_tokens,
)
from reviewlab.ai.breaker import BreakerState
from reviewlab.ai.cache import MemoryCache, RedisCache
from reviewlab.ai.config import DEFAULT_CHAIN, PROVIDERS, AIConfig
from reviewlab.ai.costs import MemoryLedger
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.routing import DEFAULT_ROUTES
from reviewlab.engine.config import load_config
from reviewlab.errors import ConfigError, SettingsError
from reviewlab.settings import Settings
from tests._services import redis_namespace, redis_url_of
from tests.ai.fakes import (
    Answer,
    BrokenStream,
    FakeClock,
    FakeProvider,
    Hang,
    InstantProvider,
    chat,
    cloud,
    every_failure,
    local,
)
from tests.ai.wire import read

REVIEW = TaskKind.CODE_REVIEW
NO_RETRY = {"retry": {"max_attempts": 1}}


def config(**table: Any) -> AIConfig:
    return AIConfig.from_table(table)


def chain(clock: FakeClock) -> tuple[FakeProvider, FakeProvider, FakeProvider, FakeProvider]:
    return (local("ollama", clock), local("huggingface", clock), cloud("openai", clock), cloud("anthropic", clock))


def orchestrator(providers: Any, clock: FakeClock, cfg: AIConfig | None = None, **kw: Any) -> Orchestrator:
    return Orchestrator(providers, cfg or AIConfig(), clock=clock, sleep=clock.sleep, random=lambda: 0.5, **kw)


# -- the chain ----------------------------------------------------------------------------------------


def test_the_chain_falls_through_in_order_until_a_provider_answers() -> None:
    clock = FakeClock()
    ollama, hf, openai, anthropic = chain(clock)
    ollama.then(*[ProviderUnavailable("ollama", "connection refused")] * 3)
    hf.then(InvalidAnswer("huggingface", "not JSON"))
    orch = orchestrator([anthropic, openai, hf, ollama], clock)  # given out of order: the config's chain decides

    outcome = orch.complete_detailed(REVIEW, chat(), prompt_version="v1", user="alice", review="r1")

    assert orch.chain == ("ollama", "huggingface", "openai", "anthropic")
    assert outcome.completion.provider == "openai"
    assert outcome.completion.model == "gpt-4o-mini"
    assert [a.provider for a in outcome.attempts] == ["ollama", "huggingface"]
    assert [a.error for a in outcome.attempts] == ["ProviderUnavailable", "InvalidAnswer"]
    assert outcome.attempts[0].message == "connection refused (after 3 tries)"
    assert (len(ollama.calls), len(hf.calls), len(openai.calls), len(anthropic.calls)) == (3, 1, 1, 0)
    assert clock.sleeps == [0.25, 0.5]  # backoff with the injected random 0.5 (base 0.5 s, doubling)


@pytest.mark.parametrize("failure", every_failure("ollama"), ids=lambda e: type(e).__name__)
def test_every_declared_failure_falls_back(failure: ProviderError) -> None:
    clock = FakeClock()
    ollama, hf, *_ = chain(clock)
    ollama.then(failure, failure, failure)
    orch = orchestrator([ollama, hf], clock)
    assert orch.complete(REVIEW, chat(), prompt_version="v1").provider == "huggingface"


def test_every_attempt_is_reported_with_its_error_and_duration() -> None:
    clock = FakeClock()
    ollama, hf, openai, anthropic = chain(clock)
    ollama.then(Hang())
    hf.then(ProviderUnavailable("huggingface", "REVIEWLAB_HF_MODEL is not set"))
    openai.then(RateLimited("openai", "HTTP 429", retry_after_s=120))
    anthropic.then(InvalidAnswer("anthropic", "the answer breaks the schema"))
    orch = orchestrator([ollama, hf, openai, anthropic], clock, config(**NO_RETRY))

    with pytest.raises(AllProvidersFailed) as caught:
        orch.complete(REVIEW, chat(timeout_s=20), prompt_version="v1")

    assert caught.value.attempts == [
        Attempt("ollama", "codellama:34b", "ProviderTimeout", "no answer within 20 s", 20.0),
        Attempt("huggingface", "", "ProviderUnavailable", "REVIEWLAB_HF_MODEL is not set", pytest.approx(0.1)),
        Attempt("openai", "gpt-4o-mini", "RateLimited", "HTTP 429", pytest.approx(0.1)),
        Attempt(
            "anthropic", "claude-3-5-haiku-latest", "InvalidAnswer", "the answer breaks the schema", pytest.approx(0.1)
        ),
    ]
    assert str(caught.value) == (
        "no AI provider could answer: ollama (codellama:34b): ProviderTimeout: no answer within 20 s [20.00 s]; "
        "huggingface: ProviderUnavailable: REVIEWLAB_HF_MODEL is not set [0.10 s]; "
        "openai (gpt-4o-mini): RateLimited: HTTP 429 [0.10 s]; "
        "anthropic (claude-3-5-haiku-latest): InvalidAnswer: the answer breaks the schema [0.10 s]"
    )


def test_retries_are_inside_one_attempt_and_its_duration() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock, Hang(), Hang(), Hang())
    orch = orchestrator([ollama], clock)
    with pytest.raises(AllProvidersFailed) as caught:
        orch.complete(REVIEW, chat(timeout_s=10), prompt_version="v1")
    (attempt,) = caught.value.attempts
    assert attempt.message == "no answer within 10 s (after 3 tries)"
    assert attempt.duration_s == pytest.approx(30 + 0.25 + 0.5)


def test_no_provider_at_all_is_a_readable_failure() -> None:
    with pytest.raises(AllProvidersFailed, match="no AI provider could answer: none is configured"):
        Orchestrator([], AIConfig()).complete(REVIEW, chat(), prompt_version="v1")


def test_a_programming_error_in_a_provider_surfaces_untouched() -> None:
    clock = FakeClock()
    ollama, hf, *_ = chain(clock)
    bug = TypeError("'NoneType' object is not subscriptable")
    ollama.then(bug)
    orch = orchestrator([ollama, hf], clock)
    with pytest.raises(TypeError) as caught:
        orch.complete(REVIEW, chat(), prompt_version="v1")
    assert caught.value is bug
    assert hf.calls == []
    assert orch.breaker("ollama").failures == 0  # our bug is not the provider's failure


def test_a_retry_after_is_waited_for_before_the_same_provider_answers() -> None:
    clock = FakeClock()
    openai = cloud("openai", clock, RateLimited("openai", "HTTP 429", retry_after_s=3.0))
    orch = orchestrator([openai], clock)
    assert orch.complete(REVIEW, chat(), prompt_version="v1").provider == "openai"
    assert clock.sleeps == [3.0]


def test_a_provider_timeout_setting_caps_the_requests_timeout() -> None:
    clock = FakeClock()
    openai = cloud("openai", clock)
    orch = orchestrator([openai], clock, config(providers={"openai": {"timeout_s": 15}}))
    orch.complete(REVIEW, chat(timeout_s=60), prompt_version="v1")
    orch.complete(REVIEW, chat("other", timeout_s=5), prompt_version="v1")
    assert [request.timeout_s for _, request in openai.calls] == [15, 5]


def test_the_config_chain_orders_and_disables_providers() -> None:
    clock = FakeClock()
    providers = chain(clock)
    custom = FakeProvider("my-gateway", ProviderKind.CLOUD, clock)
    orch = orchestrator(
        [*providers, custom],
        clock,
        config(chain=["openai", "ollama", "anthropic"], providers={"anthropic": {"enabled": False}}),
    )
    assert orch.chain == ("openai", "ollama", "my-gateway")  # huggingface left out, anthropic off, unknown last


# -- the circuit breaker ------------------------------------------------------------------------------


def test_an_open_breaker_skips_the_provider_without_calling_it() -> None:
    clock = FakeClock()
    ollama, hf, *_ = chain(clock)
    ollama.then(*[ProviderUnavailable("ollama", "HTTP 503")] * 5)
    orch = orchestrator([ollama, hf], clock, config(**NO_RETRY))
    for i in range(5):
        orch.complete(REVIEW, chat(f"a{i}"), prompt_version="v1")  # distinct requests: no cache hits
    assert orch.breaker("ollama").state is BreakerState.OPEN
    assert len(ollama.calls) == 5

    outcome = orch.complete_detailed(REVIEW, chat("new"), prompt_version="v1")
    assert outcome.completion.provider == "huggingface"
    assert len(ollama.calls) == 5
    (skipped,) = outcome.attempts
    assert (skipped.provider, skipped.model, skipped.error, skipped.duration_s) == (
        "ollama",
        "codellama:34b",
        "CircuitOpen",
        0.0,
    )
    assert skipped.message.startswith("circuit open after 5 consecutive failures; next trial in ")


def test_the_breaker_half_opens_after_60_s_and_closes_after_3_successes() -> None:
    clock = FakeClock()
    ollama, hf, *_ = chain(clock)
    ollama.then(*[ProviderTimeout("ollama", "slow")] * 5)
    orch = orchestrator([ollama, hf], clock, config(**NO_RETRY))
    for i in range(5):
        orch.complete(REVIEW, chat(f"a{i}"), prompt_version="v1")
    clock.advance(60)
    for i in range(3):
        assert orch.complete(REVIEW, chat(f"b{i}"), prompt_version="v1").provider == "ollama"
    assert orch.breaker("ollama").state is BreakerState.CLOSED


def test_retries_stop_when_the_breaker_opens() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock, *[ProviderUnavailable("ollama", "HTTP 500")] * 10)
    orch = orchestrator([ollama], clock, config(retry={"max_attempts": 10, "budget_s": 1000}))
    with pytest.raises(AllProvidersFailed) as caught:
        orch.complete(REVIEW, chat(), prompt_version="v1")
    assert len(ollama.calls) == 5
    assert caught.value.attempts[0].error == "CircuitOpen"


# -- routing ------------------------------------------------------------------------------------------


def test_the_alternative_model_is_used_when_the_recommended_one_is_not_pulled() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock)
    ollama.models = ("deepseek-coder:33b", "mistral:7b")
    orch = orchestrator([ollama], clock)
    orch.complete(TaskKind.CODE_REVIEW, chat("a"), prompt_version="v1")
    orch.complete(TaskKind.QUICK, chat("b"), prompt_version="v1")
    assert [model for model, _ in ollama.calls] == ["deepseek-coder:33b", "mistral:7b"]
    assert ollama.health_checks == 1  # models are asked for once, then every models_refresh_s
    clock.advance(301)
    orch.complete(TaskKind.QUICK, chat("c"), prompt_version="v1")
    assert ollama.health_checks == 2


def test_a_provider_with_none_of_the_routed_models_is_skipped_without_a_call() -> None:
    clock = FakeClock()
    ollama, hf, *_ = chain(clock)
    ollama.models = ("nomic-embed-text:latest",)
    hf.models = ("/models/tiny-coder",)
    orch = orchestrator([ollama, hf], clock)
    outcome = orch.complete_detailed(TaskKind.ARCHITECTURE, chat(), prompt_version="v1")
    assert ollama.calls == []
    assert hf.calls[0][0] == "/models/tiny-coder"
    assert outcome.attempts[0].error == "ProviderUnavailable"
    assert "none of the models routed for architecture is available (llama3:70b, mixtral:8x7b)" in (
        outcome.attempts[0].message
    )


def test_a_configured_route_is_used() -> None:
    clock = FakeClock()
    openai = cloud("openai", clock)
    orch = orchestrator([openai], clock, config(routing={"openai": {"security": "gpt-4o"}}))
    outcome = orch.complete_detailed(TaskKind.SECURITY, chat(), prompt_version="v1")
    assert outcome.completion.model == "gpt-4o"
    assert outcome.cost_usd == pytest.approx((1000 * 2.5 + 200 * 10.0) / 1e6)


# -- costs and quotas ---------------------------------------------------------------------------------


def test_tokens_and_cost_are_recorded_per_review_user_and_provider() -> None:
    clock = FakeClock()
    ollama, _, openai, _ = chain(clock)
    ollama.then(ProviderUnavailable("ollama", "down"))
    orch = orchestrator([ollama, openai], clock, config(**NO_RETRY))

    paid = orch.complete_detailed(REVIEW, chat("a"), prompt_version="v1", user="alice", review="r1")
    free = orch.complete_detailed(REVIEW, chat("b"), prompt_version="v1", user="alice", review="r1")

    assert paid.cost_usd == pytest.approx(1000 * 0.15e-6 + 200 * 0.60e-6)
    assert free.cost_usd == 0.0
    review = orch.usage_for_review("r1")
    assert (review.calls, review.input_tokens, review.output_tokens) == (2, 2000, 400)
    assert review.cost_usd == pytest.approx(paid.cost_usd)
    assert review.by_model == {"gpt-4o-mini": 1, "codellama:34b": 1}
    assert orch.usage_for_user("alice").cost_usd == pytest.approx(paid.cost_usd)
    assert orch.usage_for_provider("openai").calls == 1
    assert orch.usage_for_provider("ollama").cost_usd == 0.0
    assert orch.usage("model", "gpt-4o-mini").calls == 1


def test_a_quota_refuses_a_paid_call_before_it_is_made_and_a_local_provider_answers() -> None:
    clock = FakeClock()
    ollama, _, openai, _ = chain(clock)
    cfg = config(chain=["openai", "ollama"], quotas={"per_user": {"max_usd_per_day": 0.001}})
    orch = orchestrator([openai, ollama], clock, cfg)

    first = orch.complete_detailed(REVIEW, chat("a", max_tokens=1000), prompt_version="v1", user="alice")
    assert first.completion.provider == "openai"  # up to $0.0006 estimated, $0.00027 spent
    second = orch.complete_detailed(REVIEW, chat("b", max_tokens=2000), prompt_version="v1", user="alice")

    assert second.completion.provider == "ollama"
    assert len(openai.calls) == 1  # refused before the call
    (refused,) = second.attempts
    assert refused.error == "QuotaExceeded"
    assert (
        refused.message == "user alice would pass the daily limit of $0.0010 ($0.0003 spent, this call up to $0.0012)"
    )
    assert orch.complete(REVIEW, chat("c", max_tokens=1000), prompt_version="v1", user="bob").provider == "openai"


def test_a_token_quota_stops_every_provider() -> None:
    clock = FakeClock()
    ollama, hf, *_ = chain(clock)
    orch = orchestrator([ollama, hf], clock, config(quotas={"users": {"alice": {"max_tokens_per_day": 1500}}}))
    orch.complete(REVIEW, chat("a", max_tokens=100), prompt_version="v1", user="alice")  # 1,200 tokens used
    with pytest.raises(AllProvidersFailed) as caught:
        orch.complete(REVIEW, chat("b", max_tokens=400), prompt_version="v1", user="alice")
    assert [a.error for a in caught.value.attempts] == ["QuotaExceeded", "QuotaExceeded"]
    assert len(ollama.calls) == 1


def test_a_provider_quota() -> None:
    clock = FakeClock()
    _, _, openai, anthropic = chain(clock)
    orch = orchestrator(
        [openai, anthropic], clock, config(quotas={"providers": {"openai": {"max_tokens_per_day": 2000}}})
    )
    assert orch.complete(REVIEW, chat("a", max_tokens=200), prompt_version="v1").provider == "openai"
    assert orch.complete(REVIEW, chat("b", max_tokens=900), prompt_version="v1").provider == "anthropic"


# -- the cache ----------------------------------------------------------------------------------------


def test_a_repeated_request_is_answered_from_the_cache_at_no_cost() -> None:
    clock = FakeClock()
    ollama, _, openai, _ = chain(clock)
    ollama.then(ProviderUnavailable("ollama", "down"))
    orch = orchestrator([ollama, openai], clock, config(**NO_RETRY))

    first = orch.complete_detailed(REVIEW, chat(), prompt_version="v1", review="r1")
    again = orch.complete_detailed(REVIEW, chat(), prompt_version="v1", review="r1")

    assert again.completion.cached is True
    assert (again.completion.provider, again.completion.input_tokens, again.completion.output_tokens) == (
        "openai",
        1000,
        200,
    )
    assert again.cost_usd == 0.0
    assert len(openai.calls) == 1
    assert len(ollama.calls) == 1  # the cache is asked before any provider
    usage = orch.usage_for_review("r1")
    assert (usage.calls, usage.cached_calls, usage.cost_usd) == (2, 1, pytest.approx(first.cost_usd))


def test_the_cache_key_covers_prompt_version_and_request() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock)
    orch = orchestrator([ollama], clock)
    orch.complete(REVIEW, chat(), prompt_version="v1")
    orch.complete(REVIEW, chat(), prompt_version="v2")
    orch.complete(REVIEW, chat(temperature=0.7), prompt_version="v1")
    orch.complete(TaskKind.QUICK, chat(), prompt_version="v1")  # another model for another task
    assert len(ollama.calls) == 4


def test_cached_answers_expire_after_24_h() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock)
    orch = orchestrator([ollama], clock)
    orch.complete(REVIEW, chat(), prompt_version="v1")
    clock.advance(24 * 3600 - 10)
    assert orch.complete(REVIEW, chat(), prompt_version="v1").cached
    clock.advance(20)
    assert not orch.complete(REVIEW, chat(), prompt_version="v1").cached
    assert len(ollama.calls) == 2


def test_the_cache_can_be_turned_off() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock)
    orch = orchestrator([ollama], clock, config(cache={"backend": "off"}))
    orch.complete(REVIEW, chat(), prompt_version="v1")
    orch.complete(REVIEW, chat(), prompt_version="v1")
    assert len(ollama.calls) == 2


def test_with_redis_down_the_call_still_succeeds_without_caching(caplog: pytest.LogCaptureFixture) -> None:
    import redis

    clock = FakeClock()
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    ollama = local("ollama", clock)
    orch = orchestrator([ollama], clock, cache=RedisCache(client, clock=clock))
    with caplog.at_level(logging.WARNING, logger="reviewlab.ai.cache"):
        assert orch.complete(REVIEW, chat(), prompt_version="v1").text == Answer().text
        assert not orch.complete(REVIEW, chat(), prompt_version="v1").cached
    assert len(ollama.calls) == 2
    assert "AI response cache unavailable" in caplog.text
    client.close()


@pytest.mark.integration
def test_the_redis_cache_is_shared_between_orchestrators() -> None:
    with redis_namespace() as (client, prefix):
        clock = FakeClock()
        first, second = local("ollama", clock), local("ollama", clock)
        a = orchestrator([first], clock, cache=RedisCache(client, key_prefix=f"{prefix}model:"))
        b = orchestrator([second], clock, cache=RedisCache(client, key_prefix=f"{prefix}model:"))
        a.complete(REVIEW, chat(), prompt_version="v1")
        hit = b.complete(REVIEW, chat(), prompt_version="v1")
        assert hit.cached
        assert (hit.input_tokens, hit.output_tokens) == (1000, 200)
        assert second.calls == []
        assert len(list(client.scan_iter(match=f"{prefix}model:*"))) == 1


# -- streaming ----------------------------------------------------------------------------------------


MINI_COST = 1000 * 0.15e-6 + 200 * 0.60e-6  # the fakes' default answer on gpt-4o-mini
HAIKU_COST = 1000 * 0.80e-6 + 200 * 4.00e-6  # on claude-3-5-haiku-latest


def test_a_streamed_call_records_the_providers_tokens_and_cost_as_complete_does() -> None:
    clock = FakeClock()
    streaming, completing = cloud("openai", clock), cloud("openai", clock)
    streaming.default = Answer(pieces=('{"findings"', ": []}"))
    by_stream, by_complete = orchestrator([streaming], clock), orchestrator([completing], clock)

    pieces, completion = read(by_stream.stream(REVIEW, chat(), prompt_version="v1", user="alice", review="r1"))
    outcome = by_complete.complete_detailed(REVIEW, chat(), prompt_version="v1", user="alice", review="r1")

    assert pieces == ['{"findings"', ": []}"]
    assert completion == outcome.completion
    assert (completion.provider, completion.model, completion.input_tokens, completion.output_tokens) == (
        "openai",
        "gpt-4o-mini",
        1000,
        200,
    )
    review = by_stream.usage_for_review("r1")
    assert (review.calls, review.input_tokens, review.output_tokens, review.by_model) == (
        1,
        1000,
        200,
        {"gpt-4o-mini": 1},
    )
    assert review.cost_usd == pytest.approx(MINI_COST)
    assert review == by_complete.usage_for_review("r1")
    assert by_stream.usage_for_user("alice") == by_complete.usage_for_user("alice")
    assert by_stream.usage_for_provider("openai") == by_complete.usage_for_provider("openai")


def test_stream_falls_back_before_the_first_piece() -> None:
    clock = FakeClock()
    _, _, openai, anthropic = chain(clock)
    openai.then(BrokenStream((), InvalidAnswer("openai", "stream ended before a finish_reason")))
    anthropic.default = Answer(pieces=("{", '"ok"', "}"))
    orch = orchestrator([openai, anthropic], clock, config(**NO_RETRY))

    pieces, completion = read(orch.stream(REVIEW, chat(), prompt_version="v1", review="r"))

    assert pieces == ["{", '"ok"', "}"]
    assert (completion.provider, completion.model) == ("anthropic", "claude-3-5-haiku-latest")
    usage = orch.usage_for_review("r")
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (1, 1000, 200)
    assert usage.by_model == {"claude-3-5-haiku-latest": 1}
    assert usage.cost_usd == pytest.approx(HAIKU_COST)
    assert orch.usage_for_provider("anthropic").cost_usd == pytest.approx(HAIKU_COST)
    assert orch.usage_for_provider("openai").calls == 0
    assert orch.breaker("openai").failures == 1


def test_a_finished_stream_counts_as_a_success_for_the_breaker() -> None:
    clock = FakeClock()
    openai = cloud("openai", clock, BrokenStream((), ProviderUnavailable("openai", "refused")))
    orch = orchestrator([openai], clock, config(**NO_RETRY))
    with pytest.raises(AllProvidersFailed):
        list(orch.stream(REVIEW, chat(), prompt_version="v1"))
    assert orch.breaker("openai").failures == 1

    read(orch.stream(REVIEW, chat(), prompt_version="v1"))

    assert orch.breaker("openai").failures == 0


def test_a_stream_failure_after_the_first_piece_reaches_the_reader() -> None:
    clock = FakeClock()
    _, _, openai, anthropic = chain(clock)
    openai.then(BrokenStream(("{", '"fin'), InvalidAnswer("openai", "truncated")))
    orch = orchestrator([openai, anthropic], clock)
    pieces = orch.stream(REVIEW, chat(), prompt_version="v1", review="r")
    assert next(pieces) == "{"
    assert next(pieces) == '"fin'
    with pytest.raises(InvalidAnswer, match="truncated"):
        next(pieces)
    assert anthropic.calls == []
    assert orch.breaker("openai").failures == 1
    usage = orch.usage_for_review("r")  # the provider said nothing of its tokens: an estimate of what it used
    prompt = estimate_tokens("review this function")
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (1, prompt, 2)
    assert usage.cost_usd == pytest.approx(prompt * 0.15e-6 + 2 * 0.60e-6)


def test_stream_reports_every_attempt_when_all_fail() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock, ProviderUnavailable("ollama", "refused"))
    orch = orchestrator([ollama], clock, config(**NO_RETRY))
    with pytest.raises(AllProvidersFailed, match=r"ollama \(codellama:34b\): ProviderUnavailable: refused"):
        list(orch.stream(REVIEW, chat(), prompt_version="v1"))


def test_a_stream_closed_early_still_records_its_usage() -> None:
    clock = FakeClock()
    ollama = local("ollama", clock)
    ollama.default = Answer(pieces=("abcd", "efgh", "ijkl"))
    orch = orchestrator([ollama], clock)
    pieces = orch.stream(REVIEW, chat(), prompt_version="v1", review="r")
    assert next(pieces) == "abcd"
    pieces.close()
    assert orch.usage_for_review("r").output_tokens == 1


# -- health -------------------------------------------------------------------------------------------


def test_health_shows_each_provider_with_its_circuit_and_usage() -> None:
    clock = FakeClock()
    ollama, hf, openai, _ = chain(clock)
    ollama.then(*[ProviderUnavailable("ollama", "down")] * 5)
    hf.healthy = False
    hf.then(*[InvalidAnswer("huggingface", "gibberish")] * 5)
    orch = orchestrator([ollama, hf, openai], clock, config(**NO_RETRY))
    for i in range(5):
        orch.complete(REVIEW, chat(str(i)), prompt_version="v1", user="alice")

    statuses = {s.name: s for s in orch.health()}

    assert list(statuses) == ["ollama", "huggingface", "openai"]
    assert (statuses["ollama"].breaker, statuses["ollama"].failures) == (BreakerState.OPEN, 5)
    assert statuses["ollama"].opened_at is not None
    assert 59 < statuses["ollama"].retry_in_s <= 60
    assert statuses["huggingface"].health.ok is False
    assert statuses["openai"].breaker is BreakerState.CLOSED
    assert statuses["openai"].usage is not None
    assert statuses["openai"].usage.calls == 5
    assert statuses["openai"].kind is ProviderKind.CLOUD


# -- configuration and construction -------------------------------------------------------------------


def test_the_defaults_are_the_seeds() -> None:
    cfg = AIConfig()
    assert cfg.chain == ("ollama", "huggingface", "openai", "anthropic")
    assert (cfg.breaker.failure_threshold, cfg.breaker.recovery_timeout_s, cfg.breaker.success_threshold) == (5, 60, 3)
    assert cfg.cache.ttl_s == 24 * 3600
    assert cfg.cache.key_prefix == "model:"


def test_every_registered_provider_has_routes_and_a_class_with_from_settings() -> None:
    assert tuple(PROVIDERS) == DEFAULT_CHAIN
    for name, spec in PROVIDERS.items():
        assert name in DEFAULT_ROUTES
        provider_class = getattr(importlib.import_module(spec.module), spec.class_name)
        assert callable(provider_class.from_settings), name
        assert provider_class.name == name
        assert provider_class.kind is spec.kind


def test_the_toml_table_loads(tmp_path: Path) -> None:
    path = tmp_path / ".reviewlab.toml"
    path.write_text(
        """
[reviewlab]
exclude = ["vendor/"]

[reviewlab.ai]
chain = ["ollama", "openai"]

[reviewlab.ai.retry]
max_attempts = 2

[reviewlab.ai.routing.ollama]
security = ["llama3:70b", "codellama:34b"]

[reviewlab.ai.quotas]
per_user = { max_usd_per_day = 2.0 }
providers = { openai = { max_usd_per_day = 20.0 } }

[reviewlab.ai.cache]
backend = "memory"
ttl_s = 3600
""",
        encoding="utf-8",
    )
    cfg = load_config(path).ai_settings()[0]
    assert cfg.chain == ("ollama", "openai")
    assert cfg.retry.max_attempts == 2
    assert cfg.routing == {"ollama": {TaskKind.SECURITY: ("llama3:70b", "codellama:34b")}}
    assert cfg.quotas.for_user("anyone").max_usd_per_day == 2.0
    assert cfg.cache.ttl_s == 3600
    empty = tmp_path / "empty.toml"
    empty.write_text("[reviewlab]\n", encoding="utf-8")
    assert load_config(empty).ai_settings()[0] == AIConfig()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"chain": ["ollama", "olama"]},
            "reviewlab.ai.chain: unknown provider 'olama'; use one of ollama, huggingface",
        ),
        ({"chain": ["ollama", "ollama"]}, "reviewlab.ai.chain: a provider is named twice"),
        ({"retry": {"max_attempts": 0}}, "reviewlab.ai.retry.max_attempts: Input should be greater than or equal to 1"),
        ({"breaker": {"threshold": 3}}, "reviewlab.ai.breaker.threshold: Extra inputs are not permitted"),
        ({"routing": {"ollama": {"review": "x"}}}, "reviewlab.ai.routing.ollama.review: Input should be 'code_review'"),
        ({"routing": {"ollama": {"quick": []}}}, "reviewlab.ai.routing: ollama.quick: give one or more model names"),
        ({"cache": {"backend": "memcached"}}, "reviewlab.ai.cache.backend: Input should be 'auto', 'memory', 'redis'"),
        (
            {"providers": {"openai": {"timeout_s": 0}}},
            "reviewlab.ai.providers.openai.timeout_s: Input should be greater",
        ),
    ],
)
def test_configuration_errors_say_where_and_what(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        AIConfig.from_table(table)
    assert message in str(caught.value)


def test_the_config_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        AIConfig().chain = ()


def test_from_settings_uses_cloud_providers_only_with_a_key() -> None:
    without = Orchestrator.from_settings(Settings())
    assert without.chain == ("ollama", "huggingface")
    with_keys = Orchestrator.from_settings(Settings(openai_api_key="sk-test", anthropic_api_key="sk-ant-test"))
    assert with_keys.chain == ("ollama", "huggingface", "openai", "anthropic")
    blank = Orchestrator.from_settings(Settings(openai_api_key="  "))
    assert blank.chain == ("ollama", "huggingface")


def test_from_settings_routes_to_ollama_model_after_the_table() -> None:
    orch = Orchestrator.from_settings(Settings(ollama_model="qwen2.5-coder:7b"))
    assert orch.router.candidates("ollama", REVIEW) == ("codellama:34b", "deepseek-coder:33b", "qwen2.5-coder:7b")


def test_an_unconfigured_provider_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVIEWLAB_HF_MODEL", raising=False)
    orch = Orchestrator.from_settings(Settings(ollama_host="http://127.0.0.1:1"), config(chain=["huggingface"]))
    (status,) = orch.health()
    assert status.health.ok is False
    with pytest.raises(AllProvidersFailed, match=r"huggingface: ProviderUnavailable: .* \[0.00 s\]$"):
        orch.complete(REVIEW, chat(), prompt_version="v1")  # not retried: set-up problems do not go away
    assert orch.breaker("huggingface").failures == 0


def test_the_redis_backend_needs_redis_url() -> None:
    with pytest.raises(SettingsError, match='asks for the "redis" backend but REDIS_URL is not set'):
        Orchestrator.from_settings(Settings(), config(cache={"backend": "redis"}))


@pytest.mark.integration
def test_from_settings_puts_the_cache_and_ledger_in_redis_when_redis_url_is_set() -> None:
    with redis_namespace() as (client, prefix):
        redis_url = redis_url_of(client)
        cfg = config(cache={"key_prefix": f"{prefix}model:"}, costs={"key_prefix": prefix})
        with Orchestrator.from_settings(Settings(redis_url=redis_url), cfg) as orch:
            assert isinstance(orch._cache, RedisCache)
            assert orch.usage_for_review("none").calls == 0
        assert not isinstance(Orchestrator(providers=[], config=cfg)._cache, RedisCache)
        assert isinstance(Orchestrator(providers=[], config=cfg)._cache, MemoryCache)


# -- cheap and thread-safe ----------------------------------------------------------------------------


def test_concurrent_calls_keep_consistent_totals() -> None:
    orch = Orchestrator([InstantProvider()], AIConfig(), ledger=MemoryLedger())

    def work(n: int) -> None:
        for i in range(250):
            orch.complete(REVIEW, chat(f"{n}-{i % 50}"), prompt_version="v1", user=f"u{n}", review="r")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = orch.usage_for_review("r")
    assert usage.calls == 1000
    assert usage.cached_calls == 1000 - 200


def test_the_overhead_per_call_is_far_under_a_millisecond() -> None:
    orch = Orchestrator([InstantProvider()], AIConfig())
    requests = [chat(f"review function {i}") for i in range(2000)]
    started = time.perf_counter()
    for request in requests:
        orch.complete(REVIEW, request, prompt_version="v1", user="alice", review="r")
    per_call = (time.perf_counter() - started) / len(requests)
    assert per_call < 1e-3, f"{per_call * 1e6:.0f} µs per call"


def test_the_documented_example_is_valid() -> None:
    import textwrap
    import tomllib

    from reviewlab.ai import config as config_module

    doc = config_module.__doc__ or ""
    example = textwrap.dedent(doc.split("Example::", 1)[1])
    table = tomllib.loads(example)["reviewlab"]["ai"]
    cfg = AIConfig.from_table(table)
    assert cfg.routing["openai"] == {TaskKind.ARCHITECTURE: ("gpt-4o",)}
    assert cfg.quotas.providers["openai"].max_usd_per_day == 20.0
