"""The chain's settings, provider health, quotas and cost reports of ``ProviderStore``, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.ai.base import Completion, Health, ProviderKind
from reviewlab.ai.breaker import BreakerState
from reviewlab.ai.config import QuotaLimit, QuotasConfig
from reviewlab.ai.costs import epoch_day
from reviewlab.ai.orchestrator import ProviderStatus
from reviewlab.errors import StoreError
from reviewlab.providerstore import (
    HealthState,
    InvalidQuota,
    Period,
    ProviderStore,
    SqlLedger,
    UnknownProvider,
    UnknownUser,
    quotas_config,
    reported_only,
)
from reviewlab.store.connect import create_engine
from tests.accounts import Now
from tests.providerstore import migrated_engine, new_user, secret_box


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated_engine(request, tmp_path)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def store(engine: Engine, now: Now) -> ProviderStore:
    return ProviderStore(engine, secret_box(), clock=now)


# -- the chain ------------------------------------------------------------------------------------------


def test_the_default_chain_is_stored_on_first_use(store: ProviderStore, now: Now) -> None:
    chain = store.providers()
    assert [(p.name, p.kind, p.enabled, p.priority) for p in chain] == [
        ("ollama", ProviderKind.LOCAL, True, 0),
        ("huggingface", ProviderKind.LOCAL, True, 1),
        ("openai", ProviderKind.CLOUD, True, 2),
        ("anthropic", ProviderKind.CLOUD, True, 3),
    ]
    assert {p.updated_at for p in chain} == {now()}


def test_set_provider_reorders_and_disables(store: ProviderStore, now: Now) -> None:
    now.advance(timedelta(hours=1))
    info = store.set_provider("anthropic", enabled=False, priority=-1)
    assert (info.name, info.enabled, info.priority, info.updated_at) == ("anthropic", False, -1, now())
    assert [p.name for p in store.providers()] == ["anthropic", "ollama", "huggingface", "openai"]
    with pytest.raises(UnknownProvider, match="unknown provider 'gemini'"):
        store.set_provider("gemini", enabled=True, priority=0)


# -- health -------------------------------------------------------------------------------------------


def status(name: str, *, ok: bool = True, breaker: BreakerState = BreakerState.CLOSED) -> ProviderStatus:
    health = Health(name, ok, 0.25, "" if ok else "connection refused")
    kind = ProviderKind.LOCAL if name in ("ollama", "huggingface") else ProviderKind.CLOUD
    failures = 0 if breaker is BreakerState.CLOSED else 5
    return ProviderStatus(name, kind, health, breaker, failures, None, 0.0, None)


def test_health_keeps_the_latest_state_per_provider(store: ProviderStore, now: Now) -> None:
    assert store.health() == []
    store.record_health([status("openai", ok=False), status("ollama")])
    now.advance(timedelta(minutes=1))
    rows = store.record_health(
        [
            status("openai", ok=False, breaker=BreakerState.OPEN),
            status("anthropic", breaker=BreakerState.HALF_OPEN),
            status("huggingface", ok=False),
        ]
    )
    assert [(r.provider, r.state, r.breaker, r.failures) for r in rows] == [
        ("ollama", HealthState.AVAILABLE, BreakerState.CLOSED, 0),
        ("huggingface", HealthState.UNAVAILABLE, BreakerState.CLOSED, 0),
        ("openai", HealthState.OPEN, BreakerState.OPEN, 5),
        ("anthropic", HealthState.HALF_OPEN, BreakerState.HALF_OPEN, 5),
    ]
    ollama, huggingface, openai = rows[0], rows[1], rows[2]
    assert (ollama.latency_ms, ollama.detail, ollama.checked_at) == (250.0, "", now() - timedelta(minutes=1))
    assert (huggingface.latency_ms, huggingface.detail) == (None, "connection refused")
    assert openai.checked_at == now()
    assert store.health() == rows


def test_an_older_health_check_does_not_replace_a_newer_one(engine: Engine, now: Now) -> None:
    ProviderStore(engine, secret_box(), clock=now).record_health([status("ollama")])
    late = Now(now() - timedelta(minutes=5))
    rows = ProviderStore(engine, secret_box(), clock=late).record_health([status("ollama", ok=False)])
    assert [(r.state, r.checked_at) for r in rows] == [(HealthState.AVAILABLE, now())]


def test_health_of_an_unknown_provider_is_refused(store: ProviderStore) -> None:
    with pytest.raises(UnknownProvider):
        store.record_health([status("ollama"), status("gemini")])
    assert store.health() == []


# -- quotas -------------------------------------------------------------------------------------------


def test_quotas_round_trip_and_replace(store: ProviderStore, engine: Engine, now: Now) -> None:
    ada, bob = new_user(engine), new_user(engine)
    everyone = store.set_quota(None, max_cost_usd=5.0)
    own = store.set_quota(ada, "openai", "month", max_tokens=1_000_000)
    store.set_quota(bob, max_tokens=10)
    assert (everyone.user_id, everyone.provider, everyone.period) == (None, "*", Period.DAY)
    assert (everyone.max_tokens, everyone.max_cost_usd, everyone.updated_at) == (None, 5.0, now())
    assert store.quotas(ada) == [everyone, own]
    assert store.quotas(None) == [everyone]

    now.advance(timedelta(hours=1))
    replaced = store.set_quota(None, max_tokens=100, max_cost_usd=1.5)
    assert (replaced.id, replaced.max_tokens, replaced.max_cost_usd, replaced.updated_at) == (
        everyone.id,
        100,
        1.5,
        now(),
    )
    assert store.quotas(ada) == [replaced, own]

    assert store.delete_quota(ada, "openai", Period.MONTH) is True
    assert store.delete_quota(ada, "openai", Period.MONTH) is False
    assert store.quotas(ada) == [replaced]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"period": "week", "max_tokens": 1}, InvalidQuota, "unknown quota period 'week'"),
        ({}, InvalidQuota, "needs max_tokens or max_cost_usd"),
        ({"max_tokens": -1}, InvalidQuota, "max_tokens must be a finite number >= 0"),
        ({"max_cost_usd": float("nan")}, InvalidQuota, "max_cost_usd must be a finite number"),
        ({"provider": "gemini", "max_tokens": 1}, UnknownProvider, "unknown provider 'gemini'"),
    ],
)
def test_invalid_quotas_are_refused(
    store: ProviderStore, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        store.set_quota(None, **kwargs)  # type: ignore[arg-type]
    assert store.quotas(None) == []


def test_a_quota_for_an_unknown_user_is_refused(store: ProviderStore) -> None:
    with pytest.raises(UnknownUser):
        store.set_quota("ghost", max_tokens=1)


def test_daily_all_provider_quotas_become_the_orchestrators_config(store: ProviderStore, engine: Engine) -> None:
    ada, bob = new_user(engine), new_user(engine)
    store.set_quota(None, max_cost_usd=5.0)
    store.set_quota(ada, max_tokens=1000)
    monthly = store.set_quota(ada, period="month", max_cost_usd=50.0)
    on_openai = store.set_quota(ada, "openai", max_tokens=10)
    base = QuotasConfig(providers={"openai": QuotaLimit(max_usd_per_day=100.0)})

    config = quotas_config(store.quotas(ada), ada, base=base)
    assert config.for_user(ada) == QuotaLimit(max_tokens_per_day=1000)
    assert config.for_user(bob) == QuotaLimit(max_usd_per_day=5.0)
    assert config.providers == base.providers
    assert quotas_config(store.quotas(bob), bob).for_user(ada) == QuotaLimit(max_usd_per_day=5.0)
    assert reported_only(store.quotas(ada)) == [monthly, on_openai]


# -- usage and costs --------------------------------------------------------------------------------------


def test_usage_and_cost_summary_per_provider_model_and_day(engine: Engine, store: ProviderStore) -> None:
    ada = new_user(engine)
    day = date(2027, 1, 1)
    clock = [epoch_day(0) + (day - date(1970, 1, 1)).days * 86400.0 + 3600]
    ledger = SqlLedger(engine, now=lambda: clock[0])
    ledger.record(Completion("", "openai", "gpt-4o-mini", 1000, 200, 0.5), 0.01, user=ada, review="r")
    ledger.record(Completion("", "openai", "gpt-4o-mini", 0, 0, 0.1, cached=True), 0.0, user=ada, review=None)
    ledger.record(Completion("", "ollama", "codellama", 500, 50, 1.0), 0.0, user=ada, review=None)
    ledger.record(Completion("", "openai", "gpt-4o-mini", 10, 10, 0.5), 0.5, user="someone-else", review=None)
    clock[0] += 86400
    ledger.record(Completion("", "openai", "gpt-4o", 100, 100, 0.5), 0.02, user=ada, review=None)

    rows = store.usage(ada, day, day + timedelta(days=1))
    assert [(r.day, r.provider, r.model, r.requests, r.cached_calls) for r in rows] == [
        (day, "ollama", "codellama", 1, 0),
        (day, "openai", "gpt-4o-mini", 2, 1),
        (day + timedelta(days=1), "openai", "gpt-4o", 1, 0),
    ]
    assert store.usage(ada, day + timedelta(days=1), day + timedelta(days=9)) == rows[2:]

    summary = store.cost_summary(ada, day, day + timedelta(days=1))
    assert (summary.total.requests, summary.total.input_tokens, summary.total.output_tokens) == (4, 1600, 350)
    assert summary.total.cost_usd == pytest.approx(0.03)
    assert summary.by_provider["openai"].requests == 3
    assert summary.by_provider["ollama"].cost_usd == 0.0
    assert summary.by_model[("openai", "gpt-4o-mini")].cached_calls == 1
    assert summary.by_day[day].cost_usd == pytest.approx(0.01)
    assert summary.by_day[day + timedelta(days=1)].cost_usd == pytest.approx(0.02)
    assert store.cost_summary(ada, day - timedelta(days=9), day - timedelta(days=1)).total.requests == 0


def test_a_database_failure_is_a_store_error(tmp_path: Path) -> None:
    unmigrated = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    store = ProviderStore(unmigrated, secret_box())
    with pytest.raises(StoreError, match="database error while listing API keys"):
        store.keys("ada")
    with pytest.raises(StoreError, match="reading the providers"):
        store.providers()
    unmigrated.dispose()
