"""Password hashing with Argon2id, rehash on parameter change, equal-time login, and the password policy.

Threats addressed:

* **A stolen user table.** Hashes are Argon2id (memory-hard, so GPU/ASIC guessing is expensive) with
  a random 16-byte salt per password. The parameters are OWASP's Password Storage Cheat Sheet
  minimum for Argon2id: m = 19 MiB, t = 2, p = 1. They were chosen over argon2-cffi's default
  (RFC 9106 "low memory": m = 64 MiB, t = 3, p = 4) because a verification costs ~20 ms and 19 MiB
  here instead of ~120 ms and 64 MiB on four lanes: the API must stay responsive with 50 concurrent
  clients on a small self-hosted machine, and the login rate limit (5/min per client) already bounds
  online guessing. Raise them in :data:`DEFAULT_PARAMETERS` when hardware allows; stored hashes
  are upgraded at the next successful login (:meth:`Passwords.check` returns the new hash).
* **Account enumeration by timing.** :meth:`Passwords.check` runs one full Argon2 verification
  whether the account exists (its stored hash) or not (a dummy hash with the same parameters).
* **Hashing as denial of service.** Passwords longer than :data:`MAX_PASSWORD_BYTES` are refused
  before any hashing.
* **Weak passwords.** :func:`validate_password`: at least :data:`MIN_PASSWORD_LENGTH` characters,
  not only whitespace (NIST SP 800-63B: length over composition rules).

A malformed stored hash never raises from verification: it logs and counts as a mismatch.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import Argon2Error, VerifyMismatchError

from reviewlab.security.errors import PasswordPolicyError

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12  # characters (code points)
MAX_PASSWORD_BYTES = 1024  # UTF-8 bytes; longer input is refused before hashing


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """Argon2id cost parameters; a stored hash made with other ones needs a rehash."""

    time_cost: int = 2  # iterations
    memory_cost_kib: int = 19 * 1024  # 19 MiB
    parallelism: int = 1  # lanes
    hash_len: int = 32  # bytes
    salt_len: int = 16  # bytes


DEFAULT_PARAMETERS = Argon2Parameters()  # OWASP Password Storage Cheat Sheet, Argon2id minimum


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """The outcome of a login's password check; ``new_hash`` is set when the stored one should be replaced."""

    ok: bool
    new_hash: str | None = None


def password_problems(password: str) -> tuple[str, ...]:
    """Every rule of the password policy that ``password`` breaks (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    problems.extend(_hashable_problems(password))
    if password and not password.strip():
        problems.append("must not consist only of whitespace")
    return tuple(problems)


def validate_password(password: str) -> None:
    """Raise :class:`PasswordPolicyError` naming every rule a new password breaks."""
    problems = password_problems(password)
    if problems:
        raise PasswordPolicyError(problems)


class Passwords:
    """Argon2id hashing with fixed parameters. Building one computes the dummy hash (one hash, ~20 ms)."""

    def __init__(self, parameters: Argon2Parameters = DEFAULT_PARAMETERS) -> None:
        self.parameters = parameters
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            hash_len=parameters.hash_len,
            salt_len=parameters.salt_len,
            type=Type.ID,
        )
        # Same parameters as a real hash, so verifying against it costs the same as a real check.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        """The encoded Argon2id hash of ``password`` (``$argon2id$v=19$m=...``); refuses over-long input."""
        problems = _hashable_problems(password)
        if problems:
            raise PasswordPolicyError(problems)
        return self._hasher.hash(password.encode("utf-8"))

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash``; a malformed hash is logged and is a mismatch."""
        encoded = _encoded(password)
        if encoded is None or len(encoded) > MAX_PASSWORD_BYTES:
            return False
        try:
            return self._hasher.verify(stored_hash, encoded)
        except VerifyMismatchError:
            return False
        except (Argon2Error, ValueError) as err:  # InvalidHashError is a ValueError
            log.warning("password hash could not be verified (%s); treating it as a mismatch", type(err).__name__)
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters (or another Argon2 type) than these."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except ValueError:  # InvalidHashError, or a hash that is not ASCII
            log.warning("password hash is malformed; it needs replacing")
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one real verification, for an account that does not exist."""
        self.verify(self._dummy_hash, password)

    def check(self, stored_hash: str | None, password: str) -> PasswordCheck:
        """A login's password check, taking the same time whether the account exists (``stored_hash``) or not.

        On success with outdated parameters, ``new_hash`` holds the password rehashed with the
        current ones for the caller to store.
        """
        if stored_hash is None:
            self.dummy_verify(password)
            return PasswordCheck(ok=False)
        if not self.verify(stored_hash, password):
            return PasswordCheck(ok=False)
        return PasswordCheck(ok=True, new_hash=self.hash(password) if self.needs_rehash(stored_hash) else None)


@lru_cache(maxsize=1)
def default_passwords() -> Passwords:
    """The process's hasher with :data:`DEFAULT_PARAMETERS`; call it at startup so no login pays for the dummy hash."""
    return Passwords()


def hash_password(password: str) -> str:
    """Hash ``password`` with the default parameters."""
    return default_passwords().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; never raises on a malformed hash."""
    return default_passwords().verify(stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` should be replaced by a hash with the default parameters."""
    return default_passwords().needs_rehash(stored_hash)


def dummy_verify(password: str) -> None:
    """Spend the time of one verification with the default parameters (login of an unknown account)."""
    default_passwords().dummy_verify(password)


def check_login(stored_hash: str | None, password: str) -> PasswordCheck:
    """A login's password check with the default parameters; ``stored_hash`` is None for an unknown account."""
    return default_passwords().check(stored_hash, password)


def _hashable_problems(password: str) -> tuple[str, ...]:
    """The policy rules that also bind hashing and verification: encodable, and short enough to hash cheaply."""
    encoded = _encoded(password)
    if encoded is None:
        return ("must be valid Unicode text",)
    if len(encoded) > MAX_PASSWORD_BYTES:
        return (f"must be at most {MAX_PASSWORD_BYTES} bytes long (UTF-8)",)
    return ()


def _encoded(password: str) -> bytes | None:
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. "\ud800" from JSON
        return None
