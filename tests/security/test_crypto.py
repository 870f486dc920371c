"""Provider keys at rest: AES-256-GCM round trip, wrong key, wrong context, tampering, rotation, masking."""

from __future__ import annotations

import base64
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reviewlab.security.crypto import (
    AES_KEY_INFO,
    CRYPTO_KEY_LABEL,
    KEY_ID_INFO,
    KEY_ID_LEN,
    MAX_PLAINTEXT_BYTES,
    NONCE_LEN,
    PREFIX,
    TAG_LEN,
    SecretBox,
    mask,
)
from reviewlab.security.errors import DecryptionError
from reviewlab.security.keys import derive_key, hkdf_sha256
from reviewlab.settings import get_settings
from tests.fake_secrets import TOKENS

OPENAI_KEY = TOKENS["OpenAI API key"]
ANTHROPIC_KEY = TOKENS["Anthropic API key"]
CONTEXT = "user-42/openai"
SECRET = b"test-jwt-secret"


def _box(secret: bytes = SECRET, *, previous: tuple[bytes, ...] = ()) -> SecretBox:
    return SecretBox(
        derive_key(secret, CRYPTO_KEY_LABEL), previous=[derive_key(old, CRYPTO_KEY_LABEL) for old in previous]
    )


def _encode(blob: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii")


def _decode(token: str) -> bytes:
    body = token[len(PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _flip(token: str, index: int) -> str:
    blob = bytearray(_decode(token))
    blob[index] ^= 0x01
    return _encode(bytes(blob))


def _seal_by_hand(secret: bytes, plaintext: str, context: str, *, aes_info: bytes = AES_KEY_INFO) -> str:
    """A token made with AESGCM directly, following the documented layout, not with SecretBox."""
    master = derive_key(secret, CRYPTO_KEY_LABEL)
    key_id = hkdf_sha256(master, info=KEY_ID_INFO, length=KEY_ID_LEN)
    nonce = secrets.token_bytes(NONCE_LEN)
    sealed = AESGCM(hkdf_sha256(master, info=aes_info)).encrypt(nonce, plaintext.encode(), context.encode())
    return _encode(key_id + nonce + sealed)


def test_round_trip() -> None:
    box = _box()
    token = box.encrypt(OPENAI_KEY, context=CONTEXT)
    assert token.startswith(PREFIX)
    assert box.decrypt(token, context=CONTEXT) == OPENAI_KEY


@pytest.mark.parametrize("plaintext", ["", "ключ-🔑", ANTHROPIC_KEY, "x" * MAX_PLAINTEXT_BYTES])
def test_round_trip_of_any_text(plaintext: str) -> None:
    box = _box()
    assert box.decrypt(box.encrypt(plaintext)) == plaintext
    assert box.decrypt(box.encrypt(plaintext, context=CONTEXT), context=CONTEXT) == plaintext


def test_the_token_layout() -> None:
    blob = _decode(_box().encrypt(OPENAI_KEY, context=CONTEXT))
    assert len(blob) == KEY_ID_LEN + NONCE_LEN + len(OPENAI_KEY.encode()) + TAG_LEN


def test_tokens_are_standard_aes_gcm_in_both_directions() -> None:
    master = derive_key(SECRET, CRYPTO_KEY_LABEL)
    blob = _decode(_box().encrypt(OPENAI_KEY, context=CONTEXT))
    key_id, nonce, sealed = blob[:KEY_ID_LEN], blob[KEY_ID_LEN : KEY_ID_LEN + NONCE_LEN], blob[KEY_ID_LEN + NONCE_LEN :]
    assert key_id == hkdf_sha256(master, info=KEY_ID_INFO, length=KEY_ID_LEN)
    aead = AESGCM(hkdf_sha256(master, info=AES_KEY_INFO))
    assert aead.decrypt(nonce, sealed, CONTEXT.encode()).decode() == OPENAI_KEY

    assert _box().decrypt(_seal_by_hand(SECRET, ANTHROPIC_KEY, CONTEXT), context=CONTEXT) == ANTHROPIC_KEY


def test_two_encryptions_of_the_same_plaintext_differ_and_reveal_nothing() -> None:
    box = _box()
    first, second = box.encrypt(OPENAI_KEY, context=CONTEXT), box.encrypt(OPENAI_KEY, context=CONTEXT)
    assert first != second
    nonces = {_decode(token)[KEY_ID_LEN : KEY_ID_LEN + NONCE_LEN] for token in (first, second)}
    assert len(nonces) == 2
    for token in (first, second):
        assert OPENAI_KEY.encode() not in _decode(token)
        assert OPENAI_KEY[-8:] not in token


def test_a_wrong_key_cannot_decrypt() -> None:
    token = _box().encrypt(OPENAI_KEY, context=CONTEXT)
    with pytest.raises(DecryptionError, match="key this service lacks"):
        _box(b"another secret").decrypt(token, context=CONTEXT)


def test_a_wrong_key_behind_a_matching_key_id_fails_authentication() -> None:
    token = _seal_by_hand(SECRET, OPENAI_KEY, CONTEXT, aes_info=b"some other key")
    with pytest.raises(DecryptionError, match="failed authentication"):
        _box().decrypt(token, context=CONTEXT)


@pytest.mark.parametrize("other", ["user-7/openai", "user-42/anthropic", "", "user-42/openai "])
def test_a_ciphertext_moved_to_another_row_cannot_decrypt(other: str) -> None:
    box = _box()
    token = box.encrypt(OPENAI_KEY, context=CONTEXT)
    with pytest.raises(DecryptionError, match="another context"):
        box.decrypt(token, context=other)


@pytest.mark.parametrize(
    ("index", "reason"),
    [
        (0, "key this service lacks"),  # key id
        (KEY_ID_LEN, "tampered"),  # first nonce byte
        (KEY_ID_LEN + NONCE_LEN - 1, "tampered"),  # last nonce byte
        (KEY_ID_LEN + NONCE_LEN, "tampered"),  # first ciphertext byte
        (-TAG_LEN - 1, "tampered"),  # last ciphertext byte
        (-TAG_LEN, "tampered"),  # first tag byte
        (-1, "tampered"),  # last tag byte
    ],
)
def test_tampering_anywhere_is_detected(index: int, reason: str) -> None:
    box = _box()
    with pytest.raises(DecryptionError, match=reason):
        box.decrypt(_flip(box.encrypt(OPENAI_KEY, context=CONTEXT), index), context=CONTEXT)


def test_an_appended_byte_is_detected() -> None:
    box = _box()
    token = _encode(_decode(box.encrypt(OPENAI_KEY, context=CONTEXT)) + b"\x00")
    with pytest.raises(DecryptionError, match="tampered"):
        box.decrypt(token, context=CONTEXT)


@pytest.mark.parametrize(
    ("length", "reason"),
    [
        (0, "truncated"),
        (KEY_ID_LEN, "truncated"),
        (KEY_ID_LEN + NONCE_LEN, "truncated"),
        (KEY_ID_LEN + NONCE_LEN + TAG_LEN - 1, "truncated"),
        (KEY_ID_LEN + NONCE_LEN + TAG_LEN, "tampered"),  # the length of an empty secret's token
        (-1, "tampered"),
    ],
)
def test_a_truncated_token(length: int, reason: str) -> None:
    box = _box()
    token = _encode(_decode(box.encrypt(OPENAI_KEY, context=CONTEXT))[:length])
    with pytest.raises(DecryptionError, match=reason):
        box.decrypt(token, context=CONTEXT)


def test_a_truncated_token_string() -> None:
    box = _box()
    token = box.encrypt(OPENAI_KEY, context=CONTEXT)
    for cut in range(1, 8):
        with pytest.raises(DecryptionError):
            box.decrypt(token[:-cut], context=CONTEXT)


@pytest.mark.parametrize(
    "body",
    [
        "!!!!",
        "ü" * 4,
        "A" * 45,  # a length no base64 encoding has
        "AAAA" * 11 + "==",  # padding is never written
        "AAAA" * 11 + "+/+/",  # the standard alphabet, not base64url
        "AAAA" * 11 + " AAAA",
        "AAAA" * 11 + "AAB",  # unused trailing bits set: not the canonical encoding
    ],
)
def test_bad_base64(body: str) -> None:
    with pytest.raises(DecryptionError, match="not valid base64"):
        _box().decrypt(PREFIX + body)


@pytest.mark.parametrize("prefix", ["rlenc1.", "rlenc3.", "rlenc20."])
def test_an_unknown_version_prefix(prefix: str) -> None:
    body = _box().encrypt(OPENAI_KEY, context=CONTEXT)[len(PREFIX) :]
    with pytest.raises(DecryptionError, match=f"unknown format version '{prefix}'"):
        _box().decrypt(prefix + body, context=CONTEXT)


@pytest.mark.parametrize("token", ["", OPENAI_KEY, "gAAAAABfernet-looking", "RLENC2.AAAA", "rlenc.AAAA", " " + PREFIX])
def test_not_a_ciphertext(token: str) -> None:
    box = _box()
    with pytest.raises(DecryptionError, match="not an encrypted secret"):
        box.decrypt(token)
    with pytest.raises(DecryptionError, match="not an encrypted secret"):
        box.needs_reencrypt(token)


def test_bytes_are_not_a_token() -> None:
    token = _box().encrypt(OPENAI_KEY).encode("ascii")
    with pytest.raises(DecryptionError, match="not an encrypted secret"):
        _box().decrypt(token)  # type: ignore[arg-type]


def test_over_large_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        _box().encrypt("x" * (MAX_PLAINTEXT_BYTES + 1))


def test_key_rotation() -> None:
    old_box = _box(b"old secret")
    old_token = old_box.encrypt(OPENAI_KEY, context=CONTEXT)
    rotated = _box(b"new secret", previous=(b"older secret", b"old secret"))
    assert rotated.decrypt(old_token, context=CONTEXT) == OPENAI_KEY
    assert rotated.needs_reencrypt(old_token)
    new_token = rotated.encrypt(rotated.decrypt(old_token, context=CONTEXT), context=CONTEXT)
    assert not rotated.needs_reencrypt(new_token)
    assert _box(b"new secret").decrypt(new_token, context=CONTEXT) == OPENAI_KEY
    with pytest.raises(DecryptionError, match="key this service lacks"):
        old_box.decrypt(new_token, context=CONTEXT)
    with pytest.raises(DecryptionError, match="another context"):
        rotated.decrypt(old_token, context="user-7/openai")  # a previous key still checks the context


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SecretBox(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        SecretBox(derive_key(SECRET, CRYPTO_KEY_LABEL), previous=[b"short"])


def test_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    token = SecretBox.from_settings(get_settings()).encrypt(OPENAI_KEY, context=CONTEXT)
    assert SecretBox.from_settings(get_settings()).decrypt(token, context=CONTEXT) == OPENAI_KEY
    assert _box(b"j" * 40).decrypt(token, context=CONTEXT) == OPENAI_KEY  # the key is HKDF(JWT_SECRET_KEY, label)

    monkeypatch.setenv("JWT_SECRET_KEY", "k" * 40)  # a rotated JWT secret...
    get_settings.cache_clear()
    with pytest.raises(DecryptionError, match="key this service lacks"):
        SecretBox.from_settings(get_settings()).decrypt(token, context=CONTEXT)
    rotated = SecretBox.from_settings(get_settings(), previous_secrets=["j" * 40])  # ...keeps the old one to decrypt
    assert rotated.decrypt(token, context=CONTEXT) == OPENAI_KEY
    assert rotated.needs_reencrypt(token)


def test_the_jwt_signing_key_is_not_the_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 40)
    monkeypatch.setenv("CSRF_SECRET_KEY", "c" * 40)
    token = SecretBox.from_settings(get_settings()).encrypt(OPENAI_KEY)
    with pytest.raises(DecryptionError):
        SecretBox(b"j" * 40).decrypt(token)


def test_development_without_a_secret_survives_a_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    token = SecretBox.from_settings(get_settings()).encrypt(OPENAI_KEY)
    get_settings.cache_clear()
    assert SecretBox.from_settings(get_settings()).decrypt(token) == OPENAI_KEY


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (OPENAI_KEY, "sk-..." + OPENAI_KEY[-4:]),
        (ANTHROPIC_KEY, "sk-..." + ANTHROPIC_KEY[-4:]),
        (TOKENS["GitHub token"], "ghp_..." + TOKENS["GitHub token"][-4:]),
        ("  " + OPENAI_KEY + "\n", "sk-..." + OPENAI_KEY[-4:]),
        ("0123456789abcdefghijWXYZ", "...WXYZ"),
        ("sk-short", "****"),
        ("", "****"),
    ],
)
def test_mask(secret: str, shown: str) -> None:
    assert mask(secret) == shown
