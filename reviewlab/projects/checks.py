"""Checks of what callers hand the projects library: project fields, commits, quality gates, page bounds."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from reviewlab.engine.config import GateConfig
from reviewlab.projects.errors import InvalidPolicy, InvalidProject

MAX_NAME_LENGTH = 200
MAX_BRANCH_LENGTH = 255
MAX_REPO_URL_LENGTH = 2048
MAX_REF_LENGTH = 255
EDITABLE_FIELDS = frozenset({"name", "description", "repo_url", "default_branch"})
COMMIT = re.compile(r"[0-9a-f]{40}")


def _text(value: str | None, field: str, max_length: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > max_length:
        raise InvalidProject(f"a project {field} has 1 to {max_length} characters")
    return value


def optional_text(value: str | None, field: str, max_length: int | None = None) -> str | None:
    """``value`` trimmed, None when blank; :class:`InvalidProject` if it is longer than ``max_length``."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise InvalidProject(f"a project {field} has at most {max_length} characters")
    return value


def checked_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` of a project, trimmed and checked; :class:`InvalidProject` names the first bad one."""
    unknown = sorted(set(fields) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidProject(f"cannot change {', '.join(unknown)}; editable: {', '.join(sorted(EDITABLE_FIELDS))}")
    checks: dict[str, Callable[[Any], Any]] = {
        "name": lambda value: _text(value, "name", MAX_NAME_LENGTH),
        "default_branch": lambda value: _text(value, "default branch", MAX_BRANCH_LENGTH),
        "description": lambda value: optional_text(value, "description"),
        "repo_url": lambda value: optional_text(value, "repository URL", MAX_REPO_URL_LENGTH),
    }
    return {field: checks[field](value) for field, value in fields.items()}


def checked_gate(gate: Mapping[str, Any]) -> GateConfig:
    """``gate`` as the engine's quality gate options; :class:`InvalidPolicy` lists every problem."""
    try:
        return GateConfig.model_validate(dict(gate))
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'gate'}: {error['msg']}" for error in err.errors()
        )
        raise InvalidPolicy(f"invalid quality gate: {problems}") from None


def page_bounds(limit: int, offset: int) -> None:
    """Refuse a negative ``limit`` or ``offset`` (a programming error, hence ``ValueError``)."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")


def checked_commit(commit: str | None) -> str | None:
    """``commit`` lower-cased if it is a full 40-digit hex commit id; :class:`InvalidProject` otherwise."""
    if commit is None:
        return None
    commit = commit.strip().lower()
    if not COMMIT.fullmatch(commit):
        raise InvalidProject(f"a commit is 40 hexadecimal digits, not {commit!r}")
    return commit
