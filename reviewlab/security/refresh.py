"""Sessions as refresh-token families: rotation, reuse detection, revocation.

Threat: a stolen refresh token (7 days of access). Each login starts a *family*; every refresh
token is single use and is exchanged by :func:`rotate` for a new access token and a new refresh
token of the same family. When a refresh token that was already rotated comes back, two parties
hold copies of it (the user and a thief, in some order), and the server cannot tell which is
which, so the whole family is revoked and both must log in again (OAuth 2.0 Security Best Current
Practice, RFC 9700 §4.14.2). Logout revokes the family too; access tokens carry the family id, so
:func:`authenticate` with a store refuses them as well instead of letting them live out their
15 minutes.

A strict consequence: two browser tabs refreshing at the same instant with the same token look
like reuse and end the session. Clients should serialise refreshes.

The storage is a :class:`RefreshStore`; :class:`InMemoryRefreshStore` serves tests and a single
process. A database-backed store must make :meth:`RefreshStore.mark_used` atomic (a conditional
``UPDATE ... WHERE used_at IS NULL`` checked by row count), or two concurrent rotations of one
token would both succeed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

from reviewlab.security.errors import RefreshReuse, TokenInvalid, TokenRevoked
from reviewlab.security.tokens import Claims, TokenService, TokenType, new_id

log = logging.getLogger(__name__)


class UseResult(StrEnum):
    """What :meth:`RefreshStore.mark_used` found."""

    FRESH = "fresh"  # recorded and unused: now marked used
    REUSED = "reused"  # already marked used: a replay
    REVOKED = "revoked"  # its family is revoked
    UNKNOWN = "unknown"  # never recorded (lost store, or a token minted outside a session)


class RefreshStore(Protocol):
    """Where refresh families live. Every method must be safe to call from several threads or processes."""

    def record(self, family: str, jti: str, *, user_id: str, expires_at: float) -> None:
        """Record an issued refresh token ``jti`` in ``family`` (created on first use) for ``user_id``."""
        ...

    def mark_used(self, family: str, jti: str) -> UseResult:
        """Atomically mark ``jti`` used and say what it was before (revocation of the family wins)."""
        ...

    def revoke_family(self, family: str) -> None:
        """Revoke every token of ``family``, issued or to be issued; idempotent."""
        ...

    def revoke_user(self, user_id: str) -> None:
        """Revoke every family of ``user_id`` (password change, account disabled); idempotent."""
        ...

    def is_revoked(self, family: str) -> bool:
        """Whether ``family`` was revoked."""
        ...


@dataclass(slots=True)
class _Issued:
    family: str
    expires_at: float
    used: bool = False


class InMemoryRefreshStore:
    """A :class:`RefreshStore` in a dict: for tests and single-process development (lost on restart)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._issued: dict[str, _Issued] = {}
        self._owners: dict[str, str] = {}  # family -> user id
        self._revoked: set[str] = set()

    def record(self, family: str, jti: str, *, user_id: str, expires_at: float) -> None:
        with self._lock:
            self._owners.setdefault(family, user_id)
            self._issued[jti] = _Issued(family=family, expires_at=expires_at)

    def mark_used(self, family: str, jti: str) -> UseResult:
        with self._lock:
            if family in self._revoked:
                return UseResult.REVOKED
            issued = self._issued.get(jti)
            if issued is None or issued.family != family:
                return UseResult.UNKNOWN
            if issued.used:
                return UseResult.REUSED
            issued.used = True
            return UseResult.FRESH

    def revoke_family(self, family: str) -> None:
        with self._lock:
            self._revoked.add(family)

    def revoke_user(self, user_id: str) -> None:
        with self._lock:
            self._revoked.update(family for family, owner in self._owners.items() if owner == user_id)

    def is_revoked(self, family: str) -> bool:
        with self._lock:
            return family in self._revoked

    def purge_expired(self, now: float) -> int:
        """Forget tokens past their expiry (their reuse can no longer be detected, nor succeed); how many."""
        with self._lock:
            expired = [jti for jti, issued in self._issued.items() if issued.expires_at <= now]
            for jti in expired:
                del self._issued[jti]
            return len(expired)


class TokenPair(NamedTuple):
    """What a login or a refresh hands the client: ``access, refresh = pair``."""

    access: str
    refresh: str


def start_session(user_id: str, store: RefreshStore, *, tokens: TokenService) -> TokenPair:
    """A new session (refresh family) for ``user_id`` after a successful login."""
    return _issue_pair(user_id, new_id(), store, tokens)


def rotate(refresh_token: str, store: RefreshStore, *, tokens: TokenService) -> TokenPair:
    """Exchange a valid, unused refresh token for a new access token and refresh token of its family.

    Raises :class:`RefreshReuse` (and revokes the family) for a token already rotated,
    :class:`TokenRevoked` for a revoked family, :class:`TokenInvalid` for a token the store never
    recorded, and whatever :meth:`TokenService.decode` raises for an invalid or expired one.
    """
    claims = tokens.decode(refresh_token, TokenType.REFRESH)
    family = _family(claims)
    result = store.mark_used(family, claims.jti)
    if result is UseResult.REVOKED:
        raise TokenRevoked("the session of this refresh token was revoked")
    if result is UseResult.REUSED:
        store.revoke_family(family)
        log.warning("refresh token reused for user %s; session %s revoked", claims.sub, family)
        raise RefreshReuse("refresh token was already used; the session is revoked")
    if result is UseResult.UNKNOWN:
        store.revoke_family(family)
        log.warning("unrecorded refresh token for user %s; session %s revoked", claims.sub, family)
        raise TokenInvalid("refresh token is unknown to the session store")
    return _issue_pair(claims.sub, family, store, tokens)


def logout(token: str, store: RefreshStore, *, tokens: TokenService) -> str:
    """Revoke the session of ``token`` (a refresh or an access token, even expired); returns the family.

    The token must still be genuine (signature, issuer, audience). An access token without a
    family (issued outside a session) cannot be revoked and raises :class:`TokenInvalid`.
    """
    claims = tokens.decode(token, None, check_lifetime=False)
    family = _family(claims)
    store.revoke_family(family)
    return family


def authenticate(access_token: str, store: RefreshStore | None = None, *, tokens: TokenService) -> Claims:
    """The claims of a valid access token; with a ``store``, also refuse one whose session was revoked."""
    claims = tokens.decode(access_token, TokenType.ACCESS)
    if store is not None and claims.fam is not None and store.is_revoked(claims.fam):
        raise TokenRevoked("the session of this access token was revoked")
    return claims


def _issue_pair(user_id: str, family: str, store: RefreshStore, tokens: TokenService) -> TokenPair:
    jti = new_id()
    refresh = tokens.issue(TokenType.REFRESH, user_id, family=family, jti=jti)
    expires_at = tokens.now() + tokens.config.refresh_ttl.total_seconds()
    store.record(family, jti, user_id=user_id, expires_at=expires_at)
    return TokenPair(access=tokens.issue_access(user_id, family=family), refresh=refresh)


def _family(claims: Claims) -> str:
    if claims.fam is None:
        raise TokenInvalid("token belongs to no session")
    return claims.fam
