"""Costs: prices per model, the usage ledger (in-process and Redis) and quotas checked before a call."""

from __future__ import annotations

import logging
import threading

import pytest

from reviewlab.ai.base import Completion, ProviderKind, QuotaExceeded
from reviewlab.ai.config import AIConfig, ModelPrice, QuotasConfig
from reviewlab.ai.costs import (
    DEFAULT_PRICES,
    LedgerUnavailable,
    MemoryLedger,
    PriceTable,
    QuotaGuard,
    RedisLedger,
    epoch_day,
)
from tests._services import redis_namespace
from tests.ai.ledgers import (
    DAY,
    WallClock,
    check_a_cache_hit_counts_as_a_call_without_tokens_or_cost,
    check_totals_per_review_user_provider_and_model,
    completion,
)

# -- prices -------------------------------------------------------------------------------------------


def test_cost_arithmetic_with_known_prices() -> None:
    table = PriceTable()
    price = table.price(ProviderKind.CLOUD, "gpt-4o-mini")
    assert (price.input_per_mtok, price.output_per_mtok, price.source) == (0.15, 0.60, "table")
    assert price.cost_usd(1_000_000, 0) == pytest.approx(0.15)
    assert price.cost_usd(10_000, 2_000) == pytest.approx(10_000 * 0.15e-6 + 2_000 * 0.60e-6)
    assert table.price(ProviderKind.CLOUD, "claude-3-5-haiku-latest").cost_usd(1000, 1000) == pytest.approx(0.0048)


def test_local_models_cost_nothing_whatever_their_name() -> None:
    table = PriceTable()
    for model in ("codellama:34b", "gpt-4o", "/models/tiny"):
        price = table.price(ProviderKind.LOCAL, model)
        assert price.cost_usd(10**9, 10**9) == 0.0
        assert price.source == "local"


@pytest.mark.parametrize(
    ("model", "entry"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-4.1-mini", "gpt-4.1-mini"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
    ],
)
def test_dated_names_match_their_table_entry(model: str, entry: str) -> None:
    price = PriceTable().price(ProviderKind.CLOUD, model)
    assert (price.input_per_mtok, price.output_per_mtok) == (DEFAULT_PRICES[entry].input, DEFAULT_PRICES[entry].output)


def test_an_unknown_cloud_model_gets_the_conservative_default_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    table = PriceTable()
    with caplog.at_level(logging.WARNING, logger="reviewlab.ai.costs"):
        price = table.price(ProviderKind.CLOUD, "gpt-4.5-preview")  # not "gpt-4" + a separator
        table.price(ProviderKind.CLOUD, "gpt-4.5-preview")
    assert (price.input_per_mtok, price.output_per_mtok, price.source) == (30.0, 75.0, "default")
    assert len(caplog.records) == 1
    assert "no price for cloud model 'gpt-4.5-preview'" in caplog.text
    top_in = max(p.input for p in DEFAULT_PRICES.values())
    top_out = max(p.output for p in DEFAULT_PRICES.values())
    assert (price.input_per_mtok, price.output_per_mtok) == (top_in, top_out)


def test_configured_prices_override_and_extend_the_table() -> None:
    config = AIConfig.from_table(
        {
            "costs": {
                "prices": {"gpt-4o-mini": {"input": 1.0, "output": 2.0}, "my-model": {"input": 3, "output": 4}},
                "default_cloud_price": {"input": 50, "output": 100},
            }
        }
    )
    table = PriceTable.from_config(config.costs)
    assert table.price(ProviderKind.CLOUD, "gpt-4o-mini").cost_usd(1_000_000, 1_000_000) == 3.0
    assert table.price(ProviderKind.CLOUD, "my-model-v2").cost_usd(1_000_000, 0) == 3.0
    assert table.price(ProviderKind.CLOUD, "gpt-4o").input_per_mtok == 2.5
    assert table.price(ProviderKind.CLOUD, "other").input_per_mtok == 50


# -- the in-process ledger ----------------------------------------------------------------------------


def test_totals_per_review_user_provider_and_model() -> None:
    check_totals_per_review_user_provider_and_model(MemoryLedger(now=WallClock()))


def test_a_cache_hit_counts_as_a_call_without_tokens_or_cost() -> None:
    check_a_cache_hit_counts_as_a_call_without_tokens_or_cost(MemoryLedger(now=WallClock()))


def test_daily_buckets_roll_over_at_utc_midnight_and_old_days_are_dropped() -> None:
    clock = WallClock(DAY + 86400 - 1)
    ledger = MemoryLedger(retention_days=2, now=clock)
    ledger.record(completion(), 0.5, user="alice", review="r")
    clock.now += 2  # the next UTC day
    assert ledger.spent_today("user", "alice") == (0, 0.0)
    ledger.record(completion(), 0.25, user="alice", review="r")
    assert ledger.usage("user", "alice").cost_usd == 0.25
    assert ledger.usage("user", "alice", day=epoch_day(DAY)).cost_usd == 0.5
    assert ledger.usage("review", "r").cost_usd == 0.75  # a review is not day-bucketed
    clock.now += 2 * 86400
    ledger.record(completion(), 0.0, user=None, review=None)
    assert ledger.usage("user", "alice", day=epoch_day(DAY)).calls == 0  # pruned


def test_the_ledger_is_thread_safe() -> None:
    ledger = MemoryLedger(now=WallClock())

    def work() -> None:
        for _ in range(500):
            ledger.record(completion(i=1, o=1), 0.001, user="alice", review="r")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = ledger.usage("review", "r")
    assert (usage.calls, usage.input_tokens) == (2000, 2000)
    assert usage.cost_usd == pytest.approx(2.0)


def test_usage_returns_a_copy() -> None:
    ledger = MemoryLedger(now=WallClock())
    ledger.record(completion(), 0.01, user="alice", review="r")
    ledger.usage("review", "r").by_model["x"] = 9
    assert "x" not in ledger.usage("review", "r").by_model


# -- quotas -------------------------------------------------------------------------------------------


def quotas(**table: object) -> QuotasConfig:
    return AIConfig.from_table({"quotas": table}).quotas


def test_a_user_token_quota_refuses_the_call_that_would_pass_it() -> None:
    ledger = MemoryLedger(now=WallClock())
    guard = QuotaGuard(quotas(per_user={"max_tokens_per_day": 10_000}), ledger)
    ledger.record(completion(i=8000, o=1000), 0.0, user="alice", review=None)
    guard.check("ollama", "alice", 1000, 0.0)  # exactly at the limit is allowed
    with pytest.raises(QuotaExceeded) as caught:
        guard.check("ollama", "alice", 1001, 0.0)
    assert str(caught.value) == (
        "ollama: user alice would pass the daily limit of 10,000 tokens (9,000 used, this call up to 1,001)"
    )
    guard.check("ollama", "bob", 9000, 0.0)


def test_a_user_usd_quota_refuses_paid_calls_but_not_free_ones() -> None:
    ledger = MemoryLedger(now=WallClock())
    guard = QuotaGuard(quotas(users={"alice": {"max_usd_per_day": 0.05}}), ledger)
    ledger.record(completion(), 0.049, user="alice", review=None)
    guard.check("ollama", "alice", 50_000, 0.0)
    with pytest.raises(QuotaExceeded, match=r"user alice would pass the daily limit of \$0.05"):
        guard.check("openai", "alice", 1200, 0.002)
    assert not guard.applies("openai", "bob")  # only alice is limited: nothing to estimate for bob
    assert guard.applies("openai", "alice")


def test_a_provider_quota_covers_every_user() -> None:
    ledger = MemoryLedger(now=WallClock())
    guard = QuotaGuard(quotas(providers={"openai": {"max_usd_per_day": 1.0}}), ledger)
    ledger.record(completion(), 0.999, user="alice", review=None)
    assert guard.applies("openai", None)
    assert not guard.applies("anthropic", None)
    with pytest.raises(QuotaExceeded, match=r"provider openai would pass the daily limit of \$1.00"):
        guard.check("openai", None, 100, 0.01)


def test_an_unreadable_ledger_refuses_rather_than_overspends() -> None:
    class Down(MemoryLedger):
        def spent_today(self, scope: object, key: str) -> tuple[int, float]:
            raise LedgerUnavailable("Redis is down")

    guard = QuotaGuard(quotas(per_user={"max_usd_per_day": 1.0}), Down())
    with pytest.raises(QuotaExceeded, match="the user alice quota cannot be checked: Redis is down"):
        guard.check("openai", "alice", 10, 0.001)


def test_quota_validation_names_the_key() -> None:
    from reviewlab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"reviewlab.ai.quotas.providers: unknown provider 'openia'; use one of"):
        quotas(providers={"openia": {"max_usd_per_day": 1}})
    with pytest.raises(ConfigError, match=r"reviewlab.ai.quotas.per_user.max_usd_per_day: Input should be greater"):
        quotas(per_user={"max_usd_per_day": -1})
    assert ModelPrice(input=0, output=0).input == 0


# -- the Redis ledger ---------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_redis_ledger_keeps_the_same_totals_in_day_buckets_with_a_ttl() -> None:
    with redis_namespace() as (client, prefix):
        ledger = RedisLedger(client, key_prefix=prefix, retention_days=2, now=WallClock())
        ledger.record(completion(), 0.01, user="alice", review="r1")
        ledger.record(completion("ollama", "codellama:34b", 500, 50), 0.0, user="alice", review="r1")
        ledger.record(
            Completion("{}", "openai", "gpt-4o-mini", 1000, 200, 0.1, cached=True), 0.0, user="bob", review="r1"
        )

        r1 = ledger.usage("review", "r1")
        assert (r1.calls, r1.cached_calls, r1.input_tokens, r1.output_tokens) == (3, 1, 1500, 250)
        assert r1.cost_usd == pytest.approx(0.01)
        assert r1.by_model == {"gpt-4o-mini": 2, "codellama:34b": 1}
        assert ledger.spent_today("user", "alice") == (1750, pytest.approx(0.01))
        assert ledger.usage("provider", "openai").calls == 2
        assert ledger.usage("user", "carol").calls == 0

        key = ledger.key("user", "alice")
        assert key == f"{prefix}usage:2024-10-04:user:alice"
        assert 0 < client.ttl(key) <= 2 * 86400


@pytest.mark.integration
def test_two_redis_ledgers_share_one_quota() -> None:
    with redis_namespace() as (client, prefix):
        first = RedisLedger(client, key_prefix=prefix, now=WallClock())
        second = RedisLedger(client, key_prefix=prefix, now=WallClock())
        guard = QuotaGuard(quotas(per_user={"max_tokens_per_day": 2000}), second)
        first.record(completion(i=1500, o=0), 0.0, user="alice", review=None)
        with pytest.raises(QuotaExceeded):
            guard.check("ollama", "alice", 600, 0.0)


def test_a_redis_ledger_that_cannot_reach_redis_warns_on_record_and_raises_on_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    ledger = RedisLedger(client, now=WallClock())
    with caplog.at_level(logging.WARNING, logger="reviewlab.ai.costs"):
        ledger.record(completion(), 0.01, user="alice", review="r")
        ledger.record(completion(), 0.01, user="alice", review="r")
    assert len(caplog.records) == 1
    assert "usage of a openai call was not recorded" in caplog.text
    with pytest.raises(LedgerUnavailable, match="cannot be read"):
        ledger.usage("review", "r")
    with pytest.raises(LedgerUnavailable):
        ledger.spent_today("user", "alice")
    client.close()
