"""The provider store's exceptions, a branch of the library's tree (:mod:`reviewlab.errors`).

ReviewlabError
└── ProviderStoreError
    ├── UnknownProvider     also an InputError: not a provider of the chain, or not one that takes a key (422)
    ├── InvalidKey          also an InputError: empty, too long, or with whitespace or control characters (422)
    ├── InvalidQuota        also an InputError: a quota with an unknown period or a negative limit (422)
    ├── UnknownUser         no account has this id (404)
    └── KeyUnreadable       a stored key does not decrypt: another key, another row's ciphertext, tampering (500)

Messages never contain the key itself.
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class ProviderStoreError(ReviewlabError):
    """Base class of the provider store's errors."""


class UnknownProvider(ProviderStoreError, InputError):
    """The name is not a provider of the chain, or not a cloud provider where a key is asked for."""


class InvalidKey(ProviderStoreError, InputError):
    """The text given as an API key cannot be one."""


class InvalidQuota(ProviderStoreError, InputError):
    """A quota's period or limits are invalid."""


class UnknownUser(ProviderStoreError):
    """No account has this id."""


class KeyUnreadable(ProviderStoreError):
    """A stored key failed to decrypt: the encryption key changed, or the ciphertext was tampered with or moved."""
