"""Secrets in any file: tokens of known formats, random values of secret-like keys, and how they are redacted.

``FileSecrets`` is what one file holds, computed at most once per analysis and shared by the
secret rules (SEC-S001 reports known formats, SEC-S002 random values in config files) and by the
analyzer, which redacts every secret it knows of from every finding of every rule.
"""

from __future__ import annotations

from typing import Any, Protocol

from reviewlab.engine.model import PLAIN_TEXT
from reviewlab.engine.secrets.assigned import assigned_secrets, is_secret_key, looks_random
from reviewlab.engine.secrets.base import Secret, shannon_entropy
from reviewlab.engine.secrets.formats import known_secrets
from reviewlab.engine.secrets.paths import NETRC_NAMES, file_name, is_dockerfile

__all__ = [
    "GENERIC_RULE",
    "KNOWN_FORMAT_RULE",
    "RULE_IDS",
    "FileSecrets",
    "Secret",
    "is_secret_key",
    "looks_random",
    "shannon_entropy",
]

KNOWN_FORMAT_RULE = "SEC-S001"
GENERIC_RULE = "SEC-S002"
# The rules that read every file as text; discovery lists text files only when one of them is enabled.
RULE_IDS = (KNOWN_FORMAT_RULE, GENERIC_RULE)

_STATE_KEY = "reviewlab.secrets"


class _Text(Protocol):
    path: str
    language: str
    source: bytes
    state: dict[str, Any]


class FileSecrets:
    """The secrets in one file, each kind found on first use."""

    __slots__ = ("_assigned", "_known", "code", "path", "source")

    def __init__(self, path: str, source: bytes, code: bool) -> None:
        self.path = path
        self.source = source
        self.code = code  # source code: only quoted literals can be assigned secrets
        self._known: list[Secret] | None = None
        self._assigned: list[Secret] | None = None

    @classmethod
    def of(cls, ctx: _Text) -> FileSecrets:
        """The file's secrets, shared by everything that analyses this file."""
        found = ctx.state.get(_STATE_KEY)
        if not isinstance(found, FileSecrets):
            found = ctx.state[_STATE_KEY] = cls(ctx.path, ctx.source, ctx.language != PLAIN_TEXT)
        return found

    def known(self) -> list[Secret]:
        """Tokens of known formats, private keys, JWTs, URL passwords, AWS keys."""
        if self._known is None:
            self._known = known_secrets(self.source)
        return self._known

    def assigned(self) -> list[Secret]:
        """Values of secret-like keys that are not stand-ins (random or not), excluding known-format tokens."""
        if self._assigned is None:
            name = file_name(self.path)
            found = assigned_secrets(
                self.source,
                quoted_only=self.code,
                dockerfile=is_dockerfile(self.path),
                netrc=name in NETRC_NAMES,
            )
            known = self.known()
            self._assigned = [s for s in found if not any(k.overlaps(s.start, s.end) for k in known)]
        return self._assigned

    def all(self) -> list[Secret]:
        """Everything that must never be shown, by position."""
        return sorted([*self.known(), *self.assigned()], key=lambda s: (s.start, s.end))
