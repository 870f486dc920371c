"""User accounts in the ``auth`` schema: users, invitations, password resets and database-backed sessions."""

from __future__ import annotations

from reviewlab.accounts.errors import AccountError, EmailTaken, InvalidEmail, TokenRejected, UnknownUser
from reviewlab.accounts.models import Role
from reviewlab.accounts.repository import Accounts, User
from reviewlab.accounts.sessions import SqlRefreshStore

__all__ = [
    "AccountError",
    "Accounts",
    "EmailTaken",
    "InvalidEmail",
    "Role",
    "SqlRefreshStore",
    "TokenRejected",
    "UnknownUser",
    "User",
]
