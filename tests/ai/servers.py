"""Loopback fakes of the model servers' wire protocols, for provider and orchestrator tests.

Each fake is a real HTTP/1.1 server on ``127.0.0.1`` (an ephemeral port, a daemon thread) that speaks one
protocol well enough for the official SDKs: Ollama (``/api/chat`` with NDJSON streaming, ``/api/tags``,
``/api/show``), OpenAI (``/v1/chat/completions`` as JSON or SSE, ``/v1/models``) and Anthropic
(``/v1/messages`` as JSON or an SSE event stream, ``/v1/models``)::

    with FakeOllama(models=("codellama:7b",)) as server:
        server.script(Answer("looks fine", input_tokens=12, output_tokens=2), Status(500))
        provider = OllamaProvider([server.url], default_model="codellama:7b")
        provider.chat(request, "codellama:7b")  # -> "looks fine"
        provider.chat(request, "codellama:7b")  # -> ProviderUnavailable (HTTP 500)
        assert server.requests[0].body["model"] == "codellama:7b"

``script(*replies)`` queues one reply per request to the chat route, in order; once the queue is empty the
route answers with ``server.default`` (an ``Answer("ok")`` unless set). ``script(..., path=...)`` scripts
another route the same way: ``server.models_path`` is the model list (``/api/tags``, ``/v1/models``), which
otherwise answers from ``models``. Whether a chat reply is streamed follows the request, as the real
servers do (Ollama streams unless ``"stream": false``; OpenAI and Anthropic stream when ``"stream": true``).
The replies:

- ``Answer(text, input_tokens, output_tokens, pieces, finish, pace_s)``: a normal answer; streamed as
  ``pieces`` (by default the text split after each word), ``pace_s`` apart. ``Answer.json(obj)`` answers
  with ``obj`` as JSON text, which is how a schema-breaking answer is scripted. For Anthropic, a request
  that forces a tool gets the answer's JSON as that tool's input.
- ``Status(code, message, retry_after)``: an error status with the protocol's error body (``429`` with
  ``retry_after=2`` sends ``Retry-After: 2``; any string is sent as is, e.g. an HTTP date).
- ``Hang(seconds, after=0)``: say nothing for ``seconds`` (make it longer than the client's timeout); with
  ``after=n`` the stream sends ``n`` pieces first and stalls mid-answer.
- ``Truncate(after=n)``: send the headers and ``n`` pieces (or half the JSON body), then drop the connection.
- ``Malformed()``: a body that is not the protocol's JSON (for a stream: one good piece, then garbage).
- ``Raw(body, status, content_type)``: exactly these bytes (e.g. a JSON body with fields missing).
- ``Respond(fn)``: the reply ``fn(body)`` returns for the request's parsed JSON body (an answer that depends on
  the code sent, e.g. a scripted model that "finds" labelled problems).

``server.url`` is ``http://127.0.0.1:<port>``; ``server.base_url`` is what the SDK takes as its base URL
(``<url>/v1`` for OpenAI, ``<url>`` for Ollama and Anthropic). ``server.requests`` records every request
received (method, path, lower-cased headers, parsed JSON body) and ``server.chat_requests()`` those to the
chat route, to assert the model, the format or response_format, where the system prompt went and the auth
header. ``server.reset()`` forgets scripts, requests and default (for a server shared by several tests).
``server.default = Status(503)`` makes every unscripted call fail (a provider that is down for a
while). Each fake lists ``models`` (``/api/tags``, ``/v1/models``); Ollama answers 404 for a chat with a
model not among them, as for a model that was never pulled. ``refused_url()`` is an address where
nothing listens (connection refused), for a host that is down. Requests may come from many threads.

As a pytest fixture::

    @pytest.fixture
    def ollama() -> Iterator[FakeOllama]:
        with FakeOllama() as server:
            yield server
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = [
    "Answer",
    "FakeAnthropic",
    "FakeOllama",
    "FakeOpenAI",
    "FakeServer",
    "Hang",
    "Malformed",
    "Raw",
    "RecordedRequest",
    "Reply",
    "Respond",
    "Status",
    "Truncate",
    "refused_url",
]


@dataclass(frozen=True)
class Answer:
    """A model's answer: rendered as one JSON body or streamed in ``pieces``, with the usage the server reports."""

    text: str = "ok"
    input_tokens: int = 7
    output_tokens: int = 3
    pieces: tuple[str, ...] | None = None
    finish: str = "stop"
    pace_s: float = 0.0  # a pause before each streamed event: a slow model that keeps trickling

    @classmethod
    def json(cls, value: Any, **kwargs: Any) -> Answer:
        return cls(json.dumps(value), **kwargs)

    def parts(self) -> tuple[str, ...]:
        if self.pieces is not None:
            return self.pieces
        return tuple(re.findall(r"\S+\s*|\s+", self.text)) or ("",)


@dataclass(frozen=True)
class Status:
    """An error status with the protocol's error body."""

    code: int
    message: str = ""
    retry_after: float | str | None = None


@dataclass(frozen=True)
class Hang:
    """Stay silent for ``seconds`` (before the headers, or after ``after`` streamed pieces), then hang up."""

    seconds: float = 5.0
    after: int = 0
    answer: Answer = field(default_factory=Answer)


@dataclass(frozen=True)
class Truncate:
    """Send ``after`` pieces of the answer (half of the body when not streaming), then drop the connection."""

    after: int = 1
    answer: Answer = field(default_factory=lambda: Answer("one two three four"))


@dataclass(frozen=True)
class Malformed:
    """A body that is not the protocol's JSON."""


@dataclass(frozen=True)
class Raw:
    """Exactly these bytes."""

    body: bytes | str
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Respond:
    """Compute the reply from the request's parsed JSON body (a model whose answer depends on the code sent)."""

    reply: Callable[[Any], Answer | Status | Hang | Truncate | Malformed | Raw]


Reply = Answer | Status | Hang | Truncate | Malformed | Raw | Respond


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or None when there was none (or it was not JSON)


def refused_url() -> str:
    """An http URL on loopback where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _Dropped(Exception):
    """The client went away (it timed out); stop writing."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (it timed out, or closed a kept-alive connection) is not an error here."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeServer:
    """The HTTP plumbing shared by the fakes; subclasses render their protocol."""

    chat_path: str
    models_path: str  # e.g. ``server.script(Status(500), path=server.models_path)`` fails the health check
    stream_content_type = "text/event-stream"

    def __init__(self, models: tuple[str, ...]) -> None:
        self.models = models
        self.default: Reply = Answer()
        self._scripts: dict[str, deque[Reply]] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll so that closing (which waits for the serving loop to notice) takes milliseconds.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, name=type(self).__name__, daemon=True
        )

    # -- the API tests use -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        """What the protocol's SDK takes as ``base_url`` / ``host``."""
        return self.url

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == self.chat_path]

    def reset(self) -> None:
        """Forget the scripts, the recorded requests and the default: a server shared by tests starts each afresh."""
        with self._lock:
            self._scripts.clear()
            self._requests.clear()
            self.default = Answer()

    def script(self, *replies: Reply, path: str | None = None) -> None:
        """Queue ``replies`` for the next requests to ``path`` (the chat route by default), one each."""
        with self._lock:
            self._scripts.setdefault(path or self.chat_path, deque()).extend(replies)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    # -- what the handler calls --------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            self._requests.append(request)
            queue = self._scripts.get(request.path)
            if queue:
                return queue.popleft()
        if request.path == self.chat_path:
            return self.default
        return None

    def _wait(self, seconds: float) -> None:
        self._closing.wait(seconds)

    # -- the protocol: subclasses ------------------------------------------------------------------------

    def wants_stream(self, body: Any) -> bool:
        return isinstance(body, dict) and body.get("stream") is True

    def answer_body(self, answer: Answer, request: Any) -> dict[str, Any]:
        raise NotImplementedError

    def stream_events(self, answer: Answer, request: Any) -> Iterator[bytes]:
        """The stream: ``len(answer.parts())`` piece events, surrounded by whatever the protocol sends."""
        raise NotImplementedError

    def piece_offset(self) -> int:
        """How many events the stream sends before the first piece."""
        return 0

    def error_body(self, status: Status) -> dict[str, Any]:
        raise NotImplementedError

    def malformed_stream(self, request: Any) -> Iterator[bytes]:
        raise NotImplementedError

    def other_route(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]] | None:
        """Answer a non-chat route (the model list), or None for 404."""
        raise NotImplementedError


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes; no 40 ms delayed-ACK stalls

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``server.requests`` instead."""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = self.path.split("?", 1)[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = server._record(RecordedRequest(self.command, path, headers, body))
            try:
                if reply is None:
                    routed = server.other_route(self.command, path, body)
                    if routed is None:
                        self._json(404, {"error": f"no route {self.command} {path}"})
                    else:
                        self._json(*routed)
                else:
                    self._reply(reply, body)
            except (_Dropped, ConnectionError):
                self.close_connection = True

        def _reply(self, reply: Reply, body: Any) -> None:
            if isinstance(reply, Respond):
                reply = reply.reply(body)
            stream = server.wants_stream(body)
            match reply:
                case Answer():
                    if stream:
                        self._stream(server.stream_events(reply, body), pace_s=reply.pace_s)
                    else:
                        self._json(200, server.answer_body(reply, body))
                case Status():
                    headers = {} if reply.retry_after is None else {"Retry-After": _header(reply.retry_after)}
                    self._json(reply.code, server.error_body(reply), headers)
                case Hang():
                    if reply.after and stream:
                        events = list(server.stream_events(reply.answer, body))
                        self._stream(events[: server.piece_offset() + reply.after], end=False)
                    server._wait(reply.seconds)
                    self.close_connection = True
                case Truncate():
                    if stream:
                        events = list(server.stream_events(reply.answer, body))
                        self._stream(events[: server.piece_offset() + reply.after], end=False)
                    else:
                        data = json.dumps(server.answer_body(reply.answer, body)).encode()
                        self._head(200, "application/json", {"Content-Length": str(len(data))})
                        self._write(data[: len(data) // 2])
                    self._drop()
                case Malformed():
                    if stream:
                        self._stream(server.malformed_stream(body))
                    else:
                        self._bytes(200, "application/json", b'{"model": "m", "choices": [{"message": ')
                case Raw():
                    data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    self._bytes(reply.status, reply.content_type, data)

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._bytes(status, "application/json", json.dumps(payload).encode(), headers)

        def _bytes(self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None) -> None:
            self._head(status, content_type, {"Content-Length": str(len(data)), **(headers or {})})
            self._write(data)

        def _head(self, status: int, content_type: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def _stream(self, events: Iterator[bytes] | list[bytes], *, end: bool = True, pace_s: float = 0.0) -> None:
            self._head(200, server.stream_content_type, {"Transfer-Encoding": "chunked"})
            for event in events:
                if pace_s:
                    server._wait(pace_s)
                self._write(b"%x\r\n%s\r\n" % (len(event), event))
            if end:
                self._write(b"0\r\n\r\n")

        def _write(self, data: bytes) -> None:
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except OSError as err:
                raise _Dropped from err

        def _drop(self) -> None:
            """Close the socket mid-answer, as a crashing server does."""
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError as err:
                raise _Dropped from err

    return Handler


def _header(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _model_of(request: Any, fallback: str) -> str:
    model = request.get("model") if isinstance(request, dict) else None
    return model if isinstance(model, str) else fallback


class FakeOllama(FakeServer):
    """Ollama's ``/api/chat`` (NDJSON stream or one JSON object), ``/api/tags`` and ``/api/show``."""

    chat_path = "/api/chat"
    models_path = "/api/tags"
    stream_content_type = "application/x-ndjson"

    def __init__(self, models: tuple[str, ...] = ("codellama:7b", "codellama:34b")) -> None:
        super().__init__(models)

    def wants_stream(self, body: Any) -> bool:
        return not (isinstance(body, dict) and body.get("stream") is False)

    def _reply_model(self, request: Any) -> str:
        return _model_of(request, self.models[0] if self.models else "unknown")

    def _final(self, answer: Answer, request: Any, content: str) -> dict[str, Any]:
        return {
            "model": self._reply_model(request),
            "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": content},
            "done": True,
            "done_reason": answer.finish,
            "total_duration": 1_000_000,
            "load_duration": 1_000,
            "prompt_eval_count": answer.input_tokens,
            "prompt_eval_duration": 1_000,
            "eval_count": answer.output_tokens,
            "eval_duration": 1_000,
        }

    def answer_body(self, answer: Answer, request: Any) -> dict[str, Any]:
        return self._final(answer, request, answer.text)

    def stream_events(self, answer: Answer, request: Any) -> Iterator[bytes]:
        model = self._reply_model(request)
        for piece in answer.parts():
            line = {
                "model": model,
                "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            yield json.dumps(line).encode() + b"\n"
        yield json.dumps(self._final(answer, request, "")).encode() + b"\n"

    def malformed_stream(self, request: Any) -> Iterator[bytes]:
        yield from list(self.stream_events(Answer("half"), request))[:1]
        yield b'{"model": "m", "message": {"content": \n'

    def error_body(self, status: Status) -> dict[str, Any]:
        return {"error": status.message or f"HTTP {status.code}"}

    def _record(self, request: RecordedRequest) -> Reply | None:
        reply = super()._record(request)
        if request.path == self.chat_path and isinstance(reply, Answer | Truncate | Hang):
            model = _model_of(request.body, "")
            if model not in self.models:
                return Status(404, f"model '{model}' not found")
        return reply

    def other_route(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]] | None:
        if path == "/api/tags":
            listed = [
                {
                    "name": name,
                    "model": name,
                    "modified_at": "2025-01-01T00:00:00Z",
                    "size": 1,
                    "digest": "0" * 64,
                    "details": {"format": "gguf", "family": "llama", "parameter_size": "7B"},
                }
                for name in self.models
            ]
            return 200, {"models": listed}
        if path == "/api/show":
            model = _model_of(body, "")
            if model not in self.models:
                return 404, {"error": f"model '{model}' not found"}
            return 200, {"modelfile": "", "details": {"family": "llama"}, "model_info": {"llama.context_length": 4096}}
        return None


class FakeOpenAI(FakeServer):
    """OpenAI's ``/v1/chat/completions`` (JSON, or SSE ``data:`` chunks ending in ``[DONE]``) and ``/v1/models``."""

    chat_path = "/v1/chat/completions"
    models_path = "/v1/models"

    def __init__(self, models: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o")) -> None:
        super().__init__(models)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @staticmethod
    def sent_key(request: RecordedRequest) -> str:
        """The key of the request's ``Authorization: Bearer`` header; "" without one."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        return key if scheme == "Bearer" else ""

    def answer_body(self, answer: Answer, request: Any) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": _model_of(request, "gpt"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text, "refusal": None},
                    "finish_reason": answer.finish,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": answer.input_tokens,
                "completion_tokens": answer.output_tokens,
                "total_tokens": answer.input_tokens + answer.output_tokens,
            },
        }

    def _chunk(self, request: Any, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": _model_of(request, "gpt"),
            "choices": choices,
            **extra,
        }
        return _sse(chunk)

    def piece_offset(self) -> int:
        return 1

    def stream_events(self, answer: Answer, request: Any) -> Iterator[bytes]:
        yield self._chunk(request, [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for piece in answer.parts():
            yield self._chunk(request, [{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        yield self._chunk(request, [{"index": 0, "delta": {}, "finish_reason": answer.finish}])
        options = request.get("stream_options") if isinstance(request, dict) else None
        if isinstance(options, dict) and options.get("include_usage"):
            usage = {
                "prompt_tokens": answer.input_tokens,
                "completion_tokens": answer.output_tokens,
                "total_tokens": answer.input_tokens + answer.output_tokens,
            }
            yield self._chunk(request, [], usage=usage)
        yield b"data: [DONE]\n\n"

    def malformed_stream(self, request: Any) -> Iterator[bytes]:
        yield from list(self.stream_events(Answer("half"), request))[:2]
        yield b'data: {"choices": [{"delta": \n\n'

    def error_body(self, status: Status) -> dict[str, Any]:
        kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(status.code, "server_error")
        return {
            "error": {"message": status.message or f"HTTP {status.code}", "type": kind, "param": None, "code": None}
        }

    def other_route(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]] | None:
        if path != "/v1/models":
            return None
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in self.models]
        return 200, {"object": "list", "data": data}


class FakeAnthropic(FakeServer):
    """Anthropic's ``/v1/messages`` (JSON, or the SSE event stream) and ``/v1/models``."""

    chat_path = "/v1/messages"
    models_path = "/v1/models"

    def __init__(self, models: tuple[str, ...] = ("claude-test-haiku", "claude-test-sonnet")) -> None:
        super().__init__(models)

    @staticmethod
    def sent_key(request: RecordedRequest) -> str:
        """The key as the SDK sends it (``x-api-key``, or a bearer token in SDK 2.x)."""
        return request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")

    @staticmethod
    def _forced_tool(request: Any) -> str | None:
        choice = request.get("tool_choice") if isinstance(request, dict) else None
        if isinstance(choice, dict) and choice.get("type") == "tool":
            name = choice.get("name")
            return name if isinstance(name, str) else None
        return None

    def _tool_input(self, answer: Answer, request: Any) -> Any:
        """The answer's JSON when the request forces a tool and the text is a JSON value, else None."""
        if self._forced_tool(request) is None:
            return None
        try:
            return json.loads(answer.text)
        except ValueError:
            return None

    def _stop_reason(self, answer: Answer, tool: bool) -> str:
        if tool:
            return "tool_use"
        return {"stop": "end_turn", "length": "max_tokens"}.get(answer.finish, answer.finish)

    def answer_body(self, answer: Answer, request: Any) -> dict[str, Any]:
        tool_input = self._tool_input(answer, request)
        if tool_input is not None:
            content = [
                {"type": "tool_use", "id": "toolu_fake", "name": self._forced_tool(request), "input": tool_input}
            ]
        else:
            content = [{"type": "text", "text": answer.text}]
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": _model_of(request, "claude"),
            "content": content,
            "stop_reason": self._stop_reason(answer, tool_input is not None),
            "stop_sequence": None,
            "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
        }

    def piece_offset(self) -> int:
        return 3  # message_start, content_block_start, ping

    def stream_events(self, answer: Answer, request: Any) -> Iterator[bytes]:
        tool = self._tool_input(answer, request) is not None
        start = self.answer_body(answer, request)
        start.update(content=[], stop_reason=None, usage={"input_tokens": answer.input_tokens, "output_tokens": 1})
        yield _sse({"type": "message_start", "message": start}, "message_start")
        if tool:
            block: dict[str, Any] = {"type": "tool_use", "id": "toolu_fake", "name": self._forced_tool(request)}
            block["input"] = {}
        else:
            block = {"type": "text", "text": ""}
        yield _sse({"type": "content_block_start", "index": 0, "content_block": block}, "content_block_start")
        yield _sse({"type": "ping"}, "ping")
        for piece in answer.parts():
            delta = (
                {"type": "input_json_delta", "partial_json": piece} if tool else {"type": "text_delta", "text": piece}
            )
            yield _sse({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        stop = {"stop_reason": self._stop_reason(answer, tool), "stop_sequence": None}
        usage = {"output_tokens": answer.output_tokens}
        yield _sse({"type": "message_delta", "delta": stop, "usage": usage}, "message_delta")
        yield _sse({"type": "message_stop"}, "message_stop")

    def malformed_stream(self, request: Any) -> Iterator[bytes]:
        yield from list(self.stream_events(Answer("half"), request))[:4]
        yield b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": \n\n'

    def error_body(self, status: Status) -> dict[str, Any]:
        kind = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
            529: "overloaded_error",
        }.get(status.code, "api_error")
        return {"type": "error", "error": {"type": kind, "message": status.message or f"HTTP {status.code}"}}

    def other_route(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]] | None:
        if path != "/v1/models":
            return None
        data = [
            {"type": "model", "id": name, "display_name": name, "created_at": "2025-01-01T00:00:00Z"}
            for name in self.models
        ]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return 200, {"data": data, "has_more": False, "first_id": first, "last_id": last}
