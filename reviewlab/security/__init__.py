"""Security primitives for the API: pure library code, no web framework, no database.

* :mod:`.passwords` — Argon2id hashing, rehash on parameter change, equal-time login, policy.
* :mod:`.tokens` — JWT access and refresh tokens (HS256 allowlist, iss/aud/exp/nbf/iat/typ checks).
* :mod:`.refresh` — sessions as refresh families: rotation, reuse detection, revocation, the store Protocol.
* :mod:`.csrf` — signed double-submit CSRF tokens bound to the session.
* :mod:`.cookies` — the session cookies' attributes.
* :mod:`.crypto` — provider API keys encrypted at rest, and masked for display.
* :mod:`.keys` — configured secrets and the per-purpose subkeys derived from them.
* :mod:`.errors` — the exceptions (a ``SecurityError`` branch of the library's tree).

The API builds the services once at startup from the settings::

    tokens = TokenService.from_settings(settings)
    csrf = CsrfTokens.from_settings(settings)
    box = SecretBox.from_settings(settings)
    cookies = cookie_policy_from_settings(settings, secure=...)
    default_passwords()  # computes the dummy hash before the first login
"""

from __future__ import annotations

from reviewlab.security.cookies import CookiePolicy, CookieSpec, cookie_policy, cookie_policy_from_settings
from reviewlab.security.crypto import SecretBox, mask
from reviewlab.security.csrf import CSRF_HEADER, CsrfTokens, requires_csrf
from reviewlab.security.errors import (
    DecryptionError,
    PasswordPolicyError,
    RefreshReuse,
    SecurityError,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenNotYetValid,
    TokenRevoked,
    WrongTokenType,
)
from reviewlab.security.passwords import (
    Argon2Parameters,
    PasswordCheck,
    Passwords,
    check_login,
    default_passwords,
    dummy_verify,
    hash_password,
    needs_rehash,
    validate_password,
    verify_password,
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
from reviewlab.security.tokens import Claims, TokenConfig, TokenService, TokenType

__all__ = [
    "CSRF_HEADER",
    "Argon2Parameters",
    "Claims",
    "CookiePolicy",
    "CookieSpec",
    "CsrfTokens",
    "DecryptionError",
    "InMemoryRefreshStore",
    "PasswordCheck",
    "PasswordPolicyError",
    "Passwords",
    "RefreshReuse",
    "RefreshStore",
    "SecretBox",
    "SecurityError",
    "TokenConfig",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenNotYetValid",
    "TokenPair",
    "TokenRevoked",
    "TokenService",
    "TokenType",
    "UseResult",
    "WrongTokenType",
    "authenticate",
    "check_login",
    "cookie_policy",
    "cookie_policy_from_settings",
    "default_passwords",
    "dummy_verify",
    "hash_password",
    "logout",
    "mask",
    "needs_rehash",
    "requires_csrf",
    "rotate",
    "start_session",
    "validate_password",
    "verify_password",
]
