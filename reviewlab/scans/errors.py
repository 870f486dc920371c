"""The scans' exceptions, a branch of the library's tree (:mod:`reviewlab.errors`).

ReviewlabError
└── ScanError                 a repository could not be registered, reached or scanned
    ├── InvalidTarget         also an InputError: a repository URL/path, branch or name is not acceptable
    ├── DuplicateTarget       also an InputError: this repository and branch are registered already
    ├── NoOwner               no user can own a registered repository (no active admin, unknown email)
    ├── UnknownTarget         no project with a repository has this id or name (or the name is ambiguous)
    ├── RepositoryUnavailable the repository is unreachable, is not a git repository, or lacks the branch
    └── ScanFailed            a scan's analysis session ended failed or cancelled; the message says why
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class ScanError(ReviewlabError):
    """Base class of the scans' errors."""


class InvalidTarget(ScanError, InputError):
    """A repository URL or path, branch or name is not acceptable; the message says which."""


class DuplicateTarget(ScanError, InputError):
    """A project already scans this repository at this branch."""


class NoOwner(ScanError):
    """Nobody can own the repository's project: the email names no active user, or there is no active admin."""


class UnknownTarget(ScanError):
    """No project with a repository has this id or name, or several have this name."""


class RepositoryUnavailable(ScanError):
    """The repository could not be read: unreachable, not a git repository, or without the branch or ref."""


class ScanFailed(ScanError):
    """The scan's analysis session did not complete; the message carries the session's error."""
