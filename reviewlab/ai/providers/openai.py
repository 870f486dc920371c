"""OpenAI (or an OpenAI-compatible gateway) through the official ``openai`` SDK, with the user's key only.

``chat`` posts ``/v1/chat/completions`` and reads the JSON answer; ``stream`` asks for SSE with usage
(``stream_options.include_usage``). A JSON schema becomes ``response_format`` ``json_schema`` with
``strict`` off: strict mode rejects schemas that do not list every property as required, and the
answer is validated (and repaired) by the structured-answer layer anyway. Output length is
``max_completion_tokens`` (OpenAI's reasoning models refuse ``max_tokens``). The key, the client, health and
the SDK's errors are handled as for every SDK-backed cloud provider (``_cloud``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator
from typing import Any, Required, TypedDict

import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage, ChatCompletionMessageParam
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from openai.types.shared_params import ResponseFormatJSONSchema

from reviewlab.ai.base import ChatRequest, Completion, InvalidAnswer, Message, ProviderError, estimate_tokens
from reviewlab.ai.providers._cloud import CloudProvider, SDKErrors
from reviewlab.ai.providers._http import Deadline, reported
from reviewlab.observability import tracing
from reviewlab.settings import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIProvider(CloudProvider[openai.OpenAI]):
    """OpenAI's chat completions with the user's key; code leaves the machine."""

    name = "openai"
    errors = SDKErrors(
        root=openai.OpenAIError,
        timeout=openai.APITimeoutError,
        connection=openai.APIConnectionError,
        api=openai.APIError,
    )
    default_model = DEFAULT_MODEL
    base_url = DEFAULT_BASE_URL

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIProvider:
        """``OPENAI_API_KEY`` from the settings; ``OPENAI_BASE_URL`` (a compatible gateway) from the environment."""
        return cls(settings.openai_api_key, base_url=settings.openai_base_url or None)

    # -- the Provider protocol ---------------------------------------------------------------------------

    def chat(self, request: ChatRequest, model: str) -> Completion:
        client, model = self._begin(model)
        params = _params(request, model)
        started = time.perf_counter()
        response = self._send(
            model,
            lambda: client.chat.completions.create(
                **params, timeout=request.timeout_s, extra_headers=tracing.headers()
            ),
        )
        latency = time.perf_counter() - started
        # The SDK builds its objects from the body without validating them: check each field before use.
        choice = _first_choice(response)
        message = choice.message if choice is not None else None
        if choice is None or not isinstance(message, ChatCompletionMessage):
            raise InvalidAnswer(self.name, "the body is not a chat completion with a message")
        if isinstance(message.refusal, str) and message.refusal:
            raise InvalidAnswer(self.name, f"the model refused: {self._redact(message.refusal)}")
        text = message.content if isinstance(message.content, str) else ""
        if not text.strip():
            raise self._empty(model)
        return self._completion(request, text, response.model, model, response.usage, latency, choice.finish_reason)

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        client, model = self._begin(model)
        params = _params(request, model)
        deadline = Deadline(request.timeout_s)
        chunks = self._send(
            model,
            lambda: client.chat.completions.create(
                **params,
                stream=True,
                stream_options={"include_usage": True},
                timeout=request.timeout_s,
                extra_headers=tracing.headers(),
            ),
        )
        pieces: list[str] = []
        finish: object = None
        usage: object = None
        named: object = None
        with chunks:
            for chunk in self._events(chunks, model):
                choices = _chunk_choices(chunk)
                if choices is None:
                    raise InvalidAnswer(self.name, "a stream event is not a chat completion chunk")
                named = named or chunk.model
                usage = chunk.usage or usage  # the closing chunk, after the finish_reason, has no choices
                for choice in choices:
                    delta = choice.delta
                    piece = delta.content if isinstance(delta, ChoiceDelta) else None
                    if isinstance(piece, str) and piece:
                        pieces.append(piece)
                        yield piece
                    finish = finish if isinstance(finish, str) else choice.finish_reason
                if not isinstance(finish, str):
                    deadline.check(self.name)
        if not isinstance(finish, str):
            raise InvalidAnswer(self.name, "the stream ended before a finish_reason: the answer is truncated")
        if not pieces:
            raise self._empty(model)
        return self._completion(request, "".join(pieces), named, model, usage, deadline.elapsed(), finish)

    def _completion(
        self, request: ChatRequest, text: str, named: object, model: str, usage: object, latency: float, finish: object
    ) -> Completion:
        """The answer with the model the API ``named`` and the ``usage`` it reported (estimated for what it left
        out). The SDK builds its objects from the body without validating them, hence the checks."""
        counts = usage if isinstance(usage, CompletionUsage) else None
        prompt = "\n".join(m.content for m in request.messages)
        return Completion(
            text=text,
            provider=self.name,
            model=named if isinstance(named, str) and named else model,
            input_tokens=reported(counts.prompt_tokens if counts else None, estimate_tokens(prompt)),
            output_tokens=reported(counts.completion_tokens if counts else None, estimate_tokens(text)),
            latency_s=latency,
            finish_reason=finish if isinstance(finish, str) else None,
        )

    # -- the SDK -----------------------------------------------------------------------------------------

    def _connect(self, key: str) -> openai.OpenAI:
        return openai.OpenAI(api_key=key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0)

    def _list_models(self, client: openai.OpenAI) -> object:
        return client.models.list(timeout=self.timeout_s)

    def _status_failure(self, err: Exception, model: str) -> ProviderError | None:
        if not isinstance(err, openai.APIStatusError):
            return None
        return self._status(err.status_code, _error_message(err.body), model, err.response)


class _Params(TypedDict, total=False):
    """What ``chat`` and ``stream`` both send."""

    model: Required[str]
    messages: Required[list[ChatCompletionMessageParam]]
    max_completion_tokens: Required[int]
    temperature: Required[float]
    stop: list[str]
    response_format: ResponseFormatJSONSchema


def _params(request: ChatRequest, model: str) -> _Params:
    params: _Params = {
        "model": model,
        "messages": [_message(m) for m in request.messages],
        "max_completion_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    if request.stop:
        params["stop"] = list(request.stop)
    if request.json_schema:
        params["response_format"] = _response_format(request.json_schema)
    return params


def _message(message: Message) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}


def _response_format(schema: dict[str, Any]) -> ResponseFormatJSONSchema:
    title = schema.get("title")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64] if isinstance(title, str) and title else "answer"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}


def _first_choice(response: object) -> Choice | None:
    """The first choice of a chat completion; None when the body was something else (the SDK passes non-JSON on)."""
    if not isinstance(response, ChatCompletion) or not isinstance(response.choices, list) or not response.choices:
        return None
    choice = response.choices[0]
    return choice if isinstance(choice, Choice) else None


def _chunk_choices(chunk: object) -> list[ChunkChoice] | None:
    """A stream chunk's choices (none in the closing usage chunk); None when the chunk is something else."""
    if not isinstance(chunk, ChatCompletionChunk):
        return None
    choices = chunk.choices if chunk.choices is not None else []
    if not isinstance(choices, list) or not all(isinstance(c, ChunkChoice) for c in choices):
        return None
    return choices


def _error_message(body: object) -> str:
    if isinstance(body, dict):
        message = body.get("message")
        return str(message) if message else ""
    return str(body) if body else ""
