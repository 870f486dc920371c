"""The accounts' exceptions, a branch of the library's tree (:mod:`reviewlab.errors`).

ReviewlabError
└── AccountError
    ├── EmailTaken          also an InputError: an account with this email exists (409)
    ├── InvalidEmail        also an InputError: not an email address (422)
    ├── UnknownUser         no account has this id (404)
    └── TokenRejected       an invitation or reset token is unknown, used or expired (400)
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class AccountError(ReviewlabError):
    """Base class of the accounts' errors."""


class EmailTaken(AccountError, InputError):
    """An account with this email address (compared case-insensitively) already exists."""


class InvalidEmail(AccountError, InputError):
    """The text given as an email address is not one."""


class UnknownUser(AccountError):
    """No account has this id."""


class TokenRejected(AccountError):
    """An invitation or password-reset token is unknown, already used or expired (the message says which kind)."""
