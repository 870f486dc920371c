"""The projects' exceptions, a branch of the library's tree (:mod:`reviewlab.errors`).

ReviewlabError
└── ProjectError
    ├── UnknownProject      no project has this id (404)
    ├── UnknownMember       the user is not a member of the project (404)
    ├── AlreadyMember       also an InputError: the user is a member already (409)
    ├── NameTaken           also an InputError: the owner has a project with this name (409)
    ├── InvalidProject      also an InputError: a name, branch or field is not acceptable (422)
    ├── LastOwner           the change would leave the project without an owner (409)
    ├── InvalidPolicy       also an InputError: the quality gate options do not validate (422)
    └── InvalidTriage       also an InputError: unknown status, empty fingerprint, comment too long (422)
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class ProjectError(ReviewlabError):
    """Base class of the projects' errors."""


class UnknownProject(ProjectError):
    """No project has this id."""


class UnknownMember(ProjectError):
    """The user is not a member of this project."""


class AlreadyMember(ProjectError, InputError):
    """The user is a member of this project already; change their role instead."""


class NameTaken(ProjectError, InputError):
    """The owner already has a project with this name."""


class InvalidProject(ProjectError, InputError):
    """A project field (name, branch, an unknown field, a role) is not acceptable; the message says which."""


class LastOwner(ProjectError):
    """Removing or demoting this member would leave the project without an owner."""


class InvalidPolicy(ProjectError, InputError):
    """The quality gate options of a policy do not validate; the message lists every problem."""


class InvalidTriage(ProjectError, InputError):
    """A triage decision is not acceptable (unknown status, empty scope or fingerprint, comment too long)."""
