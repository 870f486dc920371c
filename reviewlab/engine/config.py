"""Review configuration: what to review and which rules to run, from a project's ``.reviewlab.toml``.

[reviewlab]
max_file_size = 1048576          # bytes; larger files are skipped with a diagnostic
metrics = true                   # keep every file's and function's metrics with the review
exclude = ["migrations/", "*.min.js"]   # gitignore-style, on top of .gitignore
include = ["src/", "app/"]       # when set, only these paths (gitignore-style) are reviewed
select = ["PY-", "JS-S001"]      # rule ids or id prefixes to run (default: all)
ignore = ["PY-Q002"]             # rule ids or id prefixes not to run

[reviewlab.severity]             # report a rule (id or prefix) at another severity
"PY-Q002" = "high"
"JS-Q" = "info"

[reviewlab.rules.PY-Q003]        # per-rule options
max_complexity = 15

[reviewlab.gate]                 # the quality gate: its verdict sets the exit code and is in every report
fail_on = "high"                 # no finding at or above this severity
max_findings = 50
max_per_severity = { medium = 10 }
forbidden_rules = ["PY-Q003"]    # e.g. no function over the complexity limit
max_complexity = 20              # no function with a cyclomatic complexity over 20
max_cognitive = 30               # no function with a cognitive complexity over 30

[reviewlab.architecture]         # the module graph: god-module limits (0 turns one off) and layering rules
max_fan_out = 20
max_lines = 1000
[[reviewlab.architecture.layers]]
name = "domain"
paths = ["src/app/domain/"]
must_not_import = ["api"]
[[reviewlab.architecture.layers]]
name = "api"
paths = ["src/app/api/"]

[reviewlab.ai]                   # the AI orchestrator (docs/ai.md): chain, routing, prices, quotas, cache
chain = ["ollama", "huggingface"]
[reviewlab.ai.review]            # the AI review: reflection threshold, budgets
reflection_threshold = 6

[reviewlab.taint]                # the project's own sources and sanitisers, for the Python dataflow
sources = ["myapp.http.param", "myapp.context.raw_body"]   # calls or attributes whose value is client data
sanitizers = { sql = ["myapp.db.quote"], html = ["myapp.web.clean"], all = ["myapp.validate.strict"] }
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reviewlab.engine.architecture.config import ArchitectureConfig
from reviewlab.errors import ConfigError

if TYPE_CHECKING:
    from reviewlab.ai.config import AIConfig
    from reviewlab.ai.review import AIReviewConfig

DEFAULT_MAX_FILE_SIZE = 1024 * 1024
CONFIG_FILE_NAME = ".reviewlab.toml"


# Sink classes a project sanitiser can be declared for; ``all`` protects every sink.
SANITISER_CLASSES = frozenset(
    {"all", "path", "url", "shell", "html", "sql", "code", "ldap", "xpath", "xml", "deserialise", "header", "log"}
    | {"session"}
)


class TaintConfig(BaseModel):
    """A project's own sources and sanitisers: dotted names as the file imports them (``myapp.http.param``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: tuple[str, ...] = ()
    sanitizers: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("sources", mode="before")
    @classmethod
    def _source_strings(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("sanitizers")
    @classmethod
    def _known_classes(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = sorted(set(value) - SANITISER_CLASSES)
        if unknown:
            raise ValueError(f"unknown sink class(es) {', '.join(unknown)}; use {', '.join(sorted(SANITISER_CLASSES))}")
        return value


_SEVERITIES = ("critical", "high", "medium", "low", "info")


class GateConfig(BaseModel):
    """``[reviewlab.gate]``: the conditions of the quality gate (all optional; none configured = no gate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_on: str | None = None  # no finding at or above this severity
    max_findings: int | None = Field(default=None, ge=0)
    max_per_severity: dict[str, int] = Field(default_factory=dict)  # e.g. {"high": 0, "medium": 10}
    forbidden_rules: tuple[str, ...] = ()  # rule ids or prefixes that must not report (e.g. "PY-Q003")
    max_complexity: int | None = Field(default=None, ge=1)  # highest cyclomatic complexity of any function
    max_cognitive: int | None = Field(default=None, ge=0)  # highest cognitive complexity of any function

    @field_validator("fail_on")
    @classmethod
    def _severity(cls, value: str | None) -> str | None:
        if value is not None and value not in _SEVERITIES:
            raise ValueError(f"unknown severity {value!r}; use one of {', '.join(_SEVERITIES)}")
        return value

    @field_validator("max_per_severity")
    @classmethod
    def _severities(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(_SEVERITIES))
        if unknown:
            raise ValueError(f"unknown severity {', '.join(unknown)}; use {', '.join(_SEVERITIES)}")
        if any(limit < 0 for limit in value.values()):
            raise ValueError("limits must be 0 or more")
        return value

    @field_validator("forbidden_rules", mode="before")
    @classmethod
    def _rule_strings(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class ReviewConfig(BaseModel):
    """Validated review configuration. Unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_file_size: int = Field(default=DEFAULT_MAX_FILE_SIZE, gt=0)
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # gitignore-style patterns; when set, only matching files are reviewed
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    taint: TaintConfig = Field(default_factory=TaintConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
    architecture: ArchitectureConfig = Field(default_factory=ArchitectureConfig)
    # ``[reviewlab.ai]``: the orchestrator's table (``reviewlab.ai.config.AIConfig``) with the AI review's
    # options under ``[reviewlab.ai.review]`` (``reviewlab.ai.review.AIReviewConfig``); validated here, read by
    # ``ai_settings()``.
    ai: dict[str, Any] = Field(default_factory=dict)
    metrics: bool = True  # compute each file's metrics and store them with the review

    severity: dict[str, str] = Field(default_factory=dict)  # rule id or prefix -> severity reported

    @field_validator("severity")
    @classmethod
    def _severity_overrides(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({v for v in value.values() if v not in _SEVERITIES})
        if unknown:
            raise ValueError(f"unknown severity {', '.join(unknown)}; use {', '.join(_SEVERITIES)}")
        return value

    @field_validator("ai")
    @classmethod
    def _ai_tables(cls, value: dict[str, Any]) -> dict[str, Any]:
        from reviewlab.ai.config import AIConfig
        from reviewlab.ai.review import AIReviewConfig

        orchestrator = {key: table for key, table in value.items() if key != "review"}
        try:
            AIConfig.from_table(orchestrator)
            AIReviewConfig.from_table(value.get("review"))
        except ConfigError as err:
            raise ValueError(str(err)) from err
        return value

    def ai_settings(self) -> tuple[AIConfig, AIReviewConfig]:
        """The validated ``[reviewlab.ai]`` table: the orchestrator's configuration and the AI review's."""
        from reviewlab.ai.config import AIConfig
        from reviewlab.ai.review import AIReviewConfig

        orchestrator = {key: table for key, table in self.ai.items() if key != "review"}
        return AIConfig.from_table(orchestrator), AIReviewConfig.from_table(self.ai.get("review"))

    def severity_for(self, rule_id: str) -> str | None:
        """The severity the project wants ``rule_id`` reported at (the longest matching id or prefix), if any."""
        matches = [key for key in self.severity if rule_id.startswith(key)]
        return self.severity[max(matches, key=len)] if matches else None

    @field_validator("exclude", "include", "select", "ignore", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value

    def rule_enabled(self, rule_id: str) -> bool:
        if self.select and not any(rule_id.startswith(s) for s in self.select):
            return False
        return not any(rule_id.startswith(i) for i in self.ignore)


def load_config(path: Path) -> ReviewConfig:
    """Read and validate a configuration file; any problem is a ``ConfigError`` naming the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"config file not found: {path}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read config file {path}: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"invalid TOML in {path}: {err}") from err
    section = raw.get("reviewlab", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [reviewlab] must be a table")
    try:
        config = ReviewConfig.model_validate(section)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reviewlab'}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"invalid config {path}: {problems}") from err
    _check_rule_options(config, path)
    return config


def _check_rule_options(config: ReviewConfig, path: Path) -> None:
    from reviewlab.engine.rules import get_rule

    for rule_id, options in config.rules.items():
        rule = get_rule(rule_id)
        if rule is None:
            raise ConfigError(f"invalid config {path}: unknown rule {rule_id!r} in [reviewlab.rules]")
        unknown = set(options) - set(rule.options)
        if unknown:
            raise ConfigError(f"invalid config {path}: rule {rule_id} has no option(s) {', '.join(sorted(unknown))}")


def discover_config(root: Path) -> ReviewConfig:
    """The configuration in ``root/.reviewlab.toml`` if there is one, else the defaults."""
    candidate = root / CONFIG_FILE_NAME if root.is_dir() else root.parent / CONFIG_FILE_NAME
    if candidate.is_file():
        return load_config(candidate)
    return ReviewConfig()
