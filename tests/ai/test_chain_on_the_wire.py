"""The orchestrator over real providers and loopback servers: the chain falls through in order on the wire
failures that matter, the breaker opens and closes on them, and the response cache answers repeats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from reviewlab.ai.base import AllProvidersFailed, ChatRequest, Message, TaskKind
from reviewlab.ai.breaker import BreakerState
from reviewlab.ai.config import AIConfig
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.providers.anthropic import AnthropicProvider
from reviewlab.ai.providers.ollama import OllamaProvider
from reviewlab.ai.providers.openai import OpenAIProvider
from tests.ai.servers import Answer, FakeAnthropic, FakeOllama, FakeOpenAI, Hang, Malformed, Status, Truncate

REQUEST = ChatRequest((Message("user", "Review: x = eval(data)"),), max_tokens=32, timeout_s=0.5)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def servers() -> Iterator[tuple[FakeOllama, FakeOpenAI, FakeAnthropic]]:
    with FakeOllama(models=("codellama:34b",)) as ollama, FakeOpenAI() as openai, FakeAnthropic() as anthropic:
        yield ollama, openai, anthropic


@contextmanager
def orchestrator(
    servers: tuple[FakeOllama, FakeOpenAI, FakeAnthropic], clock: Clock, *, cache: str = "off"
) -> Iterator[Orchestrator]:
    """An orchestrator over the three real providers; the providers (which the caller owns) are closed after."""
    ollama, openai, anthropic = servers
    config = AIConfig.from_table(
        {
            "chain": ["ollama", "openai", "anthropic"],
            "retry": {"max_attempts": 1},
            "cache": {"backend": cache},
            "models_refresh_s": 0,
        }
    )
    providers = [
        OllamaProvider([ollama.url], default_model="codellama:34b"),
        OpenAIProvider("sk-test", base_url=openai.base_url),
        AnthropicProvider("sk-ant-test", base_url=anthropic.base_url, default_model="claude-test-haiku"),
    ]
    try:
        yield Orchestrator(providers, config, clock=clock, sleep=lambda _: None)
    finally:
        for provider in providers:
            provider.close()


def test_the_chain_falls_through_in_order_on_wire_failures(
    servers: tuple[FakeOllama, FakeOpenAI, FakeAnthropic],
) -> None:
    ollama, openai, anthropic = servers
    ollama.script(Status(500))
    openai.script(Status(429, retry_after=120))  # longer than the retry cap: on to the next provider
    anthropic.script(Answer("Use ast.literal_eval.", input_tokens=20, output_tokens=6))
    with orchestrator(servers, Clock()) as orch:
        outcome = orch.complete_detailed(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1", review="r1")
    assert outcome.completion.provider == "anthropic"
    assert outcome.completion.text == "Use ast.literal_eval."
    assert [(a.provider, a.error) for a in outcome.attempts] == [
        ("ollama", "ProviderUnavailable"),
        ("openai", "RateLimited"),
    ]
    assert all(a.duration_s >= 0 for a in outcome.attempts)


def test_total_failure_lists_every_attempt_with_its_error(
    servers: tuple[FakeOllama, FakeOpenAI, FakeAnthropic],
) -> None:
    ollama, openai, anthropic = servers
    ollama.script(Truncate(after=1))
    openai.script(Hang(2.0))
    anthropic.script(Malformed())
    with orchestrator(servers, Clock()) as orch, pytest.raises(AllProvidersFailed) as failed:
        orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1")
    assert [(a.provider, a.error) for a in failed.value.attempts] == [
        ("ollama", "InvalidAnswer"),
        ("openai", "ProviderTimeout"),
        ("anthropic", "InvalidAnswer"),
    ]


def test_the_breaker_opens_after_five_failures_half_opens_after_60_s_and_closes_after_three_successes(
    servers: tuple[FakeOllama, FakeOpenAI, FakeAnthropic],
) -> None:
    ollama, openai, _ = servers
    clock = Clock()
    ollama.default = Status(503)
    openai.default = Answer("ok")
    with orchestrator(servers, clock) as orch:
        for _ in range(5):
            assert orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1").provider == "openai"
        assert orch.breaker("ollama").state is BreakerState.OPEN
        calls = len(ollama.chat_requests())
        assert orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1").provider == "openai"
        assert len(ollama.chat_requests()) == calls  # open: Ollama is not even called

        clock.now += 60.0
        ollama.default = Answer("back")
        for _ in range(3):
            assert orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1").provider == "ollama"
        assert orch.breaker("ollama").state is BreakerState.CLOSED


def test_a_repeated_request_is_answered_by_the_cache_at_no_cost(
    servers: tuple[FakeOllama, FakeOpenAI, FakeAnthropic],
) -> None:
    ollama, _, _ = servers
    ollama.default = Answer("cached answer", input_tokens=50, output_tokens=5)
    with orchestrator(servers, Clock(), cache="memory") as orch:
        first = orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1", review="r2")
        again = orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1", review="r2")
        other_prompt = orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v2", review="r2")
    assert (first.cached, again.cached, other_prompt.cached) == (False, True, False)
    assert again.text == first.text
    assert len(ollama.chat_requests()) == 2  # the prompt version is part of the key
