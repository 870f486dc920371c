"""Key material for the security primitives: the configured secrets, and subkeys derived from them.

Threat: one secret reused for two purposes (a JWT signing key that also encrypts stored API keys,
or a CSRF key that could sign a session token). Every consumer derives its own subkey with
HKDF-SHA256 (RFC 5869) under a distinct label, so a value produced for one purpose is never valid
for another, and no consumer ever uses a configured secret directly.

Outside development the settings object already refuses placeholder or short secrets. In
development an unset secret is replaced by a random one stored in
``$REVIEWLAB_HOME/secrets/<name>.key`` (created once, mode 0600), so sessions and encrypted
provider keys survive a restart of the embedded platform without any setup.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reviewlab.errors import SettingsError
from reviewlab.settings import Environment, Settings

log = logging.getLogger(__name__)

SecretName = Literal["jwt_secret_key", "csrf_secret_key"]

_HASH_LEN = hashlib.sha256().digest_size


def hkdf_sha256(ikm: bytes, *, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """HKDF-SHA256 (RFC 5869): extract a pseudorandom key from ``ikm``, expand it to ``length`` bytes for ``info``."""
    if not 0 < length <= 255 * _HASH_LEN:
        raise ValueError(f"HKDF-SHA256 can derive 1 to {255 * _HASH_LEN} bytes, not {length}")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def derive_key(secret: bytes, label: str, length: int = 32) -> bytes:
    """The subkey of ``secret`` for one purpose, e.g. ``derive_key(jwt_secret, "reviewlab/jwt/v1")``."""
    if not secret:
        raise ValueError("cannot derive a key from an empty secret")
    return hkdf_sha256(secret, info=label.encode("utf-8"), length=length)


def settings_secret(settings: Settings, name: SecretName) -> bytes:
    """The configured secret ``name`` as bytes; in development, a stored random one when it is unset."""
    value = getattr(settings, name).get_secret_value()
    if value:
        return str(value).encode("utf-8")
    if settings.environment is not Environment.DEVELOPMENT:
        raise SettingsError(f"{name.upper()} must be set when ENVIRONMENT={settings.environment.value}")
    path = settings.reviewlab_home / "secrets" / f"{name}.key"
    created = _create_once(path)
    if created:
        log.warning("%s is not set; generated a development secret in %s", name.upper(), path)
    stored = path.read_bytes().strip()
    if not stored:
        raise SettingsError(f"the development secret {path} is empty; delete it or set {name.upper()}")
    return stored


def _create_once(path: Path) -> bool:
    """Write a random secret to ``path`` unless it exists; atomic, so concurrent processes agree on one value."""
    if path.is_file() and path.stat().st_size > 0:
        return False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".key")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temporary, path)  # fails if another process got there first: never overwrite a key in use
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temporary)
