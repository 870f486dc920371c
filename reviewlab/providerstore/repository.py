"""``ProviderStore``: the provider chain's settings, users' API keys, provider health, quotas and AI costs.

Keys. A user's OpenAI or Anthropic key is stored only as a :class:`~reviewlab.security.crypto.SecretBox`
token whose context is ``providers.user_keys/<user_id>/<provider>``: a ciphertext copied into another
user's (or provider's) row fails to decrypt there, as :class:`KeyUnreadable`. Every method returns keys
masked (:func:`~reviewlab.security.crypto.mask`) except :meth:`ProviderStore.reveal`, which the worker
calls to build a user's orchestrator. Health keeps the latest check per provider only (no history: the
ledger and the logs say what happened over time). Writes are upserts, so concurrent writers never fail
on a duplicate; database failures are ``StoreError``. A key stored, replaced or deleted publishes
``key.changed`` once committed (``reviewlab.events.hooks``: whose key and which provider, never the key).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from math import isfinite
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, delete, or_, select, update

from reviewlab.accounts.models import UserRow
from reviewlab.accounts.sessions import write_transaction
from reviewlab.ai.base import ProviderKind
from reviewlab.ai.breaker import BreakerState
from reviewlab.ai.config import DEFAULT_CHAIN, PROVIDERS
from reviewlab.events import hooks
from reviewlab.providerstore.errors import InvalidKey, InvalidQuota, KeyUnreadable, UnknownProvider, UnknownUser
from reviewlab.providerstore.ledger import USAGE, upsert
from reviewlab.providerstore.models import (
    ANY_PROVIDER,
    EVERYONE,
    HealthState,
    Period,
    ProviderHealthRow,
    ProviderRow,
    QuotaRow,
    UserKeyRow,
)
from reviewlab.security.crypto import SecretBox, mask
from reviewlab.security.errors import DecryptionError
from reviewlab.store.connect import translated
from reviewlab.store.failures import store_errors

if TYPE_CHECKING:
    from reviewlab.ai.orchestrator import ProviderStatus

PROVIDER_TABLE = cast(Table, ProviderRow.__table__)
KEYS = cast(Table, UserKeyRow.__table__)
HEALTH = cast(Table, ProviderHealthRow.__table__)
QUOTAS = cast(Table, QuotaRow.__table__)
USERS = cast(Table, UserRow.__table__)

MAX_KEY_LENGTH = 512
CLOUD_PROVIDERS = tuple(name for name, spec in PROVIDERS.items() if spec.kind is ProviderKind.CLOUD)


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """A provider of the chain: whether it is used, and its place (lower ``priority`` is tried first)."""

    name: str
    kind: ProviderKind
    enabled: bool
    priority: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A user's stored API key as it may be shown: masked, never the key."""

    id: str
    user_id: str
    provider: str
    masked: str
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class HealthRow:
    """The latest health of a provider: ``state`` is the circuit's when open or half-open, else the check's."""

    provider: str
    checked_at: datetime
    state: HealthState
    breaker: BreakerState
    failures: int
    latency_ms: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class Quota:
    """A limit per ``period`` for ``user_id`` (None: each user) on ``provider`` (``'*'``: all together)."""

    id: str
    user_id: str | None
    provider: str
    period: Period
    max_tokens: int | None
    max_cost_usd: float | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UsageRow:
    """A user's AI usage of one provider and model on one UTC day."""

    user_id: str
    provider: str
    model: str
    day: date
    requests: int
    cached_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


@dataclass(slots=True)
class Totals:
    """Summed usage."""

    requests: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, row: UsageRow) -> None:
        self.requests += row.requests
        self.cached_calls += row.cached_calls
        self.input_tokens += row.input_tokens
        self.output_tokens += row.output_tokens
        self.cost_usd += row.cost_usd


@dataclass(slots=True)
class CostSummary:
    """A user's usage over a range of days: in total, per provider, per (provider, model) and per day."""

    total: Totals = field(default_factory=Totals)
    by_provider: dict[str, Totals] = field(default_factory=dict)
    by_model: dict[tuple[str, str], Totals] = field(default_factory=dict)
    by_day: dict[date, Totals] = field(default_factory=dict)


def key_context(user_id: str, provider: str) -> str:
    """The SecretBox context binding a key's ciphertext to its row."""
    return f"providers.user_keys/{user_id}/{provider}"


def validate_key(plaintext: str) -> str:
    """``plaintext`` without surrounding whitespace; :class:`InvalidKey` unless it could be an API key."""
    key = plaintext.strip() if isinstance(plaintext, str) else ""
    if not key:
        raise InvalidKey("an API key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"an API key must be at most {MAX_KEY_LENGTH} characters")
    if any(not ("!" <= char <= "~") for char in key):
        raise InvalidKey("an API key must be printable ASCII without spaces or control characters")
    return key


def _cloud_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise UnknownProvider(f"unknown provider {provider!r}; use one of {', '.join(CLOUD_PROVIDERS)}")
    if provider not in CLOUD_PROVIDERS:
        raise UnknownProvider(f"{provider} runs locally and takes no API key; use one of {', '.join(CLOUD_PROVIDERS)}")
    return provider


def _known_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise UnknownProvider(f"unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}")
    return provider


def _state(status: ProviderStatus) -> HealthState:
    if status.breaker is BreakerState.OPEN:
        return HealthState.OPEN
    if status.breaker is BreakerState.HALF_OPEN:
        return HealthState.HALF_OPEN
    return HealthState.AVAILABLE if status.health.ok else HealthState.UNAVAILABLE


def _limit(name: str, value: float | None) -> None:
    if value is not None and (not isfinite(value) or value < 0):
        raise InvalidQuota(f"{name} must be a finite number >= 0, or None for no limit")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _key(row: Any) -> KeyInfo:
    return KeyInfo(row.id, row.user_id, row.provider, row.masked, row.created_at, row.updated_at, row.last_used_at)


def _quota(row: Any) -> Quota:
    return Quota(
        row.id, row.user_id, row.provider, Period(row.period), row.max_tokens, row.max_cost_usd, row.updated_at
    )


class ProviderStore:
    """The ``providers`` schema as a library; database failures are ``StoreError``."""

    def __init__(self, engine: Engine, box: SecretBox, *, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = translated(engine)
        self._box = box
        self._clock = clock if clock is not None else _utc_now

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        with store_errors(self._engine.url, action), write_transaction(self._engine) as connection:
            yield connection

    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        with store_errors(self._engine.url, action), self._engine.connect() as connection:
            yield connection

    # -- the chain ------------------------------------------------------------------------------------------

    def providers(self) -> list[ProviderInfo]:
        """Every provider in chain order (priority, then name); the default chain is stored on first use."""
        with self._write("reading the providers") as connection:
            self._seed(connection)
            rows = connection.execute(select(PROVIDER_TABLE).order_by(PROVIDER_TABLE.c.priority, PROVIDER_TABLE.c.name))
            return [ProviderInfo(r.name, ProviderKind(r.kind), r.enabled, r.priority, r.updated_at) for r in rows]

    def set_provider(self, name: str, *, enabled: bool, priority: int) -> ProviderInfo:
        """Turn ``name`` on or off and move it to ``priority``."""
        _known_provider(name)
        with self._write("updating a provider") as connection:
            self._seed(connection)
            connection.execute(
                update(PROVIDER_TABLE)
                .where(PROVIDER_TABLE.c.name == name)
                .values(enabled=enabled, priority=priority, updated_at=self._clock())
            )
        return next(info for info in self.providers() if info.name == name)

    def _seed(self, connection: Connection) -> None:
        now = self._clock()
        for priority, name in enumerate(DEFAULT_CHAIN):
            values = {"name": name, "kind": PROVIDERS[name].kind.value, "enabled": True, "priority": priority}
            upsert(connection, PROVIDER_TABLE, {**values, "updated_at": now}, ["name"])

    # -- keys -------------------------------------------------------------------------------------------------

    def set_key(self, user_id: str, provider: str, plaintext: str, *, actor: str | None = None) -> KeyInfo:
        """Store (or replace) ``user_id``'s key for a cloud ``provider``, encrypted; the key comes back masked.

        ``actor``: who did it, by default the key's owner (``key.changed``, ``stored`` or ``replaced``)."""
        _cloud_provider(provider)
        key = validate_key(plaintext)
        ciphertext = self._box.encrypt(key, context=key_context(user_id, provider))
        now = self._clock()
        with self._write("storing an API key") as connection:
            self._require_user(connection, user_id)
            existed = connection.execute(self._key_query(user_id, provider)).first() is not None
            stored = {"ciphertext": ciphertext, "masked": mask(key), "updated_at": now, "last_used_at": None}
            values = {"id": str(uuid.uuid4()), "user_id": user_id, "provider": provider, "created_at": now, **stored}
            upsert(connection, KEYS, values, ["user_id", "provider"], stored)
            info = _key(connection.execute(self._key_query(user_id, provider)).one())
        change = "replaced" if existed else "stored"
        hooks.key_changed(info.id, change, user_id=user_id, provider=provider, actor=actor or user_id)
        return info

    def delete_key(self, user_id: str, provider: str, *, actor: str | None = None) -> bool:
        """Forget ``user_id``'s key for ``provider``; whether there was one (``actor``: see :meth:`set_key`)."""
        _cloud_provider(provider)
        with self._write("deleting an API key") as connection:
            key_id = connection.execute(
                delete(KEYS).where(KEYS.c.user_id == user_id, KEYS.c.provider == provider).returning(KEYS.c.id)
            ).scalar_one_or_none()
        if key_id is not None:
            hooks.key_changed(key_id, "deleted", user_id=user_id, provider=provider, actor=actor or user_id)
        return key_id is not None

    def keys(self, user_id: str) -> list[KeyInfo]:
        """``user_id``'s keys, masked, by provider."""
        with self._read("listing API keys") as connection:
            rows = connection.execute(select(KEYS).where(KEYS.c.user_id == user_id).order_by(KEYS.c.provider))
            return [_key(row) for row in rows]

    def reveal(self, user_id: str, provider: str) -> str | None:
        """``user_id``'s key for ``provider`` in clear, or None; for building the user's orchestrator only.

        :class:`KeyUnreadable` when the stored ciphertext does not decrypt for this user and provider.
        """
        _cloud_provider(provider)
        with self._write("revealing an API key") as connection:
            row = connection.execute(
                select(KEYS.c.id, KEYS.c.ciphertext).where(KEYS.c.user_id == user_id, KEYS.c.provider == provider)
            ).first()
            if row is None:
                return None
            try:
                key = self._box.decrypt(row.ciphertext, context=key_context(user_id, provider))
            except DecryptionError as err:
                raise KeyUnreadable(f"the stored {provider} key of user {user_id} cannot be decrypted: {err}") from err
            connection.execute(update(KEYS).where(KEYS.c.id == row.id).values(last_used_at=self._clock()))
            return key

    def _key_query(self, user_id: str, provider: str) -> Any:
        return select(KEYS).where(KEYS.c.user_id == user_id, KEYS.c.provider == provider)

    def _require_user(self, connection: Connection, user_id: str) -> None:
        if connection.execute(select(USERS.c.id).where(USERS.c.id == user_id)).first() is None:
            raise UnknownUser(f"no user has id {user_id!r}")

    # -- health -----------------------------------------------------------------------------------------------

    def record_health(self, statuses: Iterable[ProviderStatus]) -> list[HealthRow]:
        """Keep the orchestrator's ``health()`` as each provider's latest state (an older check never wins)."""
        statuses = list(statuses)
        for status in statuses:
            _known_provider(status.name)
        now = self._clock()

        def newer(excluded: Any) -> Any:
            return HEALTH.c.checked_at <= excluded.checked_at

        with self._write("recording provider health") as connection:
            for status in statuses:
                values = {
                    "checked_at": now,
                    "state": _state(status).value,
                    "breaker": status.breaker.value,
                    "failures": status.failures,
                    "latency_ms": status.health.latency_s * 1000 if status.health.ok else None,
                    "detail": status.health.detail,
                }
                upsert(connection, HEALTH, {"provider": status.name, **values}, ["provider"], values, where=newer)
        return self.health()

    def health(self) -> list[HealthRow]:
        """The latest health of every provider checked so far, in the default chain's order."""
        with self._read("reading provider health") as connection:
            rows = list(connection.execute(select(HEALTH)))
        rows.sort(key=lambda row: DEFAULT_CHAIN.index(row.provider))
        return [
            HealthRow(
                row.provider,
                row.checked_at,
                HealthState(row.state),
                BreakerState(row.breaker),
                row.failures,
                row.latency_ms,
                row.detail,
            )
            for row in rows
        ]

    # -- quotas -----------------------------------------------------------------------------------------------

    def set_quota(
        self,
        user_id: str | None,
        provider: str = ANY_PROVIDER,
        period: Period | str = Period.DAY,
        *,
        max_tokens: int | None = None,
        max_cost_usd: float | None = None,
    ) -> Quota:
        """Set the quota of ``user_id`` (None: each user) on ``provider`` (``'*'``: all) per ``period``."""
        if provider != ANY_PROVIDER:
            _known_provider(provider)
        try:
            period = Period(period)
        except ValueError as err:
            raise InvalidQuota(f"unknown quota period {period!r}; use day or month") from err
        if max_tokens is None and max_cost_usd is None:
            raise InvalidQuota("a quota needs max_tokens or max_cost_usd (delete_quota removes one)")
        _limit("max_tokens", max_tokens)
        _limit("max_cost_usd", max_cost_usd)
        scope = EVERYONE if user_id is None else user_id
        limits = {"max_tokens": max_tokens, "max_cost_usd": max_cost_usd, "updated_at": self._clock()}
        keys = {"scope": scope, "provider": provider, "period": period.value}
        with self._write("setting a quota") as connection:
            if user_id is not None:
                self._require_user(connection, user_id)
            values = {"id": str(uuid.uuid4()), "user_id": user_id, **keys, **limits}
            upsert(connection, QUOTAS, values, keys, limits)
            row = connection.execute(select(QUOTAS).where(*(QUOTAS.c[k] == v for k, v in keys.items()))).one()
            return _quota(row)

    def delete_quota(
        self, user_id: str | None, provider: str = ANY_PROVIDER, period: Period | str = Period.DAY
    ) -> bool:
        """Remove a quota; whether there was one."""
        scope = EVERYONE if user_id is None else user_id
        with self._write("deleting a quota") as connection:
            result = connection.execute(
                delete(QUOTAS).where(QUOTAS.c.scope == scope, QUOTAS.c.provider == provider, QUOTAS.c.period == period)
            )
            return bool(result.rowcount)

    def quotas(self, user_id: str | None) -> list[Quota]:
        """The quotas that apply to ``user_id``: everyone's first, then the user's own (None: everyone's only)."""
        scopes = [EVERYONE] if user_id is None else [EVERYONE, user_id]
        with self._read("reading quotas") as connection:
            rows = connection.execute(
                select(QUOTAS)
                .where(or_(*(QUOTAS.c.scope == scope for scope in scopes)))
                .order_by(QUOTAS.c.user_id.is_not(None), QUOTAS.c.provider, QUOTAS.c.period)
            )
            return [_quota(row) for row in rows]

    # -- usage and costs --------------------------------------------------------------------------------------

    def usage(self, user_id: str, since_day: date, until_day: date) -> list[UsageRow]:
        """``user_id``'s usage rows from ``since_day`` to ``until_day`` (UTC, both included)."""
        with self._read("reading AI usage") as connection:
            rows = connection.execute(
                select(USAGE)
                .where(USAGE.c.user_id == user_id, USAGE.c.day >= since_day, USAGE.c.day <= until_day)
                .order_by(USAGE.c.day, USAGE.c.provider, USAGE.c.model)
            )
            return [
                UsageRow(
                    row.user_id,
                    row.provider,
                    row.model,
                    row.day,
                    row.requests,
                    row.cached_calls,
                    row.input_tokens,
                    row.output_tokens,
                    row.cost_usd,
                )
                for row in rows
            ]

    def cost_summary(self, user_id: str, since_day: date, until_day: date) -> CostSummary:
        """``user_id``'s usage from ``since_day`` to ``until_day`` summed per provider, model and day."""
        summary = CostSummary()
        for row in self.usage(user_id, since_day, until_day):
            summary.total.add(row)
            summary.by_provider.setdefault(row.provider, Totals()).add(row)
            summary.by_model.setdefault((row.provider, row.model), Totals()).add(row)
            summary.by_day.setdefault(row.day, Totals()).add(row)
        return summary
