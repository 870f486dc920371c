"""Argon2id hashing: parameters, verification, malformed hashes, rehash, equal-time login, policy."""

from __future__ import annotations

import logging
import statistics
import time

import pytest
from argon2 import PasswordHasher, Type

from reviewlab.errors import InputError
from reviewlab.security.errors import PasswordPolicyError
from reviewlab.security.passwords import (
    DEFAULT_PARAMETERS,
    MAX_PASSWORD_BYTES,
    Argon2Parameters,
    Passwords,
    check_login,
    default_passwords,
    hash_password,
    needs_rehash,
    password_problems,
    validate_password,
    verify_password,
)

FAST = Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def fast() -> Passwords:
    return Passwords(FAST)


def test_default_parameters_are_owasps_argon2id_minimum() -> None:
    assert Argon2Parameters(time_cost=2, memory_cost_kib=19456, parallelism=1) == DEFAULT_PARAMETERS
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not needs_rehash(stored)


def test_hashes_are_salted(fast: Passwords) -> None:
    first, second = fast.hash(PASSWORD), fast.hash(PASSWORD)
    assert first != second
    assert fast.verify(first, PASSWORD)
    assert fast.verify(second, PASSWORD)


def test_unicode_passwords_round_trip(fast: Passwords) -> None:
    password = "pässwörd-ĉu-🔑-ok"
    assert fast.verify(fast.hash(password), password)
    assert not fast.verify(fast.hash(password), password.upper())


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",  # truncated
        "$argon2id$v=19$m=64,t=1,p=1$!!!$!!!",  # not base64
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$c2FsdHNhbHQ",  # salt too short
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHQ",  # memory cost too small
        "$argon2id$v=19$m=ü,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHQ",  # not ASCII
    ],
)
def test_a_malformed_hash_is_a_logged_mismatch_never_an_error(
    fast: Passwords, stored: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="reviewlab.security.passwords"):
        assert fast.verify(stored, PASSWORD) is False
        assert fast.needs_rehash(stored) is True
    assert caplog.records
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)


def test_rehash_when_the_parameters_change(fast: Passwords) -> None:
    stored = fast.hash(PASSWORD)
    assert not fast.needs_rehash(stored)
    stronger = Passwords(Argon2Parameters(time_cost=2, memory_cost_kib=128, parallelism=1))
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, PASSWORD)  # old hashes still verify after the change


def test_rehash_when_the_argon2_type_differs(fast: Passwords) -> None:
    argon2i = PasswordHasher(time_cost=FAST.time_cost, memory_cost=FAST.memory_cost_kib, parallelism=1, type=Type.I)
    stored = argon2i.hash(PASSWORD)
    assert fast.verify(stored, PASSWORD)
    assert fast.needs_rehash(stored)


def test_login_check_returns_a_new_hash_only_for_outdated_parameters(fast: Passwords) -> None:
    old = Passwords(Argon2Parameters(time_cost=2, memory_cost_kib=64, parallelism=1)).hash(PASSWORD)

    upgraded = fast.check(old, PASSWORD)
    assert upgraded.ok
    assert upgraded.new_hash is not None
    assert not fast.needs_rehash(upgraded.new_hash)
    assert fast.verify(upgraded.new_hash, PASSWORD)

    current = fast.check(upgraded.new_hash, PASSWORD)
    assert current.ok
    assert current.new_hash is None

    wrong = fast.check(old, "not the password at all")
    assert not wrong.ok
    assert wrong.new_hash is None

    missing = fast.check(None, PASSWORD)
    assert not missing.ok
    assert missing.new_hash is None


def test_over_long_passwords_are_never_hashed(fast: Passwords) -> None:
    huge = "x" * (MAX_PASSWORD_BYTES + 1)
    with pytest.raises(PasswordPolicyError, match="at most 1024 bytes"):
        fast.hash(huge)
    stored = fast.hash("x" * MAX_PASSWORD_BYTES)  # the limit itself is fine
    assert fast.verify(stored, "x" * MAX_PASSWORD_BYTES)
    assert not fast.verify(stored, huge)


def test_lone_surrogates_are_refused_not_crashed_on(fast: Passwords) -> None:
    bad = "abcdefghijkl\ud800"
    with pytest.raises(PasswordPolicyError, match="valid Unicode"):
        fast.hash(bad)
    assert not fast.verify(fast.hash(PASSWORD), bad)
    assert "must be valid Unicode text" in password_problems(bad)


def test_login_takes_the_same_time_whether_the_account_exists_or_not() -> None:
    """Medians of 20 interleaved runs of both paths, with the real parameters, within 30%."""
    passwords = default_passwords()
    stored = passwords.hash(PASSWORD)
    passwords.check(stored, "warm-up attempt")
    passwords.check(None, "warm-up attempt")

    existing: list[float] = []
    missing: list[float] = []
    for attempt in range(20):
        guess = f"wrong guess number {attempt}"
        started = time.perf_counter()
        assert not check_login(stored, guess).ok
        existing.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert not check_login(None, guess).ok
        missing.append(time.perf_counter() - started)

    existing_median, missing_median = statistics.median(existing), statistics.median(missing)
    assert abs(existing_median - missing_median) <= 0.3 * max(existing_median, missing_median), (
        existing_median,
        missing_median,
    )
    # Both paths really ran Argon2 with 19 MiB: far slower than a dictionary lookup.
    assert min(existing_median, missing_median) > 0.002


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "at least 12 characters"),
        ("elevenchars", "at least 12 characters"),
        (" " * 12, "only of whitespace"),
        ("\t\n " * 5, "only of whitespace"),
        ("a" * (MAX_PASSWORD_BYTES + 1), "at most 1024 bytes"),
        ("é" * 600, "at most 1024 bytes"),  # 600 characters, 1200 bytes
    ],
)
def test_the_policy_refuses_with_a_clear_message(password: str, problem: str) -> None:
    with pytest.raises(PasswordPolicyError, match=problem) as raised:
        validate_password(password)
    assert isinstance(raised.value, InputError)  # the API answers 422
    assert str(raised.value).startswith("password rejected: ")


@pytest.mark.parametrize(
    "password",
    ["twelve chars", "a" * MAX_PASSWORD_BYTES, "   padded but real   ", "ünïcödé-pässwörd", PASSWORD],
)
def test_the_policy_accepts(password: str) -> None:
    validate_password(password)
    assert password_problems(password) == ()


def test_every_broken_rule_is_listed() -> None:
    with pytest.raises(PasswordPolicyError) as raised:
        validate_password("   ")
    assert raised.value.problems == ("must be at least 12 characters long", "must not consist only of whitespace")
