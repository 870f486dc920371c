"""Structured answers: ask for JSON matching a schema, repair what a model got almost right, retry once.

Local models often break structure: the JSON comes in a code fence or between sentences, with trailing
commas, single quotes or Python's ``True``/``None``, cut off mid-array by the token limit, wrapped in
another key or not wrapped at all. ``extract_json`` repairs all of these (a truncated array keeps its
complete items). ``parse_answer`` validates the result with the answer's pydantic model, item by item for
list answers, so one bad item is dropped with a diagnostic and the others kept. ``ask`` asks the
``Completer`` (the orchestrator), and when the answer cannot be used at all asks once more, showing the
model why. A bad answer never raises out of here: the result's value is None and its diagnostics say why.
``AllProvidersFailed`` on the first call does propagate: no provider answering is not a bad answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from reviewlab.ai.base import AllProvidersFailed, ChatRequest, Completion, Message, TaskKind
from reviewlab.ai.prompts import load_prompt
from reviewlab.ai.schemas import AIDiagnostic, AIDiagnosticKind, ItemsAnswer

A = TypeVar("A", bound=BaseModel)

MAX_ITEMS = 50  # items of one list answer kept; more is a model running away, not a review
_RETRY_ECHO = 2000  # characters of the unusable answer shown back to the model
_MAX_CUTS = 200  # truncation repairs tried, latest cut first
_CLOSERS = {"{": "}", "[": "]"}
_LITERALS = {"True": "true", "False": "false", "None": "null"}


class Completer(Protocol):
    """What the tasks call: ``reviewlab.ai.orchestrator.Orchestrator`` fits, and so does a test double."""

    def complete(
        self,
        task: TaskKind,
        request: ChatRequest,
        *,
        prompt_version: str,
        user: str | None = None,
        review: str | None = None,
    ) -> Completion:
        """Answer ``request``; raise ``AllProvidersFailed`` when no provider can."""
        ...


class RepairError(ValueError):
    """No JSON value could be recovered from an answer."""


@dataclass(slots=True)
class _Scan:
    """One pass over a candidate JSON text: the normalised output and where it may be cut."""

    out: list[str] = field(default_factory=list)
    size: int = 0  # characters in ``out``
    stack: list[str] = field(default_factory=list)
    cuts: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (size of out, open brackets)
    end: int | None = None  # index in the input just past the top-level value, when it closes
    notes: set[str] = field(default_factory=set)

    def emit(self, piece: str) -> None:
        self.out.append(piece)
        self.size += len(piece)

    def cut(self) -> None:
        """Remember that the output so far is a prefix that closing the open brackets turns into JSON."""
        self.cuts.append((self.size, tuple(self.stack)))


def _read_string(text: str, start: int) -> tuple[str, int, bool]:
    """The string literal opening at ``text[start]`` (either quote) as JSON, the index past it, and whether it
    was closed."""
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if quote == "'" and following == "'":
                chars.append("'")
            elif following in '"\\/bfnrtu':
                chars.append(char + following)
            else:
                chars.append(following)  # an escape JSON does not know: keep the character
            i += 2
            continue
        if char == quote:
            return '"' + "".join(chars) + '"', i + 1, True
        if char == '"':
            chars.append('\\"')
        elif char in "\n\r\t":
            chars.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        else:
            chars.append(char)
        i += 1
    return '"' + "".join(chars), i, False


def _scan(text: str, start: int) -> _Scan:
    """Normalise the JSON-ish value opening at ``text[start]`` into JSON, recording safe cut points."""
    scan = _Scan()
    i = start
    while i < len(text):
        char = text[i]
        if char in "\"'":
            literal, i, closed = _read_string(text, i)
            if char == "'":
                scan.notes.add("single-quoted strings")
            scan.emit(literal)
            if not closed:
                return scan
            continue
        if char in "{[":
            scan.stack.append(char)
            scan.emit(char)
        elif char in "}]":
            if not scan.stack:
                scan.end = i
                return scan
            scan.stack.pop()
            scan.emit(char)
            scan.cut()
            if not scan.stack:
                scan.end = i + 1
                return scan
        elif char == ",":
            j = i + 1
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
            if j < len(text) and text[j] in "}]":
                scan.notes.add("trailing commas")
            else:
                scan.cut()
                scan.emit(",")
        elif char == "/" and text.startswith("//", i):
            newline = text.find("\n", i)
            scan.notes.add("comments")
            i = len(text) if newline == -1 else newline
            continue
        elif char.isalpha():
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            following = text[j:].lstrip(" \t")
            if scan.stack and scan.stack[-1] == "{" and following.startswith(":"):
                scan.notes.add("unquoted keys")
                scan.emit(json.dumps(word))
            elif word in _LITERALS:
                scan.notes.add("Python literals")
                scan.emit(_LITERALS[word])
            else:
                scan.emit(word)
            i = j
            continue
        else:
            scan.emit(char)
        i += 1
    return scan


def _starts(text: str) -> list[int]:
    return [i for i, char in enumerate(text) if char in "{["][:20]


def _fenced(text: str) -> str | None:
    """The body of the first code fence that holds JSON-like text (an unclosed fence runs to the end)."""
    position = 0
    while (opening := text.find("```", position)) != -1:
        body_start = text.find("\n", opening)
        if body_start == -1:
            return None
        closing = text.find("```", body_start)
        body = text[body_start + 1 : closing if closing != -1 else len(text)]
        if "{" in body or "[" in body:
            return body
        if closing == -1:
            return None
        position = closing + 3
    return None


def extract_json(text: str) -> tuple[Any, list[str]]:
    """The JSON value in a model's answer, and the repairs it took (empty when it was clean JSON)."""
    stripped = text.strip()
    if not stripped:
        raise RepairError("the answer is empty")
    try:
        return json.loads(stripped), []
    except ValueError:
        pass
    notes: list[str] = []
    candidate = stripped
    body = _fenced(stripped)
    if body is not None:
        candidate = body
        notes.append("code fence")
    last_error = "no JSON object or array in the answer"
    scanned_to = 0
    for start in _starts(candidate):
        if start < scanned_to:  # inside a value already tried: a nested object is not the answer
            continue
        scan = _scan(candidate, start)
        scanned_to = scan.end or 0
        repairs = [*notes, *sorted(scan.notes)]
        if candidate[:start].strip():
            repairs.append("text before the JSON")
        normalised = "".join(scan.out)
        if scan.end is not None:
            if candidate[scan.end :].strip():
                repairs.append("text after the JSON")
            try:
                return json.loads(normalised), repairs
            except ValueError as err:
                last_error = f"invalid JSON: {err}"
                continue
        # Cutting between two elements of an array drops a half-written item rather than keeping half of it.
        cuts = scan.cuts[-_MAX_CUTS:]
        between_items = [cut for cut in cuts if cut[1] and cut[1][-1] == "["]
        for length, stack in [*reversed(between_items), *reversed(cuts)]:
            closed = normalised[:length] + "".join(_CLOSERS[b] for b in reversed(stack))
            try:
                value = json.loads(closed)
            except ValueError:
                continue
            return value, [*repairs, "answer cut off: kept its complete elements"]
        last_error = "the JSON is cut off before its first complete element"
    raise RepairError(last_error)


@dataclass(slots=True)
class Parsed(Generic[A]):
    """An answer checked against its model: the value, or why the answer cannot be used."""

    value: A | None
    error: str | None = None
    diagnostics: list[AIDiagnostic] = field(default_factory=list)


def describe_errors(err: ValidationError) -> str:
    """A validation error in one line, for a diagnostic and for the model on a retry."""
    parts: list[str] = []
    for item in err.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "answer"
        message = str(item["msg"]).removeprefix("Value error, ")
        shown = repr(item.get("input"))
        parts.append(f"{where}: {message}" + (f" (got {shown})" if len(shown) <= 60 else ""))
    return "; ".join(parts)


def _items_of(raw: Any, schema: type[ItemsAnswer]) -> tuple[list[Any] | None, str | None, list[str]]:
    """The list an items answer holds, the reason there is none, and how it was unwrapped."""
    key = schema.items_field
    raw = schema.coerce(raw)
    if isinstance(raw, list):
        return raw, None, [f"bare list instead of {{{key!r}: [...]}}"]
    if not isinstance(raw, dict):
        return None, f"expected a JSON object with a {key!r} list, got {type(raw).__name__}", []
    if key in raw:
        value = raw[key]
        if isinstance(value, list):
            return value, None, []
        if isinstance(value, dict):
            return [value], None, [f"{key!r} is one object, not a list"]
        if value is None:
            return [], None, []
        return None, f"{key!r} must be a list, got {type(value).__name__}", []
    lists = [name for name, value in raw.items() if isinstance(value, list)]
    if len(lists) == 1 and len(raw) <= 2:
        return raw[lists[0]], None, [f"list under {lists[0]!r} instead of {key!r}"]
    required = {name for name, info in schema.item_model.model_fields.items() if info.is_required()}
    if required and required <= raw.keys():
        return [raw], None, ["a single item instead of a list"]
    return None, f"no {key!r} list in the answer (keys: {sorted(raw)[:8]})", []


def parse_answer(
    text: str,
    schema: type[A],
    *,
    context: Mapping[str, Any] | None = None,
    path: str | None = None,
    max_items: int = MAX_ITEMS,
) -> Parsed[A]:
    """Repair and validate one answer. ``context`` reaches the validators (``first_line``/``last_line``)."""
    try:
        raw, repairs = extract_json(text)
    except RepairError as err:
        return Parsed(None, str(err))
    diagnostics: list[AIDiagnostic] = []
    if not issubclass(schema, ItemsAnswer):
        notes: list[str] = []
        try:
            value = schema.model_validate(raw, context={**(context or {}), "notes": notes})
        except ValidationError as err:
            return Parsed(None, describe_errors(err))
        if repairs:
            diagnostics.append(_diagnostic(AIDiagnosticKind.REPAIRED, f"answer repaired: {', '.join(repairs)}", path))
        diagnostics.extend(_diagnostic(AIDiagnosticKind.ADJUSTED_ITEM, note, path) for note in notes)
        return Parsed(value, None, diagnostics)
    items, problem, unwrapped = _items_of(raw, schema)
    if items is None:
        return Parsed(None, problem)
    repairs += unwrapped
    if repairs:
        diagnostics.append(_diagnostic(AIDiagnosticKind.REPAIRED, f"answer repaired: {', '.join(repairs)}", path))
    if len(items) > max_items:
        diagnostics.append(
            _diagnostic(AIDiagnosticKind.DROPPED_ITEM, f"{len(items) - max_items} items past {max_items} ignored", path)
        )
        items = items[:max_items]
    kept: list[BaseModel] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        notes = []
        try:
            valid = schema.item_model.model_validate(item, context={**(context or {}), "notes": notes})
        except ValidationError as err:
            errors.append(f"item {index}: {describe_errors(err)}")
            diagnostics.append(
                _diagnostic(AIDiagnosticKind.DROPPED_ITEM, f"item {index} dropped: {describe_errors(err)}", path)
            )
            continue
        kept.append(valid)
        diagnostics.extend(_diagnostic(AIDiagnosticKind.ADJUSTED_ITEM, f"item {index}: {note}", path) for note in notes)
    if items and not kept:
        return Parsed(None, "no item is valid: " + "; ".join(errors[:3]), diagnostics)
    return Parsed(schema.model_validate({schema.items_field: kept}), None, diagnostics)


def _diagnostic(kind: AIDiagnosticKind, message: str, path: str | None) -> AIDiagnostic:
    return AIDiagnostic(kind, message, path)


@dataclass(slots=True)
class Structured(Generic[A]):
    """The outcome of ``ask``: the valid answer or None, what happened, and every completion it took."""

    value: A | None
    diagnostics: list[AIDiagnostic] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)

    @property
    def completion(self) -> Completion | None:
        """The completion the value came from (the last one)."""
        return self.completions[-1] if self.completions else None


def structured_request(
    messages: tuple[Message, ...], schema: type[BaseModel], max_tokens: int, *, temperature: float = 0.0
) -> ChatRequest:
    """A request for a JSON answer matching ``schema``; deterministic (temperature 0) unless told otherwise."""
    return ChatRequest(
        messages=messages, max_tokens=max_tokens, json_schema=schema.model_json_schema(), temperature=temperature
    )


def ask(
    completer: Completer,
    task: TaskKind,
    request: ChatRequest,
    schema: type[A],
    *,
    prompt_version: str,
    context: Mapping[str, Any] | None = None,
    path: str | None = None,
    user: str | None = None,
    review: str | None = None,
) -> Structured[A]:
    """Ask for an answer matching ``schema``; on an unusable one ask once more with the reason."""
    first = completer.complete(task, request, prompt_version=prompt_version, user=user, review=review)
    parsed = parse_answer(first.text, schema, context=context, path=path)
    if parsed.value is not None:
        return Structured(parsed.value, parsed.diagnostics, [first])
    retry = load_prompt("retry")
    _, follow_up = retry.render(error=parsed.error or "unknown")
    again = replace(request, messages=(*request.messages, Message("assistant", first.text[:_RETRY_ECHO]), follow_up))
    diagnostics = [
        _diagnostic(AIDiagnosticKind.RETRIED, f"the answer could not be used ({parsed.error}); asked once more", path)
    ]
    try:
        second = completer.complete(
            task, again, prompt_version=f"{prompt_version}+{retry.ref}", user=user, review=review
        )
    except AllProvidersFailed as err:
        diagnostics.append(_diagnostic(AIDiagnosticKind.INVALID_ANSWER, f"no answer to the retry: {err}", path))
        return Structured(None, diagnostics, [first])
    reparsed = parse_answer(second.text, schema, context=context, path=path)
    diagnostics.extend(reparsed.diagnostics)
    if reparsed.value is None:
        diagnostics.append(
            _diagnostic(
                AIDiagnosticKind.INVALID_ANSWER,
                f"the answer to the retry could not be used either ({reparsed.error})",
                path,
            )
        )
    return Structured(reparsed.value, diagnostics, [first, second])
