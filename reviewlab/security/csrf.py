"""CSRF protection: a signed double-submit token bound to the session.

Threat: cross-site request forgery. Session cookies go with every request to the API, including
one a hostile page makes the browser send (SameSite=Lax stops cross-site POSTs from most
browsers, not from all, and not from a sibling subdomain). Every state-changing request must
therefore carry the ``X-CSRF-Token`` header equal to the ``csrf_token`` cookie: a cross-site page
can make the browser send the cookie but can neither read it nor set a custom header.

Plain double-submit falls to an attacker who can *write* cookies (a compromised sibling
subdomain, a man-in-the-middle on plain http): they plant a cookie and send the same value as the
header. So the token is ``<nonce>.<HMAC(CSRF key, session id, nonce)>`` (OWASP's "signed
double-submit cookie"): a token is only valid for the session it was issued to, a token from
another session (the attacker's own) fails, and tokens cannot be minted without the key, which is
derived from ``CSRF_SECRET_KEY``. The session id is the refresh family (``fam``), which access tokens
carry; before login (the login and register forms) tokens are bound to the empty session ``""``.

All comparisons are constant-time (:func:`hmac.compare_digest`) on bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from reviewlab.security.keys import derive_key, settings_secret
from reviewlab.settings import Settings

CSRF_HEADER = "X-CSRF-Token"
CSRF_KEY_LABEL = "reviewlab/csrf/v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # RFC 9110 §9.2.1
MAX_CSRF_CHARS = 256  # a token is 87 characters; refuse anything much longer unread
ANONYMOUS_SESSION = ""


def requires_csrf(method: str) -> bool:
    """Whether a request with this HTTP method must carry a valid CSRF token.

    Everything except the safe methods: POST, PUT, PATCH, DELETE, and any method we do not know.
    """
    return method.upper() not in SAFE_METHODS


class CsrfTokens:
    """Issues and checks CSRF tokens under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the CSRF key must be at least 32 bytes; derive it with derive_key")
        self._key = key

    @classmethod
    def from_settings(cls, settings: Settings) -> CsrfTokens:
        """Tokens keyed by ``CSRF_SECRET_KEY`` (through HKDF, label :data:`CSRF_KEY_LABEL`)."""
        return cls(derive_key(settings_secret(settings, "csrf_secret_key"), CSRF_KEY_LABEL))

    def generate(self, session_id: str = ANONYMOUS_SESSION) -> str:
        """A new token for the session ``session_id``, to set as the ``csrf_token`` cookie."""
        nonce = secrets.token_urlsafe(32)
        return f"{nonce}.{self._signature(session_id, nonce)}"

    def verify(self, cookie_value: str | None, header_value: str | None, session_id: str) -> bool:
        """Whether the header repeats the cookie and the token was issued to ``session_id``."""
        if not cookie_value or not header_value:
            return False
        if len(cookie_value) > MAX_CSRF_CHARS or len(header_value) > MAX_CSRF_CHARS:
            return False
        cookie = cookie_value.encode("utf-8", "surrogatepass")
        header = header_value.encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(cookie, header):
            return False
        nonce, dot, signature = cookie_value.partition(".")
        if not dot or not nonce:
            return False
        expected = self._signature(session_id, nonce).encode("ascii")
        return hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected)

    def _signature(self, session_id: str, nonce: str) -> str:
        session = session_id.encode("utf-8", "surrogatepass")
        # Length-prefixed fields, so no (session, nonce) pair can collide with another's.
        message = b"csrf" + len(session).to_bytes(4, "big") + session + nonce.encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
