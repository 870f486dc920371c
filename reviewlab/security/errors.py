"""The security primitives' exceptions, a branch of the library's tree (:mod:`reviewlab.errors`).

    ReviewlabError
    └── SecurityError
        ├── PasswordPolicyError   also an InputError: the chosen password breaks the policy (422)
        ├── TokenError            every refusal of a token (the API answers 401)
        │   ├── TokenExpired
        │   ├── TokenInvalid      bad signature, refused algorithm, wrong issuer/audience, malformed
        │   │   └── TokenNotYetValid
        │   ├── WrongTokenType    a refresh token presented as an access token, or the reverse
        │   ├── TokenRevoked      the token's session (refresh family) was revoked: logout, reuse
        │   └── RefreshReuse      an already rotated refresh token came back; its family is now revoked
        └── DecryptionError       a secret stored encrypted could not be decrypted

Messages never contain the token, the password or the secret itself.
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class SecurityError(ReviewlabError):
    """Base class of the security primitives' errors."""


class PasswordPolicyError(SecurityError, InputError):
    """A new password breaks the password policy; ``problems`` lists every rule it breaks."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("password rejected: " + "; ".join(problems))


class TokenError(SecurityError):
    """A token was refused."""


class TokenExpired(TokenError):
    """The token's ``exp`` has passed (beyond the leeway)."""


class TokenInvalid(TokenError):
    """The token is malformed, badly signed, signed with a refused algorithm or meant for someone else."""


class TokenNotYetValid(TokenInvalid):
    """The token's ``nbf`` (or ``iat``) lies in the future (beyond the leeway)."""


class WrongTokenType(TokenError):
    """The token is valid but of the other type (``typ`` is "access" where "refresh" was expected, or the reverse)."""


class TokenRevoked(TokenError):
    """The token belongs to a revoked session (refresh family)."""


class RefreshReuse(TokenError):
    """A refresh token that was already rotated was presented again: the whole family has been revoked."""


class DecryptionError(SecurityError):
    """A stored secret could not be decrypted: wrong key, corrupted or tampered data, or an unknown format."""
