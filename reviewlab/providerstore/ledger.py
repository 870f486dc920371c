"""``SqlLedger``: the AI usage ledger (:class:`reviewlab.ai.costs.Ledger`) in ``providers.usage``, and DB quotas.

Every call adds to one ``usage`` row (user, provider, model, UTC day) and, for a review, to one ``review_usage``
row, with ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` on both dialects: an increment is atomic,
so concurrent workers add up exactly. Calls without a user are kept under ``user_id`` ``''``. The ledger's
scopes read these rows back: ``user``, ``provider`` and ``model`` sum one day's rows, ``review`` sums the
review's. Nothing expires: the rows are the platform's cost history.

Quotas. :func:`quotas_config` turns the ``quotas`` rows of a user into the orchestrator's
:class:`~reviewlab.ai.config.QuotasConfig`, which the existing :class:`~reviewlab.ai.costs.QuotaGuard`
enforces. That config knows only a user's daily total over every provider, so only ``day`` quotas on
provider ``'*'`` are enforced; :func:`reported_only` names the others (monthly ones, and those on one
provider), which are shown against :meth:`ProviderStore.cost_summary` but never refuse a call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from reviewlab.accounts.sessions import write_transaction
from reviewlab.ai.base import Completion, Usage
from reviewlab.ai.config import QuotaLimit, QuotasConfig
from reviewlab.ai.costs import LedgerUnavailable, Scope, epoch_day
from reviewlab.providerstore.models import ANY_PROVIDER, DailyUsageRow, Period, ReviewUsageRow
from reviewlab.store.connect import translated
from reviewlab.store.failures import describe_failure

if TYPE_CHECKING:
    from reviewlab.providerstore.repository import Quota

USAGE = cast(Table, DailyUsageRow.__table__)
REVIEW_USAGE = cast(Table, ReviewUsageRow.__table__)
COUNTERS = ("requests", "cached_calls", "input_tokens", "output_tokens", "cost_usd", "latency_s")
NO_USER = ""
"""The ``user_id`` of calls made for no user (the CLI, scheduled jobs)."""
EPOCH = date(1970, 1, 1)

log = logging.getLogger(__name__)


def day_of(number: int) -> date:
    """The date of a UTC epoch day (``costs.epoch_day``)."""
    return EPOCH + timedelta(days=number)


def upsert(
    connection: Connection,
    table: Table,
    values: Mapping[str, Any],
    keys: Iterable[str],
    set_: Mapping[str, Any] | None = None,
    *,
    where: Callable[[Any], Any] | None = None,
) -> None:
    """``INSERT values``, or on a conflict over ``keys`` ``UPDATE SET set_`` (only ``where`` it holds) or nothing.

    ``where`` and the ``set_`` values that are callables get the statement's ``excluded`` namespace.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    update = {name: value(statement.excluded) if callable(value) else value for name, value in (set_ or {}).items()}
    if update:
        condition = None if where is None else where(statement.excluded)
        connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update, where=condition))
    else:
        connection.execute(statement.on_conflict_do_nothing(index_elements=list(keys)))


def _increment(table: Table, name: str) -> Callable[[Any], Any]:
    def add(excluded: Any) -> Any:
        return table.c[name] + excluded[name]

    return add


def _increments(table: Table) -> dict[str, Callable[[Any], Any]]:
    return {name: _increment(table, name) for name in COUNTERS}


def _counts(completion: Completion, cost_usd: float) -> dict[str, Any]:
    cached = completion.cached
    return {
        "requests": 1,
        "cached_calls": 1 if cached else 0,
        "input_tokens": 0 if cached else completion.input_tokens,
        "output_tokens": 0 if cached else completion.output_tokens,
        "cost_usd": 0.0 if cached else cost_usd,
        "latency_s": completion.latency_s,
    }


class SqlLedger:
    """A :class:`~reviewlab.ai.costs.Ledger` in the database; ``now`` is wall-clock time (days are UTC)."""

    def __init__(self, engine: Engine, *, now: Callable[[], float] = time.time) -> None:
        self._engine = translated(engine)
        self._now = now
        self._warned_at = float("-inf")
        self._warn_lock = threading.Lock()

    def record(self, completion: Completion, cost_usd: float, *, user: str | None, review: str | None) -> None:
        """Add one call to its user's day and to its review; a database failure is logged, never raised."""
        counts = _counts(completion, cost_usd)
        where = {"provider": completion.provider, "model": completion.model}
        daily = {"user_id": NO_USER if user is None else user, **where, "day": day_of(epoch_day(self._now()))}
        try:
            with write_transaction(self._engine) as connection:
                upsert(connection, USAGE, {**daily, **counts}, daily, _increments(USAGE))
                if review is not None:
                    keys = {"review_id": review, **where}
                    upsert(connection, REVIEW_USAGE, {**keys, **counts}, keys, _increments(REVIEW_USAGE))
        except SQLAlchemyError as err:
            self._warn(describe_failure(self._engine.url, f"recording the usage of a {completion.provider} call", err))

    def usage(self, scope: Scope, key: str, *, day: int | None = None) -> Usage:
        if scope == "review":
            table, where = REVIEW_USAGE, [REVIEW_USAGE.c.review_id == key]
        else:
            column = {"user": USAGE.c.user_id, "provider": USAGE.c.provider, "model": USAGE.c.model}[scope]
            number = epoch_day(self._now()) if day is None else day
            table, where = USAGE, [column == key, USAGE.c.day == day_of(number)]
        query = (
            select(table.c.model, *(func.sum(table.c[name]).label(name) for name in COUNTERS))
            .where(*where)
            .group_by(table.c.model)
        )
        usage = Usage()
        for row in self._read(query, "reading AI usage"):
            usage.calls += int(row.requests)
            usage.cached_calls += int(row.cached_calls)
            usage.input_tokens += int(row.input_tokens)
            usage.output_tokens += int(row.output_tokens)
            usage.cost_usd += float(row.cost_usd)
            usage.latency_s += float(row.latency_s)
            usage.by_model[row.model] = usage.by_model.get(row.model, 0) + int(row.requests)
        return usage

    def spent_today(self, scope: Scope, key: str) -> tuple[int, float]:
        column = {"user": USAGE.c.user_id, "provider": USAGE.c.provider, "model": USAGE.c.model}[scope]
        query = select(
            func.coalesce(func.sum(USAGE.c.input_tokens + USAGE.c.output_tokens), 0),
            func.coalesce(func.sum(USAGE.c.cost_usd), 0.0),
        ).where(column == key, USAGE.c.day == day_of(epoch_day(self._now())))
        tokens, usd = self._read(query, "reading today's AI spending")[0]
        return int(tokens), float(usd)

    def _read(self, query: Any, action: str) -> list[Any]:
        try:
            with self._engine.connect() as connection:
                return list(connection.execute(query))
        except SQLAlchemyError as err:
            raise LedgerUnavailable(describe_failure(self._engine.url, action, err)) from err

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        with self._warn_lock:
            if now - self._warned_at < 60:  # one warning a minute while the database is down, not one per call
                return
            self._warned_at = now
        log.warning("%s", message)


def _enforceable(quota: Quota) -> bool:
    return quota.period is Period.DAY and quota.provider == ANY_PROVIDER


def quotas_config(quotas: Iterable[Quota], user_id: str, *, base: QuotasConfig | None = None) -> QuotasConfig:
    """``base`` (the configured quotas) with the daily all-provider quotas of ``quotas`` for ``user_id``.

    ``quotas`` are :class:`~reviewlab.providerstore.repository.Quota` (as :meth:`ProviderStore.quotas` gives
    them). The user's own quota replaces the everyone quota, which becomes ``per_user``. The rest are
    :func:`reported_only`.
    """
    base = base if base is not None else QuotasConfig()
    update: dict[str, Any] = {}
    for quota in quotas:
        if not _enforceable(quota):
            continue
        limit = QuotaLimit(max_tokens_per_day=quota.max_tokens, max_usd_per_day=quota.max_cost_usd)
        if quota.user_id is None:
            update["per_user"] = limit
        elif quota.user_id == user_id:
            update["users"] = {**base.users, user_id: limit}
    return base.model_copy(update=update)


def reported_only(quotas: Iterable[Quota]) -> list[Quota]:
    """The quotas :func:`quotas_config` cannot enforce: monthly ones, and those on a single provider."""
    return [quota for quota in quotas if not _enforceable(quota)]
