"""AnthropicProvider against a loopback Anthropic: what it sends, answers, streams, every failure
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
from reviewlab.ai.providers.anthropic import AnthropicProvider
from tests.ai.servers import Answer, FakeAnthropic, Hang, Malformed, Raw, Reply, Status, Truncate
from tests.ai.wire import each_call, failure_of, loopback, streamed

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
SCHEMA = {"type": "object", "properties": {"findings": {"type": "array"}}, "required": ["findings"]}

shared_server, server, provider = loopback(
    FakeAnthropic, lambda fake: AnthropicProvider(KEY, MODEL, timeout_s=2.0, base_url=fake.base_url)
)


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
    assert server.sent_key(sent) == KEY
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


def event(kind: str, **data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"


START = event(
    "message_start", message={"id": "m", "type": "message", "role": "assistant", "model": MODEL, "content": []}
)


@pytest.mark.parametrize("tool", [False, True], ids=["text", "tool"])
def test_stream_returns_the_completion_with_the_usage_of_message_start_and_message_delta(
    server: FakeAnthropic, provider: AnthropicProvider, tool: bool
) -> None:
    answer = Answer.json({"findings": []}, input_tokens=42, output_tokens=5, pieces=('{"findings": ', "[]}"))
    server.script(answer)

    pieces, completion = streamed(provider, replace(REQUEST, json_schema=SCHEMA if tool else None), MODEL)

    assert pieces == ['{"findings": ', "[]}"]
    assert completion == Completion(
        text='{"findings": []}',
        provider="anthropic",
        model=MODEL,
        input_tokens=42,  # message_start's
        output_tokens=5,  # message_delta's, not message_start's placeholder 1
        latency_s=completion.latency_s,
        finish_reason="stop",
    )
    assert completion.latency_s > 0


@pytest.mark.parametrize(
    "start",
    [START, START.replace('"content": []', '"content": [], "usage": {"input_tokens": "many", "output_tokens": -1}')],
    ids=["none", "nonsense"],
)
def test_a_stream_without_usage_is_estimated(server: FakeAnthropic, provider: AnthropicProvider, start: str) -> None:
    body = (
        start
        + event("content_block_delta", index=0, delta={"type": "text_delta", "text": "short answer"})
        + event("message_delta", delta={"stop_reason": "max_tokens"})
        + event("message_stop")
    )
    server.script(Raw(body, content_type="text/event-stream"))

    pieces, completion = streamed(provider, REQUEST, MODEL)

    assert pieces == ["short answer"]
    assert completion.input_tokens == estimate_tokens("\n".join(m.content for m in REQUEST.messages))
    assert completion.output_tokens == estimate_tokens("short answer")
    assert (completion.model, completion.finish_reason) == (MODEL, "length")


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
    each_call(FAILURES, chat=CHAT_FAILURES, stream=STREAM_FAILURES),
)
def test_each_failure_is_its_declared_error_and_nothing_else(
    server: FakeAnthropic,
    provider: AnthropicProvider,
    call: str,
    reply: Reply,
    error: type[ProviderError],
    message: str,
) -> None:
    failure = failure_of(server, provider, call, reply, REQUEST, MODEL)

    assert type(failure) is error
    assert failure.provider == "anthropic"
    assert message in failure.message
