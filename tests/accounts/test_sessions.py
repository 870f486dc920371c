"""``SqlRefreshStore`` passes the refresh-family scenarios of ``InMemoryRefreshStore``, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from reviewlab.accounts import SqlRefreshStore
from reviewlab.accounts.models import UserRow
from reviewlab.security.refresh import RefreshStore, UseResult, rotate, start_session
from reviewlab.security.tokens import TokenService
from tests.accounts import Now, migrated_engine
from tests.security.test_refresh import (  # the same scenarios, run here against the database store
    USER,
    clock,
    test_a_refresh_token_the_store_never_saw_is_refused_and_its_family_revoked,
    test_a_session_pairs_an_access_token_with_a_refresh_token_of_one_family,
    test_an_access_token_does_not_rotate,
    test_an_expired_refresh_token_does_not_rotate,
    test_concurrent_rotations_of_one_token_let_exactly_one_through,
    test_logout_needs_a_genuine_token_of_a_session,
    test_logout_revokes_the_session,
    test_logout_with_the_access_token_or_an_expired_token,
    test_other_sessions_survive_a_reuse,
    test_reuse_of_a_rotated_token_revokes_the_whole_family,
    test_revoking_a_user_ends_all_their_sessions_only,
    test_rotation_keeps_the_family_and_spends_the_old_token,
    tokens,
)

__all__ = [
    "clock",
    "test_a_refresh_token_the_store_never_saw_is_refused_and_its_family_revoked",
    "test_a_session_pairs_an_access_token_with_a_refresh_token_of_one_family",
    "test_an_access_token_does_not_rotate",
    "test_an_expired_refresh_token_does_not_rotate",
    "test_concurrent_rotations_of_one_token_let_exactly_one_through",
    "test_logout_needs_a_genuine_token_of_a_session",
    "test_logout_revokes_the_session",
    "test_logout_with_the_access_token_or_an_expired_token",
    "test_other_sessions_survive_a_reuse",
    "test_reuse_of_a_rotated_token_revokes_the_whole_family",
    "test_revoking_a_user_ends_all_their_sessions_only",
    "test_rotation_keeps_the_family_and_spends_the_old_token",
    "tokens",
]

USERS = (USER, "user-7")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database holding the users the scenarios name."""
    for engine in migrated_engine(request, tmp_path):
        with engine.begin() as connection:
            for user_id in USERS:
                connection.execute(
                    insert(UserRow).values(
                        id=user_id,
                        email=f"{user_id}@example.org",
                        password_hash="x",
                        role="viewer",
                        is_active=True,
                        created_at=Now()(),
                    )
                )
        yield engine


@pytest.fixture
def store(engine: Engine) -> SqlRefreshStore:
    return SqlRefreshStore(engine)


def test_the_sql_store_is_a_refresh_store(store: SqlRefreshStore) -> None:
    checked: RefreshStore = store  # checked by mypy when it reads the tests
    assert not checked.is_revoked("anything")


def test_store_results_and_purge(store: SqlRefreshStore) -> None:
    store.record("fam", "jti-1", user_id=USER, expires_at=100.0)
    store.record("fam", "jti-2", user_id=USER, expires_at=200.0)
    assert store.mark_used("fam", "jti-1") is UseResult.FRESH
    assert store.mark_used("fam", "jti-1") is UseResult.REUSED
    assert store.mark_used("other-fam", "jti-2") is UseResult.UNKNOWN  # a jti belongs to one family
    assert store.mark_used("fam", "jti-9") is UseResult.UNKNOWN
    assert store.purge_expired(now=150.0) == 1
    assert store.mark_used("fam", "jti-1") is UseResult.UNKNOWN
    store.revoke_family("fam")
    store.revoke_family("fam")  # idempotent
    assert store.mark_used("fam", "jti-2") is UseResult.REVOKED


def test_a_family_revoked_before_it_is_recorded_stays_revoked(store: SqlRefreshStore) -> None:
    store.revoke_family("early")
    assert store.is_revoked("early")
    store.record("early", "jti-1", user_id=USER, expires_at=100.0)
    assert store.mark_used("early", "jti-1") is UseResult.REVOKED
    store.revoke_user(USER)  # the late owner is recorded, and revoking again is harmless
    assert store.is_revoked("early")


def test_sessions_survive_a_new_store_on_the_same_database(engine: Engine, tokens: TokenService) -> None:
    pair = start_session(USER, SqlRefreshStore(engine), tokens=tokens)
    assert rotate(pair.refresh, SqlRefreshStore(engine), tokens=tokens).access
