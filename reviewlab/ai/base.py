"""The AI orchestrator's vocabulary: requests, completions, the provider interface and its declared failures.

A provider turns a :class:`ChatRequest` into a :class:`Completion` or raises one of the declared
failures below — and nothing else on purpose: the orchestrator falls back to the next provider only on
a :class:`ProviderError`, so a programming error (a ``TypeError`` in a provider) surfaces instead of
being hidden behind a fallback. Everything here is synchronous: the CLI, Dagster and the API's worker
threads call it the same way.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


class TaskKind(StrEnum):
    """What a request is for; the seed's table 7.3 routes each kind to a model (``routing``)."""

    CODE_REVIEW = "code_review"
    SECURITY = "security"
    ARCHITECTURE = "architecture"
    QUICK = "quick"


class ProviderKind(StrEnum):
    LOCAL = "local"  # runs on the user's machines: Ollama, HuggingFace; costs nothing per token
    CLOUD = "cloud"  # a third party with the user's key: OpenAI, Anthropic; code leaves the machine


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat call. ``json_schema``, when set, asks for a JSON answer matching it (providers pass it on in
    their native way: Ollama ``format``, OpenAI ``response_format``, Anthropic a tool or instruction)."""

    messages: tuple[Message, ...]
    max_tokens: int = 1024
    temperature: float = 0.0
    json_schema: dict[str, Any] | None = None
    timeout_s: float = 60.0
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Completion:
    """A provider's answer with what it cost: tokens as the provider counted them (estimated when it does not
    say), latency of the call, and whether the response cache answered."""

    text: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_s: float
    cached: bool = False
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """A provider's health check: reachable or not, how fast, which models it can serve."""

    provider: str
    ok: bool
    latency_s: float
    detail: str = ""
    models: tuple[str, ...] = ()


class ProviderError(Exception):
    """A declared failure of one provider call: the orchestrator may try the next provider."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message


class ProviderUnavailable(ProviderError):
    """Not reachable, not configured (no key, no model directory), or a server error (5xx)."""


class ProviderMisconfigured(ProviderUnavailable):
    """Unavailable for a reason that a retry cannot fix: no key or a rejected one, a model that is not pulled or
    not on disk, a provider that is not configured. The orchestrator falls back at once, without retrying."""


class ProviderTimeout(ProviderError):
    """No complete answer within the request's timeout."""


class RateLimited(ProviderError):
    """The provider refused for rate (429); ``retry_after_s`` is its Retry-After when it sent one."""

    def __init__(self, provider: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(provider, message)
        self.retry_after_s = retry_after_s


class InvalidAnswer(ProviderError):
    """An answer that cannot be used: a truncated stream, an empty or malformed body, JSON that breaks the
    requested schema after repair and one retry."""


class QuotaExceeded(ProviderError):
    """The user's or the provider's token or cost quota would be exceeded by this call (checked before it)."""


class CircuitOpen(ProviderError):
    """The provider's circuit breaker is open: it failed repeatedly and is not called until it recovers."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One provider's try within a request: what failed and how long it took."""

    provider: str
    model: str
    error: str  # the ProviderError subclass name, e.g. "ProviderTimeout"
    message: str
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "error": self.error,
            "message": self.message,
            "duration_s": self.duration_s,
        }


class AllProvidersFailed(Exception):
    """Every provider in the chain failed (or none is configured); ``attempts`` says how, in order."""

    def __init__(self, attempts: list[Attempt]) -> None:
        detail = "; ".join(
            f"{a.provider}{f' ({a.model})' if a.model else ''}: {a.error}: {a.message} [{a.duration_s:.2f} s]"
            for a in attempts
        )
        super().__init__(f"no AI provider could answer: {detail or 'none is configured'}")
        self.attempts = attempts


@runtime_checkable
class Provider(Protocol):
    """One backend. Implementations live in ``reviewlab.ai.providers``, one module each."""

    name: str
    kind: ProviderKind

    def chat(self, request: ChatRequest, model: str) -> Completion:
        """Answer ``request`` with ``model`` (``""``: the provider's configured default); raise a
        ``ProviderError`` subclass on a declared failure."""
        ...

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        """The answer's text in pieces as the provider produces them (same failures as ``chat``); read to the
        end, the generator returns the :class:`Completion` ``chat`` would have: the joined text, the tokens as
        the provider reported them (estimated only when it sent none), latency and finish reason. A reader gets
        it with ``completion = yield from provider.stream(...)`` or :func:`drain`."""
        ...

    def health(self) -> Health:
        """Reachability and latency, never raising."""
        ...

    def count_tokens(self, text: str, model: str) -> int:
        """Tokens ``text`` takes for ``model`` (exact where the provider's tokenizer is local, else estimated)."""
        ...


def drain(stream: Generator[str, None, Completion]) -> Completion:
    """What a provider's ``stream`` returns once read to the end (its pieces are dropped)."""
    while True:
        try:
            next(stream)
        except StopIteration as done:
            completion: Completion = done.value
            return completion


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about 4 characters per token for code and English), at least 1 for any text."""
    return 0 if not text else max(1, (len(text) + 3) // 4)


@dataclass(slots=True)
class Usage:
    """Tokens and cost accumulated for one key (a review, a user, a provider)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached_calls: int = 0
    by_model: dict[str, int] = field(default_factory=dict)  # calls per model
