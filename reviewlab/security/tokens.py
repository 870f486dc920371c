"""JSON Web Tokens for sessions: short-lived access tokens and long-lived refresh tokens (PyJWT, HS256).

Threats addressed:

* **Forged tokens.** Tokens are signed with HMAC-SHA256 under a key derived from ``JWT_SECRET_KEY``
  (:mod:`reviewlab.security.keys`). Decoding passes a fixed algorithm allowlist from the
  configuration, never from the token (RFC 8725 §2.1, §3.1): ``alg: none``, asymmetric algorithms
  (RS256 and friends, the key-confusion attack) and HMAC variants not listed are all refused.
* **Tokens used beyond their purpose.** ``iss`` and ``aud`` must be this service's; ``exp``,
  ``nbf`` and ``iat`` are checked against an injectable clock with a small leeway for clock skew;
  ``typ`` keeps a 7-day refresh token from being accepted where a 15-minute access token is
  expected, and the reverse.
* **Unbounded parsing.** Tokens longer than :data:`MAX_TOKEN_CHARS` are refused unparsed.

Every refusal raises a :class:`~reviewlab.security.errors.TokenError` subclass whose message names
the reason but never the token. Refresh-token rotation and revocation, which need storage, live in
:mod:`reviewlab.security.refresh`.

Claims: ``iss``, ``aud``, ``sub`` (user id), ``iat``, ``nbf``, ``exp`` (integer seconds), ``jti``
(random id), ``typ`` ("access" or "refresh") and ``fam``, the session's refresh family: required
on refresh tokens, and carried by the access tokens of a session so that a request can be tied to
its session (CSRF binding, revocation at logout) without the refresh cookie.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt

from reviewlab.security.errors import TokenExpired, TokenInvalid, TokenNotYetValid, WrongTokenType
from reviewlab.security.keys import derive_key, settings_secret
from reviewlab.settings import Settings

Clock = Callable[[], float]  # seconds since the epoch, like time.time

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})  # the only ones a shared secret can verify
MAX_TOKEN_CHARS = 4096
VERIFIED_TOKENS_KEPT = 10_000  # verified tokens remembered per service (a few MB at most)
MAX_LEEWAY = timedelta(minutes=5)
JWT_KEY_LABEL = "reviewlab/jwt/v1"
DEFAULT_ACCESS_TTL = timedelta(minutes=15)
DEFAULT_REFRESH_TTL = timedelta(days=7)
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "typ"]


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """Issuer, audience, lifetimes, leeway and the algorithm allowlist (the first one signs)."""

    issuer: str = "reviewlab"
    audience: str = "reviewlab-api"
    access_ttl: timedelta = DEFAULT_ACCESS_TTL
    refresh_ttl: timedelta = DEFAULT_REFRESH_TTL
    leeway: timedelta = timedelta(seconds=10)
    algorithms: tuple[str, ...] = ("HS256",)

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ValueError("issuer and audience must be non-empty")
        if not self.algorithms or not set(self.algorithms) <= HMAC_ALGORITHMS:
            raise ValueError(f"algorithms must be a non-empty subset of {sorted(HMAC_ALGORITHMS)}")
        if self.access_ttl <= timedelta(0) or self.refresh_ttl <= timedelta(0):
            raise ValueError("token lifetimes must be positive")
        if not timedelta(0) <= self.leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY}")


@dataclass(frozen=True, slots=True)
class Claims:
    """The verified claims of a token."""

    sub: str
    typ: TokenType
    jti: str
    fam: str | None
    iat: int
    nbf: int
    exp: int
    iss: str
    aud: str


def new_id() -> str:
    """A random identifier for a ``jti`` or a refresh family (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class TokenService:
    """Issues and verifies tokens with one key and one configuration."""

    def __init__(self, key: bytes, config: TokenConfig | None = None, *, clock: Clock = time.time) -> None:
        if len(key) < 64:  # HS512 wants a key as long as its 64-byte output; derive_key gives that
            raise ValueError("the JWT signing key must be at least 64 bytes; derive it with derive_key(..., 64)")
        self._key = key
        self.config = config or TokenConfig()
        self._clock = clock
        # Tokens whose signature and claims were verified, with their claims: a signed-in client sends the same
        # access token with every request, and checking its HMAC and parsing it again was a tenth of a read's cost.
        # Only the exact string verified before hits; its times and type are still checked on every decode.
        self._verified: dict[str, Claims] = {}
        self._verified_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, config: TokenConfig | None = None, *, clock: Clock = time.time
    ) -> TokenService:
        """The service keyed by ``JWT_SECRET_KEY`` (through HKDF, label :data:`JWT_KEY_LABEL`)."""
        key = derive_key(settings_secret(settings, "jwt_secret_key"), JWT_KEY_LABEL, length=64)
        return cls(key, config, clock=clock)

    def now(self) -> int:
        """The service clock, in whole seconds."""
        return int(self._clock())

    def issue(self, typ: TokenType, user_id: str, *, family: str | None = None, jti: str | None = None) -> str:
        """A signed token of ``typ`` for ``user_id``; refresh tokens need their ``family``.

        Refresh tokens issued here are unknown to any :class:`~reviewlab.security.refresh.RefreshStore`;
        sessions should be started with :func:`reviewlab.security.refresh.start_session`.
        """
        if not user_id:
            raise ValueError("a token needs a subject (user id)")
        if typ is TokenType.REFRESH and not family:
            raise ValueError("a refresh token needs a family")
        now = self.now()
        ttl = self.config.access_ttl if typ is TokenType.ACCESS else self.config.refresh_ttl
        payload: dict[str, Any] = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": user_id,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl.total_seconds()),
            "jti": jti or new_id(),
            "typ": typ.value,
        }
        if family:
            payload["fam"] = family
        return jwt.encode(payload, self._key, algorithm=self.config.algorithms[0])

    def issue_access(self, user_id: str, *, family: str | None = None) -> str:
        """A short-lived access token for ``user_id``, tied to the session ``family`` when there is one."""
        return self.issue(TokenType.ACCESS, user_id, family=family)

    def decode(self, token: str, expected: TokenType | None, *, check_lifetime: bool = True) -> Claims:
        """The verified claims of ``token``, which must be of type ``expected`` (None: either type).

        Raises :class:`TokenExpired`, :class:`TokenNotYetValid`, :class:`WrongTokenType` or
        :class:`TokenInvalid`. ``check_lifetime=False`` still verifies everything but the times
        (logout accepts an expired token of its own session).
        """
        claims = self._verified.get(token) if isinstance(token, str) else None
        if claims is None:
            claims = _claims(self._verified_payload(token))
            self._remember(token, claims)
        if check_lifetime:
            self._check_lifetime(claims)
        if expected is not None and claims.typ is not expected:
            raise WrongTokenType(f"expected a {expected.value} token, got a {claims.typ.value} token")
        return claims

    def _remember(self, token: str, claims: Claims) -> None:
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                now = self.now()
                expired = [known for known, kept in self._verified.items() if kept.exp <= now]
                for known in expired or list(self._verified)[: VERIFIED_TOKENS_KEPT // 4]:  # else the oldest quarter
                    del self._verified[known]
            self._verified[token] = claims

    def _verified_payload(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise TokenInvalid("token is missing or too long")
        try:
            return jwt.decode(
                token,
                self._key,
                algorithms=list(self.config.algorithms),
                audience=self.config.audience,
                issuer=self.config.issuer,
                options={
                    "require": _REQUIRED_CLAIMS,
                    "verify_signature": True,
                    "verify_aud": True,
                    "strict_aud": True,
                    "verify_iss": True,
                    "verify_sub": True,
                    "verify_jti": True,
                    # Times are checked by _check_lifetime against the injectable clock.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAlgorithmError as err:
            raise TokenInvalid("token algorithm is not allowed") from err
        except jwt.InvalidSignatureError as err:
            raise TokenInvalid("token signature is invalid") from err
        except jwt.InvalidAudienceError as err:
            raise TokenInvalid("token is meant for another audience") from err
        except jwt.InvalidIssuerError as err:
            raise TokenInvalid("token was issued by another issuer") from err
        except jwt.MissingRequiredClaimError as err:
            raise TokenInvalid(f"token lacks the {err.claim!r} claim") from err
        except jwt.PyJWTError as err:
            raise TokenInvalid(f"token is malformed ({type(err).__name__})") from err

    def _check_lifetime(self, claims: Claims) -> None:
        now = self._clock()
        leeway = self.config.leeway.total_seconds()
        if now >= claims.exp + leeway:
            raise TokenExpired("token has expired")
        if claims.nbf > now + leeway:
            raise TokenNotYetValid("token is not valid yet")
        if claims.iat > now + leeway:
            raise TokenNotYetValid("token was issued in the future")


def _claims(payload: dict[str, Any]) -> Claims:
    """The typed claims of a payload whose signature, issuer and audience are verified."""
    times = {name: payload[name] for name in ("iat", "nbf", "exp")}
    if any(isinstance(value, bool) or not isinstance(value, int) for value in times.values()):
        raise TokenInvalid("token times must be integer seconds")
    if not payload["sub"] or not payload["jti"]:
        raise TokenInvalid("token subject and id must be non-empty")
    typ = _token_type(payload)
    return Claims(
        sub=payload["sub"],
        typ=typ,
        jti=payload["jti"],
        fam=_token_family(payload, typ),
        iat=times["iat"],
        nbf=times["nbf"],
        exp=times["exp"],
        iss=payload["iss"],
        aud=payload["aud"],
    )


def _token_type(payload: dict[str, Any]) -> TokenType:
    try:
        return TokenType(payload["typ"])
    except (ValueError, TypeError) as err:
        raise TokenInvalid("token has an unknown type") from err


def _token_family(payload: dict[str, Any], typ: TokenType) -> str | None:
    family = payload.get("fam")
    if family is not None and (not isinstance(family, str) or not family):
        raise TokenInvalid("token family must be a non-empty string")
    if typ is TokenType.REFRESH and family is None:
        raise TokenInvalid("refresh token lacks its family")
    return family
