"""The session cookies' attributes, and the refusal of insecure cookies outside development."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reviewlab.errors import SettingsError
from reviewlab.security.cookies import CookieSpec, cookie_policy, cookie_policy_from_settings
from reviewlab.security.tokens import TokenConfig
from reviewlab.settings import Environment, get_settings


def test_the_production_cookies_exactly() -> None:
    policy = cookie_policy(Environment.PRODUCTION)
    assert policy.access == CookieSpec(
        "access_token", httponly=True, secure=True, samesite="lax", path="/", max_age=900
    )
    assert policy.refresh == CookieSpec(
        "refresh_token", httponly=True, secure=True, samesite="lax", path="/api/auth", max_age=7 * 24 * 3600
    )
    assert policy.csrf == CookieSpec(
        "csrf_token", httponly=False, secure=True, samesite="lax", path="/", max_age=7 * 24 * 3600
    )


def test_only_the_csrf_cookie_is_readable_by_scripts() -> None:
    policy = cookie_policy(Environment.STAGING)
    assert [spec.name for spec in policy.all() if not spec.httponly] == ["csrf_token"]
    assert all(spec.secure and spec.samesite == "lax" for spec in policy.all())


def test_insecure_cookies_for_plain_http_development() -> None:
    policy = cookie_policy(Environment.DEVELOPMENT, secure=False)
    assert not any(spec.secure for spec in policy.all())
    assert policy.access.httponly  # everything else is unchanged


@pytest.mark.parametrize("environment", [Environment.STAGING, Environment.PRODUCTION])
def test_insecure_cookies_are_refused_outside_development(environment: Environment) -> None:
    with pytest.raises(SettingsError, match="only when ENVIRONMENT=development"):
        cookie_policy(environment, secure=False)


def test_from_settings_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    assert not cookie_policy_from_settings(get_settings(), secure=False).access.secure
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    get_settings.cache_clear()
    assert cookie_policy_from_settings(get_settings()).access.secure
    with pytest.raises(SettingsError):
        cookie_policy_from_settings(get_settings(), secure=False)


def test_lifetimes_follow_the_token_configuration() -> None:
    config = TokenConfig(access_ttl=timedelta(minutes=5), refresh_ttl=timedelta(days=1))
    policy = cookie_policy_from_settings(get_settings(), tokens=config, refresh_path="/auth")
    assert (policy.access.max_age, policy.refresh.max_age, policy.csrf.max_age) == (300, 86400, 86400)
    assert policy.refresh.path == "/auth"
    with pytest.raises(ValueError, match="must start with '/'"):
        cookie_policy(Environment.DEVELOPMENT, refresh_path="api/auth")


def test_set_and_clear_arguments_fit_starlette() -> None:
    responses = pytest.importorskip("starlette.responses")
    policy = cookie_policy(Environment.PRODUCTION)
    response = responses.Response()
    response.set_cookie(**policy.refresh.set_args("token-value"))
    response.set_cookie(**policy.csrf.clear_args())
    refresh, cleared = response.headers.getlist("set-cookie")
    assert refresh == "refresh_token=token-value; HttpOnly; Max-Age=604800; Path=/api/auth; SameSite=lax; Secure"
    assert cleared == 'csrf_token=""; Max-Age=0; Path=/; SameSite=lax; Secure'
