"""Events fixtures: every test gets a fresh in-process bus as the process's default (no REDIS_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reviewlab.events.bus import InProcessBus, set_default_bus


@pytest.fixture(autouse=True)
def fresh_bus() -> Iterator[InProcessBus]:
    bus = InProcessBus()
    set_default_bus(bus)
    yield bus
    set_default_bus(None)
