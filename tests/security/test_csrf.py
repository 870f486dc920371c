"""Signed double-submit CSRF tokens: match, mismatch, another session, missing, forged; safe methods."""

from __future__ import annotations

import re

import pytest

from reviewlab.security.csrf import MAX_CSRF_CHARS, CsrfTokens, requires_csrf
from reviewlab.security.keys import derive_key
from reviewlab.settings import get_settings

SESSION = "family-1"


@pytest.fixture
def csrf() -> CsrfTokens:
    return CsrfTokens(derive_key(b"test-csrf-secret", "reviewlab/csrf/v1"))


def test_the_cookie_repeated_in_the_header_passes(csrf: CsrfTokens) -> None:
    token = csrf.generate(SESSION)
    assert csrf.verify(token, token, SESSION)


def test_tokens_are_random_and_url_safe(csrf: CsrfTokens) -> None:
    tokens = {csrf.generate(SESSION) for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_a_header_that_differs_from_the_cookie_fails(csrf: CsrfTokens) -> None:
    cookie, other = csrf.generate(SESSION), csrf.generate(SESSION)
    assert not csrf.verify(cookie, other, SESSION)  # both genuine, but not the same
    assert not csrf.verify(cookie, cookie[:-1], SESSION)


def test_a_token_of_another_session_fails(csrf: CsrfTokens) -> None:
    attackers = csrf.generate("attackers-family")
    assert not csrf.verify(attackers, attackers, SESSION)
    assert not csrf.verify(attackers, attackers, "")


@pytest.mark.parametrize(("cookie", "header"), [(None, "x"), ("x", None), (None, None), ("", ""), ("", "x")])
def test_a_missing_cookie_or_header_fails(csrf: CsrfTokens, cookie: str | None, header: str | None) -> None:
    real = csrf.generate(SESSION)
    assert not csrf.verify(cookie and real, header and real, SESSION)


@pytest.mark.parametrize("forged", ["abc", "abc.", ".abc", "abc.def", "a.b.c"])
def test_a_planted_unsigned_value_fails_even_when_repeated(csrf: CsrfTokens, forged: str) -> None:
    assert not csrf.verify(forged, forged, SESSION)


def test_a_token_signed_with_another_key_fails(csrf: CsrfTokens) -> None:
    stranger = CsrfTokens(derive_key(b"another secret", "reviewlab/csrf/v1"))
    token = stranger.generate(SESSION)
    assert not csrf.verify(token, token, SESSION)


def test_anonymous_tokens_for_the_login_form(csrf: CsrfTokens) -> None:
    anonymous = csrf.generate()
    assert csrf.verify(anonymous, anonymous, "")
    assert not csrf.verify(anonymous, anonymous, SESSION)


@pytest.mark.parametrize("header", ["ü" * 10, "\ud800", "tok\x00en", "x" * (MAX_CSRF_CHARS + 1)])
def test_odd_headers_fail_without_raising(csrf: CsrfTokens, header: str) -> None:
    assert not csrf.verify(csrf.generate(SESSION), header, SESSION)
    assert not csrf.verify(header, header, SESSION)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CsrfTokens(b"short")


def test_from_settings_is_stable_across_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    token = CsrfTokens.from_settings(get_settings()).generate(SESSION)
    assert CsrfTokens.from_settings(get_settings()).verify(token, token, SESSION)
    monkeypatch.setenv("CSRF_SECRET_KEY", "d" * 40)
    get_settings.cache_clear()
    assert not CsrfTokens.from_settings(get_settings()).verify(token, token, SESSION)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post", "Delete", "PROPFIND", "CONNECT"])
def test_state_changing_and_unknown_methods_require_csrf(method: str) -> None:
    assert requires_csrf(method)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "TRACE", "get"])
def test_safe_methods_do_not(method: str) -> None:
    assert not requires_csrf(method)
