"""Review configuration: what to review and which rules to run, from a project's ``.reviewlab.toml``.

[reviewlab]
max_file_size = 1048576          # bytes; larger files are skipped with a diagnostic
exclude = ["migrations/", "*.min.js"]   # gitignore-style, on top of .gitignore
select = ["PY-", "JS-S001"]      # rule ids or id prefixes to run (default: all)
ignore = ["PY-Q002"]             # rule ids or id prefixes not to run

[reviewlab.rules.PY-Q003]        # per-rule options
max_complexity = 15
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reviewlab.errors import ConfigError

DEFAULT_MAX_FILE_SIZE = 1024 * 1024
CONFIG_FILE_NAME = ".reviewlab.toml"


class ReviewConfig(BaseModel):
    """Validated review configuration. Unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_file_size: int = Field(default=DEFAULT_MAX_FILE_SIZE, gt=0)
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("exclude", "select", "ignore", mode="before")
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
