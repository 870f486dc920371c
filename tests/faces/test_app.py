"""The Streamlit face's configuration (its pages are tested against a live API in ``tests/app``)."""

from __future__ import annotations

import tomllib

from tests.faces.conftest import REPO_ROOT


def test_usage_statistics_are_off() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))

    assert config["browser"]["gatherUsageStats"] is False
