"""Fixtures: a sample review (the SARIF schema fixtures live in the root conftest)."""

from __future__ import annotations

import pytest

from reviewlab.engine.model import ReviewResult

from .builders import sample_review


@pytest.fixture
def review() -> ReviewResult:
    """A review with fixed and unfixed findings, CWE and none, unicode, spaces in paths, and diagnostics."""
    return sample_review()
