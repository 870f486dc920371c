"""Candidate review configurations ("models" of the lifecycle): validated YAML files in ``experiments/candidates``.

A candidate is everything that decides what a review reports: the rule pack (its version, which rules run,
their options and severities) and, optionally, the model that reviews after the rules (provider, model name,
prompt version, generation parameters and the self-reflection threshold). A candidate without ``ai`` is
static-only and runs with no model server at all::

    name: llm-codellama
    description: codellama on Ollama after the default rules
    rule_pack:
      version: null              # the rule pack version it was tuned on (null: whatever is installed)
      select: []                 # rule ids or prefixes; empty: every rule
      ignore: []
      rules: {PY-Q003: {max_complexity: 8}}
      severity: {PY-Q: low}
    ai:
      provider: ollama           # ollama | huggingface | openai | anthropic
      model: codellama:7b
      prompt_version: 1          # of the review_file / review_hunk prompts
      temperature: 0.0
      max_answer_tokens: 1024
      context_tokens: 8192
      reflection_threshold: 6    # self-reflection scores 0-10; lower-scored findings are dropped
      tasks: [review, reflect]

Its identity is ``config_hash``: a digest of the validated content (name and description excluded), so two
files with the same settings are one configuration and an edited file is a new one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reviewlab.ai.base import TaskKind
from reviewlab.engine.config import ReviewConfig
from reviewlab.errors import ConfigError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
MAX_CANDIDATE_BYTES = 64 * 1024


class RulePack(BaseModel):
    """Which rules run and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    severity: dict[str, str] = Field(default_factory=dict)


class ModelSpec(BaseModel):
    """The model that reviews after the rules, and how it is asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["ollama", "huggingface", "openai", "anthropic"]
    model: str = Field(min_length=1, max_length=200)
    prompt_version: int = Field(default=1, ge=1)
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_answer_tokens: int = Field(default=1024, ge=64)
    context_tokens: int = Field(default=8192, ge=512)
    reflection_threshold: float = Field(default=6.0, ge=0, le=10)
    tasks: tuple[Literal["review", "reflect"], ...] = ("review", "reflect")
    timeout_s: float = Field(default=60.0, gt=0, le=600)

    @field_validator("tasks")
    @classmethod
    def _reviews(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "review" not in value:
            raise ValueError("a model configuration must include the review task")
        return value


class Candidate(BaseModel):
    """One review configuration; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    rule_pack: RulePack = Field(default_factory=RulePack)
    ai: ModelSpec | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("a name is 1-63 lowercase letters, digits, dots, dashes or underscores")
        return value

    @model_validator(mode="after")
    def _valid_review_config(self) -> Candidate:
        try:
            self.review_config()
        except ConfigError as err:
            raise ValueError(str(err)) from err
        return self

    @property
    def kind(self) -> Literal["static", "llm"]:
        return "static" if self.ai is None else "llm"

    @property
    def config_hash(self) -> str:
        """16 hex digits over the settings (not the name or description)."""
        settings = self.model_dump(mode="json", exclude={"name", "description"})
        canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def settings(self) -> dict[str, Any]:
        """The configuration as plain data (what the store and MLflow keep)."""
        return self.model_dump(mode="json")

    def params(self) -> dict[str, str]:
        """Flat ``key -> value`` parameters for experiment tracking."""
        flat: dict[str, str] = {"kind": self.kind, "config_hash": self.config_hash}
        _flatten(self.model_dump(mode="json", exclude={"description"}), "", flat)
        return flat

    def review_config(self) -> ReviewConfig:
        """The engine configuration this candidate reviews with (``ConfigError`` when it is not valid)."""
        pack = self.rule_pack
        if pack.version is not None:
            from reviewlab.engine.packversion import rule_pack_version

            installed = rule_pack_version()
            if pack.version.split("+")[0] != installed.split("+")[0]:
                raise ConfigError(f"rule_pack.version {pack.version} does not match the installed {installed}")
        table: dict[str, Any] = {
            "select": list(pack.select),
            "ignore": list(pack.ignore),
            "rules": pack.rules,
            "severity": pack.severity,
        }
        if self.ai is not None:
            ai = self.ai
            table["ai"] = {
                "chain": [ai.provider],
                "providers": {ai.provider: {"enabled": True, "timeout_s": ai.timeout_s, "default_model": ai.model}},
                "routing": {ai.provider: dict.fromkeys(_TASKS, ai.model)},
                "review": {
                    "tasks": list(ai.tasks),
                    "reflection_threshold": ai.reflection_threshold,
                    "context_tokens": ai.context_tokens,
                    "max_answer_tokens": ai.max_answer_tokens,
                    "prompt_version": ai.prompt_version,
                    "temperature": ai.temperature,
                },
            }
        return review_config_from(table, source="rule_pack")


_TASKS = tuple(kind.value for kind in TaskKind)


def review_config_from(table: dict[str, Any], *, source: str) -> ReviewConfig:
    """Validate a ``[reviewlab]`` table (rule ids and options included) into a ``ReviewConfig``."""
    from reviewlab.engine.rules import get_rule

    try:
        config = ReviewConfig.model_validate(table)
    except ValidationError as err:
        raise ConfigError(f"{source}: {_problems(err)}") from err
    for rule_id, options in config.rules.items():
        rule = get_rule(rule_id)
        if rule is None:
            raise ConfigError(f"{source}: unknown rule {rule_id!r} in rule_pack.rules")
        unknown = set(options) - set(rule.options)
        if unknown:
            raise ConfigError(f"{source}: rule {rule_id} has no option(s) {', '.join(sorted(unknown))}")
    return config


def _problems(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'candidate'}: {str(e['msg']).removeprefix('Value error, ')}"
        for e in err.errors(include_url=False)
    )


def _flatten(value: Any, prefix: str, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        if not value and prefix:
            into[prefix] = "{}"
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list | tuple):
        into[prefix] = ",".join(str(v) for v in value)
    else:
        into[prefix] = "null" if value is None else str(value)


def parse_candidate(text: str, *, source: str) -> Candidate:
    """A candidate from YAML text; every problem is one ``ConfigError`` naming ``source``."""
    if len(text.encode()) > MAX_CANDIDATE_BYTES:
        raise ConfigError(f"{source}: a candidate file is at most {MAX_CANDIDATE_BYTES} bytes")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: invalid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a candidate is a YAML mapping")
    try:
        return Candidate.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{source}: {_problems(err)}") from err


def load_candidate(path: Path) -> Candidate:
    """Read and validate one candidate file; its ``name`` must equal the file's stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read candidate {path}: {err}") from err
    candidate = parse_candidate(text, source=str(path))
    if candidate.name != path.stem:
        raise ConfigError(f"{path}: name {candidate.name!r} must equal the file name {path.stem!r}")
    return candidate


def load_candidates(directory: Path) -> list[Candidate]:
    """Every ``*.yaml`` candidate of ``directory``, by name; names and settings must be unique."""
    if not directory.is_dir():
        raise ConfigError(f"no candidates directory at {directory}")
    return unique(load_candidate(path) for path in sorted(directory.glob("*.yaml")))


def unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    """``candidates`` sorted by name; two with the same name, or the same settings, are a ``ConfigError``."""
    by_name: dict[str, Candidate] = {}
    by_hash: dict[str, str] = {}
    for candidate in candidates:
        if candidate.name in by_name:
            raise ConfigError(f"two candidates are named {candidate.name!r}")
        twin = by_hash.get(candidate.config_hash)
        if twin is not None:
            raise ConfigError(f"candidates {twin!r} and {candidate.name!r} have the same settings")
        by_name[candidate.name] = candidate
        by_hash[candidate.config_hash] = candidate.name
    return [by_name[name] for name in sorted(by_name)]
