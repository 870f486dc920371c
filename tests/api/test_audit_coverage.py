"""Every state-changing route leaves its audit row, and so does every sign-in attempt, also those refused before
the login handler (429, 403, 422). A test walks the app's routes: a new state-changing route needs a case here."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.deps import Platform
from reviewlab.accounts import Role
from reviewlab.audit import AuditRecord
from reviewlab.events.bus import InProcessBus
from reviewlab.mail import MemoryMailer
from tests.api import BASE_URL, PASSWORD, Client, new_email
from tests.api.conftest import Clock
from tests.api.test_analyze import start_snippet, wait
from tests.api.test_auth import jar
from tests.api.test_webhooks_api import HOOKS, Receiver, _create, _publish, bus, deliver

__all__ = ["bus", "deliver"]  # fixtures the webhook cases share with test_webhooks_api

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_ELSEWHERE = {
    ("POST", "/api/models/{ref}/promote"): "the lifecycle audits its transitions (tests/lifecycle)",
    ("POST", "/api/models/{ref}/quarantine"): "the lifecycle audits its transitions (tests/lifecycle)",
}


@dataclass
class Api:
    """What a case works with: the app, its platform, signed-in clients, an anonymous client, the mails."""

    app: FastAPI
    platform: Platform
    sign_in: Callable[..., Client]
    client: Client
    mailer: MemoryMailer
    clock: Clock
    deliver: Callable[..., Receiver]
    bus: InProcessBus
    mark: int = 0

    def start(self) -> None:
        """Everything audited after this call belongs to the action under test (not to its setup)."""
        head = self.platform.services().audit.head()
        self.mark = 0 if head is None else head.id

    def user(self, role: Role = Role.REVIEWER) -> Any:
        return self.platform.services().accounts.create_user(new_email(role.value), PASSWORD, role)

    def project(self, owner: Client, name: str = "audited") -> str:
        response = owner.post("/api/projects", json={"name": name})
        assert response.status_code == 201, response.text
        project_id: str = response.json()["id"]
        return project_id


@dataclass(frozen=True)
class Expected:
    """The audit row the action must have left."""

    action: str
    actor: str | None = None
    target_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


Case = Callable[[Api], Expected]
CASES: dict[str, tuple[frozenset[tuple[str, str]], Case]] = {}


def case(*routes: str) -> Callable[[Case], Case]:
    """Register the decorated function as the case covering ``routes`` (``"POST /api/..."``)."""

    def register(function: Case) -> Case:
        covered = frozenset((method, path) for method, path in (route.split(" ", 1) for route in routes))
        CASES[function.__name__] = (covered, function)
        return function

    return register


def _token(mailer: MemoryMailer) -> str:
    found = re.search(r"token=([A-Za-z0-9_%-]+)", mailer.last.text)
    assert found is not None
    return found.group(1)


# -- auth ---------------------------------------------------------------------------------------------------


@case("POST /api/auth/register")
def register(api: Api) -> Expected:
    api.start()
    response = api.client.post("/api/auth/register", json={"email": new_email(), "password": PASSWORD})
    assert response.status_code == 201
    user_id = response.json()["id"]
    return Expected("auth.register", actor=user_id, target_id=user_id)


@case("POST /api/auth/login")
def login(api: Api) -> Expected:
    user = api.user()
    api.start()
    api.client.sign_in(user.email)
    return Expected("auth.login", actor=user.id, target_id=user.id)


def login_failed(api: Api) -> Expected:
    user = api.user()
    api.start()
    assert api.client.post("/api/auth/login", json={"email": user.email, "password": "wrong"}).status_code == 401
    return Expected("auth.login.failed", details={"email": user.email})


def login_rate_limited(api: Api) -> Expected:
    email = new_email("flood")
    body = {"email": email.upper(), "password": PASSWORD}
    assert [api.client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
    api.start()
    assert api.client.post("/api/auth/login", json=body).status_code == 429
    return Expected("auth.login.refused", details={"reason": "rate_limited", "status": 429, "email": email})


def login_without_csrf(api: Api) -> Expected:
    email = new_email("forged")
    api.client.auto_csrf = False
    api.start()
    response = api.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 403
    return Expected("auth.login.refused", details={"reason": "csrf", "status": 403, "email": email})


def login_invalid(api: Api) -> Expected:
    email = new_email("half")
    api.start()
    assert api.client.post("/api/auth/login", json={"email": email}).status_code == 422
    return Expected("auth.login.refused", details={"reason": "invalid", "status": 422, "email": email})


for _extra in (login_failed, login_rate_limited, login_without_csrf, login_invalid):
    CASES[_extra.__name__] = (frozenset(), _extra)  # more outcomes of the login route


@case("POST /api/auth/refresh")
def refresh(api: Api) -> Expected:
    client = api.sign_in()
    api.start()
    assert client.post("/api/auth/refresh").status_code == 200
    return Expected("auth.refresh", actor=client.user.id)


def refresh_reuse(api: Api) -> Expected:
    client = api.sign_in()
    stolen = jar(client)
    assert client.post("/api/auth/refresh").status_code == 200
    api.start()
    with Client(api.app, base_url=BASE_URL, cookies=stolen) as attacker:
        assert attacker.post("/api/auth/refresh").status_code == 401
    return Expected("auth.refresh.reuse")


CASES["refresh_reuse"] = (frozenset(), refresh_reuse)


@case("POST /api/auth/logout")
def logout(api: Api) -> Expected:
    client = api.sign_in()
    api.start()
    assert client.post("/api/auth/logout").status_code == 204
    return Expected("auth.logout", actor=client.user.id)


@case("POST /api/auth/invitations", "POST /api/auth/invitations/accept")
def invitation(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    email = new_email("invited")
    api.start()
    assert admin.post("/api/auth/invitations", json={"email": email, "role": "reviewer"}).status_code == 201
    _assert_audited(api, Expected("auth.invite", actor=admin.user.id, details={"email": email, "role": "reviewer"}))
    api.start()
    accepted = api.client.post("/api/auth/invitations/accept", json={"token": _token(api.mailer), "password": PASSWORD})
    assert accepted.status_code == 201
    return Expected("auth.invitation.accepted", actor=accepted.json()["id"], target_id=accepted.json()["id"])


@case("POST /api/auth/password-reset", "POST /api/auth/password-reset/confirm")
def password_reset(api: Api) -> Expected:
    user = api.user()
    api.start()
    assert api.client.post("/api/auth/password-reset", json={"email": user.email}).status_code == 202
    _assert_audited(api, Expected("auth.password_reset.requested", details={"email": user.email}))
    api.start()
    confirm = {"token": _token(api.mailer), "password": "a brand new passphrase"}
    assert api.client.post("/api/auth/password-reset/confirm", json=confirm).status_code == 204
    return Expected("auth.password_reset.done", actor=user.id, target_id=user.id)


# -- admin, projects ----------------------------------------------------------------------------------------


@case("PATCH /api/admin/users/{user_id}")
def user_change(api: Api) -> Expected:
    admin, user = api.sign_in(Role.ADMIN), api.user(Role.VIEWER)
    api.start()
    assert admin.patch(f"/api/admin/users/{user.id}", json={"role": "reviewer"}).status_code == 200
    return Expected("admin.user.changed", actor=admin.user.id, target_id=user.id)


@case("POST /api/projects")
def project_created(api: Api) -> Expected:
    owner = api.sign_in()
    api.start()
    project_id = api.project(owner, "created")
    return Expected("project.created", actor=owner.user.id, target_id=project_id, details={"name": "created"})


@case("PUT /api/projects/{project_id}")
def project_updated(api: Api) -> Expected:
    owner = api.sign_in()
    project_id = api.project(owner)
    api.start()
    assert owner.put(f"/api/projects/{project_id}", json={"description": "d"}).status_code == 200
    return Expected("project.updated", actor=owner.user.id, target_id=project_id)


@case("DELETE /api/projects/{project_id}")
def project_deleted(api: Api) -> Expected:
    owner = api.sign_in()
    project_id = api.project(owner)
    api.start()
    assert owner.delete(f"/api/projects/{project_id}").status_code == 204
    return Expected("project.deleted", actor=owner.user.id, target_id=project_id)


@case("POST /api/projects/{project_id}/members")
def member_added(api: Api) -> Expected:
    owner, member = api.sign_in(), api.user()
    project_id = api.project(owner)
    api.start()
    assert owner.post(f"/api/projects/{project_id}/members", json={"user_id": member.id}).status_code == 201
    return Expected("project.member.added", actor=owner.user.id, target_id=project_id)


@case("PUT /api/projects/{project_id}/members/{user_id}")
def member_role(api: Api) -> Expected:
    owner, member = api.sign_in(), api.user()
    project_id = api.project(owner)
    owner.post(f"/api/projects/{project_id}/members", json={"user_id": member.id})
    api.start()
    changed = owner.put(f"/api/projects/{project_id}/members/{member.id}", json={"role": "maintainer"})
    assert changed.status_code == 200
    return Expected("project.member.role", actor=owner.user.id, target_id=project_id)


@case("DELETE /api/projects/{project_id}/members/{user_id}")
def member_removed(api: Api) -> Expected:
    owner, member = api.sign_in(), api.user()
    project_id = api.project(owner)
    owner.post(f"/api/projects/{project_id}/members", json={"user_id": member.id})
    api.start()
    assert owner.delete(f"/api/projects/{project_id}/members/{member.id}").status_code == 204
    return Expected("project.member.removed", actor=owner.user.id, target_id=project_id)


@case("PUT /api/projects/{project_id}/baseline")
def baseline(api: Api) -> Expected:
    owner = api.sign_in()
    project_id = api.project(owner)
    session_id = start_snippet(owner, project_id=project_id)
    assert wait(owner, session_id)["analysis"]["status"] == "completed"
    api.start()
    assert owner.put(f"/api/projects/{project_id}/baseline", json={"session_id": session_id}).status_code == 200
    return Expected("project.baseline", actor=owner.user.id, target_id=project_id, details={"session_id": session_id})


@case("PUT /api/projects/{project_id}/policy")
def policy(api: Api) -> Expected:
    owner = api.sign_in()
    project_id = api.project(owner)
    api.start()
    assert owner.put(f"/api/projects/{project_id}/policy", json={"fail_on": "high"}).status_code == 200
    return Expected("project.policy", actor=owner.user.id, target_id=project_id)


# -- analyses -----------------------------------------------------------------------------------------------


@case("POST /api/analyze")
def analysis_started(api: Api) -> Expected:
    client = api.sign_in()
    api.start()
    session_id = start_snippet(client)
    return Expected("analysis.started", actor=client.user.id, target_id=session_id, details={"kind": "snippet"})


@case("POST /api/analyze/archive")
def archive_started(api: Api) -> Expected:
    client = api.sign_in()
    api.start()
    response = client.post("/api/analyze/archive", files={"archive": ("code.tar.gz", _empty_tar())})
    assert response.status_code == 202, response.text
    return Expected("analysis.started", actor=client.user.id, target_id=response.json()["id"])


@case("POST /api/analyze/{session_id}/cancel")
def cancel(api: Api) -> Expected:
    client = api.sign_in()
    api.platform.services().analyses.queue = None  # nothing takes work: it stays queued until cancelled
    session_id = start_snippet(client)
    api.start()
    assert client.post(f"/api/analyze/{session_id}/cancel").status_code == 200
    return Expected("analysis.cancelled", actor=client.user.id, target_id=session_id)


@case("PUT /api/analyze/{session_id}/findings/{fingerprint}/triage")
def triage(api: Api) -> Expected:
    client = api.sign_in()
    body = wait(client, start_snippet(client))
    fingerprint = body["findings"][0]["fingerprint"]
    api.start()
    path = f"/api/analyze/{body['analysis']['id']}/findings/{fingerprint}/triage"
    assert client.put(path, json={"status": "accepted", "comment": "known"}).status_code == 200
    return Expected("finding.triaged", actor=client.user.id, target_id=fingerprint, details={"status": "accepted"})


# -- providers ----------------------------------------------------------------------------------------------


@case("POST /api/providers/health")
def provider_health(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    api.start()
    assert admin.post("/api/providers/health").status_code == 200
    return Expected("provider.health.checked", actor=admin.user.id)


@case("PUT /api/providers/chain/{name}")
def provider_changed(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    api.start()
    assert admin.put("/api/providers/chain/openai", json={"enabled": False, "priority": 9}).status_code == 200
    return Expected("provider.changed", actor=admin.user.id, target_id="openai", details={"enabled": False})


@case("PUT /api/providers/keys/{provider}", "DELETE /api/providers/keys/{provider}")
def provider_key(api: Api) -> Expected:
    user = api.sign_in()
    key = "sk-" + "a1" * 24
    api.start()
    assert user.put("/api/providers/keys/openai", json={"key": key}).status_code == 200
    row = _assert_audited(api, Expected("provider.key.set", actor=user.user.id, target_id="openai"))
    assert key not in json.dumps(row.details)
    api.start()
    assert user.delete("/api/providers/keys/openai").status_code == 204
    return Expected("provider.key.deleted", actor=user.user.id, target_id="openai")


@case("PUT /api/providers/quotas")
def quota(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    api.start()
    assert admin.put("/api/providers/quotas", json={"max_cost_usd": 5.0}).status_code == 200
    return Expected("provider.quota.set", actor=admin.user.id, details={"max_cost_usd": 5.0})


# -- webhooks -----------------------------------------------------------------------------------------------


@case("POST /api/admin/webhooks")
def webhook_created(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    api.start()
    created = _create(admin)
    return Expected("webhook.created", actor=admin.user.id, target_id=created["id"])


@case("PATCH /api/admin/webhooks/{webhook_id}")
def webhook_changed(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    created = _create(admin)
    api.start()
    assert admin.patch(f"{HOOKS}/{created['id']}", json={"active": False}).status_code == 200
    return Expected("webhook.changed", actor=admin.user.id, target_id=created["id"])


@case("DELETE /api/admin/webhooks/{webhook_id}")
def webhook_deleted(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    created = _create(admin)
    api.start()
    assert admin.delete(f"{HOOKS}/{created['id']}").status_code == 204
    return Expected("webhook.deleted", actor=admin.user.id, target_id=created["id"])


@case("POST /api/admin/webhooks/{webhook_id}/rotate-secret")
def webhook_rotated(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    created = _create(admin)
    api.start()
    assert admin.post(f"{HOOKS}/{created['id']}/rotate-secret").status_code == 200
    return Expected("webhook.secret.rotated", actor=admin.user.id, target_id=created["id"])


@case("POST /api/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
def webhook_redelivered(api: Api) -> Expected:
    admin = api.sign_in(Role.ADMIN)
    created = _create(admin)
    _publish(api.bus)
    api.deliver(503, max_attempts=1)
    delivery = admin.get(f"{HOOKS}/{created['id']}/deliveries").json()["items"][0]  # failed, as every one
    api.start()
    assert admin.post(f"{HOOKS}/{created['id']}/deliveries/{delivery['id']}/redeliver").status_code == 200
    return Expected("webhook.delivery.redelivered", actor=admin.user.id, target_id=delivery["id"])


# -- the tests ----------------------------------------------------------------------------------------------


def _empty_tar() -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"print('hello')\n"
        info = tarfile.TarInfo("app.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _assert_audited(api: Api, expected: Expected) -> AuditRecord:
    """The one row ``expected.action`` appended since ``api.start()``, matching ``expected``."""
    rows = [r for r in api.platform.services().audit.query(action_prefix=expected.action, limit=50) if r.id > api.mark]
    matching = [r for r in rows if r.action == expected.action]
    assert len(matching) == 1, f"{expected.action}: {[(r.action, r.details) for r in rows]}"
    (row,) = matching
    if expected.actor is not None:
        assert row.actor == expected.actor
    if expected.target_id is not None:
        assert row.target_id == expected.target_id
    assert expected.details.items() <= row.details.items(), row.details
    assert row.ip is not None
    assert row.request_id is not None
    assert PASSWORD not in json.dumps(row.details)
    return row


@pytest.fixture
def api(
    app: FastAPI,
    platform: Platform,
    signed_in: Callable[..., Client],
    client: Client,
    mailer: MemoryMailer,
    clock: Clock,
    deliver: Callable[..., Receiver],
    bus: InProcessBus,
) -> Api:
    return Api(app, platform, signed_in, client, mailer, clock, deliver, bus)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_state_change_is_audited(api: Api, name: str) -> None:
    _, perform = CASES[name]

    expected = perform(api)

    _assert_audited(api, expected)
    assert api.platform.services().audit.verify().ok


def test_every_state_changing_route_has_a_case(app: FastAPI) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in STATE_CHANGING
    }
    covered = set().union(*(routes_of for routes_of, _ in CASES.values()))

    assert routes - covered == set(AUDITED_ELSEWHERE)
    assert covered <= routes  # no case names a route that is gone


def test_a_refused_sign_in_whose_email_does_not_parse_is_audited_without_it(api: Api) -> None:
    api.start()
    assert api.client.post("/api/auth/login", json={"email": 7, "password": PASSWORD}).status_code == 422
    assert api.client.post("/api/auth/login", content=b"{not json").status_code == 422
    api.client.auto_csrf = False
    assert api.client.post("/api/auth/login", json={"email": "no-at-sign", "password": PASSWORD}).status_code == 403
    assert api.client.post("/api/auth/login", content=b"\xff" * 9000).status_code == 403  # too long to parse

    rows = api.platform.services().audit.query(action_prefix="auth.login", limit=10)
    refused = [r.details for r in rows if r.id > api.mark and r.action == "auth.login.refused"]
    assert refused == [{"reason": "csrf", "status": 403}] * 2 + [{"reason": "invalid", "status": 422}] * 2


def test_a_sign_in_with_something_else_than_an_email_fails_like_a_wrong_password(api: Api) -> None:
    api.start()

    response = api.client.post("/api/auth/login", json={"email": "no-at-sign", "password": PASSWORD})

    assert response.status_code == 401
    assert response.json()["detail"] == "wrong email or password"
    _assert_audited(api, Expected("auth.login.failed", details={"email": "no-at-sign"}))


@pytest.mark.parametrize(("csrf", "status", "reason"), [(True, 429, "rate_limited"), (False, 403, "csrf")])
def test_an_audit_failure_never_turns_a_refused_sign_in_into_a_500(
    api: Api, caplog: pytest.LogCaptureFixture, csrf: bool, status: int, reason: str
) -> None:
    body = {"email": new_email(), "password": PASSWORD}
    if csrf:
        assert [api.client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
    with api.platform.services().engine.begin() as connection:  # appends fail from here on, as in an outage
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_gone"))
    api.client.auto_csrf = csrf

    with caplog.at_level(logging.ERROR, logger="api.auditing"):
        assert api.client.post("/api/auth/login", json=body).status_code == status

    assert f"could not audit a refused sign-in ({reason})" in caplog.text


def test_a_flood_of_refused_sign_ins_is_audited_once_per_window(api: Api) -> None:
    body = {"email": new_email("flood"), "password": PASSWORD}
    assert [api.client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
    api.start()

    answers = [api.client.post("/api/auth/login", json=body).status_code for _ in range(20)]

    assert answers == [429] * 20  # every attempt refused alike
    refused = [
        r for r in api.platform.services().audit.query(action_prefix="auth.login.refused", limit=50) if r.id > api.mark
    ]
    assert len(refused) == 1  # one row for the window, not one per request
    assert refused[0].details["unaudited_for_s"] >= 1
