"""``SqlLedger``: the same behaviour as ``MemoryLedger``, on SQLite and PostgreSQL, under concurrency too."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.ai.base import QuotaExceeded
from reviewlab.ai.config import QuotasConfig
from reviewlab.ai.costs import LedgerUnavailable, QuotaGuard, epoch_day
from reviewlab.providerstore import ProviderStore, SqlLedger, quotas_config
from reviewlab.store.connect import create_engine
from tests.ai.ledgers import (
    DAY,
    WallClock,
    check_a_cache_hit_counts_as_a_call_without_tokens_or_cost,
    check_totals_per_review_user_provider_and_model,
    completion,
)
from tests.providerstore import migrated_engine, new_user, secret_box


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated_engine(request, tmp_path)


def test_totals_per_review_user_provider_and_model(engine: Engine) -> None:
    check_totals_per_review_user_provider_and_model(SqlLedger(engine, now=WallClock()))


def test_a_cache_hit_counts_as_a_call_without_tokens_or_cost(engine: Engine) -> None:
    check_a_cache_hit_counts_as_a_call_without_tokens_or_cost(SqlLedger(engine, now=WallClock()))


def test_days_roll_over_at_utc_midnight_and_history_is_kept(engine: Engine) -> None:
    clock = WallClock(DAY + 86400 - 1)
    ledger = SqlLedger(engine, now=clock)
    ledger.record(completion(), 0.5, user="alice", review="r")
    clock.now += 2  # the next UTC day
    assert ledger.spent_today("user", "alice") == (0, 0.0)
    ledger.record(completion(), 0.25, user="alice", review="r")
    assert ledger.usage("user", "alice").cost_usd == 0.25
    assert ledger.usage("user", "alice", day=epoch_day(DAY)).cost_usd == 0.5
    assert ledger.usage("review", "r").cost_usd == 0.75  # a review is not day-bucketed
    clock.now += 30 * 86400
    assert ledger.usage("user", "alice", day=epoch_day(DAY)).calls == 1  # the database keeps the history


def test_calls_without_a_user_count_for_their_provider_and_model(engine: Engine) -> None:
    ledger = SqlLedger(engine, now=WallClock())
    ledger.record(completion(), 0.01, user=None, review=None)
    assert ledger.usage("provider", "openai").calls == 1
    assert ledger.usage("model", "gpt-4o-mini").calls == 1
    assert ledger.usage("user", "alice").calls == 0


def test_the_ledger_is_thread_safe(engine: Engine) -> None:
    ledger = SqlLedger(engine, now=WallClock())

    def work() -> None:
        for _ in range(50):
            ledger.record(completion(i=1, o=1), 0.001, user="alice", review="r")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = ledger.usage("review", "r")
    assert (usage.calls, usage.input_tokens) == (400, 400)
    assert usage.cost_usd == pytest.approx(0.4)
    assert ledger.spent_today("user", "alice") == (800, pytest.approx(0.4))


def test_two_ledgers_on_one_database_share_the_totals(engine: Engine) -> None:
    first, second = SqlLedger(engine, now=WallClock()), SqlLedger(engine, now=WallClock())
    first.record(completion(), 0.01, user="alice", review=None)
    second.record(completion(), 0.01, user="alice", review=None)
    assert first.usage("user", "alice").calls == second.usage("user", "alice").calls == 2


def test_db_quotas_are_enforced_through_the_quota_guard(engine: Engine) -> None:
    store = ProviderStore(engine, secret_box())
    ada = new_user(engine)
    store.set_quota(ada, max_tokens=2000)
    ledger = SqlLedger(engine, now=WallClock())
    guard = QuotaGuard(quotas_config(store.quotas(ada), ada, base=QuotasConfig()), ledger)
    ledger.record(completion(i=1000, o=500), 0.0, user=ada, review=None)
    guard.check("ollama", ada, 500, 0.0)
    with pytest.raises(QuotaExceeded, match="would pass the daily limit of 2,000 tokens"):
        guard.check("ollama", ada, 501, 0.0)


def test_a_database_that_is_down_is_logged_on_record_and_raised_on_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unmigrated = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    ledger = SqlLedger(unmigrated, now=WallClock())
    with caplog.at_level(logging.WARNING, logger="reviewlab.providerstore.ledger"):
        ledger.record(completion(), 0.01, user="alice", review="r")
        ledger.record(completion(), 0.01, user="alice", review="r")
    assert len(caplog.records) == 1  # one warning a minute, not one per call
    assert "recording the usage of a openai call" in caplog.records[0].getMessage()
    with pytest.raises(LedgerUnavailable, match="reading today's AI spending"):
        ledger.spent_today("user", "alice")
    with pytest.raises(LedgerUnavailable, match="reading AI usage"):
        ledger.usage("review", "r")
    unmigrated.dispose()
