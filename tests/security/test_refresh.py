"""Sessions as refresh families: rotation, reuse revoking the family, revocation, logout."""

from __future__ import annotations

import threading

import pytest

from reviewlab.security.errors import (
    RefreshReuse,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    WrongTokenType,
)
from reviewlab.security.refresh import (
    InMemoryRefreshStore,
    RefreshStore,
    TokenPair,
    UseResult,
    authenticate,
    logout,
    rotate,
    start_session,
)
from reviewlab.security.tokens import TokenService, TokenType
from tests.security import FakeClock, jwt_key

USER = "user-42"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(clock: FakeClock) -> TokenService:
    return TokenService(jwt_key(), clock=clock)


@pytest.fixture
def store() -> InMemoryRefreshStore:
    return InMemoryRefreshStore()


def _family(tokens: TokenService, pair: TokenPair) -> str:
    family = tokens.decode(pair.refresh, TokenType.REFRESH).fam
    assert family is not None
    return family


def test_the_in_memory_store_is_a_refresh_store() -> None:
    store: RefreshStore = InMemoryRefreshStore()  # checked by mypy when it reads the tests
    assert not store.is_revoked("anything")


def test_a_session_pairs_an_access_token_with_a_refresh_token_of_one_family(
    tokens: TokenService, store: InMemoryRefreshStore
) -> None:
    pair = start_session(USER, store, tokens=tokens)
    access = authenticate(pair.access, store, tokens=tokens)
    refresh = tokens.decode(pair.refresh, TokenType.REFRESH)
    assert access.sub == refresh.sub == USER
    assert access.fam == refresh.fam is not None
    assert access.jti != refresh.jti


def test_rotation_keeps_the_family_and_spends_the_old_token(tokens: TokenService, store: InMemoryRefreshStore) -> None:
    first = start_session(USER, store, tokens=tokens)
    new_access, new_refresh = rotate(first.refresh, store, tokens=tokens)
    second = TokenPair(new_access, new_refresh)
    assert _family(tokens, second) == _family(tokens, first)
    assert tokens.decode(new_refresh, TokenType.REFRESH).jti != tokens.decode(first.refresh, TokenType.REFRESH).jti
    assert authenticate(new_access, store, tokens=tokens).sub == USER
    third = rotate(second.refresh, store, tokens=tokens)  # the new one rotates in turn
    assert _family(tokens, third) == _family(tokens, first)


def test_reuse_of_a_rotated_token_revokes_the_whole_family(
    tokens: TokenService, store: InMemoryRefreshStore, caplog: pytest.LogCaptureFixture
) -> None:
    stolen = start_session(USER, store, tokens=tokens)
    legitimate = rotate(stolen.refresh, store, tokens=tokens)

    with pytest.raises(RefreshReuse, match="already used"):
        rotate(stolen.refresh, store, tokens=tokens)

    assert store.is_revoked(_family(tokens, stolen))
    assert "reused" in caplog.text
    assert stolen.refresh not in caplog.text
    with pytest.raises(TokenRevoked):  # the newest token of the family dies too
        rotate(legitimate.refresh, store, tokens=tokens)
    with pytest.raises(TokenRevoked):  # and so do its access tokens, where the store is consulted
        authenticate(legitimate.access, store, tokens=tokens)
    # Without the store an access token lives out its 15 minutes: the store is what revokes it.
    assert authenticate(legitimate.access, tokens=tokens).sub == USER


def test_other_sessions_survive_a_reuse(tokens: TokenService, store: InMemoryRefreshStore) -> None:
    laptop = start_session(USER, store, tokens=tokens)
    phone = start_session(USER, store, tokens=tokens)
    rotate(laptop.refresh, store, tokens=tokens)
    with pytest.raises(RefreshReuse):
        rotate(laptop.refresh, store, tokens=tokens)
    assert rotate(phone.refresh, store, tokens=tokens).access


def test_logout_revokes_the_session(tokens: TokenService, store: InMemoryRefreshStore) -> None:
    pair = start_session(USER, store, tokens=tokens)
    assert logout(pair.refresh, store, tokens=tokens) == _family(tokens, pair)
    with pytest.raises(TokenRevoked, match="revoked"):
        rotate(pair.refresh, store, tokens=tokens)
    with pytest.raises(TokenRevoked):
        authenticate(pair.access, store, tokens=tokens)


def test_logout_with_the_access_token_or_an_expired_token(
    tokens: TokenService, store: InMemoryRefreshStore, clock: FakeClock
) -> None:
    by_access = start_session(USER, store, tokens=tokens)
    logout(by_access.access, store, tokens=tokens)
    with pytest.raises(TokenRevoked):
        rotate(by_access.refresh, store, tokens=tokens)

    expired = start_session(USER, store, tokens=tokens)
    family = _family(tokens, expired)
    clock.advance(8 * 24 * 3600)
    assert logout(expired.refresh, store, tokens=tokens) == family
    assert store.is_revoked(family)


def test_logout_needs_a_genuine_token_of_a_session(tokens: TokenService, store: InMemoryRefreshStore) -> None:
    with pytest.raises(TokenInvalid, match="no session"):
        logout(tokens.issue_access(USER), store, tokens=tokens)
    stranger = TokenService(jwt_key(b"another secret"))
    with pytest.raises(TokenInvalid, match="signature"):
        logout(start_session(USER, InMemoryRefreshStore(), tokens=stranger).refresh, store, tokens=tokens)


def test_revoking_a_user_ends_all_their_sessions_only(tokens: TokenService, store: InMemoryRefreshStore) -> None:
    mine = [start_session(USER, store, tokens=tokens) for _ in range(3)]
    theirs = start_session("user-7", store, tokens=tokens)
    store.revoke_user(USER)
    for pair in mine:
        with pytest.raises(TokenRevoked):
            rotate(pair.refresh, store, tokens=tokens)
    assert rotate(theirs.refresh, store, tokens=tokens).refresh


def test_an_expired_refresh_token_does_not_rotate(
    tokens: TokenService, store: InMemoryRefreshStore, clock: FakeClock
) -> None:
    pair = start_session(USER, store, tokens=tokens)
    clock.advance(7 * 24 * 3600 + 10)
    with pytest.raises(TokenExpired):
        rotate(pair.refresh, store, tokens=tokens)


def test_an_access_token_does_not_rotate(tokens: TokenService, store: InMemoryRefreshStore) -> None:
    pair = start_session(USER, store, tokens=tokens)
    with pytest.raises(WrongTokenType):
        rotate(pair.access, store, tokens=tokens)
    with pytest.raises(WrongTokenType):
        authenticate(pair.refresh, store, tokens=tokens)


def test_a_refresh_token_the_store_never_saw_is_refused_and_its_family_revoked(
    tokens: TokenService, store: InMemoryRefreshStore
) -> None:
    minted = tokens.issue(TokenType.REFRESH, USER, family="fam-x")
    with pytest.raises(TokenInvalid, match="unknown to the session store"):
        rotate(minted, store, tokens=tokens)
    assert store.is_revoked("fam-x")


def test_concurrent_rotations_of_one_token_let_exactly_one_through(
    tokens: TokenService, store: InMemoryRefreshStore
) -> None:
    pair = start_session(USER, store, tokens=tokens)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            rotate(pair.refresh, store, tokens=tokens)
            outcome = "rotated"
        except TokenError as err:
            outcome = type(err).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("rotated") == 1
    assert set(outcomes) - {"rotated"} <= {"RefreshReuse", "TokenRevoked"}
    assert store.is_revoked(_family(tokens, pair))


def test_store_results_and_purge() -> None:
    store = InMemoryRefreshStore()
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
