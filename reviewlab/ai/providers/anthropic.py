"""Anthropic through the official ``anthropic`` SDK, with the user's key only.

``chat`` posts ``/v1/messages`` with the system messages joined into the top-level ``system`` field (the
Messages API keeps them out of ``messages``); ``stream`` reads the SSE event stream and calls an answer
complete only at ``message_stop``, with the usage of ``message_start`` (input) and ``message_delta`` (output).

A JSON schema whose top level is an object becomes a forced tool: ``tools=[{"name": "answer",
"input_schema": schema}]`` with ``tool_choice`` naming it, so the model must answer with arguments shaped
by the schema (every Claude model and gateway supports tools; native ``output_config`` formats are newer
and model-dependent). The answer's text is that tool input as JSON; streamed, it is the
``input_json_delta`` pieces. Any other schema (tools take objects only) is asked for in the system prompt.
Schema validation and repair stay with the structured-answer layer. ``request.temperature`` is not
sent: the Messages API of SDK 2.x takes no sampling parameters. The key, the client, health and the
SDK's errors are handled as for every SDK-backed cloud provider (``_cloud``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Sequence

import anthropic
from anthropic.types import (
    InputJSONDelta,
    MessageParam,
    RawContentBlockDeltaEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    TextDelta,
    ToolUseBlock,
    Usage,
)
from anthropic.types import Message as AnthropicMessage
from anthropic.types.message_create_params import MessageCreateParamsBase

from reviewlab.ai.base import ChatRequest, Completion, InvalidAnswer, ProviderError, estimate_tokens
from reviewlab.ai.providers._cloud import CloudProvider, SDKErrors
from reviewlab.ai.providers._http import Deadline, reported
from reviewlab.observability import tracing
from reviewlab.settings import Settings

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-haiku-4-5"
TOOL = "answer"

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


class AnthropicProvider(CloudProvider[anthropic.Anthropic]):
    """Anthropic's Messages API with the user's key; code leaves the machine."""

    name = "anthropic"
    errors = SDKErrors(
        root=anthropic.AnthropicError,
        timeout=anthropic.APITimeoutError,
        connection=anthropic.APIConnectionError,
        api=anthropic.APIError,
    )
    default_model = DEFAULT_MODEL
    base_url = DEFAULT_BASE_URL

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        """``ANTHROPIC_API_KEY`` from the settings; ``ANTHROPIC_BASE_URL`` (a gateway) from the environment."""
        return cls(settings.anthropic_api_key, base_url=settings.anthropic_base_url or None)

    # -- the Provider protocol ---------------------------------------------------------------------------

    def chat(self, request: ChatRequest, model: str) -> Completion:
        client, model = self._begin(model)
        call = _Call(request, model)
        started = time.perf_counter()
        response = self._send(
            model,
            lambda: client.messages.create(**call.params, timeout=request.timeout_s, extra_headers=tracing.headers()),
        )
        latency = time.perf_counter() - started
        # The SDK builds its objects from the body without validating them: check each field before use.
        if not isinstance(response, AnthropicMessage) or not isinstance(response.content, list):
            raise InvalidAnswer(self.name, "the body is not a message with content")
        stop_reason = response.stop_reason if isinstance(response.stop_reason, str) else None
        if stop_reason == "refusal":
            raise InvalidAnswer(self.name, f"{model} refused to answer")
        text = _text_of(response.content, tool=call.tool)
        if not text.strip():
            raise self._empty(model)
        usage = response.usage if isinstance(response.usage, Usage) else None
        counts = (usage.input_tokens, usage.output_tokens) if usage else (None, None)
        return self._completion(call, text, response.model, counts, latency, stop_reason)

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        client, model = self._begin(model)
        call = _Call(request, model)
        deadline = Deadline(request.timeout_s)
        events = self._send(
            model,
            lambda: client.messages.create(
                **call.params, stream=True, timeout=request.timeout_s, extra_headers=tracing.headers()
            ),
        )
        pieces: list[str] = []
        named: object = None
        # message_start carries the input tokens; each message_delta the output tokens so far (cumulative).
        input_tokens: object = None
        output_tokens: object = None
        stop_reason: object = None
        stopped = False
        with events:
            for event in self._events(events, model):
                if isinstance(event, RawContentBlockDeltaEvent):
                    piece = _delta_text(event.delta)
                    if piece:
                        pieces.append(piece)
                        yield piece
                elif isinstance(event, RawMessageStartEvent) and isinstance(event.message, AnthropicMessage):
                    named, start = event.message.model, event.message.usage
                    if isinstance(start, Usage):
                        input_tokens, output_tokens = start.input_tokens, start.output_tokens
                elif isinstance(event, RawMessageDeltaEvent):
                    stop_reason = getattr(event.delta, "stop_reason", None)
                    if stop_reason == "refusal":
                        raise InvalidAnswer(self.name, f"{model} refused to answer")
                    delta_in = getattr(event.usage, "input_tokens", None)
                    delta_out = getattr(event.usage, "output_tokens", None)
                    input_tokens = input_tokens if delta_in is None else delta_in
                    output_tokens = output_tokens if delta_out is None else delta_out
                stopped = isinstance(event, RawMessageStopEvent)
                if stopped:
                    break
                deadline.check(self.name)
        if not stopped:
            raise InvalidAnswer(self.name, "the stream ended before message_stop: the answer is truncated")
        if not pieces:
            raise self._empty(model)
        counts = (input_tokens, output_tokens)
        return self._completion(call, "".join(pieces), named, counts, deadline.elapsed(), stop_reason)

    def _completion(
        self, call: _Call, text: str, named: object, counts: tuple[object, object], latency: float, stop_reason: object
    ) -> Completion:
        """The answer with the model the API ``named`` and the ``counts`` of input and output tokens it reported
        (estimated for what it left out). The SDK builds its objects without validating them, hence the checks."""
        reason = stop_reason if isinstance(stop_reason, str) else None
        return Completion(
            text=text,
            provider=self.name,
            model=named if isinstance(named, str) and named else call.model,
            input_tokens=reported(counts[0], call.estimated_input),
            output_tokens=reported(counts[1], estimate_tokens(text)),
            latency_s=latency,
            finish_reason=_FINISH.get(reason, reason) if reason else None,
        )

    # -- the SDK -----------------------------------------------------------------------------------------

    def _connect(self, key: str) -> anthropic.Anthropic:
        return anthropic.Anthropic(api_key=key, base_url=self.base_url, timeout=self.timeout_s, max_retries=0)

    def _list_models(self, client: anthropic.Anthropic) -> object:
        return client.models.list(limit=100, timeout=self.timeout_s)

    def _status_failure(self, err: Exception, model: str) -> ProviderError | None:
        if not isinstance(err, anthropic.APIStatusError):
            return None
        status = err.status_code
        if status < 400:  # an error event inside a 200 stream: its type says what the status would have been
            status = _ERROR_STATUS.get(str(err.type), 0)
            if not status:
                return InvalidAnswer(self.name, f"the stream broke off: {self._redact(err.api_message or '')}")
        return self._status(status, err.api_message or "", model, err.response)


class _Call:
    """One request in the Messages API's shape: system prompt apart, the schema as a forced tool or an instruction."""

    def __init__(self, request: ChatRequest, model: str) -> None:
        system = [m.content for m in request.messages if m.role == "system"]
        messages: list[MessageParam] = [
            {"role": "assistant", "content": m.content}
            if m.role == "assistant"
            else {"role": "user", "content": m.content}
            for m in request.messages
            if m.role != "system"
        ]
        self.params: MessageCreateParamsBase = {"model": model, "max_tokens": request.max_tokens, "messages": messages}
        schema = request.json_schema
        if schema is not None and schema.get("type") == "object":
            description = "Record your complete answer. Its input is the whole answer; write nothing else."
            self.params["tools"] = [{"name": TOOL, "description": description, "input_schema": schema}]
            self.params["tool_choice"] = {"type": "tool", "name": TOOL}
        elif schema is not None:
            system.append(
                "Answer with a single JSON value that matches this JSON schema, and nothing else "
                f"(no prose, no code fences):\n{json.dumps(schema)}"
            )
        if joined := "\n\n".join(system):
            self.params["system"] = joined
        if request.stop:
            self.params["stop_sequences"] = list(request.stop)
        self.model = model
        self.tool = "tools" in self.params
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
