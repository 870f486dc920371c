"""`.env.example`: every setting, each documented with its default, secrets as placeholders the settings refuse."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reviewlab.settings import PLACEHOLDER_SECRETS, Settings
from tests.deploy._files import ASSIGNMENT, ROOT, env_example_lines, env_example_values, variables_used

SECRETS = ("JWT_SECRET_KEY", "CSRF_SECRET_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD")
SETTINGS = {name.upper() for name in Settings.model_fields}


def _assignments() -> list[tuple[int, str]]:
    return [(number, m["name"]) for number, line in enumerate(env_example_lines()) if (m := ASSIGNMENT.match(line))]


def test_every_setting_appears() -> None:
    names = {name for _, name in _assignments()}
    assert SETTINGS - names == set()


def test_no_variable_is_assigned_twice() -> None:
    names = [name for _, name in _assignments()]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_every_assignment_is_documented_with_its_default() -> None:
    lines = env_example_lines()
    undocumented = []
    for number, name in _assignments():
        above = lines[number - 1] if number else ""
        if (
            not above.startswith("# ")
            or ASSIGNMENT.match(above)
            or not any(w in above for w in ("Default", "Required"))
        ):
            undocumented.append(name)
    assert undocumented == []


def test_every_compose_variable_is_defined() -> None:
    used = variables_used((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert used - set(env_example_values()) == set()


@pytest.mark.parametrize("name", SECRETS)
def test_secrets_are_placeholders(name: str) -> None:
    assert env_example_values()[name].strip().lower() in PLACEHOLDER_SECRETS


def _settings(monkeypatch: pytest.MonkeyPatch, **overrides: str) -> Settings:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    values = {k: v for k, v in env_example_values().items() if k in SETTINGS}
    for name, value in {**values, **overrides}.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_the_example_is_valid_development_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    assert settings.environment == "development"
    assert settings.reviewlab_cookie_secure
    assert settings.mlflow_tracking_uri == "http://mlflow:5000"


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_placeholders_are_refused_outside_development(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET_KEY"):
        _settings(monkeypatch, ENVIRONMENT=environment)
