"""AnthropicProvider against a loopback Anthropic: answers, streams, every failure mapped to a declared one, no key."""

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
from reviewlab.ai.providers.anthropic import DEFAULT_BASE_URL, AnthropicProvider
from reviewlab.settings import Settings
from tests.ai.servers import (
    Answer,
    FakeAnthropic,
    Hang,
    Malformed,
    Raw,
    RecordedRequest,
    Reply,
    Status,
    Truncate,
    refused_url,
)

KEY = "sk-ant-test-0123456789abcdef"
MODEL = "claude-test-haiku"
REQUEST = ChatRequest(
    messages=(
        Message("system", "You review code."),
        Message("user", "Review: x = 1"),
        Message("assistant", "Which language?"),
        Message("user", "Python."),
    ),
    timeout_s=5.0,
)
# What a hang or a trickle is measured against: short, so that the suite stays fast.
SHORT = 0.3
SCHEMA = {"type": "object", "properties": {"findings": {"type": "array"}}, "required": ["findings"]}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(autouse=True)
def server(shared_server: FakeAnthropic) -> FakeAnthropic:
    """The module's server, reset for each test (one server and one provider per module keep the suite fast)."""
    shared_server.reset()
    return shared_server


@pytest.fixture
def make() -> Iterator[Callable[..., AnthropicProvider]]:
    """Build providers that are closed after the test."""
    made: list[AnthropicProvider] = []

    def build(base_url: str, key: str | None = KEY, **options: Any) -> AnthropicProvider:
        made.append(AnthropicProvider(key, MODEL, **{"timeout_s": 2.0, "base_url": base_url, **options}))
        return made[-1]

    yield build
    for provider in made:
        provider.close()


@pytest.fixture(scope="module")
def provider(shared_server: FakeAnthropic) -> Iterator[AnthropicProvider]:
    shared = AnthropicProvider(KEY, MODEL, timeout_s=2.0, base_url=shared_server.base_url)
    yield shared
    shared.close()


def answer(provider: AnthropicProvider, call: str, request: ChatRequest = REQUEST) -> str:
    if call == "chat":
        return provider.chat(request, MODEL).text
    return "".join(provider.stream(request, MODEL))


def sent_key(request: RecordedRequest) -> str:
    """The key as the SDK sends it (``x-api-key``, or a bearer token in SDK 2.x)."""
    return request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")


def test_it_is_a_cloud_provider(provider: AnthropicProvider) -> None:
    assert isinstance(provider, Provider)
    assert (provider.name, provider.kind) == ("anthropic", ProviderKind.CLOUD)
    assert provider.configured


def test_chat_sends_the_system_prompt_apart_and_returns_the_usage_the_server_reported(
    server: FakeAnthropic, provider: AnthropicProvider
) -> None:
    server.script(Answer("No findings.", input_tokens=42, output_tokens=5))

    completion = provider.chat(REQUEST, MODEL)

    assert completion == Completion(
        text="No findings.",
        provider="anthropic",
        model=MODEL,
        input_tokens=42,
        output_tokens=5,
        latency_s=completion.latency_s,
        finish_reason="stop",
    )
    assert completion.latency_s > 0
    [sent] = server.chat_requests()
    assert sent_key(sent) == KEY
    assert sent.body["model"] == MODEL
    assert sent.body["system"] == "You review code."
    assert sent.body["messages"] == [
        {"role": "user", "content": "Review: x = 1"},
        {"role": "assistant", "content": "Which language?"},
        {"role": "user", "content": "Python."},
    ]
    assert sent.body["max_tokens"] == 1024
    assert not {"stream", "tools", "tool_choice"} & set(sent.body)


def test_max_tokens_is_reported_as_length(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    server.script(Answer("cut sho", finish="length"))

    assert provider.chat(REQUEST, MODEL).finish_reason == "length"


def test_an_object_schema_is_a_forced_tool_whose_input_is_the_answer(
    server: FakeAnthropic, provider: AnthropicProvider
) -> None:
    server.script(Answer.json({"findings": []}))

    completion = provider.chat(replace(REQUEST, json_schema=SCHEMA, stop=("```",)), MODEL)

    assert json.loads(completion.text) == {"findings": []}
    sent = server.chat_requests()[-1].body
    assert sent["tools"] == [
        {
            "name": "answer",
            "description": "Record your complete answer. Its input is the whole answer; write nothing else.",
            "input_schema": SCHEMA,
        }
    ]
    assert sent["tool_choice"] == {"type": "tool", "name": "answer"}
    assert sent["system"] == "You review code."
    assert sent["stop_sequences"] == ["```"]


def test_another_schema_is_asked_for_in_the_system_prompt(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    server.script(Answer.json(["a", "b"]))

    completion = provider.chat(replace(REQUEST, json_schema=schema), MODEL)

    assert json.loads(completion.text) == ["a", "b"]
    sent = server.chat_requests()[-1].body
    assert "tools" not in sent
    assert sent["system"].startswith("You review code.\n\nAnswer with a single JSON value")
    assert json.dumps(schema) in sent["system"]


def test_a_model_that_ignores_the_tool_is_passed_on_for_the_structured_layer_to_judge(
    server: FakeAnthropic, provider: AnthropicProvider
) -> None:
    server.script(Answer("Sure! Here are the findings: none."))

    assert provider.chat(replace(REQUEST, json_schema=SCHEMA), MODEL).text == "Sure! Here are the findings: none."


def test_schema_breaking_content_is_passed_on_for_the_structured_layer_to_judge(
    server: FakeAnthropic, provider: AnthropicProvider
) -> None:
    server.script(Answer.json({"verdict": "fine"}))

    assert json.loads(provider.chat(replace(REQUEST, json_schema=SCHEMA), MODEL).text) == {"verdict": "fine"}


def test_stream_yields_the_text_pieces(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    server.script(Answer("one two three", pieces=("one ", "two ", "three")))

    assert list(provider.stream(REQUEST, MODEL)) == ["one ", "two ", "three"]
    sent = server.chat_requests()[-1].body
    assert sent["stream"] is True
    assert sent["system"] == "You review code."


def test_stream_with_a_schema_yields_the_tool_input_as_json_pieces(
    server: FakeAnthropic, provider: AnthropicProvider
) -> None:
    server.script(Answer.json({"findings": [1, 2]}, pieces=('{"findings": ', "[1, ", "2]}")))

    pieces = list(provider.stream(replace(REQUEST, json_schema=SCHEMA), MODEL))

    assert pieces == ['{"findings": ', "[1, ", "2]}"]
    assert json.loads("".join(pieces)) == {"findings": [1, 2]}


@pytest.mark.parametrize("usage", [None, {"input_tokens": "many", "output_tokens": -1}], ids=["none", "nonsense"])
def test_usage_the_server_leaves_out_is_estimated(
    server: FakeAnthropic, provider: AnthropicProvider, usage: dict[str, Any] | None
) -> None:
    body = {"type": "message", "model": MODEL, "content": [{"type": "text", "text": "short answer"}]}
    server.script(Raw(json.dumps({**body, "usage": usage})))

    completion = provider.chat(REQUEST, MODEL)

    assert completion.input_tokens == estimate_tokens("\n".join(m.content for m in REQUEST.messages))
    assert completion.output_tokens == estimate_tokens("short answer")


def test_count_tokens_estimates(provider: AnthropicProvider) -> None:
    assert provider.count_tokens("def f(): pass", MODEL) == estimate_tokens("def f(): pass")


def event(kind: str, **data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"


START = event(
    "message_start", message={"id": "m", "type": "message", "role": "assistant", "model": MODEL, "content": []}
)
UNFINISHED = START + event("content_block_delta", index=0, delta={"type": "text_delta", "text": "half an"})
OVERLOADED = START + event("error", error={"type": "overloaded_error", "message": "Overloaded"})
STRANGE_ERROR = START + event("error", error={"type": "novel_error", "message": "something new"})
WRONG_EVENT = START + "event: content_block_delta\ndata: [1]\n\n" + event("message_stop")
REFUSED = json.dumps({"type": "message", "model": MODEL, "content": [], "stop_reason": "refusal"})

FAILURES = [
    pytest.param(Status(500), ProviderUnavailable, "server error (HTTP 500)", id="500"),
    pytest.param(Status(529, "Overloaded"), ProviderUnavailable, "HTTP 529): Overloaded", id="529"),
    pytest.param(Status(429, retry_after=2), RateLimited, "rate limited (HTTP 429), retry after 2 s", id="429"),
    pytest.param(Status(401), ProviderMisconfigured, "key rejected (HTTP 401)", id="401"),
    pytest.param(Status(403), ProviderMisconfigured, "key rejected (HTTP 403)", id="403"),
    pytest.param(Status(404), ProviderMisconfigured, f"model '{MODEL}' not found", id="404"),
    pytest.param(Status(400, "prompt is too long"), ProviderMisconfigured, "request refused (HTTP 400)", id="400"),
    pytest.param(Hang(5), ProviderTimeout, "no answer in time", id="hang"),
    pytest.param(Truncate(after=2), InvalidAnswer, "broke before the answer was complete", id="dropped"),
    pytest.param(Malformed(), InvalidAnswer, "not JSON", id="malformed"),
    pytest.param(Answer(""), InvalidAnswer, "empty content", id="empty"),
    pytest.param(Answer("no", finish="refusal"), InvalidAnswer, "refused", id="refusal"),
]
CHAT_FAILURES = [
    pytest.param(Raw('{"id": "msg_1"}'), InvalidAnswer, "not a message with content", id="missing-fields"),
    pytest.param(Raw("<html>busy</html>", content_type="text/html"), InvalidAnswer, "not a message", id="html"),
    pytest.param(Raw(REFUSED), InvalidAnswer, "refused", id="refusal-without-content"),
    pytest.param(Raw('{"content": "none"}'), InvalidAnswer, "not a message", id="wrong-type-content"),
    pytest.param(Raw('{"content": [{"type": "text", "text": 5}]}'), InvalidAnswer, "empty", id="wrong-type-text"),
]
STREAM_FAILURES = [
    pytest.param(Hang(5, after=1), ProviderTimeout, "no answer in time", id="hang-mid-stream"),
    pytest.param(Raw(UNFINISHED, content_type="text/event-stream"), InvalidAnswer, "truncated", id="no-stop"),
    pytest.param(Raw(OVERLOADED, content_type="text/event-stream"), ProviderUnavailable, "HTTP 529", id="overloaded"),
    pytest.param(Raw(STRANGE_ERROR, content_type="text/event-stream"), InvalidAnswer, "something new", id="error"),
    pytest.param(Raw(WRONG_EVENT, content_type="text/event-stream"), InvalidAnswer, "empty content", id="wrong-event"),
]


@pytest.mark.parametrize(
    ("call", "reply", "error", "message"),
    [pytest.param("chat", *p.values, id=f"chat-{p.id}") for p in FAILURES + CHAT_FAILURES]
    + [pytest.param("stream", *p.values, id=f"stream-{p.id}") for p in FAILURES + STREAM_FAILURES],
)
def test_each_failure_is_its_declared_error_and_nothing_else(
    server: FakeAnthropic,
    provider: AnthropicProvider,
    call: str,
    reply: Reply,
    error: type[ProviderError],
    message: str,
) -> None:
    server.script(reply)
    request = replace(REQUEST, timeout_s=SHORT) if isinstance(reply, Hang) else REQUEST

    with pytest.raises(ProviderError) as caught:
        answer(provider, call, request)

    assert type(caught.value) is error
    assert caught.value.provider == "anthropic"
    assert message in caught.value.message


def test_the_retry_after_of_a_429_is_kept(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    server.script(Status(429, retry_after=7))

    with pytest.raises(RateLimited) as caught:
        provider.chat(REQUEST, MODEL)

    assert caught.value.retry_after_s == 7.0


def test_the_key_never_appears_in_a_failure(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    server.script(Status(401, f"invalid x-api-key {KEY}"), Status(400, f"bad request from {KEY}"))

    messages = []
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as caught:
            provider.chat(REQUEST, MODEL)
        messages.append(str(caught.value))

    assert all(KEY not in message for message in messages)
    assert "***" in messages[1]


def test_a_server_that_is_down_is_unavailable(make: Callable[..., AnthropicProvider]) -> None:
    provider = make(refused_url())

    for call in ("chat", "stream"):
        with pytest.raises(ProviderUnavailable, match="not reachable") as caught:
            answer(provider, call)
        assert type(caught.value) is ProviderUnavailable  # it may come back: not misconfigured


def test_a_stream_that_keeps_trickling_past_the_timeout_times_out(
    server: FakeAnthropic, provider: AnthropicProvider
) -> None:
    server.script(Answer("x " * 30, pace_s=0.02))

    with pytest.raises(ProviderTimeout, match=r"within 0\.3 s"):
        list(provider.stream(replace(REQUEST, timeout_s=SHORT), MODEL))


def test_programming_errors_are_not_turned_into_declared_failures(provider: AnthropicProvider) -> None:
    unserialisable = replace(REQUEST, json_schema={"type": "object", "default": object()})

    with pytest.raises(TypeError):
        provider.chat(unserialisable, MODEL)


# -- keys and settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "])
def test_without_a_key_it_is_not_usable_and_says_so(
    server: FakeAnthropic, make: Callable[..., AnthropicProvider], key: str | None
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
    server: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    provider = AnthropicProvider.from_settings(Settings(anthropic_api_key=SecretStr(KEY)))
    try:
        assert provider.chat(REQUEST, MODEL).text == "ok"
    finally:
        provider.close()
    assert sent_key(server.chat_requests()[-1]) == KEY


def test_from_settings_without_a_key_or_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    provider = AnthropicProvider.from_settings(Settings(anthropic_api_key=None))

    assert not provider.configured
    assert provider.base_url == DEFAULT_BASE_URL


# -- health --------------------------------------------------------------------------------------------------


def test_health_lists_the_models_with_latency(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    health = provider.health()

    assert health.ok
    assert health.latency_s > 0
    assert health.models == ("claude-test-haiku", "claude-test-sonnet")
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]


def test_health_of_a_server_that_is_down_never_raises(make: Callable[..., AnthropicProvider]) -> None:
    health = make(refused_url()).health()

    assert not health.ok
    assert health.latency_s >= 0
    assert "not reachable" in health.detail


def test_health_reports_a_rejected_key(server: FakeAnthropic, provider: AnthropicProvider) -> None:
    server.script(Status(401), path="/v1/models")

    health = provider.health()

    assert not health.ok
    assert health.detail == "key rejected (HTTP 401)"
