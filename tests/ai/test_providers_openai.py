"""OpenAIProvider against a loopback OpenAI: what it sends, answers, streams, every failure
mapped to a declared one. (Keys, settings and health: ``test_providers_cloud``.)"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    InvalidAnswer,
    Message,
    ProviderError,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    estimate_tokens,
)
from reviewlab.ai.providers.openai import OpenAIProvider
from tests.ai.servers import Answer, FakeOpenAI, Hang, Malformed, Raw, Reply, Status, Truncate
from tests.ai.wire import each_call, failure_of, loopback, streamed

KEY = "sk-test-0123456789abcdef"
MODEL = "gpt-4o-mini"
REQUEST = ChatRequest(
    messages=(Message("system", "You review code."), Message("user", "Review: x = 1")),
    timeout_s=5.0,
)
SCHEMA = {"title": "Review", "type": "object", "properties": {"findings": {"type": "array"}}}

shared_server, server, provider = loopback(
    FakeOpenAI, lambda fake: OpenAIProvider(KEY, MODEL, timeout_s=2.0, base_url=fake.base_url)
)


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


def test_stream_returns_the_completion_with_the_usage_chunks_counts(
    server: FakeOpenAI, provider: OpenAIProvider
) -> None:
    server.script(
        Answer("No findings.", input_tokens=42, output_tokens=5, pieces=("No ", "findings."), finish="length")
    )

    pieces, completion = streamed(provider, REQUEST, MODEL)

    assert pieces == ["No ", "findings."]
    assert completion == Completion(
        text="No findings.",
        provider="openai",
        model=MODEL,
        input_tokens=42,
        output_tokens=5,
        latency_s=completion.latency_s,
        finish_reason="length",
    )
    assert completion.latency_s > 0


def sse(*chunks: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps({'model': MODEL, **chunk})}\n\n" for chunk in chunks) + "data: [DONE]\n\n"


@pytest.mark.parametrize("usage", [None, {"prompt_tokens": "many", "completion_tokens": -1}], ids=["none", "nonsense"])
def test_a_stream_without_usage_is_estimated(
    server: FakeOpenAI, provider: OpenAIProvider, usage: dict[str, Any] | None
) -> None:
    body = sse(
        {"choices": [{"index": 0, "delta": {"content": "short answer"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        *([{"choices": [], "usage": usage}] if usage else []),
    )
    server.script(Raw(body, content_type="text/event-stream"))

    pieces, completion = streamed(provider, REQUEST, MODEL)

    assert pieces == ["short answer"]
    assert completion.input_tokens == estimate_tokens("You review code.\nReview: x = 1")
    assert completion.output_tokens == estimate_tokens("short answer")
    assert (completion.model, completion.finish_reason) == (MODEL, "stop")


@pytest.mark.parametrize("usage", [None, {"prompt_tokens": "many", "completion_tokens": -1}], ids=["none", "nonsense"])
def test_usage_the_server_leaves_out_is_estimated(
    server: FakeOpenAI, provider: OpenAIProvider, usage: dict[str, Any] | None
) -> None:
    body = {"model": MODEL, "choices": [{"index": 0, "message": {"role": "assistant", "content": "short answer"}}]}
    server.script(Raw(json.dumps({**body, "usage": usage})))

    completion = provider.chat(REQUEST, MODEL)

    assert completion.input_tokens == estimate_tokens("You review code.\nReview: x = 1")
    assert completion.output_tokens == estimate_tokens("short answer")


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
    each_call(FAILURES, chat=CHAT_FAILURES, stream=STREAM_FAILURES),
)
def test_each_failure_is_its_declared_error_and_nothing_else(
    server: FakeOpenAI, provider: OpenAIProvider, call: str, reply: Reply, error: type[ProviderError], message: str
) -> None:
    failure = failure_of(server, provider, call, reply, REQUEST, MODEL)

    assert type(failure) is error
    assert failure.provider == "openai"
    assert message in failure.message
