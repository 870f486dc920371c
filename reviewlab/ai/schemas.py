"""What the model is asked to answer, as pydantic models, and the diagnostics the AI review reports.

Each answer model's ``model_json_schema()`` is the ``ChatRequest.json_schema`` of its task, and the same
model validates the answer. Validation is lenient where a model's wording varies (``"HIGH"``, ``"warning"``,
``"CWE-89"``, ``"7/10"``) and strict where a wrong value would mislead: a line outside the lines the
model was shown is an invalid item. Validators that adjust a value (clamp a score, truncate a message, drop
an unusable CWE) say so through the validation context: ``{"notes": [...]}`` collects one sentence per
adjustment, and ``{"first_line": a, "last_line": b}`` bounds the line numbers of the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

MAX_MESSAGE = 600  # characters of a finding's message or suggestion kept; an answer can be absurdly long
MAX_TEXT = 4000  # characters of an explanation, a summary or an answer kept
MAX_LIST = 30  # entries of a summary's lists kept
MAX_CWE = 9999

SeverityName = Literal["critical", "high", "medium", "low", "info"]
CategoryName = Literal["security", "quality", "performance", "architecture"]

_SEVERITY_WORDS = {
    "blocker": "critical",
    "severe": "high",
    "major": "high",
    "error": "high",
    "warning": "medium",
    "warn": "medium",
    "moderate": "medium",
    "minor": "low",
    "style": "low",
    "trivial": "info",
    "note": "info",
    "suggestion": "info",
    "information": "info",
    "informational": "info",
}
_CATEGORY_WORDS = {
    "vulnerability": "security",
    "bug": "quality",
    "correctness": "quality",
    "reliability": "quality",
    "maintainability": "quality",
    "readability": "quality",
    "style": "quality",
    "perf": "performance",
    "efficiency": "performance",
    "design": "architecture",
    "structure": "architecture",
}
_LINE_RANGE = re.compile(r"^\s*L?(\d+)\s*(?:[-–:]|\.\.)\s*L?(\d+)\s*$")
_LINE = re.compile(r"^\s*L?(\d+)\s*$")
_CWE = re.compile(r"^\s*(?:CWE[-\s:]*)?(\d{1,4})\s*$", re.IGNORECASE)
_SCORE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*10)?\s*$")


class AIDiagnosticKind(StrEnum):
    """What happened to an answer, an item of one, or an input."""

    REDACTED = "redacted"  # secrets were hidden from the text sent
    REPAIRED = "repaired"  # the answer's JSON needed repair (fences, prose, trailing commas, truncation)
    RETRIED = "retried"  # the answer could not be used; the model was asked once more with the error
    INVALID_ANSWER = "invalid-answer"  # no usable answer, even after the retry
    DROPPED_ITEM = "dropped-item"  # one item of an answer was invalid and left out
    ADJUSTED_ITEM = "adjusted-item"  # one item was kept with a value clamped, truncated or ignored
    LOW_SCORE = "low-score"  # self-reflection scored a suggestion below the threshold
    UNSCORED = "unscored"  # self-reflection did not score a suggestion; it is kept without a score
    REFLECTION_FAILED = "reflection-failed"  # the self-reflection call failed; suggestions kept unscored
    DUPLICATE = "duplicate"  # an AI finding already reported (by a static rule or another chunk)
    PATCH_REJECTED = "patch-rejected"  # a proposed patch does not apply or breaks the file
    TRUNCATED_INPUT = "truncated-input"  # part of an input was left out to fit the model's context
    UNAVAILABLE = "unavailable"  # no provider answered


@dataclass(frozen=True, slots=True)
class AIDiagnostic:
    """Something the user should know about the AI review that is not a finding."""

    kind: AIDiagnosticKind
    message: str
    path: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "path": self.path, "line": self.line}


def _note(info: ValidationInfo, message: str) -> None:
    if isinstance(info.context, dict) and isinstance(info.context.get("notes"), list):
        info.context["notes"].append(message)


def _bound(info: ValidationInfo, name: str) -> int | None:
    value = info.context.get(name) if isinstance(info.context, dict) else None
    return value if isinstance(value, int) else None


def _truncate(value: str, limit: int, what: str, info: ValidationInfo) -> str:
    if len(value) <= limit:
        return value
    _note(info, f"{what} truncated from {len(value)} to {limit} characters")
    return value[: limit - 1].rstrip() + "…"


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ItemsAnswer(_Answer):
    """An answer whose substance is a list of items, each validated on its own: an invalid item is dropped
    with a diagnostic and the valid ones kept (``structured.parse_answer``)."""

    items_field: ClassVar[str]
    item_model: ClassVar[type[BaseModel]]

    @classmethod
    def coerce(cls, raw: Any) -> Any:
        """Reshape a known variant of the answer before its list is looked for (by default, none)."""
        return raw


class ReviewItem(_Answer):
    """One problem the model found."""

    line: int = Field(ge=1, description="First line of the problem")
    end_line: int | None = Field(default=None, ge=1, description="Last line of the problem, if not the first")
    severity: SeverityName
    category: CategoryName
    cwe: int | None = Field(default=None, description="CWE number for a security problem")
    message: str = Field(min_length=1, description="What is wrong and why it matters")
    suggestion: str | None = Field(default=None, description="How to fix it")

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for alias in ("start_line", "line_number", "lineno"):
            if "line" not in data and alias in data:
                data["line"] = data.pop(alias)
        for alias in ("description", "issue", "title", "problem"):
            if "message" not in data and alias in data:
                data["message"] = data.pop(alias)
        for alias in ("fix", "recommendation", "remediation"):
            if "suggestion" not in data and alias in data:
                data["suggestion"] = data.pop(alias)
        line = data.get("line")
        if isinstance(line, str) and (match := _LINE_RANGE.match(line)):
            data["line"] = int(match.group(1))
            data.setdefault("end_line", int(match.group(2)))
        elif isinstance(line, str) and (match := _LINE.match(line)):
            data["line"] = int(match.group(1))
        return data

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = value.strip().lower()
            return _SEVERITY_WORDS.get(word, word)
        return value

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = value.strip().lower()
            return _CATEGORY_WORDS.get(word, word)
        return value

    @field_validator("cwe", mode="before")
    @classmethod
    def _cwe(cls, value: Any, info: ValidationInfo) -> int | None:
        if isinstance(value, list | tuple) and value:
            value = value[0]
        if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null", "n/a", "-"}):
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and (match := _CWE.match(value)):
            number = int(match.group(1))
        if number is None or not 1 <= number <= MAX_CWE:
            _note(info, f"CWE {value!r} is not a CWE number; ignored")
            return None
        return number

    @field_validator("message", "suggestion")
    @classmethod
    def _short(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return _truncate(" ".join(value.split()), MAX_MESSAGE, str(info.field_name), info) or None

    @model_validator(mode="after")
    def _within_lines(self, info: ValidationInfo) -> ReviewItem:
        first, last = _bound(info, "first_line"), _bound(info, "last_line")
        if (first is not None and self.line < first) or (last is not None and self.line > last):
            raise ValueError(f"line {self.line} is outside the lines the model was shown ({first}-{last})")
        if self.end_line is not None and self.end_line < self.line:
            _note(info, f"end_line {self.end_line} is before line {self.line}; set to {self.line}")
            self.end_line = self.line
        if self.end_line is not None and last is not None and self.end_line > last:
            _note(info, f"end_line {self.end_line} is past the last line shown; clamped to {last}")
            self.end_line = last
        return self


class ReviewAnswer(ItemsAnswer):
    """The answer of ``review_file`` and ``review_hunk``."""

    items_field: ClassVar[str] = "findings"
    item_model: ClassVar[type[BaseModel]] = ReviewItem

    findings: list[ReviewItem]


class ScoreItem(_Answer):
    """Self-reflection's judgement of one suggestion."""

    index: int = Field(ge=0, description="The suggestion's index")
    score: float = Field(description="0 (wrong or useless) to 10 (certainly correct and important)")
    reason: str = ""

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and (match := _SCORE.match(value)):
            value = float(match.group(1))
        if isinstance(value, int | float) and not isinstance(value, bool) and not 0 <= value <= 10:
            clamped = min(10.0, max(0.0, float(value)))
            _note(info, f"score {value} is outside 0-10; clamped to {clamped:g}")
            return clamped
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str, info: ValidationInfo) -> str:
        return _truncate(" ".join(value.split()), MAX_MESSAGE, "reason", info)


class ReflectionAnswer(ItemsAnswer):
    """The answer of ``reflect``."""

    items_field: ClassVar[str] = "scores"
    item_model: ClassVar[type[BaseModel]] = ScoreItem

    scores: list[ScoreItem]

    @classmethod
    def coerce(cls, raw: Any) -> Any:
        """``{"0": {"score": 7, "reason": "..."}, "1": 3}``: the index -> score form, as a list."""
        if isinstance(raw, dict) and isinstance(raw.get("scores"), dict):
            raw = raw["scores"]
        if isinstance(raw, dict) and raw and all(isinstance(k, str) and k.strip().isdigit() for k in raw):
            return {
                "scores": [
                    {"index": int(k), **v} if isinstance(v, dict) else {"index": int(k), "score": v}
                    for k, v in raw.items()
                ]
            }
        return raw


class ExplainAnswer(_Answer):
    """The answer of ``explain_finding``."""

    summary: str = Field(min_length=1)
    explanation: str = ""
    recommendation: str = ""

    @field_validator("summary", "explanation", "recommendation")
    @classmethod
    def _bounded(cls, value: str, info: ValidationInfo) -> str:
        return _truncate(value, MAX_TEXT, str(info.field_name), info)


class FixAnswer(_Answer):
    """The answer of ``propose_fix``: a unified diff, checked against the file before it is offered."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)  # a diff's leading space is context

    patch: str = Field(min_length=1, description="A unified diff of the file")
    explanation: str = ""

    @field_validator("patch")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the patch is empty")
        return value

    @field_validator("explanation")
    @classmethod
    def _bounded(cls, value: str, info: ValidationInfo) -> str:
        return _truncate(value.strip(), MAX_TEXT, "explanation", info)


class DiffSummaryAnswer(_Answer):
    """The answer of ``describe_diff``."""

    summary: str = Field(min_length=1)
    changes: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)

    @field_validator("summary")
    @classmethod
    def _bounded(cls, value: str, info: ValidationInfo) -> str:
        return _truncate(value, MAX_TEXT, "summary", info)

    @field_validator("changes", "risks", mode="before")
    @classmethod
    def _lines(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return value
        kept = [" ".join(item.split()) for item in value if isinstance(item, str) and item.strip()]
        if len(kept) != len(value):
            _note(info, f"{info.field_name}: {len(value) - len(kept)} entries that are not text ignored")
        if len(kept) > MAX_LIST:
            _note(info, f"{info.field_name}: {len(kept) - MAX_LIST} entries past {MAX_LIST} ignored")
        return [_truncate(item, MAX_MESSAGE, str(info.field_name), info) for item in kept[:MAX_LIST]]


class QuestionAnswer(_Answer):
    """The answer of ``answer_question``."""

    answer: str = Field(min_length=1)
    lines: list[int] = Field(default_factory=list, description="Line numbers the answer refers to")

    @field_validator("answer")
    @classmethod
    def _bounded(cls, value: str, info: ValidationInfo) -> str:
        return _truncate(value, MAX_TEXT, "answer", info)

    @field_validator("lines", mode="before")
    @classmethod
    def _shown_lines(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, list):
            return value
        first, last = _bound(info, "first_line") or 1, _bound(info, "last_line")
        kept: list[int] = []
        for item in value:
            number = int(item) if isinstance(item, int | str) and str(item).strip().isdigit() else None
            if number is None or number < first or (last is not None and number > last):
                _note(info, f"line reference {item!r} is not a line that was shown; ignored")
            elif number not in kept:
                kept.append(number)
        return kept
