"""Fixtures: the official SARIF schema (skipped locally when missing, failing under CI) and a sample review."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reviewlab.engine.model import ReviewResult

from .builders import sample_review

DEFAULT_SCHEMA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="session")
def sarif_schema_path() -> Path:
    """The SARIF 2.1.0 schema: $REVIEWLAB_SARIF_SCHEMA, else shared/ beside the repository."""
    override = os.environ.get("REVIEWLAB_SARIF_SCHEMA")
    path = Path(override) if override else DEFAULT_SCHEMA
    if not path.is_file():
        message = f"SARIF schema not found at {path}; set REVIEWLAB_SARIF_SCHEMA to its path"
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def sarif_schema(sarif_schema_path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(sarif_schema_path.read_text(encoding="utf-8"))
    return schema


@pytest.fixture
def review() -> ReviewResult:
    """A review with fixed and unfixed findings, CWE and none, unicode, spaces in paths, and diagnostics."""
    return sample_review()
