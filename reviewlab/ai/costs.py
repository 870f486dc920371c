"""What AI calls cost: the price table, the usage ledger and the quotas checked before a call.

Local providers (Ollama, HuggingFace) cost nothing per token. A cloud model is priced from the table
below (USD per million input and output tokens, list prices when this was written — edit them, or
override any entry in ``[reviewlab.ai.costs.prices]``). A model is matched by its name or the longest
table entry it starts with followed by ``-``, ``:`` or ``@`` (``gpt-4o-mini-2024-07-18`` is
``gpt-4o-mini``); a cloud model missing from the table is charged ``default_cloud_price`` and a warning
says so once.

The ledger keeps usage per review (all time) and per user, provider and model per UTC day (quotas are
daily). :class:`MemoryLedger` lives in the process; :class:`RedisLedger` shares it between processes
with day-bucketed hashes (HINCRBY / HINCRBYFLOAT) that expire after ``retention_days``. A cache hit
counts as a call (``cached_calls``) with no tokens and no cost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

from reviewlab.ai.base import Completion, ProviderKind, QuotaExceeded, Usage
from reviewlab.ai.config import CostsConfig, ModelPrice, QuotaLimit, QuotasConfig
from reviewlab.errors import ReviewlabError

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

Scope = Literal["review", "user", "provider", "model"]
SCOPES: tuple[Scope, ...] = ("review", "user", "provider", "model")

# USD per million tokens (input, output). Editable: prices change, and [reviewlab.ai.costs.prices] overrides them.
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    name: ModelPrice(input=i, output=o)
    for name, (i, o) in {
        "gpt-4o": (2.50, 10.00),
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-4-turbo": (10.00, 30.00),
        "gpt-4": (30.00, 60.00),
        "gpt-3.5-turbo": (0.50, 1.50),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
        "claude-3-haiku": (0.25, 1.25),
        "claude-3-5-haiku": (0.80, 4.00),
        "claude-3-5-sonnet": (3.00, 15.00),
        "claude-3-7-sonnet": (3.00, 15.00),
        "claude-sonnet-4": (3.00, 15.00),
        "claude-3-opus": (15.00, 75.00),
        "claude-opus-4": (15.00, 75.00),
    }.items()
}

FREE = ModelPrice(input=0.0, output=0.0)


@dataclass(frozen=True, slots=True)
class Price:
    """A model's price as charged, and whether it came from the table."""

    input_per_mtok: float
    output_per_mtok: float
    source: Literal["local", "table", "default"]

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


_LOCAL = Price(0.0, 0.0, "local")


class PriceTable:
    """Looks prices up (memoised per model; thread-safe because entries are only ever added)."""

    def __init__(self, prices: Mapping[str, ModelPrice] | None = None, *, default: ModelPrice | None = None) -> None:
        self._prices = {**DEFAULT_PRICES, **(prices or {})}
        self._default = default or CostsConfig().default_cloud_price
        self._memo: dict[str, Price] = {}

    @classmethod
    def from_config(cls, config: CostsConfig) -> PriceTable:
        return cls(config.prices, default=config.default_cloud_price)

    def price(self, kind: ProviderKind, model: str) -> Price:
        if kind is ProviderKind.LOCAL:
            return _LOCAL
        found = self._memo.get(model)
        if found is None:
            found = self._memo[model] = self._lookup(model)
        return found

    def _lookup(self, model: str) -> Price:
        exact = self._prices.get(model)
        if exact is not None:
            return Price(exact.input, exact.output, "table")
        prefixes = [p for p in self._prices if model.startswith(p) and model[len(p)] in "-:@"]
        if prefixes:
            entry = self._prices[max(prefixes, key=len)]
            return Price(entry.input, entry.output, "table")
        log.warning(
            "no price for cloud model %r: charging the default $%.2f / $%.2f per million input / output tokens "
            "(set [reviewlab.ai.costs.prices] to correct it)",
            model,
            self._default.input,
            self._default.output,
        )
        return Price(self._default.input, self._default.output, "default")


class LedgerUnavailable(ReviewlabError):
    """The shared usage ledger (Redis) cannot be read."""


class Ledger(Protocol):
    """Where usage is kept. ``record`` never raises for the store being down (it logs); reads do."""

    def record(self, completion: Completion, cost_usd: float, *, user: str | None, review: str | None) -> None: ...

    def usage(self, scope: Scope, key: str, *, day: int | None = None) -> Usage:
        """Totals of one review (``day`` ignored), or of a user, provider or model on ``day`` (UTC epoch day,
        default today)."""
        ...

    def spent_today(self, scope: Scope, key: str) -> tuple[int, float]:
        """Tokens (input + output) and USD of a user or provider today, for quotas."""
        ...


def epoch_day(timestamp: float) -> int:
    """The UTC day number of a Unix timestamp (days since 1970-01-01)."""
    return int(timestamp // 86400)


def _copy(usage: Usage) -> Usage:
    return Usage(
        usage.calls,
        usage.input_tokens,
        usage.output_tokens,
        usage.cost_usd,
        usage.latency_s,
        usage.cached_calls,
        dict(usage.by_model),
    )


def _add(usage: Usage, completion: Completion, cost_usd: float) -> None:
    usage.calls += 1
    usage.latency_s += completion.latency_s
    usage.by_model[completion.model] = usage.by_model.get(completion.model, 0) + 1
    if completion.cached:
        usage.cached_calls += 1
    else:
        usage.input_tokens += completion.input_tokens
        usage.output_tokens += completion.output_tokens
        usage.cost_usd += cost_usd


@dataclass(slots=True)
class MemoryLedger:
    """The in-process ledger. ``now`` is wall-clock time (days are UTC)."""

    retention_days: int = 8
    now: Callable[[], float] = time.time
    _reviews: dict[str, Usage] = field(default_factory=dict)
    _daily: dict[tuple[int, str, str], Usage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_day: int = -1

    def record(self, completion: Completion, cost_usd: float, *, user: str | None, review: str | None) -> None:
        day = epoch_day(self.now())
        daily = self._daily
        with self._lock:
            if day != self._last_day:
                self._prune(day)
            if review is not None:
                _add(self._reviews.get(review) or self._reviews.setdefault(review, Usage()), completion, cost_usd)
            for scope, key in (("user", user), ("provider", completion.provider), ("model", completion.model)):
                if key is not None:
                    slot = (day, scope, key)
                    _add(daily.get(slot) or daily.setdefault(slot, Usage()), completion, cost_usd)

    def usage(self, scope: Scope, key: str, *, day: int | None = None) -> Usage:
        with self._lock:
            if scope == "review":
                found = self._reviews.get(key)
            else:
                found = self._daily.get((epoch_day(self.now()) if day is None else day, scope, key))
            return _copy(found) if found is not None else Usage()

    def spent_today(self, scope: Scope, key: str) -> tuple[int, float]:
        with self._lock:
            found = self._daily.get((epoch_day(self.now()), scope, key))
            return (0, 0.0) if found is None else (found.input_tokens + found.output_tokens, found.cost_usd)

    def _prune(self, day: int) -> None:
        self._last_day = day
        for slot in [s for s in self._daily if s[0] <= day - self.retention_days]:
            del self._daily[slot]


_INT_FIELDS = ("calls", "input_tokens", "output_tokens", "cached_calls")


class RedisLedger:
    """The ledger in Redis: one hash per review and per (day, user | provider | model), expiring."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        key_prefix: str = "reviewlab:ai:",
        retention_days: int = 8,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._prefix = f"{key_prefix}usage:"
        self._ttl_s = retention_days * 86400
        self._now = now
        self._days: dict[int, str] = {}
        self._warned_at = float("-inf")

    def key(self, scope: Scope, key: str, day: int | None = None) -> str:
        if scope == "review":
            return f"{self._prefix}review:{key}"
        number = epoch_day(self._now()) if day is None else day
        label = self._days.get(number)
        if label is None:
            label = self._days[number] = datetime.fromtimestamp(number * 86400, UTC).date().isoformat()
        return f"{self._prefix}{label}:{scope}:{key}"

    def record(self, completion: Completion, cost_usd: float, *, user: str | None, review: str | None) -> None:
        import redis

        cached = completion.cached
        keys = [self.key("provider", completion.provider), self.key("model", completion.model)]
        if user is not None:
            keys.append(self.key("user", user))
        if review is not None:
            keys.append(self.key("review", review))
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.hincrby(key, "calls", 1)
            pipe.hincrbyfloat(key, "latency_s", completion.latency_s)
            pipe.hincrby(key, f"model:{completion.model}", 1)
            if cached:
                pipe.hincrby(key, "cached_calls", 1)
            else:
                pipe.hincrby(key, "input_tokens", completion.input_tokens)
                pipe.hincrby(key, "output_tokens", completion.output_tokens)
                pipe.hincrbyfloat(key, "cost_usd", cost_usd)
            pipe.expire(key, self._ttl_s)
        try:
            pipe.execute()
        except redis.RedisError as err:
            self._warn(f"usage of a {completion.provider} call was not recorded: {err}")

    def usage(self, scope: Scope, key: str, *, day: int | None = None) -> Usage:
        import redis

        try:
            raw = self._client.hgetall(self.key(scope, key, day))
        except redis.RedisError as err:
            raise LedgerUnavailable(f"the usage ledger in Redis cannot be read: {err}") from err
        usage = Usage()
        for name, value in raw.items():
            field_name = name.decode() if isinstance(name, bytes) else name
            number = value.decode() if isinstance(value, bytes) else value
            if field_name.startswith("model:"):
                usage.by_model[field_name.removeprefix("model:")] = int(number)
            elif field_name in _INT_FIELDS:
                setattr(usage, field_name, int(number))
            elif field_name in ("cost_usd", "latency_s"):
                setattr(usage, field_name, float(number))
        return usage

    def spent_today(self, scope: Scope, key: str) -> tuple[int, float]:
        import redis

        try:
            raw = self._client.hmget(self.key(scope, key), ["input_tokens", "output_tokens", "cost_usd"])
        except redis.RedisError as err:
            raise LedgerUnavailable(f"the usage ledger in Redis cannot be read: {err}") from err
        tokens_in, tokens_out, usd = (0 if v is None else float(v) for v in raw)
        return int(tokens_in + tokens_out), usd

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:  # one warning a minute while Redis is down, not one per call
            self._warned_at = now
            log.warning("%s", message)


class QuotaGuard:
    """Refuses a call before it is made when it would take a user or a provider past a daily limit."""

    def __init__(self, quotas: QuotasConfig, ledger: Ledger) -> None:
        self._quotas = quotas
        self._ledger = ledger
        self._users = quotas.any_user_limit
        self._providers = {name for name, limit in quotas.providers.items() if limit.limited}

    def applies(self, provider: str, user: str | None) -> bool:
        """Whether any limit covers this call (when none does, nothing needs estimating)."""
        return provider in self._providers or (user is not None and self._users and self._quotas.for_user(user).limited)

    def check(self, provider: str, user: str | None, tokens: int, cost_usd: float) -> None:
        """Raise :class:`QuotaExceeded` (for ``provider``) if ``tokens`` and ``cost_usd`` would pass a limit.

        A ledger that cannot be read refuses the call too: spending that cannot be counted is not allowed.
        """
        limits: list[tuple[str, Scope, str, QuotaLimit]] = []
        if user is not None and self._users:
            limits.append((f"user {user}", "user", user, self._quotas.for_user(user)))
        if provider in self._providers:
            limits.append((f"provider {provider}", "provider", provider, self._quotas.providers[provider]))
        for who, scope, key, limit in limits:
            if not limit.limited:
                continue
            try:
                used_tokens, used_usd = self._ledger.spent_today(scope, key)
            except LedgerUnavailable as err:
                raise QuotaExceeded(provider, f"the {who} quota cannot be checked: {err}") from err
            if limit.max_tokens_per_day is not None and used_tokens + tokens > limit.max_tokens_per_day:
                raise QuotaExceeded(
                    provider,
                    f"{who} would pass the daily limit of {limit.max_tokens_per_day:,} tokens "
                    f"({used_tokens:,} used, this call up to {tokens:,})",
                )
            if limit.max_usd_per_day is not None and used_usd + cost_usd > limit.max_usd_per_day:
                raise QuotaExceeded(
                    provider,
                    f"{who} would pass the daily limit of {_usd(limit.max_usd_per_day)} "
                    f"({_usd(used_usd)} spent, this call up to {_usd(cost_usd)})",
                )


def _usd(amount: float) -> str:
    """Dollars and cents, or four decimals for amounts under a dollar (a call often costs a fraction of a cent)."""
    return f"${amount:,.2f}" if amount >= 1 else f"${amount:.4f}"
