"""Anthropic through the official ``anthropic`` SDK, with the user's key only.

``chat`` posts ``/v1/messages`` with the system messages joined into the top-level ``system`` field (the
Messages API keeps them out of ``messages``); ``stream`` reads the SSE event stream and calls an answer
complete only at ``message_stop``.

A JSON schema whose top level is an object becomes a forced tool: ``tools=[{"name": "answer",
"input_schema": schema}]`` with ``tool_choice`` naming it, so the model must answer with arguments shaped
by the schema (every Claude model and gateway supports tools; native ``output_config`` formats are newer
and model-dependent). The answer's text is that tool input as JSON; streamed, it is the
``input_json_delta`` pieces. Any other schema (tools take objects only) is asked for in the system prompt.
Schema validation and repair stay with the structured-answer layer. ``request.temperature`` is not
sent: the Messages API of SDK 2.x takes no sampling parameters. SDK retries are off: the orchestrator
retries. Without a key the provider exists but is not usable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence

import anthropic
import pydantic
from anthropic.types import (
    InputJSONDelta,
    MessageParam,
    RawContentBlockDeltaEvent,
    RawMessageDeltaEvent,
    RawMessageStopEvent,
    TextBlock,
    TextDelta,
    ToolChoiceToolParam,
    ToolParam,
    ToolUseBlock,
    Usage,
)
from anthropic.types import Message as AnthropicMessage
from pydantic import SecretStr

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    Health,
    InvalidAnswer,
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

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-haiku-4-5"
TOOL = "answer"

# Everything the SDK raises on purpose, and what escapes it while decoding a body that is not JSON
# (its streams also let the HTTP client's own errors through).
_SDK_ERRORS: tuple[type[Exception], ...] = (
    anthropic.AnthropicError,
    *HTTP_ERRORS,
    json.JSONDecodeError,
    pydantic.ValidationError,
)
# The HTTP status each error type of the Messages API comes with, for the same error sent as a stream event.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
# The Messages API's stop reasons in the vocabulary the other providers use.
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "stop", "max_tokens": "length"}


class AnthropicProvider:
    """Anthropic's Messages API with the user's key; code leaves the machine."""

    name = "anthropic"
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
            else anthropic.Anthropic(api_key=key, base_url=self.base_url, timeout=timeout_s, max_retries=0)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        """``ANTHROPIC_API_KEY`` from the settings; ``ANTHROPIC_BASE_URL`` (a gateway) from the environment."""
        return cls(settings.anthropic_api_key, base_url=settings.anthropic_base_url or None)

    @property
    def configured(self) -> bool:
        return self._client is not None

    # -- the Provider protocol ---------------------------------------------------------------------------

    def chat(self, request: ChatRequest, model: str) -> Completion:
        client = self._require()
        model = model or self.default_model
        call = _Call(request)
        started = time.perf_counter()
        try:
            response = client.messages.create(
                model=model,
                max_tokens=request.max_tokens,
                messages=call.messages,
                system=call.system or anthropic.omit,
                stop_sequences=list(request.stop) if request.stop else anthropic.omit,
                tools=call.tools or anthropic.omit,
                tool_choice=call.tool_choice or anthropic.omit,
                timeout=request.timeout_s,
            )
        except _SDK_ERRORS as err:
            raise self._failure(err, model) from err
        latency = time.perf_counter() - started
        # The SDK builds its objects from the body without validating them: check each field before use.
        if not isinstance(response, AnthropicMessage) or not isinstance(response.content, list):
            raise InvalidAnswer(self.name, "the body is not a message with content")
        stop_reason = response.stop_reason if isinstance(response.stop_reason, str) else None
        if stop_reason == "refusal":
            raise InvalidAnswer(self.name, f"{model} refused to answer")
        text = _text_of(response.content, tool=call.tools is not None)
        if not text.strip():
            raise InvalidAnswer(self.name, f"{model} answered with empty content")
        usage = response.usage if isinstance(response.usage, Usage) else None
        return Completion(
            text=text,
            provider=self.name,
            model=response.model if isinstance(response.model, str) and response.model else model,
            input_tokens=reported(usage.input_tokens if usage else None, call.estimated_input),
            output_tokens=reported(usage.output_tokens if usage else None, estimate_tokens(text)),
            latency_s=latency,
            finish_reason=_FINISH.get(stop_reason, stop_reason) if stop_reason else None,
        )

    def stream(self, request: ChatRequest, model: str) -> Iterator[str]:
        client = self._require()
        model = model or self.default_model
        call = _Call(request)
        deadline = Deadline(request.timeout_s)
        try:
            events = client.messages.create(
                model=model,
                max_tokens=request.max_tokens,
                messages=call.messages,
                system=call.system or anthropic.omit,
                stop_sequences=list(request.stop) if request.stop else anthropic.omit,
                tools=call.tools or anthropic.omit,
                tool_choice=call.tool_choice or anthropic.omit,
                stream=True,
                timeout=request.timeout_s,
            )
        except _SDK_ERRORS as err:
            raise self._failure(err, model) from err
        stopped = said = False
        with events:
            iterator = iter(events)
            while not stopped:
                try:
                    event = next(iterator, None)
                except _SDK_ERRORS as err:
                    raise self._failure(err, model) from err
                if event is None:
                    break
                if isinstance(event, RawContentBlockDeltaEvent):
                    piece = _delta_text(event.delta)
                    if piece:
                        said = True
                        yield piece
                elif isinstance(event, RawMessageDeltaEvent) and getattr(event.delta, "stop_reason", None) == "refusal":
                    raise InvalidAnswer(self.name, f"{model} refused to answer")
                stopped = isinstance(event, RawMessageStopEvent)
                if not stopped:
                    deadline.check(self.name)
        if not stopped:
            raise InvalidAnswer(self.name, "the stream ended before message_stop: the answer is truncated")
        if not said:
            raise InvalidAnswer(self.name, f"{model} answered with empty content")

    def health(self) -> Health:
        if self._client is None:
            return Health(self.name, ok=False, latency_s=0.0, detail=NO_KEY)
        started = time.perf_counter()
        try:
            page = self._client.models.list(limit=100, timeout=self.timeout_s)
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

    def _require(self) -> anthropic.Anthropic:
        if self._client is None:
            raise ProviderMisconfigured(self.name, NO_KEY)
        return self._client

    def _failure(self, err: Exception, model: str) -> ProviderError:
        if isinstance(err, anthropic.APITimeoutError):
            return ProviderTimeout(self.name, f"no answer in time from {self.base_url}")
        if isinstance(err, anthropic.APIConnectionError):
            cause = err.__cause__
            if isinstance(cause, HTTP_ERRORS):
                return transport_failure(self.name, cause, self.base_url)
            return ProviderUnavailable(self.name, f"not reachable at {self.base_url}")
        if isinstance(err, anthropic.APIStatusError):
            status = err.status_code
            if status < 400:  # an error event inside a 200 stream: its type says what the status would have been
                status = _ERROR_STATUS.get(str(err.type), 0)
                if not status:
                    return InvalidAnswer(self.name, f"the stream broke off: {self._redact(err.api_message or '')}")
            return status_failure(
                self.name,
                status,
                self._redact(err.api_message or ""),
                not_found=f"model {model!r} not found at {self.base_url}" if model else f"not found at {self.base_url}",
                retry_after=err.response.headers.get("retry-after"),
            )
        if isinstance(err, anthropic.APIError):  # an error event inside a stream, a body the SDK could not read
            return InvalidAnswer(self.name, f"the answer carried an error: {self._redact(err.message)}")
        if isinstance(err, HTTP_ERRORS):
            return transport_failure(self.name, err, self.base_url)
        if isinstance(err, json.JSONDecodeError):
            return InvalidAnswer(self.name, f"the body is not JSON: {err.msg}")
        if isinstance(err, pydantic.ValidationError):
            return InvalidAnswer(self.name, f"the body lacks fields ({err.error_count()} errors)")
        return ProviderUnavailable(self.name, f"{type(err).__name__}: {self._redact(str(err))}")


class _Call:
    """One request in the Messages API's shape: system prompt apart, the schema as a forced tool or an instruction."""

    def __init__(self, request: ChatRequest) -> None:
        system = [m.content for m in request.messages if m.role == "system"]
        self.messages: list[MessageParam] = [
            {"role": "assistant", "content": m.content}
            if m.role == "assistant"
            else {"role": "user", "content": m.content}
            for m in request.messages
            if m.role != "system"
        ]
        self.tools: list[ToolParam] | None = None
        self.tool_choice: ToolChoiceToolParam | None = None
        schema = request.json_schema
        if schema is not None and schema.get("type") == "object":
            description = "Record your complete answer. Its input is the whole answer; write nothing else."
            self.tools = [{"name": TOOL, "description": description, "input_schema": schema}]
            self.tool_choice = {"type": "tool", "name": TOOL}
        elif schema is not None:
            system.append(
                "Answer with a single JSON value that matches this JSON schema, and nothing else "
                f"(no prose, no code fences):\n{json.dumps(schema)}"
            )
        self.system = "\n\n".join(system)
        self.estimated_input = estimate_tokens("\n".join(m.content for m in request.messages))


def _text_of(content: Sequence[object], *, tool: bool) -> str:
    """The forced tool's input as JSON when there is one, else the text blocks (a model may ignore the tool)."""
    if tool:
        for block in content:
            if isinstance(block, ToolUseBlock) and block.name == TOOL:
                return json.dumps(block.input)
    texts = (block.text for block in content if isinstance(block, TextBlock))
    return "".join(text for text in texts if isinstance(text, str))


def _delta_text(delta: object) -> str:
    """A piece of the answer: text, or a piece of the forced tool's JSON input (thinking and citations are not)."""
    piece = None
    if isinstance(delta, TextDelta):
        piece = delta.text
    elif isinstance(delta, InputJSONDelta):
        piece = delta.partial_json
    return piece if isinstance(piece, str) else ""
