"""``Projects``: projects and their members, reviewed versions, baselines, policies, history and finding triage.

Every write runs in one transaction that first locks the project's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serial already), so checks such as "is this the last owner?"
hold when the change commits. Each change to a project appends a row to its history.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Select, Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from reviewlab.accounts.errors import UnknownUser
from reviewlab.accounts.models import UserRow
from reviewlab.accounts.sessions import write_transaction
from reviewlab.projects import triage as triage_store
from reviewlab.projects.checks import (
    MAX_REF_LENGTH,
    checked_commit,
    checked_fields,
    checked_gate,
    optional_text,
    page_bounds,
)
from reviewlab.projects.errors import (
    AlreadyMember,
    InvalidProject,
    LastOwner,
    NameTaken,
    UnknownMember,
    UnknownProject,
)
from reviewlab.projects.models import (
    BaselineRow,
    HistoryRow,
    MemberRow,
    PolicyRow,
    ProjectRole,
    ProjectRow,
    TriageStatus,
    VersionRow,
)
from reviewlab.projects.records import (
    Baseline,
    HistoryEntry,
    Member,
    Page,
    Policy,
    Project,
    TriageEvent,
    TriageState,
    Version,
    baseline_from,
    history_from,
    member_from,
    policy_from,
    project_from,
    project_role,
    version_from,
)
from reviewlab.store.connect import read_connection, translated
from reviewlab.store.failures import store_errors

PROJECTS = cast(Table, ProjectRow.__table__)
MEMBERS = cast(Table, MemberRow.__table__)
VERSIONS = cast(Table, VersionRow.__table__)
BASELINES = cast(Table, BaselineRow.__table__)
POLICIES = cast(Table, PolicyRow.__table__)
HISTORY = cast(Table, HistoryRow.__table__)
USERS = cast(Table, UserRow.__table__)

# Read on most API requests: built once, so executing them skips construction and the cache-key walk.
_MEMBER_ROLE = select(MEMBERS.c.role).where(
    MEMBERS.c.project_id == bindparam("project_id"), MEMBERS.c.user_id == bindparam("user_id")
)
_MEMBERSHIP = and_(MEMBERS.c.project_id == PROJECTS.c.id, MEMBERS.c.user_id == bindparam("user_id"))
_ALL_PROJECTS_WITH_ROLES = select(PROJECTS, MEMBERS.c.role).select_from(PROJECTS.outerjoin(MEMBERS, _MEMBERSHIP))
_MEMBER_PROJECTS_WITH_ROLES = select(PROJECTS, MEMBERS.c.role).select_from(PROJECTS.join(MEMBERS, _MEMBERSHIP))
_PROJECT_WITH_ROLE = _ALL_PROJECTS_WITH_ROLES.where(PROJECTS.c.id == bindparam("project_id"))
_TOTAL = "reviewlab_total"  # the label of a page's row count


def _with_role(row: Any) -> tuple[Project, ProjectRole | None]:
    return project_from(row), None if row.role is None else ProjectRole(row.role)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Projects:
    """Projects in the ``projects`` schema; database failures are ``StoreError``."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self._engine = translated(engine)
        self._clock = clock

    # Projects

    def create(
        self,
        owner_id: str,
        name: str,
        description: str | None = None,
        repo_url: str | None = None,
        default_branch: str = "main",
    ) -> Project:
        """A new project of ``owner_id``, who becomes its first owner; :class:`NameTaken` if they have one so named."""
        values = checked_fields(
            {"name": name, "description": description, "repo_url": repo_url, "default_branch": default_branch}
        )
        project_id, now = str(uuid.uuid4()), self._clock()
        with store_errors(self._engine.url, "creating a project"), write_transaction(self._engine) as connection:
            self._require_user(connection, owner_id)
            self._refuse_taken_name(connection, owner_id, values["name"])
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(PROJECTS).values(
                            id=project_id, owner_id=owner_id, created_at=now, updated_at=now, **values
                        )
                    )
            except IntegrityError as err:  # a concurrent creation of the same name won
                raise NameTaken(f"you already have a project named {values['name']!r}") from err
            connection.execute(
                insert(MEMBERS).values(
                    project_id=project_id, user_id=owner_id, role=ProjectRole.OWNER.value, added_at=now
                )
            )
            self._record(connection, project_id, owner_id, "created", {"name": values["name"]})
            return self._get(connection, project_id)

    def get(self, project_id: str) -> Project | None:
        """The project with ``project_id``, or None."""
        with store_errors(self._engine.url, "reading a project"), read_connection(self._engine) as connection:
            row = connection.execute(select(PROJECTS).where(PROJECTS.c.id == project_id)).first()
        return None if row is None else project_from(row)

    def visible(self, project_id: str, user_id: str, is_admin: bool) -> Project | None:
        """The project if it exists and ``user_id`` is a member of it or an admin; else None (answer 404)."""
        found = self.visible_with_role(project_id, user_id, is_admin)
        return None if found is None else found[0]

    def visible_with_role(
        self, project_id: str, user_id: str, is_admin: bool
    ) -> tuple[Project, ProjectRole | None] | None:
        """:meth:`visible`, with the role of ``user_id`` in the project (None: not a member), in one query."""
        with store_errors(self._engine.url, "reading a project"), read_connection(self._engine) as connection:
            row = connection.execute(_PROJECT_WITH_ROLE, {"project_id": project_id, "user_id": user_id}).first()
        if row is None or (row.role is None and not is_admin):
            return None
        return _with_role(row)

    def list_for(self, user_id: str, is_admin: bool, limit: int = 50, offset: int = 0) -> Page[Project]:
        """A page of the projects ``user_id`` is a member of (an admin: every project), newest first."""
        page = self.list_with_roles(user_id, is_admin, limit, offset)
        return Page(items=tuple(project for project, _ in page.items), total=page.total)

    def list_with_roles(
        self, user_id: str, is_admin: bool, limit: int = 50, offset: int = 0
    ) -> Page[tuple[Project, ProjectRole | None]]:
        """:meth:`list_for`, each project with the role of ``user_id`` in it (None: not a member), in one query."""
        page_bounds(limit, offset)
        query = _ALL_PROJECTS_WITH_ROLES if is_admin else _MEMBER_PROJECTS_WITH_ROLES
        order = (PROJECTS.c.created_at.desc(), PROJECTS.c.id)
        with store_errors(self._engine.url, "listing projects"), read_connection(self._engine) as connection:
            return self._page(connection, query, order, limit, offset, _with_role, {"user_id": user_id})

    def update(self, project_id: str, actor_id: str | None, **fields: Any) -> Project:
        """Change the ``name``, ``description``, ``repo_url`` or ``default_branch`` of a project."""
        values = checked_fields(fields)
        with store_errors(self._engine.url, "updating a project"), write_transaction(self._engine) as connection:
            project = self._lock(connection, project_id)
            changed = {field: value for field, value in values.items() if getattr(project, field) != value}
            if not changed:
                return project
            if "name" in changed:
                self._refuse_taken_name(connection, project.owner_id, changed["name"])
            connection.execute(
                update(PROJECTS).where(PROJECTS.c.id == project_id).values(updated_at=self._clock(), **changed)
            )
            self._record(connection, project_id, actor_id, "updated", {"fields": sorted(changed)})
            return self._get(connection, project_id)

    def delete(self, project_id: str, actor_id: str | None = None) -> None:
        """Delete a project with its members, versions, baseline, policy, history and triage.

        Its history goes with it, so ``actor_id`` belongs in the audit log; it is accepted here for symmetry.
        """
        del actor_id  # the project's history is deleted with it; the caller audits the deletion
        with store_errors(self._engine.url, "deleting a project"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            triage_store.forget_scope(connection, triage_store.project_scope(project_id))
            connection.execute(delete(PROJECTS).where(PROJECTS.c.id == project_id))

    # Members

    def member_role(self, project_id: str, user_id: str) -> ProjectRole | None:
        """The role of ``user_id`` in the project, or None if they are not a member."""
        with store_errors(self._engine.url, "reading a project role"), read_connection(self._engine) as connection:
            role = connection.execute(_MEMBER_ROLE, {"project_id": project_id, "user_id": user_id}).scalar()
        return None if role is None else ProjectRole(role)

    def members(self, project_id: str) -> list[Member]:
        """The members of a project, in the order they joined."""
        query = (
            select(MEMBERS).where(MEMBERS.c.project_id == project_id).order_by(MEMBERS.c.added_at, MEMBERS.c.user_id)
        )
        with store_errors(self._engine.url, "listing members"), self._engine.connect() as connection:
            return [member_from(row) for row in connection.execute(query)]

    def add_member(self, project_id: str, user_id: str, role: ProjectRole | str, actor_id: str | None) -> Member:
        """Make ``user_id`` a member with ``role``; :class:`AlreadyMember` if they are one."""
        role = project_role(role)
        with store_errors(self._engine.url, "adding a member"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            self._require_user(connection, user_id)
            if self._role(connection, project_id, user_id) is not None:
                raise AlreadyMember("this user is a member of the project already; change their role instead")
            connection.execute(
                insert(MEMBERS).values(project_id=project_id, user_id=user_id, role=role.value, added_at=self._clock())
            )
            self._record(connection, project_id, actor_id, "member_added", {"user_id": user_id, "role": role.value})
            return self._member(connection, project_id, user_id)

    def set_member_role(self, project_id: str, user_id: str, role: ProjectRole | str, actor_id: str | None) -> Member:
        """Give member ``user_id`` the ``role``; :class:`LastOwner` if that demotes the project's only owner."""
        role = project_role(role)
        with store_errors(self._engine.url, "changing a member's role"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            current = self._require_member(connection, project_id, user_id)
            if current == role:
                return self._member(connection, project_id, user_id)
            if current is ProjectRole.OWNER:
                self._refuse_last_owner(connection, project_id, "demote")
            connection.execute(
                update(MEMBERS)
                .where(MEMBERS.c.project_id == project_id, MEMBERS.c.user_id == user_id)
                .values(role=role.value)
            )
            detail = {"user_id": user_id, "from": current.value, "to": role.value}
            self._record(connection, project_id, actor_id, "member_role", detail)
            return self._member(connection, project_id, user_id)

    def remove_member(self, project_id: str, user_id: str, actor_id: str | None) -> None:
        """End the membership of ``user_id``; :class:`LastOwner` if they are the project's only owner."""
        with store_errors(self._engine.url, "removing a member"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            if self._require_member(connection, project_id, user_id) is ProjectRole.OWNER:
                self._refuse_last_owner(connection, project_id, "remove")
            connection.execute(delete(MEMBERS).where(MEMBERS.c.project_id == project_id, MEMBERS.c.user_id == user_id))
            self._record(connection, project_id, actor_id, "member_removed", {"user_id": user_id})

    # Versions, baseline and policy

    def record_version(
        self,
        project_id: str,
        session_id: str,
        ref: str | None,
        commit: str | None,
        findings_count: int,
        counts_by_severity: Mapping[str, int],
        gate_passed: bool | None,
    ) -> Version:
        """Record that analysis session ``session_id`` reviewed the project at ``ref``/``commit``."""
        ref = optional_text(ref, "ref", MAX_REF_LENGTH)
        commit = checked_commit(commit)
        if findings_count < 0:
            raise InvalidProject("a findings count is 0 or more")
        version_id = str(uuid.uuid4())
        with store_errors(self._engine.url, "recording a version"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            connection.execute(
                insert(VERSIONS).values(
                    id=version_id,
                    project_id=project_id,
                    session_id=session_id,
                    ref=ref,
                    commit=commit,
                    created_at=self._clock(),
                    findings_count=findings_count,
                    counts_by_severity=dict(counts_by_severity),
                    gate_passed=gate_passed,
                )
            )
            detail = {"version_id": version_id, "session_id": session_id, "findings_count": findings_count}
            self._record(connection, project_id, None, "version", detail)
            return version_from(connection.execute(select(VERSIONS).where(VERSIONS.c.id == version_id)).one())

    def versions(self, project_id: str, limit: int = 50, offset: int = 0) -> Page[Version]:
        """A page of the project's reviewed versions, newest first."""
        page_bounds(limit, offset)
        query = select(VERSIONS).where(VERSIONS.c.project_id == project_id)
        order = (VERSIONS.c.created_at.desc(), VERSIONS.c.id)
        with store_errors(self._engine.url, "listing versions"), self._engine.connect() as connection:
            return self._page(connection, query, order, limit, offset, version_from)

    def set_baseline(
        self, project_id: str, session_id: str, fingerprints: Iterable[str], actor_id: str | None
    ) -> Baseline:
        """Accept the findings ``fingerprints`` of session ``session_id`` as the project's existing findings."""
        accepted = sorted(set(fingerprints))
        values = {"session_id": session_id, "fingerprints": accepted, "set_by": actor_id}
        with store_errors(self._engine.url, "setting a baseline"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            self._upsert(connection, BASELINES, project_id, {**values, "set_at": self._clock()})
            detail = {"session_id": session_id, "fingerprints": len(accepted)}
            self._record(connection, project_id, actor_id, "baseline", detail)
            return baseline_from(
                connection.execute(select(BASELINES).where(BASELINES.c.project_id == project_id)).one()
            )

    def baseline(self, project_id: str) -> Baseline | None:
        """The project's baseline, or None if it has none."""
        query = select(BASELINES).where(BASELINES.c.project_id == project_id)
        with store_errors(self._engine.url, "reading a baseline"), self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else baseline_from(row)

    def set_policy(self, project_id: str, gate: Mapping[str, Any], actor_id: str | None) -> Policy:
        """Set the project's quality gate; :class:`InvalidPolicy` if ``gate`` is not valid ``GateConfig`` options."""
        options = checked_gate(gate).model_dump(mode="json", exclude_defaults=True)
        with store_errors(self._engine.url, "setting a policy"), write_transaction(self._engine) as connection:
            self._lock(connection, project_id)
            self._upsert(
                connection, POLICIES, project_id, {"gate": options, "updated_by": actor_id, "updated_at": self._clock()}
            )
            self._record(connection, project_id, actor_id, "policy", {"gate": options})
            return policy_from(connection.execute(select(POLICIES).where(POLICIES.c.project_id == project_id)).one())

    def policy(self, project_id: str) -> Policy | None:
        """The project's quality gate, or None if it has none."""
        query = select(POLICIES).where(POLICIES.c.project_id == project_id)
        with store_errors(self._engine.url, "reading a policy"), self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else policy_from(row)

    def history(self, project_id: str, limit: int = 50, offset: int = 0) -> Page[HistoryEntry]:
        """A page of the project's changes, newest first."""
        page_bounds(limit, offset)
        query = select(HISTORY).where(HISTORY.c.project_id == project_id)
        with store_errors(self._engine.url, "reading project history"), self._engine.connect() as connection:
            return self._page(connection, query, (HISTORY.c.id.desc(),), limit, offset, history_from)

    # Triage

    def triage(
        self, scope: str, fingerprint: str, status: TriageStatus | str, comment: str | None, actor_id: str | None
    ) -> TriageState:
        """Triage finding ``fingerprint`` in ``scope`` (``project:<id>`` or ``user:<id>``); the decision is kept."""
        project_id = triage_store.scope_project(scope)
        fingerprint = triage_store.checked_fingerprint(fingerprint)
        status = triage_store.triage_status(status)
        comment = triage_store.checked_comment(comment)
        now = self._clock()
        with store_errors(self._engine.url, "triaging a finding"), write_transaction(self._engine) as connection:
            if project_id is not None:
                self._lock(connection, project_id)
                detail = {"fingerprint": fingerprint, "status": status.value}
                self._record(connection, project_id, actor_id, "triage", detail)
            return triage_store.write_triage(connection, scope, fingerprint, status, comment, actor_id, now)

    def triage_states(self, scope: str, fingerprints: Iterable[str]) -> dict[str, TriageState]:
        """The triage of each of ``fingerprints`` triaged in ``scope``, by fingerprint (one query)."""
        with store_errors(self._engine.url, "reading triage"), read_connection(self._engine) as connection:
            return triage_store.read_triage_states(connection, scope, fingerprints)

    def triage_events(self, scope: str, fingerprint: str) -> list[TriageEvent]:
        """Every triage decision on ``fingerprint`` in ``scope``, oldest first."""
        with store_errors(self._engine.url, "reading triage history"), self._engine.connect() as connection:
            return triage_store.read_triage_events(connection, scope, fingerprint)

    # Inside a transaction

    def _get(self, connection: Connection, project_id: str) -> Project:
        row = connection.execute(select(PROJECTS).where(PROJECTS.c.id == project_id)).first()
        if row is None:
            raise UnknownProject(f"no project with id {project_id!r}")
        return project_from(row)

    def _lock(self, connection: Connection, project_id: str) -> Project:
        row = connection.execute(select(PROJECTS).where(PROJECTS.c.id == project_id).with_for_update()).first()
        if row is None:
            raise UnknownProject(f"no project with id {project_id!r}")
        return project_from(row)

    def _require_user(self, connection: Connection, user_id: str) -> None:
        if connection.execute(select(USERS.c.id).where(USERS.c.id == user_id)).first() is None:
            raise UnknownUser(f"no user with id {user_id!r}")

    def _refuse_taken_name(self, connection: Connection, owner_id: str, name: str) -> None:
        query = select(PROJECTS.c.id).where(PROJECTS.c.owner_id == owner_id, PROJECTS.c.name == name)
        if connection.execute(query).first() is not None:
            raise NameTaken(f"you already have a project named {name!r}")

    def _role(self, connection: Connection, project_id: str, user_id: str) -> ProjectRole | None:
        query = select(MEMBERS.c.role).where(MEMBERS.c.project_id == project_id, MEMBERS.c.user_id == user_id)
        role = connection.execute(query).scalar()
        return None if role is None else ProjectRole(role)

    def _require_member(self, connection: Connection, project_id: str, user_id: str) -> ProjectRole:
        role = self._role(connection, project_id, user_id)
        if role is None:
            raise UnknownMember(f"user {user_id!r} is not a member of project {project_id!r}")
        return role

    def _member(self, connection: Connection, project_id: str, user_id: str) -> Member:
        query = select(MEMBERS).where(MEMBERS.c.project_id == project_id, MEMBERS.c.user_id == user_id)
        return member_from(connection.execute(query).one())

    def _refuse_last_owner(self, connection: Connection, project_id: str, verb: str) -> None:
        query = select(func.count()).where(
            MEMBERS.c.project_id == project_id, MEMBERS.c.role == ProjectRole.OWNER.value
        )
        if connection.execute(query).scalar_one() <= 1:
            raise LastOwner(f"cannot {verb} the last owner of the project; make another member an owner first")

    def _upsert(self, connection: Connection, table: Table, project_id: str, values: dict[str, Any]) -> None:
        if connection.execute(update(table).where(table.c.project_id == project_id).values(**values)).rowcount == 0:
            connection.execute(insert(table).values(project_id=project_id, **values))

    def _record(
        self, connection: Connection, project_id: str, actor_id: str | None, action: str, detail: dict[str, Any]
    ) -> None:
        connection.execute(
            insert(HISTORY).values(
                project_id=project_id, at=self._clock(), actor_id=actor_id, action=action, detail=detail
            )
        )

    def _page(
        self,
        connection: Connection,
        query: Select[Any],
        order: tuple[Any, ...],
        limit: int,
        offset: int,
        convert: Callable[[Any], Any],
        values: dict[str, Any] | None = None,
    ) -> Page[Any]:
        # The total rides along with each row of the page (one query); only a page past the end counts apart.
        counted = query.add_columns(func.count().over().label(_TOTAL))
        rows = connection.execute(counted.order_by(*order).limit(limit).offset(offset), values).all()
        if rows:
            total = rows[0]._mapping[_TOTAL]
        elif offset:
            total = connection.execute(select(func.count()).select_from(query.subquery()), values).scalar_one()
        else:
            total = 0
        return Page(items=tuple(convert(row) for row in rows), total=total)
