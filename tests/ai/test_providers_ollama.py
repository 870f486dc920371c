"""OllamaProvider against a loopback Ollama: answers, streams, every failure mapped to a declared one, hosts."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

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
from reviewlab.ai.providers.ollama import OllamaProvider, parse_hosts
from reviewlab.settings import Settings
from tests.ai.servers import Answer, FakeOllama, Hang, Malformed, Raw, Reply, Status, Truncate, refused_url
from tests.ai.wire import SHORT, Closing, completed, failure_of, loopback, streamed

MODEL = "codellama:7b"
REQUEST = ChatRequest(
    messages=(Message("system", "You review code."), Message("user", "Review: x = 1")),
    timeout_s=5.0,
)
SCHEMA = {"type": "object", "properties": {"findings": {"type": "array"}}, "required": ["findings"]}

shared_server, server, provider = loopback(FakeOllama, lambda fake: OllamaProvider([fake.url], MODEL, timeout_s=2.0))


@pytest.fixture
def make(closing: Closing) -> Callable[..., OllamaProvider]:
    """Build providers that are closed after the test."""

    def build(hosts: str | list[str], model: str = MODEL, **options: Any) -> OllamaProvider:
        return closing(OllamaProvider(hosts, model, **{"timeout_s": 2.0, **options}))

    return build


def test_it_is_a_local_provider(provider: OllamaProvider) -> None:
    assert isinstance(provider, Provider)
    assert (provider.name, provider.kind) == ("ollama", ProviderKind.LOCAL)


def test_chat_assembles_the_streamed_answer_with_its_tokens_and_latency(
    server: FakeOllama, provider: OllamaProvider
) -> None:
    server.script(Answer("No findings.", input_tokens=42, output_tokens=5, pieces=("No ", "find", "ings.")))

    completion = provider.chat(REQUEST, MODEL)

    assert completion == Completion(
        text="No findings.",
        provider="ollama",
        model=MODEL,
        input_tokens=42,
        output_tokens=5,
        latency_s=completion.latency_s,
        finish_reason="stop",
    )
    assert completion.latency_s > 0
    [sent] = server.chat_requests()
    assert sent.body["model"] == MODEL
    assert sent.body["stream"] is True
    assert sent.body["messages"] == [
        {"role": "system", "content": "You review code."},
        {"role": "user", "content": "Review: x = 1"},
    ]
    assert sent.body["options"] == {"temperature": 0.0, "num_predict": 1024}
    assert "format" not in sent.body


def test_an_empty_model_means_the_default_model(server: FakeOllama, provider: OllamaProvider) -> None:
    assert provider.chat(REQUEST, "").model == MODEL
    assert server.chat_requests()[-1].body["model"] == MODEL


def test_a_json_schema_is_sent_as_format(server: FakeOllama, provider: OllamaProvider) -> None:
    server.script(Answer.json({"findings": []}))

    completion = provider.chat(replace(REQUEST, json_schema=SCHEMA, stop=("```",)), MODEL)

    assert json.loads(completion.text) == {"findings": []}
    sent = server.chat_requests()[-1].body
    assert sent["format"] == SCHEMA
    assert sent["options"]["stop"] == ["```"]


def test_schema_breaking_content_is_passed_on_for_the_structured_layer_to_judge(
    server: FakeOllama, provider: OllamaProvider
) -> None:
    server.script(Answer.json({"verdict": "fine"}))

    assert json.loads(provider.chat(replace(REQUEST, json_schema=SCHEMA), MODEL).text) == {"verdict": "fine"}


def test_stream_yields_the_pieces_as_they_come(server: FakeOllama, provider: OllamaProvider) -> None:
    server.script(Answer("one two three", pieces=("one ", "two ", "three")))

    assert list(provider.stream(REQUEST, MODEL)) == ["one ", "two ", "three"]


def test_stream_returns_the_completion_with_the_counts_of_the_done_line(
    server: FakeOllama, provider: OllamaProvider
) -> None:
    server.script(
        Answer("No findings.", input_tokens=42, output_tokens=5, pieces=("No ", "find", "ings."), finish="length")
    )

    pieces, completion = streamed(provider, REQUEST, MODEL)

    assert pieces == ["No ", "find", "ings."]
    assert completion == Completion(
        text="No findings.",
        provider="ollama",
        model=MODEL,
        input_tokens=42,
        output_tokens=5,
        latency_s=completion.latency_s,
        finish_reason="length",
    )
    assert completion.latency_s > 0


@pytest.mark.parametrize("call", ["chat", "stream"])
def test_counts_the_server_leaves_out_are_estimated(server: FakeOllama, provider: OllamaProvider, call: str) -> None:
    lines = [
        {"model": MODEL, "message": {"role": "assistant", "content": "short answer"}, "done": False},
        {"model": MODEL, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"},
    ]
    server.script(Raw("".join(json.dumps(line) + "\n" for line in lines), content_type="application/x-ndjson"))

    completion = completed(provider, call, REQUEST, MODEL)

    assert completion.input_tokens == estimate_tokens("You review code.\nReview: x = 1")
    assert completion.output_tokens == estimate_tokens("short answer")


def test_count_tokens_estimates(provider: OllamaProvider) -> None:
    assert provider.count_tokens("def f(): pass", MODEL) == estimate_tokens("def f(): pass")


NO_DONE = json.dumps({"model": MODEL, "message": {"role": "assistant", "content": "half an"}, "done": False}) + "\n"

FAILURES = [
    pytest.param(Status(500), ProviderUnavailable, "server error (HTTP 500)", id="500"),
    pytest.param(Status(503, "loading model"), ProviderUnavailable, "HTTP 503): loading model", id="503"),
    pytest.param(Status(429, retry_after=2), RateLimited, "rate limited (HTTP 429)", id="429"),
    pytest.param(Status(401), ProviderMisconfigured, "key rejected (HTTP 401)", id="401"),
    pytest.param(Status(403), ProviderMisconfigured, "key rejected (HTTP 403)", id="403"),
    pytest.param(Status(400, "invalid format"), ProviderMisconfigured, "refused (HTTP 400): invalid format", id="400"),
    pytest.param(Hang(5), ProviderTimeout, "no answer in time", id="hang"),
    pytest.param(Hang(5, after=1), ProviderTimeout, "no answer in time", id="hang-mid-stream"),
    pytest.param(Truncate(after=2), InvalidAnswer, "broke before the answer was complete", id="dropped"),
    pytest.param(Raw(NO_DONE, content_type="application/x-ndjson"), InvalidAnswer, "ended before done", id="no-done"),
    pytest.param(Malformed(), InvalidAnswer, "not JSON", id="malformed"),
    pytest.param(Raw('{"model": "m", "done": false}\n'), InvalidAnswer, "without its fields", id="missing-fields"),
    pytest.param(Raw('{"error": "runner crashed"}\n'), InvalidAnswer, "runner crashed", id="error-line"),
    pytest.param(Answer(""), InvalidAnswer, "empty content", id="empty"),
]


@pytest.mark.parametrize("call", ["chat", "stream"])
@pytest.mark.parametrize(("reply", "error", "message"), FAILURES)
def test_each_failure_is_its_declared_error_and_nothing_else(
    server: FakeOllama, provider: OllamaProvider, call: str, reply: Reply, error: type[ProviderError], message: str
) -> None:
    failure = failure_of(server, provider, call, reply, REQUEST, MODEL)

    assert type(failure) is error
    assert failure.provider == "ollama"
    assert message in failure.message


def test_retry_after_is_read_as_seconds_or_as_an_http_date(server: FakeOllama, provider: OllamaProvider) -> None:
    in_half_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.script(Status(429, retry_after=2), Status(429, retry_after=in_half_a_minute), Status(429))

    waits = []
    for _ in range(3):
        with pytest.raises(RateLimited) as caught:
            provider.chat(REQUEST, MODEL)
        waits.append(caught.value.retry_after_s)

    assert waits[0] == 2.0
    assert waits[1] is not None
    assert 25 <= waits[1] <= 30
    assert waits[2] is None


def test_a_model_that_is_not_pulled_is_unavailable_and_named(server: FakeOllama, provider: OllamaProvider) -> None:
    with pytest.raises(ProviderMisconfigured, match="'deepseek-coder:33b' is not pulled"):
        provider.chat(REQUEST, "deepseek-coder:33b")


def test_no_model_at_all_is_unavailable(server: FakeOllama, make: Callable[..., OllamaProvider]) -> None:
    with pytest.raises(ProviderMisconfigured, match="no model"):
        make([server.url], "").chat(REQUEST, "")
    assert server.requests == []


def test_a_stream_that_keeps_trickling_past_the_timeout_times_out(server: FakeOllama, provider: OllamaProvider) -> None:
    slow = Answer("x " * 30, pace_s=0.02)  # each piece well within the read timeout, the whole answer not
    server.script(slow, slow)

    with pytest.raises(ProviderTimeout, match=r"within 0\.3 s"):
        provider.chat(replace(REQUEST, timeout_s=SHORT), MODEL)
    with pytest.raises(ProviderTimeout):
        list(provider.stream(replace(REQUEST, timeout_s=SHORT), MODEL))


def test_programming_errors_are_not_turned_into_declared_failures(provider: OllamaProvider) -> None:
    unserialisable = replace(REQUEST, json_schema={"type": "object", "default": object()})

    with pytest.raises(TypeError):
        provider.chat(unserialisable, MODEL)


# -- hosts ---------------------------------------------------------------------------------------------------


def test_ollama_host_may_name_several_hosts() -> None:
    assert parse_hosts(" http://a:11434, http://b:11434/ ,,http://a:11434") == ("http://a:11434", "http://b:11434")
    with pytest.raises(ValueError, match="at least one host"):
        OllamaProvider(" , ", MODEL)


def test_from_settings_reads_ollama_host_and_model() -> None:
    provider = OllamaProvider.from_settings(Settings(ollama_host="http://a:1,http://b:2", ollama_model="mistral:7b"))

    assert provider.hosts == ("http://a:1", "http://b:2")
    assert provider.default_model == "mistral:7b"


def test_calls_take_turns_over_the_hosts(make: Callable[..., OllamaProvider]) -> None:
    with FakeOllama() as first, FakeOllama() as second:
        provider = make([first.url, second.url])
        served = []
        for _ in range(4):
            before = len(first.requests)
            provider.chat(REQUEST, MODEL)
            served.append("first" if len(first.requests) > before else "second")

    assert served == ["first", "second", "first", "second"]


def test_a_refused_host_is_skipped_for_the_next_one_and_left_out_until_its_cool_down_ends(
    make: Callable[..., OllamaProvider],
) -> None:
    now = [0.0]
    down = refused_url()
    with FakeOllama() as up:
        provider = make([down, up.url], host_cooldown_s=30, clock=lambda: now[0])
        provider.chat(REQUEST, MODEL)  # first turn: the down host, then the other
        assert provider.down_hosts == (down,)

        for _ in range(3):
            assert provider.chat(REQUEST, MODEL).text == "ok"
        assert len(up.chat_requests()) == 4

        now[0] = 31.0
        assert provider.down_hosts == ()
        assert list(provider.stream(REQUEST, MODEL)) == ["ok"]  # tried the down host again, then moved on
        assert provider.down_hosts == (down,)


def test_every_host_refusing_is_unavailable_naming_each(make: Callable[..., OllamaProvider]) -> None:
    first, second = refused_url(), refused_url()
    provider = make([first, second])

    with pytest.raises(ProviderUnavailable) as caught:
        provider.chat(REQUEST, MODEL)

    assert type(caught.value) is ProviderUnavailable  # a host may come back: not misconfigured
    assert first in caught.value.message
    assert second in caught.value.message
    assert set(provider.down_hosts) == {first, second}


def test_a_name_that_does_not_resolve_is_unavailable(make: Callable[..., OllamaProvider]) -> None:
    with pytest.raises(ProviderUnavailable, match="not reachable"):
        make(["http://ollama.invalid:11434"]).chat(REQUEST, MODEL)


def test_a_host_that_answered_with_an_error_is_not_retried_on_another(make: Callable[..., OllamaProvider]) -> None:
    with FakeOllama() as failing, FakeOllama() as healthy:
        failing.script(Status(500))
        provider = make([failing.url, healthy.url])

        with pytest.raises(ProviderUnavailable, match="HTTP 500"):
            provider.chat(REQUEST, MODEL)
        assert healthy.requests == []  # retrying is the orchestrator's call


# -- health --------------------------------------------------------------------------------------------------


def test_health_lists_the_models_with_latency(server: FakeOllama, provider: OllamaProvider) -> None:
    health = provider.health()

    assert health.ok
    assert health.latency_s > 0
    assert health.models == ("codellama:7b", "codellama:34b")
    assert health.detail == "1/1 hosts up"
    assert [r.path for r in server.requests] == ["/api/tags"]


def test_health_says_when_the_default_model_is_not_pulled(
    server: FakeOllama, make: Callable[..., OllamaProvider]
) -> None:
    health = make([server.url], "llama3:70b").health()

    assert health.ok
    assert "'llama3:70b' is not pulled" in health.detail


def test_health_of_a_host_that_is_down_never_raises(make: Callable[..., OllamaProvider]) -> None:
    down = refused_url()
    health = make([down]).health()

    assert not health.ok
    assert health.latency_s >= 0
    assert health.models == ()
    assert f"{down} down (not reachable" in health.detail


def test_health_is_ok_while_one_host_is_up_and_marks_the_others(
    server: FakeOllama, make: Callable[..., OllamaProvider]
) -> None:
    down = refused_url()
    provider = make([down, server.url])

    health = provider.health()

    assert health.ok
    assert health.detail.startswith("1/2 hosts up")
    assert provider.down_hosts == (down,)


def test_health_marks_a_host_down_and_up_again(server: FakeOllama, provider: OllamaProvider) -> None:
    server.script(Status(500), path="/api/tags")

    sick = provider.health()
    assert not sick.ok
    assert "HTTP 500" in sick.detail
    assert provider.down_hosts == (server.url,)

    assert provider.health().ok
    assert provider.down_hosts == ()
