"""The library's exception tree.

Every error the library raises on purpose derives from ``ReviewlabError``; faces translate these
into their own vocabulary (exit codes in the CLI, problem responses in the API) at the seam.

    ReviewlabError
    ├── InputError            the user asked for something that cannot be reviewed
    │   ├── PathNotFoundError
    │   └── ConfigError       a configuration file or value is invalid
    ├── SettingsError         the process environment is misconfigured
    ├── StoreError            the operational store failed
    └── SecurityError         (reviewlab.security.errors) passwords, tokens, CSRF, secrets at rest
        ├── PasswordPolicyError   (also an InputError)
        ├── DecryptionError
        └── TokenError            TokenExpired, TokenInvalid (TokenNotYetValid), WrongTokenType,
                                  TokenRevoked, RefreshReuse

The AI orchestrator's declared provider failures (``reviewlab.ai.base.ProviderError``) are a separate
tree on purpose: the orchestrator falls back on them and never lets one escape ``complete``.
"""

from __future__ import annotations


class ReviewlabError(Exception):
    """Base class of every error the library raises on purpose."""


class InputError(ReviewlabError):
    """The request names input that cannot be reviewed."""


class PathNotFoundError(InputError):
    """The path to review does not exist."""


class ConfigError(InputError):
    """A configuration file or value is invalid."""


class SettingsError(ReviewlabError):
    """The process settings (environment variables) are invalid."""


class StoreError(ReviewlabError):
    """The operational store could not complete an operation."""
