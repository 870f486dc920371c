"""Key material: HKDF against RFC 5869's vectors, per-purpose subkeys, secrets from the settings."""

from __future__ import annotations

import stat

import pytest

from reviewlab.errors import SettingsError
from reviewlab.security.keys import derive_key, hkdf_sha256, settings_secret
from reviewlab.settings import Environment, Settings, get_settings


def test_hkdf_rfc5869_case_1() -> None:
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22),
        salt=bytes.fromhex("000102030405060708090a0b0c"),
        info=bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        length=42,
    )
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_hkdf_rfc5869_case_3_without_salt_or_info() -> None:
    okm = hkdf_sha256(bytes.fromhex("0b" * 22), info=b"", length=42)
    assert okm.hex() == ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")


def test_hkdf_length_bounds() -> None:
    assert len(hkdf_sha256(b"k", info=b"", length=255 * 32)) == 255 * 32
    for length in (0, 255 * 32 + 1):
        with pytest.raises(ValueError, match="HKDF-SHA256 can derive"):
            hkdf_sha256(b"k", info=b"", length=length)


def test_every_purpose_gets_its_own_key() -> None:
    secret = b"one configured secret"
    keys = {derive_key(secret, label) for label in ("reviewlab/jwt/v1", "reviewlab/csrf/v1", "reviewlab/x/v1")}
    assert len(keys) == 3
    assert derive_key(secret, "reviewlab/jwt/v1") == derive_key(secret, "reviewlab/jwt/v1")
    assert secret not in keys
    with pytest.raises(ValueError, match="empty secret"):
        derive_key(b"", "reviewlab/jwt/v1")


def test_a_configured_secret_is_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    assert settings_secret(get_settings(), "csrf_secret_key") == b"c" * 40


def test_development_creates_one_private_secret_per_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("CSRF_SECRET_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    settings = get_settings()
    jwt_secret = settings_secret(settings, "jwt_secret_key")
    assert settings_secret(settings, "jwt_secret_key") == jwt_secret
    assert settings_secret(settings, "csrf_secret_key") != jwt_secret
    assert len(jwt_secret) >= 64
    path = settings.reviewlab_home / "secrets" / "jwt_secret_key.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tmp-")] == []


def test_an_emptied_development_secret_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    settings = get_settings()
    settings_secret(settings, "jwt_secret_key")
    (settings.reviewlab_home / "secrets" / "jwt_secret_key.key").write_text("")
    with pytest.raises(SettingsError, match="is empty"):
        settings_secret(settings, "jwt_secret_key")


def test_outside_development_an_unset_secret_is_an_error() -> None:
    # The settings object refuses this already; model_construct skips its validation to reach the guard.
    settings = Settings.model_construct(environment=Environment.PRODUCTION)
    with pytest.raises(SettingsError, match="JWT_SECRET_KEY must be set"):
        settings_secret(settings, "jwt_secret_key")
