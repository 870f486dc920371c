"""In-memory test doubles for the orchestrator: a fake clock and fake providers driven by a script.

A :class:`FakeProvider` answers each call with the next step of its script (then with its default
answer): an :class:`Answer`, a :class:`Hang` (the fake clock moves past the request's timeout and the
call raises ``ProviderTimeout``, as a real provider's deadline would), a :class:`BrokenStream`, or an
exception instance, raised as it is (a declared ``ProviderError`` or a programming error).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    Health,
    InvalidAnswer,
    Message,
    ProviderKind,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
    estimate_tokens,
)

if TYPE_CHECKING:
    pass


class FakeClock:
    """Monotonic seconds that move only when told to; ``sleep`` records the wait and moves the clock."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Answer:
    text: str = '{"findings": []}'
    input_tokens: int = 1_000
    output_tokens: int = 200
    latency_s: float = 0.5
    pieces: tuple[str, ...] | None = None  # what ``stream`` yields (default: the text in two halves)


@dataclass(frozen=True)
class Hang:
    """No answer: the call waits out the request's timeout, then times out."""


@dataclass(frozen=True)
class BrokenStream:
    """``stream`` yields ``pieces``, then raises ``error``."""

    pieces: tuple[str, ...]
    error: Exception


Step = Answer | Hang | BrokenStream | Exception


@dataclass
class FakeProvider:
    """A scripted provider. ``calls`` records (model, request) of each chat or stream call."""

    name: str = "ollama"
    kind: ProviderKind = ProviderKind.LOCAL
    clock: FakeClock | None = None
    models: tuple[str, ...] = ()
    healthy: bool = True
    default: Answer = field(default_factory=Answer)
    script: deque[Step] = field(default_factory=deque)
    calls: list[tuple[str, ChatRequest]] = field(default_factory=list)
    health_checks: int = 0

    def then(self, *steps: Step) -> FakeProvider:
        self.script.extend(steps)
        return self

    def _next(self, request: ChatRequest, model: str) -> Answer | BrokenStream:
        self.calls.append((model, request))
        step = self.script.popleft() if self.script else self.default
        if isinstance(step, Hang):
            self._advance(request.timeout_s)
            raise ProviderTimeout(self.name, f"no answer within {request.timeout_s:g} s")
        if isinstance(step, Exception):
            self._advance(0.1)
            raise step
        return step

    def _advance(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.advance(seconds)

    def _completion(self, step: Answer, model: str) -> Completion:
        self._advance(step.latency_s)
        return Completion(
            text=step.text,
            provider=self.name,
            model=model,
            input_tokens=step.input_tokens,
            output_tokens=step.output_tokens,
            latency_s=step.latency_s,
            finish_reason="stop",
        )

    def chat(self, request: ChatRequest, model: str) -> Completion:
        step = self._next(request, model)
        if isinstance(step, BrokenStream):
            raise step.error
        return self._completion(step, model)

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        """The answer's pieces, then its Completion (the pieces joined, with the answer's tokens)."""
        step = self._next(request, model)
        if isinstance(step, BrokenStream):
            yield from step.pieces
            raise step.error
        half = len(step.text) // 2
        pieces = step.pieces if step.pieces is not None else (step.text[:half], step.text[half:])
        yield from pieces
        return self._completion(replace(step, text="".join(pieces)), model)

    def health(self) -> Health:
        self.health_checks += 1
        return Health(self.name, ok=self.healthy, latency_s=0.001, models=self.models if self.healthy else ())

    def count_tokens(self, text: str, model: str) -> int:
        return estimate_tokens(text)


class InstantProvider:
    """The cheapest possible provider, for measuring the orchestrator's own overhead."""

    kind = ProviderKind.LOCAL

    def __init__(self, name: str = "ollama") -> None:
        self.name = name
        self._answer = Completion("ok", name, "m", 10, 2, 0.0)

    def chat(self, request: ChatRequest, model: str) -> Completion:
        return self._answer

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        yield "ok"
        return self._answer

    def health(self) -> Health:
        return Health(self.name, ok=True, latency_s=0.0)

    def count_tokens(self, text: str, model: str) -> int:
        return 1


def chat(text: str = "review this function", **options: Any) -> ChatRequest:
    """A one-message request."""
    return ChatRequest(messages=(Message("user", text),), **options)


def cloud(name: str, clock: FakeClock | None = None, *steps: Step) -> FakeProvider:
    return FakeProvider(name, ProviderKind.CLOUD, clock).then(*steps)


def local(name: str, clock: FakeClock | None = None, *steps: Step) -> FakeProvider:
    return FakeProvider(name, ProviderKind.LOCAL, clock).then(*steps)


def every_failure(provider: str) -> Iterable[Exception]:
    """One instance of each declared failure a provider raises itself."""
    return (
        ProviderUnavailable(provider, "connection refused"),
        ProviderTimeout(provider, "no answer within 60 s"),
        RateLimited(provider, "HTTP 429", retry_after_s=2.0),
        InvalidAnswer(provider, "truncated stream"),
        QuotaExceeded(provider, "insufficient_quota"),
    )
