"""OpenAI (or an OpenAI-compatible gateway) through the official ``openai`` SDK, with the user's key only.

``chat`` posts ``/v1/chat/completions`` and reads the JSON answer; ``stream`` asks for SSE with usage
(``stream_options.include_usage``). A JSON schema becomes ``response_format`` ``json_schema`` with
``strict`` off: strict mode rejects schemas that do not list every property as required, and the
answer is validated (and repaired) by the structured-answer layer anyway. Output length is
``max_completion_tokens`` (OpenAI's reasoning models refuse ``max_tokens``). SDK retries are off: the
orchestrator retries. Without a key the provider exists but is not usable.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import openai
import pydantic
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage, ChatCompletionMessageParam
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import SecretStr

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    Health,
    InvalidAnswer,
    Message,
    ProviderError,
    ProviderKind,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    estimate_tokens,
)
from reviewlab.ai.providers._http import (
    HTTP_ERRORS,
    NO_KEY,
    Deadline,
    Redactor,
    model_ids,
    reported,
    secret_text,
    status_failure,
    transport_failure,
)
from reviewlab.settings import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"

# Everything the SDK raises on purpose, and what escapes it while decoding a body that is not JSON.
_SDK_ERRORS: tuple[type[Exception], ...] = (
    openai.OpenAIError,
    *HTTP_ERRORS,
    json.JSONDecodeError,
    pydantic.ValidationError,
)


class OpenAIProvider:
    """OpenAI's chat completions with the user's key; code leaves the machine."""

    name = "openai"
    kind = ProviderKind.CLOUD

    def __init__(
        self,
        api_key: SecretStr | str | None,
        default_model: str = DEFAULT_MODEL,
        timeout_s: float = 10.0,
        *,
        base_url: str | None = None,
    ) -> None:
        """``timeout_s`` bounds a health check; a call is bounded by its request's ``timeout_s``."""
        key = secret_text(api_key)
        self.default_model = default_model
        self.timeout_s = timeout_s
        self.base_url = base_url or DEFAULT_BASE_URL
        self._redact = Redactor(key)
        self._client = (
            None
            if key is None
            else openai.OpenAI(api_key=key, base_url=self.base_url, timeout=timeout_s, max_retries=0)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIProvider:
        """``OPENAI_API_KEY`` from the settings; ``OPENAI_BASE_URL`` (a compatible gateway) from the environment."""
        return cls(settings.openai_api_key, base_url=settings.openai_base_url or None)

    @property
    def configured(self) -> bool:
        return self._client is not None

    # -- the Provider protocol ---------------------------------------------------------------------------

    def chat(self, request: ChatRequest, model: str) -> Completion:
        client = self._require()
        model = model or self.default_model
        started = time.perf_counter()
        try:
            response = client.chat.completions.create(
                model=model,
                messages=[_message(m) for m in request.messages],
                max_completion_tokens=request.max_tokens,
                temperature=request.temperature,
                stop=list(request.stop) if request.stop else openai.omit,
                response_format=_response_format(request.json_schema) if request.json_schema else openai.omit,
                timeout=request.timeout_s,
            )
        except _SDK_ERRORS as err:
            raise self._failure(err, model) from err
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
            raise InvalidAnswer(self.name, f"{model} answered with empty content")
        usage = response.usage if isinstance(response.usage, CompletionUsage) else None
        prompt = "\n".join(m.content for m in request.messages)
        return Completion(
            text=text,
            provider=self.name,
            model=response.model if isinstance(response.model, str) and response.model else model,
            input_tokens=reported(usage.prompt_tokens if usage else None, estimate_tokens(prompt)),
            output_tokens=reported(usage.completion_tokens if usage else None, estimate_tokens(text)),
            latency_s=latency,
            finish_reason=choice.finish_reason if isinstance(choice.finish_reason, str) else None,
        )

    def stream(self, request: ChatRequest, model: str) -> Iterator[str]:
        client = self._require()
        model = model or self.default_model
        deadline = Deadline(request.timeout_s)
        try:
            chunks = client.chat.completions.create(
                model=model,
                messages=[_message(m) for m in request.messages],
                max_completion_tokens=request.max_tokens,
                temperature=request.temperature,
                stop=list(request.stop) if request.stop else openai.omit,
                response_format=_response_format(request.json_schema) if request.json_schema else openai.omit,
                stream=True,
                stream_options={"include_usage": True},
                timeout=request.timeout_s,
            )
        except _SDK_ERRORS as err:
            raise self._failure(err, model) from err
        finished = said = False
        with chunks:
            events = iter(chunks)
            while True:
                try:
                    chunk = next(events, None)
                except _SDK_ERRORS as err:
                    raise self._failure(err, model) from err
                if chunk is None:
                    break
                choices = _chunk_choices(chunk)
                if choices is None:
                    raise InvalidAnswer(self.name, "a stream event is not a chat completion chunk")
                for choice in choices:
                    delta = choice.delta
                    piece = delta.content if isinstance(delta, ChoiceDelta) else None
                    if isinstance(piece, str) and piece:
                        said = True
                        yield piece
                    finished = finished or isinstance(choice.finish_reason, str)
                if not finished:
                    deadline.check(self.name)
        if not finished:
            raise InvalidAnswer(self.name, "the stream ended before a finish_reason: the answer is truncated")
        if not said:
            raise InvalidAnswer(self.name, f"{model} answered with empty content")

    def health(self) -> Health:
        if self._client is None:
            return Health(self.name, ok=False, latency_s=0.0, detail=NO_KEY)
        started = time.perf_counter()
        try:
            page = self._client.models.list(timeout=self.timeout_s)
        except _SDK_ERRORS as err:
            failure = self._failure(err, "")
            return Health(self.name, ok=False, latency_s=time.perf_counter() - started, detail=failure.message)
        models = model_ids(getattr(page, "data", None))
        return Health(self.name, ok=True, latency_s=time.perf_counter() - started, detail=self.base_url, models=models)

    def count_tokens(self, text: str, model: str) -> int:
        return estimate_tokens(text)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- failures ----------------------------------------------------------------------------------------

    def _require(self) -> openai.OpenAI:
        if self._client is None:
            raise ProviderMisconfigured(self.name, NO_KEY)
        return self._client

    def _failure(self, err: Exception, model: str) -> ProviderError:
        if isinstance(err, openai.APITimeoutError):
            return ProviderTimeout(self.name, f"no answer in time from {self.base_url}")
        if isinstance(err, openai.APIConnectionError):
            cause = err.__cause__
            if isinstance(cause, HTTP_ERRORS):
                return transport_failure(self.name, cause, self.base_url)
            return ProviderUnavailable(self.name, f"not reachable at {self.base_url}")
        if isinstance(err, openai.APIStatusError):
            return status_failure(
                self.name,
                err.status_code,
                self._redact(_error_message(err.body)),
                not_found=f"model {model!r} not found at {self.base_url}" if model else f"not found at {self.base_url}",
                retry_after=err.response.headers.get("retry-after"),
            )
        if isinstance(err, openai.APIError):  # an error event inside a stream, a body the SDK could not read
            return InvalidAnswer(self.name, f"the answer carried an error: {self._redact(err.message)}")
        if isinstance(err, HTTP_ERRORS):
            return transport_failure(self.name, err, self.base_url)
        if isinstance(err, json.JSONDecodeError):
            return InvalidAnswer(self.name, f"the body is not JSON: {err.msg}")
        if isinstance(err, pydantic.ValidationError):
            return InvalidAnswer(self.name, f"the body lacks fields ({err.error_count()} errors)")
        return ProviderUnavailable(self.name, f"{type(err).__name__}: {self._redact(str(err))}")


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
