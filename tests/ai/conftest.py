"""Fixtures of the AI tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ai.wire import Closing


@pytest.fixture
def closing() -> Iterator[Closing]:
    """``closing(provider)`` is ``provider``, closed after the test (its pooled connections with it)."""
    made: list[Any] = []

    def close_later(provider: Any) -> Any:
        made.append(provider)
        return provider

    yield close_later
    for provider in made:
        provider.close()
