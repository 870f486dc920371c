"""Text in and out of a local causal LM: the prompt rendered for it, and its answer cut at stop strings.

``render_prompt`` renders a request's messages with the tokenizer's chat template (or a plain
``role: content`` transcript without one), retrying with the system text folded into the first user
message for templates that have no system role, and appends a JSON schema as an instruction to the last
user message. ``stop_at`` finds the first stop string in a text and ``StopCutter`` cuts a stream there.
Used by the HuggingFace provider (``huggingface``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reviewlab.ai.base import ChatRequest, InvalidAnswer

JSON_INSTRUCTION = "Answer only with JSON that matches this JSON schema, without any other text:\n"


def render_prompt(
    tokenizer: Any,
    request: ChatRequest,
    *,
    provider: str,
    model: str,
    template_errors: tuple[type[BaseException], ...],
) -> tuple[str, bool]:
    """The prompt text, and whether the chat template rendered it (it then holds its own special tokens).
    ``template_errors`` are what the chat template raises to refuse a conversation."""
    messages = [{"role": m.role, "content": m.content} for m in request.messages]
    if request.json_schema is not None:
        instruction = JSON_INSTRUCTION + json.dumps(request.json_schema, sort_keys=True)
        if messages and messages[-1]["role"] == "user":
            messages[-1] = {"role": "user", "content": f"{messages[-1]['content']}\n\n{instruction}"}
        else:
            messages.append({"role": "user", "content": instruction})
    if not getattr(tokenizer, "chat_template", None):
        return "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant:", False
    folded = _fold_system(messages)
    refusal: BaseException | None = None
    for attempt in (messages, folded) if folded != messages else (messages,):  # as given, then system folded
        try:
            rendered = tokenizer.apply_chat_template(attempt, tokenize=False, add_generation_prompt=True)
        except template_errors as err:
            refusal = refusal or err
            continue
        return str(rendered), True
    raise InvalidAnswer(provider, f"the chat template of {model} refuses the conversation: {refusal}") from refusal


def _fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Templates without a system role (Gemma, early Mistral) get the system text atop the first user message."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [m for m in messages if m["role"] != "system"]
    if not system:
        return messages
    if rest and rest[0]["role"] == "user":
        return [{"role": "user", "content": f"{system}\n\n{rest[0]['content']}"}, *rest[1:]]
    return [{"role": "user", "content": system}, *rest]


def stop_at(text: str, stops: Sequence[str]) -> int | None:
    """Where the first of ``stops`` (empty ones ignored) begins in ``text``; None when none is there."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None


class StopCutter:
    """Cuts a stream at the first stop string, holding back a tail that could be the start of one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._keep = max((len(s) for s in self._stops), default=1) - 1
        self._buffer = ""
        self._done = False

    def feed(self, piece: str) -> str:
        if self._done:
            return ""
        self._buffer += piece
        cut = stop_at(self._buffer, self._stops)
        if cut is not None:
            self._done = True
            out, self._buffer = self._buffer[:cut], ""
            return out
        split = max(0, len(self._buffer) - self._keep)
        out, self._buffer = self._buffer[:split], self._buffer[split:]
        return out

    def flush(self) -> str:
        out, self._buffer = self._buffer, ""
        return out
