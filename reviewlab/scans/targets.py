"""The repositories under scheduled review: projects with a repository, and registering a new one.

A scan target is a project (``projects.projects``) with a ``repo_url`` — a remote git URL, or an absolute
path on the server, which only the operator registers (the API lets admins alone register paths). Its id is
the partition key of the scheduled scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pydantic import ValidationError
from sqlalchemy import Engine, Table, select

from reviewlab.accounts.models import Role, UserRow
from reviewlab.accounts.repository import normalize_email
from reviewlab.audit import AuditLog
from reviewlab.jobs.spec import REMOTE_URL, RepositoryRequest, describe_errors
from reviewlab.projects import NameTaken, Project, Projects
from reviewlab.projects.models import ProjectRow
from reviewlab.scans.errors import DuplicateTarget, InvalidTarget, NoOwner, UnknownTarget
from reviewlab.store.connect import translated
from reviewlab.store.failures import store_errors

PROJECTS = cast(Table, ProjectRow.__table__)
USERS = cast(Table, UserRow.__table__)


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """A repository to scan: its project (whose id is the partition key), name, URL or path, and branch."""

    project_id: str
    name: str
    repo_url: str
    branch: str

    @property
    def is_local(self) -> bool:
        return self.repo_url.startswith("/")

    @classmethod
    def of(cls, project: Project) -> ScanTarget:
        if project.repo_url is None:
            raise UnknownTarget(f"project {project.name!r} has no repository to scan")
        return cls(project.id, project.name, project.repo_url, project.default_branch)


def scan_targets(engine: Engine) -> list[ScanTarget]:
    """Every project with a repository, oldest first (a stable order for partitions)."""
    query = (
        select(PROJECTS.c.id, PROJECTS.c.name, PROJECTS.c.repo_url, PROJECTS.c.default_branch)
        .where(PROJECTS.c.repo_url.is_not(None))
        .order_by(PROJECTS.c.created_at, PROJECTS.c.id)
    )
    engine = translated(engine)
    with store_errors(engine.url, "listing scan targets"), engine.connect() as connection:
        return [ScanTarget(*row) for row in connection.execute(query)]


def find_target(engine: Engine, id_or_name: str) -> ScanTarget:
    """The target whose project id, else whose (unique) name, is ``id_or_name``; :class:`UnknownTarget` if none."""
    targets = scan_targets(engine)
    by_id = [t for t in targets if t.project_id == id_or_name]
    if by_id:
        return by_id[0]
    named = [t for t in targets if t.name == id_or_name]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(t.project_id for t in named)
        raise UnknownTarget(f"several repositories are named {id_or_name!r}; use a project id: {ids}")
    raise UnknownTarget(f"no registered repository has the id or name {id_or_name!r}")


def register_repository(
    engine: Engine,
    repo_url: str,
    *,
    name: str | None = None,
    branch: str = "main",
    owner_email: str | None = None,
) -> ScanTarget:
    """Create the project that scans ``repo_url`` at ``branch``, owned by ``owner_email`` (default: the first
    active admin); :class:`DuplicateTarget` if a project scans this repository and branch already."""
    repo_url, branch = checked_repository(repo_url, branch)
    owner_id = _owner(engine, owner_email)
    for target in scan_targets(engine):
        if target.repo_url == repo_url and target.branch == branch:
            raise DuplicateTarget(
                f"{repo_url} (branch {branch}) is registered already as {target.name!r} ({target.project_id})"
            )
    projects = Projects(engine)
    base = name.strip() if name and name.strip() else default_name(repo_url)
    try:
        project = projects.create(owner_id, base, repo_url=repo_url, default_branch=branch)
    except NameTaken:
        if name:
            raise InvalidTarget(f"the owner already has a project named {base!r}; pass another name") from None
        project = projects.create(owner_id, f"{base}@{branch}", repo_url=repo_url, default_branch=branch)
    AuditLog(engine).append(
        "project.created",
        target_type="project",
        target_id=project.id,
        details={"name": project.name, "repo_url": repo_url, "branch": branch, "via": "scan add"},
    )
    return ScanTarget.of(project)


def checked_repository(repo_url: str, branch: str) -> tuple[str, str]:
    """``repo_url`` (a remote git URL, or an existing local directory made absolute) and ``branch``, checked
    as the jobs check a repository request; :class:`InvalidTarget` says what is wrong."""
    repo_url, branch = repo_url.strip(), branch.strip()
    if repo_url.startswith("file:"):
        raise InvalidTarget("give a local repository as an absolute path, not a file: URL")
    if REMOTE_URL.fullmatch(repo_url):
        repo_url = repo_url.rstrip("/")
    elif repo_url.startswith("/"):
        path = Path(repo_url).resolve()
        if not path.is_dir():
            raise InvalidTarget(f"no directory at {path}")
        repo_url = str(path)
    else:
        raise InvalidTarget("a repository is a git URL (https, ssh, git) or an absolute local path")
    try:
        RepositoryRequest(kind="repository", repo=repo_url, ref=branch)
    except ValidationError as err:
        raise InvalidTarget(describe_errors(err).replace("ref:", "branch:")) from None
    return repo_url, branch


def default_name(repo_url: str) -> str:
    """A project name from a repository's URL or path: its last segment without ``.git``."""
    last = repo_url.rstrip("/").replace(":", "/").rsplit("/", 1)[-1].removesuffix(".git")
    return last or repo_url


def _owner(engine: Engine, email: str | None) -> str:
    engine = translated(engine)
    active = USERS.c.is_active.is_(True)
    if email is not None:
        query = select(USERS.c.id).where(USERS.c.email == normalize_email(email), active)
        missing = f"no active user has the email {email!r}"
    else:
        query = (
            select(USERS.c.id)
            .where(USERS.c.role == Role.ADMIN.value, active)
            .order_by(USERS.c.created_at, USERS.c.id)
            .limit(1)
        )
        missing = (
            "there is no active admin to own the repository's project: start the API once (`reviewlab serve` "
            "creates the admin account) or name an existing user as its owner"
        )
    with store_errors(engine.url, "looking for the project's owner"), engine.connect() as connection:
        owner = connection.execute(query).scalar()
    if owner is None:
        raise NoOwner(missing)
    return str(owner)
