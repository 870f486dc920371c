"""Privacy: secrets in code are redacted before the code is sent to a model.

The secrets are what the engine's detector finds (``reviewlab.engine.secrets``: tokens of known formats,
private keys, non-placeholder values of secret-like keys), shown as the engine shows them in findings
(``ghp_…(40 chars)``). Redaction keeps every line break, so line numbers in the redacted text are the
file's line numbers and the model's answers can be checked against the file.

Where it happens. The issue requires redaction for cloud providers; which provider answers is decided
inside the orchestrator, after the task built its request. So there are two places:

* the task layer (``tasks``, ``review``) redacts every file and diff it sends, for every provider, by
  default (``redact=True``). It is simpler, and it keeps a secret out of every response cache and every
  log a local server keeps, at the cost of a local model not seeing values it has no use for anyway;
* ``redact_request`` is for the orchestrator, per provider kind: with ``RedactionPolicy.CLOUD`` it redacts
  the messages of a request about to go to a ``ProviderKind.CLOUD`` provider and passes a local one's
  through. It is the safety net for callers that turned the task layer's redaction off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from reviewlab.ai.base import ChatRequest, Message, ProviderKind
from reviewlab.engine.languages import language_for_path
from reviewlab.engine.model import PLAIN_TEXT
from reviewlab.engine.redaction import Redactor
from reviewlab.engine.rules.base import TextContext


class RedactionPolicy(StrEnum):
    ALL = "all"  # every provider sees redacted code
    CLOUD = "cloud"  # only cloud providers do; local ones (Ollama, HuggingFace) see the code as it is


@dataclass(frozen=True, slots=True)
class RedactedText:
    """A text with its secrets hidden, line for line, and how many there were."""

    text: str
    secrets: int
    _redactor: Redactor | None = None

    def scrub(self, value: str) -> str:
        """``value`` (a model's message, a patch) with the text of every secret of the original replaced."""
        return value if self._redactor is None else self._redactor.text(value)


def redact_text(text: str, path: str = "snippet.txt", language: str | None = None) -> RedactedText:
    """``text`` (a file's content, a diff) with its secrets redacted. ``path`` and ``language`` tune detection:
    in source code only quoted literals are assigned secrets; in plain text any ``key=value`` is a candidate."""
    if language is None:
        language = language_for_path(path) or PLAIN_TEXT
    source = text.encode("utf-8", "surrogatepass")
    ctx = TextContext(path, language, source, {})
    redactor = Redactor(ctx, [])
    ranges = redactor.ranges()
    if not ranges:
        return RedactedText(text, 0)
    rows = sorted(
        {row for item in ranges for row in range(ctx.row(item.start), ctx.row(max(item.start, item.end - 1)) + 1)}
    )
    lines = text.split("\n")
    for row in rows:
        if row < len(lines):
            ending = "\r" if lines[row].endswith("\r") else ""
            lines[row] = redactor.line(row) + ending
    return RedactedText("\n".join(lines), len(ranges), redactor)


def must_redact(kind: ProviderKind, policy: RedactionPolicy = RedactionPolicy.CLOUD) -> bool:
    """Whether a request to a provider of ``kind`` is redacted under ``policy``."""
    return policy is RedactionPolicy.ALL or kind is ProviderKind.CLOUD


def redact_request(
    request: ChatRequest, kind: ProviderKind, policy: RedactionPolicy = RedactionPolicy.CLOUD
) -> ChatRequest:
    """``request`` as it may be sent to a provider of ``kind``: every message's secrets redacted when the policy
    says so (messages are read as plain text, the strictest detection), else ``request`` itself."""
    if not must_redact(kind, policy):
        return request
    messages = tuple(Message(m.role, redact_text(m.content, language=PLAIN_TEXT).text) for m in request.messages)
    return request if messages == request.messages else replace(request, messages=messages)
