"""OpenAIProvider against a loopback OpenAI: answers, streams, every failure mapped to a declared one, no key."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    InvalidAnswer,
    Message,
    Provider,
    ProviderError,
    ProviderKind,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    estimate_tokens,
)
from reviewlab.ai.providers.openai import DEFAULT_BASE_URL, OpenAIProvider
from reviewlab.settings import Settings
from tests.ai.servers import Answer, FakeOpenAI, Hang, Malformed, Raw, Reply, Status, Truncate, refused_url

KEY = "sk-test-0123456789abcdef"
MODEL = "gpt-4o-mini"
REQUEST = ChatRequest(
    messages=(Message("system", "You review code."), Message("user", "Review: x = 1")),
    timeout_s=5.0,
)
# What a hang or a trickle is measured against: short, so that the suite stays fast.
SHORT = 0.3
SCHEMA = {"title": "Review", "type": "object", "properties": {"findings": {"type": "array"}}}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def server(shared_server: FakeOpenAI) -> FakeOpenAI:
    """The module's server, reset for each test (one server and one provider per module keep the suite fast)."""
    shared_server.reset()
    return shared_server


@pytest.fixture
def make() -> Iterator[Callable[..., OpenAIProvider]]:
    """Build providers that are closed after the test."""
    made: list[OpenAIProvider] = []

    def build(base_url: str, key: str | None = KEY, **options: Any) -> OpenAIProvider:
        made.append(OpenAIProvider(key, MODEL, **{"timeout_s": 2.0, "base_url": base_url, **options}))
        return made[-1]

    yield build
    for provider in made:
        provider.close()


@pytest.fixture(scope="module")
def provider(shared_server: FakeOpenAI) -> Iterator[OpenAIProvider]:
    shared = OpenAIProvider(KEY, MODEL, timeout_s=2.0, base_url=shared_server.base_url)
    yield shared
    shared.close()


def answer(provider: OpenAIProvider, call: str, request: ChatRequest = REQUEST) -> str:
    if call == "chat":
        return provider.chat(request, MODEL).text
    return "".join(provider.stream(request, MODEL))


def test_it_is_a_cloud_provider(provider: OpenAIProvider) -> None:
    assert isinstance(provider, Provider)
    assert (provider.name, provider.kind) == ("openai", ProviderKind.CLOUD)
    assert provider.configured


def test_chat_returns_the_answer_with_the_usage_the_server_reported(
    server: FakeOpenAI, provider: OpenAIProvider
) -> None:
    server.script(Answer("No findings.", input_tokens=42, output_tokens=5))

    completion = provider.chat(REQUEST, MODEL)

    assert completion == Completion(
        text="No findings.",
        provider="openai",
        model=MODEL,
        input_tokens=42,
        output_tokens=5,
        latency_s=completion.latency_s,
        finish_reason="stop",
    )
    assert completion.latency_s > 0
    [sent] = server.chat_requests()
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == MODEL
    assert sent.body["messages"] == [
        {"role": "system", "content": "You review code."},
        {"role": "user", "content": "Review: x = 1"},
    ]
    assert sent.body["max_completion_tokens"] == 1024
    assert sent.body["temperature"] == 0.0
    assert "stream" not in sent.body
    assert "response_format" not in sent.body


def test_a_json_schema_is_sent_as_a_json_schema_response_format(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    server.script(Answer.json({"findings": []}))

    completion = provider.chat(replace(REQUEST, json_schema=SCHEMA, stop=("```",)), MODEL)

    assert json.loads(completion.text) == {"findings": []}
    sent = server.chat_requests()[-1].body
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Review", "schema": SCHEMA, "strict": False},
    }
    assert sent["stop"] == ["```"]


def test_schema_breaking_content_is_passed_on_for_the_structured_layer_to_judge(
    server: FakeOpenAI, provider: OpenAIProvider
) -> None:
    server.script(Answer.json({"verdict": "fine"}))

    assert json.loads(provider.chat(replace(REQUEST, json_schema=SCHEMA), MODEL).text) == {"verdict": "fine"}


def test_stream_yields_the_pieces_and_asks_for_usage(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    server.script(Answer("one two three", pieces=("one ", "two ", "three")))

    assert list(provider.stream(replace(REQUEST, json_schema=SCHEMA), MODEL)) == ["one ", "two ", "three"]
    sent = server.chat_requests()[-1].body
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize("usage", [None, {"prompt_tokens": "many", "completion_tokens": -1}], ids=["none", "nonsense"])
def test_usage_the_server_leaves_out_is_estimated(
    server: FakeOpenAI, provider: OpenAIProvider, usage: dict[str, Any] | None
) -> None:
    body = {"model": MODEL, "choices": [{"index": 0, "message": {"role": "assistant", "content": "short answer"}}]}
    server.script(Raw(json.dumps({**body, "usage": usage})))

    completion = provider.chat(REQUEST, MODEL)

    assert completion.input_tokens == estimate_tokens("You review code.\nReview: x = 1")
    assert completion.output_tokens == estimate_tokens("short answer")


def test_count_tokens_estimates(provider: OpenAIProvider) -> None:
    assert provider.count_tokens("def f(): pass", MODEL) == estimate_tokens("def f(): pass")


NO_CHOICES = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": MODEL})
REFUSAL = json.dumps(
    {"model": MODEL, "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": "No."}}]}
)
UNFINISHED = 'data: {"choices": [{"index": 0, "delta": {"content": "half an"}, "finish_reason": null}]}\n\n'
WRONG_CHUNK = 'data: {"choices": [1]}\n\n'
ERROR_EVENT = 'data: {"error": {"message": "the model crashed", "type": "server_error"}}\n\n'

FAILURES = [
    pytest.param(Status(500), ProviderUnavailable, "server error (HTTP 500)", id="500"),
    pytest.param(Status(503, "overloaded"), ProviderUnavailable, "HTTP 503): overloaded", id="503"),
    pytest.param(Status(429, retry_after=2), RateLimited, "rate limited (HTTP 429), retry after 2 s", id="429"),
    pytest.param(Status(401), ProviderMisconfigured, "key rejected (HTTP 401)", id="401"),
    pytest.param(Status(403), ProviderMisconfigured, "key rejected (HTTP 403)", id="403"),
    pytest.param(Status(404), ProviderMisconfigured, f"model '{MODEL}' not found", id="404"),
    pytest.param(Status(400, "context too long"), ProviderMisconfigured, "request refused (HTTP 400)", id="400"),
    pytest.param(Hang(5), ProviderTimeout, "no answer in time", id="hang"),
    pytest.param(Truncate(after=2), InvalidAnswer, "broke before the answer was complete", id="dropped"),
    pytest.param(Malformed(), InvalidAnswer, "not JSON", id="malformed"),
    pytest.param(Answer(""), InvalidAnswer, "empty content", id="empty"),
]
CHAT_FAILURES = [
    pytest.param(Raw(NO_CHOICES), InvalidAnswer, "not a chat completion", id="missing-fields"),
    pytest.param(Raw("<html>busy</html>", content_type="text/html"), InvalidAnswer, "not a chat completion", id="html"),
    pytest.param(Raw(REFUSAL), InvalidAnswer, "refused: No.", id="refusal"),
    pytest.param(Raw('{"choices": "none"}'), InvalidAnswer, "not a chat completion", id="wrong-type-choices"),
    pytest.param(Raw('{"choices": [{"message": {"content": 5}}]}'), InvalidAnswer, "empty", id="wrong-type-content"),
]
STREAM_FAILURES = [
    pytest.param(Hang(5, after=1), ProviderTimeout, "no answer in time", id="hang-mid-stream"),
    pytest.param(Raw(UNFINISHED, content_type="text/event-stream"), InvalidAnswer, "truncated", id="no-finish"),
    pytest.param(Raw(ERROR_EVENT, content_type="text/event-stream"), InvalidAnswer, "the model crashed", id="error"),
    pytest.param(
        Raw(WRONG_CHUNK, content_type="text/event-stream"), InvalidAnswer, "not a chat completion chunk", id="chunk"
    ),
]


@pytest.mark.parametrize(
    ("call", "reply", "error", "message"),
    [pytest.param("chat", *p.values, id=f"chat-{p.id}") for p in FAILURES + CHAT_FAILURES]
    + [pytest.param("stream", *p.values, id=f"stream-{p.id}") for p in FAILURES + STREAM_FAILURES],
)
def test_each_failure_is_its_declared_error_and_nothing_else(
    server: FakeOpenAI, provider: OpenAIProvider, call: str, reply: Reply, error: type[ProviderError], message: str
) -> None:
    server.script(reply)
    request = replace(REQUEST, timeout_s=SHORT) if isinstance(reply, Hang) else REQUEST

    with pytest.raises(ProviderError) as caught:
        answer(provider, call, request)

    assert type(caught.value) is error
    assert caught.value.provider == "openai"
    assert message in caught.value.message


def test_the_retry_after_of_a_429_is_kept(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    server.script(Status(429, retry_after=7))

    with pytest.raises(RateLimited) as caught:
        provider.chat(REQUEST, MODEL)

    assert caught.value.retry_after_s == 7.0


def test_the_key_never_appears_in_a_failure(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    server.script(Status(401, f"Incorrect API key provided: {KEY}"), Status(400, f"bad request from {KEY}"))

    messages = []
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as caught:
            provider.chat(REQUEST, MODEL)
        messages.append(str(caught.value))

    assert all(KEY not in message for message in messages)
    assert "***" in messages[1]


def test_a_server_that_is_down_is_unavailable(make: Callable[..., OpenAIProvider]) -> None:
    provider = make(refused_url() + "/v1")

    for call in ("chat", "stream"):
        with pytest.raises(ProviderUnavailable, match="not reachable") as caught:
            answer(provider, call)
        assert type(caught.value) is ProviderUnavailable  # it may come back: not misconfigured


def test_a_stream_that_keeps_trickling_past_the_timeout_times_out(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    server.script(Answer("x " * 30, pace_s=0.02))

    with pytest.raises(ProviderTimeout, match=r"within 0\.3 s"):
        list(provider.stream(replace(REQUEST, timeout_s=SHORT), MODEL))


def test_programming_errors_are_not_turned_into_declared_failures(provider: OpenAIProvider) -> None:
    unserialisable = replace(REQUEST, json_schema={"type": "object", "default": object()})

    with pytest.raises(TypeError):
        provider.chat(unserialisable, MODEL)


# -- keys and settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "])
def test_without_a_key_it_is_not_usable_and_says_so(
    server: FakeOpenAI, make: Callable[..., OpenAIProvider], key: str | None
) -> None:
    provider = make(server.base_url, key)

    assert not provider.configured
    for call in ("chat", "stream"):
        with pytest.raises(ProviderMisconfigured, match="no API key configured"):
            answer(provider, call)
    health = provider.health()
    assert (health.ok, health.detail) == (False, "no API key configured")
    assert server.requests == []


def test_from_settings_takes_the_key_from_settings_and_the_base_url_from_the_environment(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    provider = OpenAIProvider.from_settings(Settings(openai_api_key=SecretStr(KEY)))
    try:
        assert provider.chat(REQUEST, MODEL).text == "ok"
    finally:
        provider.close()
    assert server.chat_requests()[-1].headers["authorization"] == f"Bearer {KEY}"


def test_from_settings_without_a_key_or_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    provider = OpenAIProvider.from_settings(Settings(openai_api_key=None))

    assert not provider.configured
    assert provider.base_url == DEFAULT_BASE_URL


# -- health --------------------------------------------------------------------------------------------------


def test_health_lists_the_models_with_latency(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    health = provider.health()

    assert health.ok
    assert health.latency_s > 0
    assert health.models == ("gpt-4o-mini", "gpt-4o")
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]


def test_health_of_a_server_that_is_down_never_raises(make: Callable[..., OpenAIProvider]) -> None:
    health = make(refused_url() + "/v1").health()

    assert not health.ok
    assert health.latency_s >= 0
    assert "not reachable" in health.detail


def test_health_reports_a_rejected_key(server: FakeOpenAI, provider: OpenAIProvider) -> None:
    server.script(Status(401, f"Incorrect API key provided: {KEY}"), path="/v1/models")

    health = provider.health()

    assert not health.ok
    assert health.detail == "key rejected (HTTP 401)"
