"""The one settings object: Appendix B's variable names, embedded defaults, refused placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.errors import SettingsError
from reviewlab.settings import Environment, get_settings


def test_embedded_defaults(tmp_path: Path) -> None:
    settings = get_settings()
    home = settings.reviewlab_home
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.sqlalchemy_url == f"sqlite:///{home / 'reviewlab.db'}"
    assert settings.cache_dir == home / "cache"
    assert settings.redis_url is None
    assert settings.ollama_host == "http://localhost:11434"


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("postgresql://u:p@db:5432/reviewlab", "postgresql+psycopg://u:p@db:5432/reviewlab"),
        ("postgres://u@db/reviewlab", "postgresql+psycopg://u@db/reviewlab"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("sqlite:////srv/reviewlab.db", "sqlite:////srv/reviewlab.db"),
    ],
)
def test_database_url(monkeypatch: pytest.MonkeyPatch, database_url: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert get_settings().sqlalchemy_url == expected


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdef")
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    settings = get_settings()
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test-abcdef"
    assert "sk-test-abcdef" not in repr(settings)
    assert "j" * 40 not in str(settings.model_dump())


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize("secret", ["", "your-secret-key", "changethis", "short-but-real"])
def test_placeholder_secrets_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, environment: str, secret: str
) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("JWT_SECRET_KEY", secret)
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    with pytest.raises(SettingsError, match="JWT_SECRET_KEY must be set"):
        get_settings()


def test_real_secrets_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", "a" * 40)
    monkeypatch.setenv("CSRF_SECRET_KEY", "b" * 40)
    monkeypatch.setenv("DEBUG", "false")
    assert get_settings().environment is Environment.PRODUCTION


def test_invalid_environment_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "prod")
    with pytest.raises(SettingsError, match="invalid settings"):
        get_settings()


def test_insecure_cookies_only_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWLAB_COOKIE_SECURE", "false")
    assert get_settings().reviewlab_cookie_secure is False  # development: plain http on a laptop
    get_settings.cache_clear()
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)

    with pytest.raises(SettingsError, match="REVIEWLAB_COOKIE_SECURE=false is for plain-http development only"):
        get_settings()


def test_the_queue_follows_redis_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().queue_backend == "inprocess"
    get_settings.cache_clear()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert get_settings().queue_backend == "celery"
    get_settings.cache_clear()
    monkeypatch.setenv("REVIEWLAB_QUEUE", "inprocess")
    assert get_settings().queue_backend == "inprocess"
