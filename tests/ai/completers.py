"""The orchestrator's test double for the AI task tests: a completer that answers from a script and records
every call, with helpers that build review answers and a total provider failure."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reviewlab.ai.base import AllProvidersFailed, Attempt, ChatRequest, Completion, TaskKind, estimate_tokens

Answer = str | BaseException | Callable[[ChatRequest], str]


@dataclass(frozen=True)
class Call:
    task: TaskKind
    request: ChatRequest
    prompt_version: str
    user: str | None
    review: str | None

    @property
    def text(self) -> str:
        """Everything the provider would have been sent."""
        return "\n".join(message.content for message in self.request.messages)

    @property
    def prompt(self) -> str:
        """The prompt's name: ``review_file`` of ``review_file@v1``."""
        return self.prompt_version.split("@")[0]


class ScriptedCompleter:
    """The orchestrator's test double: answers from a script in order, then by prompt name from ``routes``;
    an answer is text, an exception to raise, or a function of the request. Records every call."""

    def __init__(
        self,
        *answers: Answer,
        routes: dict[str, Answer] | None = None,
        provider: str = "fake",
        model: str = "fake-coder:7b",
    ) -> None:
        self.answers: deque[Answer] = deque(answers)
        self.routes = routes or {}
        self.provider = provider
        self.model = model
        self.calls: list[Call] = []

    def complete(
        self,
        task: TaskKind,
        request: ChatRequest,
        *,
        prompt_version: str,
        user: str | None = None,
        review: str | None = None,
    ) -> Completion:
        call = Call(task, request, prompt_version, user, review)
        self.calls.append(call)
        if self.answers:
            answer = self.answers.popleft()
        elif call.prompt in self.routes:
            answer = self.routes[call.prompt]
        else:
            raise AssertionError(f"unexpected call with prompt {prompt_version}")
        if isinstance(answer, BaseException):
            raise answer
        text = answer if isinstance(answer, str) else answer(request)
        return Completion(
            text=text,
            provider=self.provider,
            model=self.model,
            input_tokens=estimate_tokens(call.text),
            output_tokens=estimate_tokens(text),
            latency_s=0.25,
        )

    def sent(self) -> str:
        """Every message of every call, as one text."""
        return "\n".join(call.text for call in self.calls)


def unavailable() -> AllProvidersFailed:
    return AllProvidersFailed(
        [
            Attempt("ollama", "codellama:7b", "ProviderUnavailable", "connection refused", 0.01),
            Attempt("openai", "gpt-4o", "RateLimited", "429 Too Many Requests", 0.2),
        ]
    )


def item(line: int = 2, **extra: Any) -> dict[str, Any]:
    return {"line": line, "severity": "high", "category": "security", "message": f"problem on {line}", **extra}


def findings_json(*items: dict[str, Any]) -> str:
    return json.dumps({"findings": list(items)})
