"""What the provider tests on the wire share: one loopback server per module, reset for each test; an answer by
``chat`` or by ``stream`` (its pieces and the ``Completion`` it returns); the declared failure a scripted reply
ends in.

``closing`` (``conftest``) closes the providers a test builds itself.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import pytest

from reviewlab.ai.base import ChatRequest, Completion, Provider, ProviderError
from tests.ai.servers import FakeServer, Hang, Reply

# What a hang or a trickle is measured against: short, so that the suite stays fast.
SHORT = 0.3


class _Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=FakeServer)
P = TypeVar("P", bound=_Closable)


class Closing(Protocol):
    """The ``closing`` fixture (``conftest``): ``closing(provider)`` is ``provider``, closed after the test."""

    def __call__(self, provider: P) -> P: ...


def loopback(fake: type[S], build: Callable[[S], P]) -> tuple[Any, Any, Any]:
    """The fixtures ``shared_server`` (one ``fake`` for the module), ``server`` (autouse: that one, reset for each
    test) and ``provider`` (``build(shared_server)`` for the module, closed after it); one server and one provider
    per module keep the suite fast. In a test module::

        shared_server, server, provider = loopback(FakeOllama, lambda fake: OllamaProvider([fake.url], MODEL))
    """

    @pytest.fixture(scope="module")
    def shared_server() -> Iterator[S]:
        with fake() as running:
            yield running

    @pytest.fixture(autouse=True)
    def server(shared_server: S) -> S:
        shared_server.reset()
        return shared_server

    @pytest.fixture(scope="module")
    def provider(shared_server: S) -> Iterator[P]:
        shared = build(shared_server)
        yield shared
        shared.close()

    return shared_server, server, provider


def read(stream: Generator[str, None, Completion]) -> tuple[list[str], Completion]:
    """The pieces a stream yields and the ``Completion`` it returns once read to the end."""
    pieces: list[str] = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration as done:
            return pieces, done.value


def streamed(provider: Provider, request: ChatRequest, model: str) -> tuple[list[str], Completion]:
    """The pieces ``provider.stream`` yields and the ``Completion`` it returns."""
    return read(provider.stream(request, model))


def completed(provider: Provider, call: str, request: ChatRequest, model: str) -> Completion:
    """The ``Completion`` of ``chat``, or the one ``stream`` returns (its text checked against the pieces)."""
    if call == "chat":
        return provider.chat(request, model)
    pieces, completion = streamed(provider, request, model)
    assert completion.text == "".join(pieces)
    return completion


def answer(provider: Provider, call: str, request: ChatRequest, model: str) -> str:
    """The answer's text, by ``chat`` or joined from ``stream``."""
    return completed(provider, call, request, model).text


def each_call(
    both: list[pytest.ParameterSet], *, chat: list[pytest.ParameterSet], stream: list[pytest.ParameterSet]
) -> list[pytest.ParameterSet]:
    """Parameters ``(call, *values)``: each of ``both`` for ``chat`` and for ``stream``, then ``chat`` and ``stream``
    for that call alone; the ids are ``chat-<id>`` and ``stream-<id>``."""
    return [pytest.param("chat", *p.values, id=f"chat-{p.id}") for p in both + chat] + [
        pytest.param("stream", *p.values, id=f"stream-{p.id}") for p in both + stream
    ]


def failure_of(
    server: FakeServer, provider: Provider, call: str, reply: Reply, request: ChatRequest, model: str
) -> ProviderError:
    """The declared failure the call ends in when ``server`` answers with ``reply`` (a hang is waited for
    ``SHORT`` seconds)."""
    server.script(reply)
    if isinstance(reply, Hang):
        request = replace(request, timeout_s=SHORT)
    with pytest.raises(ProviderError) as caught:
        answer(provider, call, request, model)
    return caught.value
