"""Ollama through the official ``ollama`` client: one or more hosts, round-robin, streaming ``/api/chat``.

Every call streams (NDJSON) so a whole-answer deadline can be kept and a stream that stops before its
``done: true`` line is recognised as truncated. Calls rotate over the hosts that are up; a host that
refuses the connection (or cannot be resolved, or does not accept it in time) is marked down for
``host_cooldown_s`` and the same call moves on to the next host, since nothing was sent yet. Other
failures (a 5xx, a hang, a broken stream) are not retried here: retries with backoff are the
orchestrator's. A health check marks hosts up or down as it finds them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import httpx
import ollama
import pydantic

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    Health,
    InvalidAnswer,
    ProviderError,
    ProviderKind,
    ProviderMisconfigured,
    ProviderUnavailable,
    drain,
    estimate_tokens,
)
from reviewlab.ai.providers._http import (
    HTTP_ERRORS,
    Deadline,
    clip,
    is_no_connection,
    status_failure,
    transport_failure,
)
from reviewlab.observability import tracing
from reviewlab.settings import Settings

# ``ollama.Client`` turns a refused connection into the builtin ConnectionError outside streams.
_NO_CONNECTION: tuple[type[Exception], ...] = (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout)
# Everything else the SDK raises on purpose: an error status, a transport error, a line that is not JSON
# or a part without its fields. Programming errors (TypeError, AttributeError) are not in it.
_SDK_ERRORS: tuple[type[Exception], ...] = (
    ollama.ResponseError,
    *HTTP_ERRORS,
    json.JSONDecodeError,
    pydantic.ValidationError,
)


def parse_hosts(hosts: str | Sequence[str]) -> tuple[str, ...]:
    """``OLLAMA_HOST`` may hold several hosts, comma-separated; blanks and repeats are dropped."""
    items = hosts.split(",") if isinstance(hosts, str) else hosts
    return tuple(dict.fromkeys(h.strip().rstrip("/") for h in items if h.strip()))


class OllamaProvider:
    """Local models on one or more Ollama servers; costs nothing per token."""

    name = "ollama"
    kind = ProviderKind.LOCAL

    def __init__(
        self,
        hosts: str | Sequence[str],
        default_model: str,
        timeout_s: float = 10.0,
        *,
        host_cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``timeout_s`` bounds a health check and the connection to each host; a call's whole answer is
        bounded by its request's ``timeout_s``."""
        self.hosts = parse_hosts(hosts)
        if not self.hosts:
            raise ValueError("OllamaProvider needs at least one host")
        self.default_model = default_model
        self.timeout_s = timeout_s
        self.host_cooldown_s = host_cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._turn = 0
        self._down_until: dict[str, float] = {}
        self._clients: dict[tuple[str, float], ollama.Client] = {}
        self._last = threading.local()  # this thread's last response headers, for Retry-After

    @classmethod
    def from_settings(cls, settings: Settings) -> OllamaProvider:
        return cls(settings.ollama_host, settings.ollama_model)

    # -- the Provider protocol ---------------------------------------------------------------------------

    def chat(self, request: ChatRequest, model: str) -> Completion:
        return drain(self.stream(request, model))

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        deadline = Deadline(request.timeout_s)
        model = model or self.default_model
        pieces: list[str] = []
        final: ollama.ChatResponse | None = None
        for part in self._parts(request, model, deadline):
            if part.message.content:
                pieces.append(part.message.content)
                yield part.message.content
            final = part
        if final is None:  # _parts ends with the done part or raises; this keeps the types honest
            raise InvalidAnswer(self.name, f"{model} sent no answer")
        text = "".join(pieces)
        prompt = "\n".join(m.content for m in request.messages)
        return Completion(
            text=text,
            provider=self.name,
            model=final.model or model,
            input_tokens=final.prompt_eval_count if final.prompt_eval_count is not None else estimate_tokens(prompt),
            output_tokens=final.eval_count if final.eval_count is not None else estimate_tokens(text),
            latency_s=deadline.elapsed(),
            finish_reason=final.done_reason,
        )

    def health(self) -> Health:
        started = time.perf_counter()
        models: dict[str, None] = {}
        latencies: list[float] = []
        notes: list[str] = []
        for host in self.hosts:
            began = time.perf_counter()
            try:
                listed = self._client(host, self.timeout_s).list()
            except (*_NO_CONNECTION, *_SDK_ERRORS) as err:
                self._mark(host, up=False)
                notes.append(f"{host} down ({self._failure(err, host, '').message})")
                continue
            self._mark(host, up=True)
            latencies.append(time.perf_counter() - began)
            models.update((m.model, None) for m in listed.models if m.model)
        up = len(latencies)
        detail = [f"{up}/{len(self.hosts)} hosts up", *notes]
        if up and self.default_model not in models:
            detail.append(f"default model {self.default_model!r} is not pulled")
        return Health(
            provider=self.name,
            ok=up > 0,
            latency_s=min(latencies) if latencies else time.perf_counter() - started,
            detail="; ".join(detail),
            models=tuple(models),
        )

    def count_tokens(self, text: str, model: str) -> int:
        return estimate_tokens(text)

    # -- hosts -------------------------------------------------------------------------------------------

    @property
    def down_hosts(self) -> tuple[str, ...]:
        """Hosts skipped by the rotation until their cool-down ends (or a health check finds them up)."""
        now = self._clock()
        with self._lock:
            return tuple(h for h in self.hosts if self._down_until.get(h, 0.0) > now)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()  # type: ignore[no-untyped-call]  # the SDK leaves close() unannotated

    def _rotation(self) -> list[str]:
        """This call's hosts in order: the next up host round-robin, the other up hosts, then the down ones."""
        now = self._clock()
        with self._lock:
            up = [h for h in self.hosts if self._down_until.get(h, 0.0) <= now]
            down = [h for h in self.hosts if h not in up]
            start = self._turn % len(up) if up else 0
            self._turn += 1
        return up[start:] + up[:start] + down

    def _mark(self, host: str, *, up: bool) -> None:
        with self._lock:
            if up:
                self._down_until.pop(host, None)
            else:
                self._down_until[host] = self._clock() + self.host_cooldown_s

    def _client(self, host: str, timeout_s: float) -> ollama.Client:
        """One client per host and timeout (the SDK takes the timeout per client), kept for its connections."""
        key = (host, timeout_s)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, self.timeout_s))
                hooks = {"request": [_send_trace_context], "response": [self._remember]}
                client = ollama.Client(host, timeout=timeout, event_hooks=hooks)
                self._clients[key] = client
        return client

    def _remember(self, response: httpx.Response) -> None:
        self._last.retry_after = response.headers.get("retry-after")

    # -- one exchange ------------------------------------------------------------------------------------

    def _parts(self, request: ChatRequest, model: str, deadline: Deadline) -> Iterator[ollama.ChatResponse]:
        """The stream's parts up to its ``done`` part, from the first host that accepts the connection."""
        if not model:
            raise ProviderMisconfigured(self.name, "no model given and no default model configured")
        refused: list[str] = []
        for host in self._rotation():
            parts = self._client(host, request.timeout_s).chat(
                model=model,
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                stream=True,
                format=request.json_schema,
                options=_options(request),
            )
            try:
                try:
                    first = next(parts, None)
                except _NO_CONNECTION as err:
                    self._mark(host, up=False)
                    refused.append(f"{host} ({type(err).__name__})")
                    continue
                except _SDK_ERRORS as err:
                    raise self._failure(err, host, model) from err
                self._mark(host, up=True)
                yield from self._rest(first, parts, host, model, deadline)
                return
            finally:
                if isinstance(parts, Generator):
                    parts.close()  # releases the connection when the caller stops early
        raise ProviderUnavailable(self.name, f"not reachable at {', '.join(refused)}")

    def _rest(
        self,
        part: ollama.ChatResponse | None,
        parts: Iterator[ollama.ChatResponse],
        host: str,
        model: str,
        deadline: Deadline,
    ) -> Iterator[ollama.ChatResponse]:
        said = False
        while part is not None:
            said = said or bool(part.message.content)
            yield part
            if part.done:
                if not said:
                    raise InvalidAnswer(self.name, f"{model} on {host} answered with empty content")
                return
            deadline.check(self.name)
            try:
                part = next(parts, None)
            except _SDK_ERRORS as err:
                raise self._failure(err, host, model) from err
        raise InvalidAnswer(self.name, f"the stream from {host} ended before done: the answer is truncated")

    def _failure(self, err: Exception, host: str, model: str) -> ProviderError:
        if isinstance(err, ollama.ResponseError):
            if err.status_code == -1:  # an {"error": ...} line inside a 200 stream
                return InvalidAnswer(self.name, f"{host} broke off the answer: {clip(err.error)}")
            return status_failure(
                self.name,
                err.status_code,
                clip(err.error),
                not_found=f"model {model!r} is not pulled on {host}" if model else f"{host} has no Ollama API",
                retry_after=getattr(self._last, "retry_after", None),
            )
        if isinstance(err, json.JSONDecodeError):
            return InvalidAnswer(self.name, f"{host} sent a line that is not JSON: {err.msg}")
        if isinstance(err, pydantic.ValidationError):
            return InvalidAnswer(self.name, f"{host} sent a part without its fields ({err.error_count()} errors)")
        if isinstance(err, ConnectionError) or is_no_connection(err):
            return ProviderUnavailable(self.name, f"not reachable at {host}")
        return transport_failure(self.name, err, host)


def _send_trace_context(request: httpx.Request) -> None:
    """Carry the current span (the orchestrator's ``chat ollama``) to the server as W3C ``traceparent``."""
    request.headers.update(tracing.headers())


def _options(request: ChatRequest) -> dict[str, Any]:
    options: dict[str, Any] = {"temperature": request.temperature, "num_predict": request.max_tokens}
    if request.stop:
        options["stop"] = list(request.stop)
    return options
