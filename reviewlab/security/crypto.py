"""User-provided secrets (provider API keys) encrypted at rest, and masked for display.

Threat model. A leaked database (a backup, an injection, a stolen disk) must not hand out every
user's OpenAI or Anthropic key. Keys are stored only as AES-256-GCM ciphertexts under a key that
lives in the process's configuration, never in the database, so a database dump alone reveals no
key; the API never returns them, only :func:`mask`. Each ciphertext is bound to a *context* (e.g.
``"user-42/openai"``), passed to AES-GCM as associated data, so someone who can write to the
database cannot move a ciphertext into another user's row and have it decrypted there. Any change
to a token (key id, nonce, ciphertext or tag) is detected: tampering, a wrong key, a wrong context,
a truncated token or an unknown format all raise :class:`~reviewlab.security.errors.DecryptionError`,
and nothing is ever returned half-decrypted. Out of scope: an attacker who holds both the database
and ``JWT_SECRET_KEY`` (or the process's memory) can decrypt everything; tokens reveal the length
of the secret.

Construction. AES-256-GCM from ``cryptography``
(:class:`~cryptography.hazmat.primitives.ciphers.aead.AESGCM`), with a fresh random 96-bit nonce
per encryption and the UTF-8 context as associated data. Random nonces are safe for up to 2**32
encryptions under one key (NIST SP 800-38D), far beyond the number of stored provider keys.

Token: ``rlenc2.`` + unpadded base64url(key id (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)). The
prefix is the format version; the key id (an HKDF output, not secret) picks the key, so the key can
be rotated: build the box with the new key and the old ones as ``previous``, and re-encrypt what
:meth:`SecretBox.needs_reencrypt` reports. The unreleased ``rlenc1.`` format was never stored and
is not read.

The master key is derived with HKDF from ``JWT_SECRET_KEY`` under its own label
(:data:`CRYPTO_KEY_LABEL`), so it is never the JWT signing key; the AES key and the key id are in
turn derived from the master key under distinct HKDF labels. Rotating ``JWT_SECRET_KEY`` therefore
needs the old value in ``previous_secrets`` until every stored key is re-encrypted.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reviewlab.security.errors import DecryptionError
from reviewlab.security.keys import derive_key, hkdf_sha256, settings_secret
from reviewlab.settings import Settings

PREFIX = "rlenc2."
CRYPTO_KEY_LABEL = "reviewlab/secrets-at-rest/v1"
MAX_PLAINTEXT_BYTES = 16 * 1024  # an API key is ~50-200 bytes
AES_KEY_INFO = b"reviewlab/secretbox/v2/aes-256-gcm"
KEY_ID_INFO = b"reviewlab/secretbox/v2/key-id"
KEY_ID_LEN = 4
NONCE_LEN = 12
TAG_LEN = 16
_HEADER_LEN = KEY_ID_LEN + NONCE_LEN
_VERSIONED = re.compile(r"rlenc\d+\.")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class _Key:
    key_id: bytes
    aead: AESGCM

    @classmethod
    def of(cls, master: bytes) -> _Key:
        if len(master) < 32:
            raise ValueError("an encryption key must be at least 32 bytes; derive it with derive_key")
        return cls(
            key_id=hkdf_sha256(master, info=KEY_ID_INFO, length=KEY_ID_LEN),
            aead=AESGCM(hkdf_sha256(master, info=AES_KEY_INFO, length=32)),
        )


class SecretBox:
    """Encrypts with ``key``; decrypts with ``key`` or any of ``previous`` (key rotation)."""

    def __init__(self, key: bytes, *, previous: Sequence[bytes] = ()) -> None:
        self._current = _Key.of(key)
        self._keys = (self._current, *(_Key.of(old) for old in previous))

    @classmethod
    def from_settings(cls, settings: Settings, *, previous_secrets: Sequence[str] = ()) -> SecretBox:
        """The box keyed by ``JWT_SECRET_KEY`` (HKDF label :data:`CRYPTO_KEY_LABEL`); old values decrypt only."""
        key = derive_key(settings_secret(settings, "jwt_secret_key"), CRYPTO_KEY_LABEL)
        return cls(key, previous=[derive_key(old.encode("utf-8"), CRYPTO_KEY_LABEL) for old in previous_secrets])

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """The ciphertext token of ``plaintext``, bound to ``context`` (the same context must decrypt it)."""
        data = plaintext.encode("utf-8")
        if len(data) > MAX_PLAINTEXT_BYTES:
            raise ValueError(f"a secret to encrypt must be at most {MAX_PLAINTEXT_BYTES} bytes")
        key = self._current
        nonce = secrets.token_bytes(NONCE_LEN)
        sealed = key.aead.encrypt(nonce, data, context.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(key.key_id + nonce + sealed).rstrip(b"=").decode("ascii")

    def decrypt(self, token: str, *, context: str = "") -> str:
        """The plaintext of ``token``; :class:`DecryptionError` unless authentic under a known key and ``context``."""
        blob = _unpack(token)
        key_id, nonce, sealed = blob[:KEY_ID_LEN], blob[KEY_ID_LEN:_HEADER_LEN], blob[_HEADER_LEN:]
        candidates = [key for key in self._keys if hmac.compare_digest(key.key_id, key_id)]
        if not candidates:
            raise DecryptionError("secret was encrypted with a key this service lacks (was JWT_SECRET_KEY changed?)")
        associated = context.encode("utf-8")
        for key in candidates:  # more than one only if two key ids collide
            try:
                data = key.aead.decrypt(nonce, sealed, associated)
            except InvalidTag:
                continue
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError as err:  # authentic, so only a bug could get here
                raise DecryptionError("decrypted secret is not UTF-8 text") from err
        raise DecryptionError("secret failed authentication: tampered, or bound to another context")

    def needs_reencrypt(self, token: str) -> bool:
        """Whether ``token`` was encrypted under a previous key (decrypt it and encrypt it again)."""
        return not hmac.compare_digest(_unpack(token)[:KEY_ID_LEN], self._current.key_id)


def mask(secret: str) -> str:
    """A display form that identifies a key without revealing it: ``"sk-...abcd"``; short values show nothing."""
    secret = secret.strip()
    if len(secret) < 20:
        return "****"
    prefix = re.match(r"[A-Za-z]{2,5}[-_]", secret)
    return f"{prefix.group(0) if prefix else ''}...{secret[-4:]}"


def _unpack(token: str) -> bytes:
    """The bytes of a token: the right prefix, canonical base64url, long enough for a key id, nonce and tag."""
    if not isinstance(token, str):  # e.g. bytes from a database driver
        raise DecryptionError("not an encrypted secret of a known format")
    if not token.startswith(PREFIX):
        version = _VERSIONED.match(token)
        if version:
            raise DecryptionError(f"encrypted secret has unknown format version {version.group(0)!r}, not {PREFIX!r}")
        raise DecryptionError("not an encrypted secret of a known format")
    body = token[len(PREFIX) :]
    if not _BASE64URL.fullmatch(body):
        raise DecryptionError("encrypted secret is not valid base64")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as err:
        raise DecryptionError("encrypted secret is not valid base64") from err
    if base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii") != body:  # unused trailing bits set
        raise DecryptionError("encrypted secret is not valid base64")
    if len(blob) < _HEADER_LEN + TAG_LEN:
        raise DecryptionError("encrypted secret is truncated")
    return blob
