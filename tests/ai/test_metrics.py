"""The orchestrator's metrics over loopback servers: each provider's turn by outcome with its duration, the
answer's tokens and cost, and the circuit's state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from reviewlab.ai.base import AllProvidersFailed, ChatRequest, Message, TaskKind
from reviewlab.ai.config import AIConfig
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.providers.ollama import OllamaProvider
from reviewlab.ai.providers.openai import OpenAIProvider
from reviewlab.observability.metrics import Instruments
from tests.ai.servers import Answer, FakeOllama, FakeOpenAI, Hang, Malformed, Status

REQUEST = ChatRequest((Message("user", "Review: x = eval(data)"),), max_tokens=32, timeout_s=0.5)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def servers() -> Iterator[tuple[FakeOllama, FakeOpenAI]]:
    with FakeOllama(models=("codellama:34b",)) as ollama, FakeOpenAI() as openai:
        yield ollama, openai


@pytest.fixture
def metrics() -> Instruments:
    return Instruments(CollectorRegistry())


@pytest.fixture
def orch(servers: tuple[FakeOllama, FakeOpenAI], metrics: Instruments) -> Iterator[Orchestrator]:
    ollama, openai = servers
    config = AIConfig.from_table(
        {
            "chain": ["ollama", "openai"],
            "retry": {"max_attempts": 1},
            "cache": {"backend": "off"},
            "models_refresh_s": 0,
        }
    )
    providers: list[OllamaProvider | OpenAIProvider] = [
        OllamaProvider([ollama.url], default_model="codellama:34b"),
        OpenAIProvider("sk-test", base_url=openai.base_url),
    ]
    try:
        yield Orchestrator(providers, config, clock=Clock(), sleep=lambda _: None, metrics=metrics)
    finally:
        for provider in providers:
            provider.close()


def value(metrics: Instruments, name: str, **labels: str) -> float:
    assert metrics.registry is not None
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_an_answer_counts_its_call_tokens_and_cost(
    servers: tuple[FakeOllama, FakeOpenAI], orch: Orchestrator, metrics: Instruments
) -> None:
    ollama, _ = servers
    ollama.script(Answer("Use ast.literal_eval.", input_tokens=20, output_tokens=6))
    outcome = orch.complete_detailed(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1")
    labels = {"provider": "ollama", "model": "codellama:34b"}
    assert outcome.completion.model == "codellama:34b"
    assert value(metrics, "reviewlab_provider_requests_total", outcome="ok", **labels) == 1
    assert value(metrics, "reviewlab_provider_request_duration_seconds_count", **labels) == 1
    assert value(metrics, "reviewlab_provider_tokens_total", direction="input", **labels) == 20
    assert value(metrics, "reviewlab_provider_tokens_total", direction="output", **labels) == 6
    assert value(metrics, "reviewlab_provider_cost_usd_total", **labels) == pytest.approx(outcome.cost_usd)
    assert value(metrics, "reviewlab_provider_circuit_state", provider="ollama", state="closed") == 1
    assert value(metrics, "reviewlab_provider_circuit_state", provider="ollama", state="open") == 0


def test_failures_are_counted_by_outcome(
    servers: tuple[FakeOllama, FakeOpenAI], orch: Orchestrator, metrics: Instruments
) -> None:
    ollama, openai = servers
    ollama.script(Malformed(), Status(500))
    openai.script(Hang(2.0), Answer("fine", input_tokens=3, output_tokens=1))
    with pytest.raises(AllProvidersFailed):
        orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1")
    assert orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1").provider == "openai"
    ollama_model = {"provider": "ollama", "model": "codellama:34b"}
    assert value(metrics, "reviewlab_provider_requests_total", outcome="invalid", **ollama_model) == 1
    assert value(metrics, "reviewlab_provider_requests_total", outcome="error", **ollama_model) == 1
    [openai_model] = {
        s.labels["model"]
        for family in metrics.registry.collect()  # type: ignore[union-attr]
        for s in family.samples
        if s.name == "reviewlab_provider_requests_total" and s.labels["provider"] == "openai"
    }
    openai_labels = {"provider": "openai", "model": openai_model}
    assert value(metrics, "reviewlab_provider_requests_total", outcome="timeout", **openai_labels) == 1
    assert value(metrics, "reviewlab_provider_requests_total", outcome="ok", **openai_labels) == 1
    assert value(metrics, "reviewlab_provider_request_duration_seconds_count", **ollama_model) == 2
    assert value(metrics, "reviewlab_provider_request_duration_seconds_count", **openai_labels) == 2


def test_the_circuit_state_follows_the_breaker(
    servers: tuple[FakeOllama, FakeOpenAI], orch: Orchestrator, metrics: Instruments
) -> None:
    ollama, openai = servers
    ollama.default = Status(503)
    openai.default = Answer("ok")
    for _ in range(5):
        assert orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1").provider == "openai"
    assert value(metrics, "reviewlab_provider_circuit_state", provider="ollama", state="open") == 1
    assert value(metrics, "reviewlab_provider_circuit_state", provider="ollama", state="closed") == 0
    calls = value(
        metrics, "reviewlab_provider_request_duration_seconds_count", provider="ollama", model="codellama:34b"
    )
    orch.complete(TaskKind.CODE_REVIEW, REQUEST, prompt_version="t@v1")
    assert (
        value(
            metrics,
            "reviewlab_provider_requests_total",
            provider="ollama",
            model="codellama:34b",
            outcome="circuit_open",
        )
        == 1
    )
    # refused by the open circuit: not a call, so no duration
    assert (
        value(metrics, "reviewlab_provider_request_duration_seconds_count", provider="ollama", model="codellama:34b")
        == calls
    )


def test_without_prometheus_client_the_instruments_do_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewlab.observability.metrics as module

    monkeypatch.setattr(module, "available", lambda: False)
    off = module.Instruments()
    assert off.registry is None
    off.provider_call("ollama", "m", "ok", 1.0)
    off.provider_usage("ollama", "m", 1, 2, 0.1)
    off.circuit_state("ollama", "open")
    off.analysis_finished("snippet", "completed")
    off.stage_duration("analyze", 1.0)
    off.findings([("high", "security")])
