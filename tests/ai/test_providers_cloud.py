"""What every SDK-backed cloud provider does whatever its protocol, each against its loopback server: keys
and settings, failures that are the same on every wire, health. (Each protocol's own: ``test_providers_*``.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from pydantic import SecretStr

from reviewlab.ai.base import (
    ChatRequest,
    Message,
    Provider,
    ProviderKind,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    estimate_tokens,
)
from reviewlab.ai.providers.anthropic import DEFAULT_BASE_URL as ANTHROPIC_URL
from reviewlab.ai.providers.anthropic import AnthropicProvider
from reviewlab.ai.providers.openai import DEFAULT_BASE_URL as OPENAI_URL
from reviewlab.ai.providers.openai import OpenAIProvider
from reviewlab.settings import Settings
from tests.ai.servers import Answer, FakeAnthropic, FakeOpenAI, Status, refused_url
from tests.ai.wire import SHORT, Closing, answer

AnyServer = FakeAnthropic | FakeOpenAI
AnyProvider = AnthropicProvider | OpenAIProvider
Make = Callable[[str, str | None], AnyProvider]  # a provider for a base URL and a key (or none)

REQUEST = ChatRequest(
    messages=(Message("system", "You review code."), Message("user", "Review: x = 1")),
    timeout_s=5.0,
)


@dataclass(frozen=True)
class Cloud:
    """A cloud provider, the loopback server speaking its protocol, and where it meets the outside."""

    name: str
    provider_type: type[AnthropicProvider] | type[OpenAIProvider]
    fake: type[FakeAnthropic] | type[FakeOpenAI]
    key: str
    model: str
    models: tuple[str, ...]  # what the server lists
    rejection: str  # how the server turns the key down, quoting it
    key_setting: str  # the settings field that holds the key
    base_url_variable: str  # the environment variable that names a gateway
    default_base_url: str
    api_path: str  # what the SDK's base URL adds to the server's URL

    def settings(self, key: SecretStr | None) -> Settings:
        return Settings(**{self.key_setting: key})


CLOUDS = [
    Cloud(
        "anthropic",
        AnthropicProvider,
        FakeAnthropic,
        key="sk-ant-test-0123456789abcdef",
        model="claude-test-haiku",
        models=("claude-test-haiku", "claude-test-sonnet"),
        rejection="invalid x-api-key {key}",
        key_setting="anthropic_api_key",
        base_url_variable="ANTHROPIC_BASE_URL",
        default_base_url=ANTHROPIC_URL,
        api_path="",
    ),
    Cloud(
        "openai",
        OpenAIProvider,
        FakeOpenAI,
        key="sk-test-0123456789abcdef",
        model="gpt-4o-mini",
        models=("gpt-4o-mini", "gpt-4o"),
        rejection="Incorrect API key provided: {key}",
        key_setting="openai_api_key",
        base_url_variable="OPENAI_BASE_URL",
        default_base_url=OPENAI_URL,
        api_path="/v1",
    ),
]


@pytest.fixture(scope="module", params=CLOUDS, ids=lambda cloud: cloud.name)
def cloud(request: pytest.FixtureRequest) -> Cloud:
    case: Cloud = request.param
    return case


@pytest.fixture(scope="module")
def shared_server(cloud: Cloud) -> Iterator[AnyServer]:
    with cloud.fake() as running:
        yield running


@pytest.fixture(autouse=True)
def server(shared_server: AnyServer) -> AnyServer:
    """The cloud's server, reset for each test."""
    shared_server.reset()
    return shared_server


@pytest.fixture(scope="module")
def provider(cloud: Cloud, shared_server: AnyServer) -> Iterator[AnyProvider]:
    shared = cloud.provider_type(cloud.key, cloud.model, timeout_s=2.0, base_url=shared_server.base_url)
    yield shared
    shared.close()


@pytest.fixture
def make(cloud: Cloud, closing: Closing) -> Make:
    """Build providers that are closed after the test."""
    return lambda base_url, key: closing(cloud.provider_type(key, cloud.model, timeout_s=2.0, base_url=base_url))


def test_it_is_a_cloud_provider(cloud: Cloud, provider: AnyProvider) -> None:
    assert isinstance(provider, Provider)
    assert (provider.name, provider.kind) == (cloud.name, ProviderKind.CLOUD)
    assert provider.configured


def test_count_tokens_estimates(cloud: Cloud, provider: AnyProvider) -> None:
    assert provider.count_tokens("def f(): pass", cloud.model) == estimate_tokens("def f(): pass")


def test_the_retry_after_of_a_429_is_kept(cloud: Cloud, server: AnyServer, provider: AnyProvider) -> None:
    server.script(Status(429, retry_after=7))

    with pytest.raises(RateLimited) as caught:
        provider.chat(REQUEST, cloud.model)

    assert caught.value.retry_after_s == 7.0


def test_the_key_never_appears_in_a_failure(cloud: Cloud, server: AnyServer, provider: AnyProvider) -> None:
    server.script(Status(401, cloud.rejection.format(key=cloud.key)), Status(400, f"bad request from {cloud.key}"))

    messages = []
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as caught:
            provider.chat(REQUEST, cloud.model)
        messages.append(str(caught.value))

    assert all(cloud.key not in message for message in messages)
    assert "***" in messages[1]


def test_a_server_that_is_down_is_unavailable(cloud: Cloud, make: Make) -> None:
    provider = make(refused_url() + cloud.api_path, cloud.key)

    for call in ("chat", "stream"):
        with pytest.raises(ProviderUnavailable, match="not reachable") as caught:
            answer(provider, call, REQUEST, cloud.model)
        assert type(caught.value) is ProviderUnavailable  # it may come back: not misconfigured


def test_a_stream_that_keeps_trickling_past_the_timeout_times_out(
    cloud: Cloud, server: AnyServer, provider: AnyProvider
) -> None:
    server.script(Answer("x " * 30, pace_s=0.02))

    with pytest.raises(ProviderTimeout, match=r"within 0\.3 s"):
        list(provider.stream(replace(REQUEST, timeout_s=SHORT), cloud.model))


def test_programming_errors_are_not_turned_into_declared_failures(cloud: Cloud, provider: AnyProvider) -> None:
    unserialisable = replace(REQUEST, json_schema={"type": "object", "default": object()})

    with pytest.raises(TypeError):
        provider.chat(unserialisable, cloud.model)


# -- keys and settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "])
def test_without_a_key_it_is_not_usable_and_says_so(
    cloud: Cloud, server: AnyServer, make: Make, key: str | None
) -> None:
    provider = make(server.base_url, key)

    assert not provider.configured
    for call in ("chat", "stream"):
        with pytest.raises(ProviderMisconfigured, match="no API key configured"):
            answer(provider, call, REQUEST, cloud.model)
    health = provider.health()
    assert (health.ok, health.detail) == (False, "no API key configured")
    assert server.requests == []


def test_from_settings_takes_the_key_from_settings_and_the_base_url_from_the_environment(
    cloud: Cloud, server: AnyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cloud.base_url_variable, server.base_url)
    provider = cloud.provider_type.from_settings(cloud.settings(SecretStr(cloud.key)))
    try:
        assert provider.chat(REQUEST, cloud.model).text == "ok"
    finally:
        provider.close()
    assert server.sent_key(server.chat_requests()[-1]) == cloud.key


def test_from_settings_without_a_key_or_base_url(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cloud.base_url_variable, raising=False)
    provider = cloud.provider_type.from_settings(cloud.settings(None))

    assert not provider.configured
    assert provider.base_url == cloud.default_base_url


# -- health --------------------------------------------------------------------------------------------------


def test_health_lists_the_models_with_latency(cloud: Cloud, server: AnyServer, provider: AnyProvider) -> None:
    health = provider.health()

    assert health.ok
    assert health.latency_s > 0
    assert health.models == cloud.models
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]


def test_health_of_a_server_that_is_down_never_raises(cloud: Cloud, make: Make) -> None:
    health = make(refused_url() + cloud.api_path, cloud.key).health()

    assert not health.ok
    assert health.latency_s >= 0
    assert "not reachable" in health.detail


def test_health_reports_a_rejected_key(cloud: Cloud, server: AnyServer, provider: AnyProvider) -> None:
    server.script(Status(401, cloud.rejection.format(key=cloud.key)), path="/v1/models")

    health = provider.health()

    assert not health.ok
    assert health.detail == "key rejected (HTTP 401)"
