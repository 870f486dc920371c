"""The AI orchestrator (seed 5.3, 7.2): one call, answered by the first provider in the chain that can.

For each call: the response cache is asked first (one lookup for every provider's key). Then, in chain
order (Ollama -> HuggingFace -> OpenAI -> Anthropic by default), a provider is skipped when its circuit
breaker is open, when none of the models routed for the task is available on it, or when the call
would pass a quota; otherwise it is called with retries. A declared failure (a ``ProviderError``)
becomes an :class:`Attempt` and the next provider is tried; anything else (a programming error)
propagates untouched. The answer's tokens and cost go to the ledger and the answer to the cache.
When every provider failed, :class:`AllProvidersFailed` lists every attempt with its duration.
Each provider's turn is recorded in the metrics (:mod:`reviewlab.observability.metrics`): its outcome and
duration, the tokens and cost of an answer, the circuit's state after it. Each call to a provider (each try)
is a client span ``chat <provider>`` (:mod:`reviewlab.observability.tracing`, when tracing is on), with the
model, the tokens and the cost, failed when the call failed; the providers send its ``traceparent``.
:meth:`Orchestrator.from_settings` builds one from the environment with :mod:`reviewlab.ai.setup`.
"""

from __future__ import annotations

import json
import logging
import random as _random
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Generic, TypeVar

from reviewlab.ai import setup
from reviewlab.ai.base import (
    AllProvidersFailed,
    Attempt,
    ChatRequest,
    CircuitOpen,
    Completion,
    Health,
    InvalidAnswer,
    Provider,
    ProviderError,
    ProviderKind,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    TaskKind,
    Usage,
    estimate_tokens,
)
from reviewlab.ai.breaker import BreakerState, CircuitBreaker
from reviewlab.ai.cache import MemoryCache, NullCache, ResponseCache, cache_key, request_digest
from reviewlab.ai.config import PROVIDERS, AIConfig
from reviewlab.ai.costs import Ledger, LedgerUnavailable, MemoryLedger, PriceTable, QuotaGuard, Scope
from reviewlab.ai.retry import Retrier
from reviewlab.ai.routing import Router
from reviewlab.ai.setup import UnavailableProvider
from reviewlab.observability import tracing
from reviewlab.observability.metrics import Instruments, instruments

if TYPE_CHECKING:
    from reviewlab.settings import Settings

log = logging.getLogger(__name__)

_UNHEALTHY_RECHECK_S = 30.0  # a provider whose health check failed is asked again this soon

T = TypeVar("T")
_Pieces = Generator[str, None, Completion]  # a provider's stream: its pieces, then its Completion
_Begun = tuple[_Pieces, str, tracing.Span]  # a stream that gave its first piece, and the call's span


@dataclass(frozen=True, slots=True)
class Outcome:
    """An answer with what it cost and the providers that failed before it."""

    completion: Completion
    cost_usd: float
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """What ``reviewlab providers`` shows: health, circuit, and today's (UTC) usage of one provider."""

    name: str
    kind: ProviderKind
    health: Health
    breaker: BreakerState
    failures: int
    opened_at: float | None
    retry_in_s: float
    usage: Usage | None  # None when the ledger cannot be read (see usage_error)
    usage_error: str = ""


class _Slot:
    """One provider in the chain with its breaker and per-provider settings (built once, not per call)."""

    __slots__ = ("breaker", "kind", "lock", "models_due", "name", "provider", "timeout_cap", "unusable")

    def __init__(self, provider: Provider, breaker: CircuitBreaker, timeout_cap: float | None) -> None:
        self.provider = provider
        self.name = provider.name
        self.kind = provider.kind
        self.breaker = breaker
        self.timeout_cap = timeout_cap
        self.models_due = float("-inf")
        self.lock = threading.Lock()
        # A provider that could not be set up is reported in every failure, but neither retried nor counted.
        self.unusable = provider.reason if isinstance(provider, UnavailableProvider) else None


@dataclass(frozen=True, slots=True)
class _Answered(Generic[T]):
    """What the first provider of the chain to answer gave, and the attempts that failed before it."""

    slot: _Slot
    model: str
    value: T
    started: float  # by the orchestrator's clock, when this provider's turn began
    attempts: tuple[Attempt, ...]


class Orchestrator:
    """Answers chat requests with the first provider of the chain that can; thread-safe, synchronous."""

    def __init__(
        self,
        providers: Sequence[Provider],
        config: AIConfig | None = None,
        *,
        cache: ResponseCache | None = None,
        ledger: Ledger | None = None,
        router: Router | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        metrics: Instruments | None = None,
    ) -> None:
        """``providers`` run in ``config.chain`` order; one the chain leaves out or the config disables is not
        used, and one with a name the configuration does not know runs after the others, in the order given.
        ``cache`` and ``ledger`` default to in-process ones; ``clock`` (monotonic seconds), ``sleep`` and
        ``random`` are injectable for tests; ``metrics`` defaults to the process-wide instruments."""
        self.config = config = config or AIConfig()
        self._metrics = metrics if metrics is not None else instruments()
        self._clock = clock
        rank = {name: i for i, name in enumerate(config.enabled_chain())}
        chosen = [p for p in providers if p.name in rank or p.name not in PROVIDERS]
        chosen.sort(key=lambda p: rank.get(p.name, len(rank)))
        b = config.breaker
        self._slots = tuple(
            _Slot(
                p,
                CircuitBreaker(
                    p.name,
                    failure_threshold=b.failure_threshold,
                    recovery_timeout_s=b.recovery_timeout_s,
                    success_threshold=b.success_threshold,
                    clock=clock,
                ),
                config.provider(p.name).timeout_s,
            )
            for p in chosen
        )
        self._by_name = {slot.name: slot for slot in self._slots}
        if cache is None:
            cache = (
                NullCache()
                if config.cache.backend == "off"
                else MemoryCache(ttl_s=config.cache.ttl_s, max_entries=config.cache.max_entries, clock=clock)
            )
        self._cache = cache
        self._caching = not isinstance(cache, NullCache)
        self._ledger: Ledger = ledger or MemoryLedger(retention_days=config.costs.retention_days)
        self._router = router or Router(
            config.routing,
            provider_defaults={n: c.default_model for n, c in config.providers.items() if c.default_model},
        )
        self._prices = PriceTable.from_config(config.costs)
        self._quotas = QuotaGuard(config.quotas, self._ledger)
        self._retrier = Retrier(config.retry.policy(), sleep=sleep, random=random, clock=clock)
        self._refresh_s = config.models_refresh_s
        self._closers: list[Callable[[], None]] = []

    # -- construction from the environment -------------------------------------------------------------

    @classmethod
    def from_settings(
        cls, settings: Settings, config: AIConfig | None = None, *, ledger: Ledger | None = None
    ) -> Orchestrator:
        """The providers the settings allow (cloud ones only with a key), with Redis behind the cache and the
        ledger when ``REDIS_URL`` is set (and the configuration does not say otherwise); see
        :func:`reviewlab.ai.setup.from_settings`. A given ``ledger`` (the platform's, in the database) replaces
        the configured one."""
        config = config or AIConfig()
        parts = setup.from_settings(settings, config)
        orchestrator = cls(
            parts.providers, config, cache=parts.cache, ledger=ledger or parts.ledger, router=parts.router
        )
        orchestrator._closers.extend(parts.closers)
        # The providers it built hold connection pools (the SDKs' HTTP clients); closing the orchestrator closes them.
        for provider in parts.providers:
            close = getattr(provider, "close", None)
            if callable(close):
                orchestrator._closers.append(close)
        return orchestrator

    def close(self) -> None:
        """Release what :meth:`from_settings` opened: the Redis connection pool and the providers' clients."""
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> Orchestrator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------------------------

    def complete(
        self,
        task: TaskKind,
        request: ChatRequest,
        *,
        prompt_version: str,
        user: str | None = None,
        review: str | None = None,
    ) -> Completion:
        """The first answer the chain gives (or a cached one); :class:`AllProvidersFailed` when none can."""
        return self.complete_detailed(task, request, prompt_version=prompt_version, user=user, review=review).completion

    def complete_detailed(
        self,
        task: TaskKind,
        request: ChatRequest,
        *,
        prompt_version: str,
        user: str | None = None,
        review: str | None = None,
    ) -> Outcome:
        """:meth:`complete` with the answer's cost and the attempts that failed before it."""
        clock = self._clock
        digest = ""
        if self._caching:
            began = clock()
            digest = request_digest(request)
            hit = self._cached(task, prompt_version, digest)
            if hit is not None:
                hit = replace(hit, latency_s=clock() - began)
                self._ledger.record(hit, 0.0, user=user, review=review)
                return Outcome(hit, 0.0, ())
        answered = self._first(task, request, user, self._call)
        slot, model, completion = answered.slot, answered.model, answered.value
        cost = self._record(slot, model, completion, user, review)
        if digest:
            self._cache.put(cache_key(slot.name, model, prompt_version, digest), completion)
        return Outcome(completion, cost, answered.attempts)

    def stream(
        self,
        task: TaskKind,
        request: ChatRequest,
        *,
        prompt_version: str,
        user: str | None = None,
        review: str | None = None,
    ) -> Generator[str, None, Completion]:
        """The answer in pieces; read to the end, returns the provider's :class:`Completion`, whose tokens and cost
        the ledger records as for :meth:`complete` (a stream left or broken midway records an estimate of what it
        used). Falls back only until a provider has produced its first piece; a failure after that is raised to
        the reader. Not cached. Runs (and may raise :class:`AllProvidersFailed`) on first ``next``.
        ``prompt_version`` is accepted for symmetry with :meth:`complete`."""
        answered = self._first(task, request, user, self._begin_stream)
        (pieces, first, span), slot, model = answered.value, answered.slot, answered.model
        return (yield from self._drain(slot, model, request, pieces, first, answered.started, user, review, span))

    # -- health and usage ------------------------------------------------------------------------------

    def health(self) -> list[ProviderStatus]:
        """Every provider of the chain: a fresh health check, its circuit, and its usage today."""
        statuses = []
        for slot in self._slots:
            health = self._check(slot)
            snap = slot.breaker.snapshot()
            usage: Usage | None = None
            error = ""
            try:
                usage = self._ledger.usage("provider", slot.name)
            except LedgerUnavailable as err:
                error = str(err)
            statuses.append(
                ProviderStatus(
                    slot.name,
                    slot.kind,
                    health,
                    snap.state,
                    snap.failures,
                    snap.opened_at,
                    snap.retry_in_s,
                    usage,
                    error,
                )
            )
        return statuses

    def usage(self, scope: Scope, key: str, *, day: int | None = None) -> Usage:
        """Totals of a review, or of a user, provider or model on a UTC day (``costs.epoch_day``; default today)."""
        return self._ledger.usage(scope, key, day=day)

    def usage_for_review(self, review: str) -> Usage:
        return self._ledger.usage("review", review)

    def usage_for_user(self, user: str, *, day: int | None = None) -> Usage:
        return self._ledger.usage("user", user, day=day)

    def usage_for_provider(self, provider: str, *, day: int | None = None) -> Usage:
        return self._ledger.usage("provider", provider, day=day)

    @property
    def chain(self) -> tuple[str, ...]:
        """The providers in the order they are tried."""
        return tuple(slot.name for slot in self._slots)

    def breaker(self, provider: str) -> CircuitBreaker:
        return self._by_name[provider].breaker

    @property
    def router(self) -> Router:
        return self._router

    # -- the steps of one call -------------------------------------------------------------------------

    def _first(
        self, task: TaskKind, request: ChatRequest, user: str | None, step: Callable[[_Slot, ChatRequest, str], T]
    ) -> _Answered[T]:
        """``step`` (a call with retries) on each provider of the chain in turn until one answers; a provider that
        is not admitted or fails with a declared failure becomes an attempt. :class:`AllProvidersFailed` when none
        answers."""
        clock = self._clock
        attempts: list[Attempt] = []
        deadline = self._retrier.deadline()
        for slot in self._slots:
            started = clock()
            tries = [1]
            called = False
            try:
                model, own = self._admit(slot, task, request, user)
                called = True
                value = self._retrier.call(partial(step, slot, own, model), deadline=deadline, on_retry=_counter(tries))
            except ProviderError as err:
                took = clock() - started
                attempt = self._failed(slot, task, err, tries[0], took)
                attempts.append(attempt)
                outcome = _outcome(err, called=called)
                timed = called and outcome != "circuit_open"
                self._metrics.provider_call(slot.name, attempt.model, outcome, took if timed else None)
                if called:
                    self._metrics.circuit_state(slot.name, slot.breaker.state.value)
                continue
            self._metrics.provider_call(slot.name, model, "ok", clock() - started)
            self._metrics.circuit_state(slot.name, slot.breaker.state.value)
            return _Answered(slot, model, value, started, tuple(attempts))
        raise AllProvidersFailed(attempts)

    def _cached(self, task: TaskKind, prompt_version: str, digest: str) -> Completion | None:
        keys = []
        for slot in self._slots:
            try:
                model = self._router.choose(slot.name, task)
            except ProviderUnavailable:
                continue
            keys.append(cache_key(slot.name, model, prompt_version, digest))
        for hit in self._cache.get_many(keys):
            if hit is not None:
                return hit
        return None

    def _route(self, slot: _Slot, task: TaskKind) -> str:
        if self._refresh_s and self._clock() >= slot.models_due:
            self._check(slot, blocking=False)
        return self._router.choose(slot.name, task)

    def _check(self, slot: _Slot, *, blocking: bool = True) -> Health:
        """Ask ``slot``'s provider for its health and models (one thread at a time; others go on without)."""
        if not slot.lock.acquire(blocking=blocking):
            return Health(slot.name, ok=False, latency_s=0.0, detail="a health check is in progress")
        try:
            try:
                health = slot.provider.health()
            except ProviderError as err:  # the protocol says never; a declared failure still means "not healthy"
                health = Health(slot.name, ok=False, latency_s=0.0, detail=err.message)
            self._router.observe(health)
            recheck = self._refresh_s if health.ok else min(self._refresh_s, _UNHEALTHY_RECHECK_S)
            slot.models_due = self._clock() + recheck
            return health
        finally:
            slot.lock.release()

    def _admit(self, slot: _Slot, task: TaskKind, request: ChatRequest, user: str | None) -> tuple[str, ChatRequest]:
        """The model and request to call ``slot`` with, or the reason not to: ``CircuitOpen``, ``ProviderUnavailable``
        (none of the routed models is there), ``QuotaExceeded``. Caps the request's timeout for the provider."""
        if slot.unusable is not None:
            raise ProviderUnavailable(slot.name, slot.unusable)
        slot.breaker.allow()
        model = self._route(slot, task)
        if self._quotas.applies(slot.name, user):
            prompt = sum(estimate_tokens(m.content) for m in request.messages)
            if request.json_schema is not None:
                prompt += estimate_tokens(json.dumps(request.json_schema))
            cost = self._prices.price(slot.kind, model).cost_usd(prompt, request.max_tokens)
            self._quotas.check(slot.name, user, prompt + request.max_tokens, cost)
        cap = slot.timeout_cap
        if cap is not None and request.timeout_s > cap:
            return model, replace(request, timeout_s=cap)
        return model, request

    def _call(self, slot: _Slot, request: ChatRequest, model: str) -> Completion:
        breaker = slot.breaker
        breaker.allow()
        with tracing.span(
            f"chat {slot.name}", kind="client", attributes=_request_attributes(slot, model, request)
        ) as span:
            try:
                completion = slot.provider.chat(request, model)
            except ProviderError:
                breaker.record_failure()
                raise
            breaker.record_success()
            self._trace_usage(span, slot, model, completion)
        return completion

    def _trace_usage(self, span: tracing.Span, slot: _Slot, model: str, completion: Completion) -> None:
        """The answer's model, tokens and cost on the call's span."""
        if not span.recording:
            return
        cost = self._prices.price(slot.kind, model).cost_usd(completion.input_tokens, completion.output_tokens)
        span.set_all(
            {
                "gen_ai.response.model": completion.model,
                "gen_ai.usage.input_tokens": completion.input_tokens,
                "gen_ai.usage.output_tokens": completion.output_tokens,
                "gen_ai.response.finish_reasons": completion.finish_reason,
                "reviewlab.cost_usd": cost,
            }
        )

    def _record(self, slot: _Slot, model: str, completion: Completion, user: str | None, review: str | None) -> float:
        """Put ``completion``'s tokens and their cost (at ``model``'s price on ``slot``) in the ledger; the cost."""
        cost = self._prices.price(slot.kind, model).cost_usd(completion.input_tokens, completion.output_tokens)
        self._ledger.record(completion, cost, user=user, review=review)
        self._metrics.provider_usage(slot.name, model, completion.input_tokens, completion.output_tokens, cost)
        return cost

    def _begin_stream(self, slot: _Slot, request: ChatRequest, model: str) -> _Begun:
        breaker = slot.breaker
        breaker.allow()
        span = tracing.start_span(
            f"chat {slot.name}", kind="client", attributes=_request_attributes(slot, model, request)
        )
        span.set("gen_ai.request.stream", True)
        pieces = slot.provider.stream(request, model)
        try:
            with span.current():  # the request goes out with the first piece
                first = next(pieces, None)
            if first is None:
                raise InvalidAnswer(slot.name, f"{model or 'the model'} streamed no answer")
        except ProviderError as err:
            breaker.record_failure()
            pieces.close()
            span.fail(err)
            span.end()
            raise
        except BaseException:
            span.end()
            raise
        return pieces, first, span

    def _drain(
        self,
        slot: _Slot,
        model: str,
        request: ChatRequest,
        pieces: _Pieces,
        first: str,
        started: float,
        user: str | None,
        review: str | None,
        span: tracing.Span,
    ) -> Generator[str, None, Completion]:
        chars = len(first)
        finished = False
        returned: object = None
        try:
            yield first
            while not finished:
                try:
                    piece = next(pieces)
                except StopIteration as done:
                    finished, returned = True, done.value
                else:
                    chars += len(piece)
                    yield piece
        except ProviderError as err:
            slot.breaker.record_failure()
            span.fail(err)
            raise
        finally:
            pieces.close()
            if finished:
                slot.breaker.record_success()
            if isinstance(returned, Completion):
                completion = returned
            else:  # left or broken midway (or a provider that counts nothing): estimate what was used
                prompt = sum(estimate_tokens(m.content) for m in request.messages)
                completion = Completion("", slot.name, model, prompt, (chars + 3) // 4, self._clock() - started)
            self._trace_usage(span, slot, model, completion)
            span.end()
            self._record(slot, model, completion, user, review)
        return completion

    def _failed(self, slot: _Slot, task: TaskKind, err: ProviderError, tries: int, took: float) -> Attempt:
        try:
            model = self._router.choose(slot.name, task)
        except ProviderUnavailable:  # none of the routed models is there: the attempt names none
            model = ""
        message = err.message if tries == 1 else f"{err.message} (after {tries} tries)"
        attempt = Attempt(slot.name, model, type(err).__name__, message, took)
        log.info("AI provider %s (%s) failed: %s: %s [%.2f s]", slot.name, model, attempt.error, message, took)
        return attempt


def _request_attributes(slot: _Slot, model: str, request: ChatRequest) -> tracing.Attributes:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": slot.name,
        "gen_ai.request.model": model or None,
        "gen_ai.request.max_tokens": request.max_tokens,
        "gen_ai.request.temperature": request.temperature,
    }


def _outcome(err: ProviderError, *, called: bool) -> str:
    """The ``outcome`` label of a failed turn: refused before the call (``circuit_open``, ``quota``,
    ``unavailable``: no routed model or not set up) or failed by the call (``timeout``, ``invalid``, ``error``)."""
    if isinstance(err, CircuitOpen):
        return "circuit_open"
    if not called:
        return "quota" if isinstance(err, QuotaExceeded) else "unavailable"
    if isinstance(err, ProviderTimeout):
        return "timeout"
    if isinstance(err, InvalidAnswer):
        return "invalid"
    return "error"


def _counter(tries: list[int]) -> Callable[[ProviderError, int, float], None]:
    def on_retry(error: ProviderError, attempt: int, delay: float) -> None:
        tries[0] = attempt + 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("retrying %s in %.2f s after %s", error.provider, delay, error)

    return on_retry
