"""`[reviewlab.ai]` lives in the project's `.reviewlab.toml` beside the rest of its configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.engine.config import load_config
from reviewlab.errors import ConfigError


def test_the_orchestrator_and_review_tables_load_from_the_project_file(tmp_path: Path) -> None:
    config_file = tmp_path / ".reviewlab.toml"
    config_file.write_text(
        '[reviewlab.ai]\nchain = ["ollama", "openai"]\n'
        "[reviewlab.ai.quotas]\nper_user = { max_usd_per_day = 2.0 }\n"
        "[reviewlab.ai.review]\nreflection_threshold = 7\nmax_chunks = 5\n"
    )
    orchestrator, review = load_config(config_file).ai_settings()
    assert list(orchestrator.chain) == ["ollama", "openai"]
    assert (review.reflection_threshold, review.max_chunks) == (7.0, 5)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[reviewlab.ai]\nchain = ["olama"]\n', "unknown provider 'olama'"),
        ("[reviewlab.ai.review]\nreflection_threshold = 11\n", "reflection_threshold"),
        ("[reviewlab.ai.review]\nbudget = 3\n", "budget"),
    ],
)
def test_a_mistake_in_the_ai_tables_is_a_config_error_naming_it(tmp_path: Path, table: str, message: str) -> None:
    config_file = tmp_path / ".reviewlab.toml"
    config_file.write_text(table)
    with pytest.raises(ConfigError, match=message):
        load_config(config_file)
