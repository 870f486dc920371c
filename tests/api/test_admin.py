"""Admin: users and roles, the audit log and its verification, the first admin account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import bootstrap_admin, create_app
from reviewlab.accounts import Role
from reviewlab.settings import Settings
from tests.api import BASE_URL, PASSWORD, Client
from tests.audit.test_audit_log import tamper


def test_users_page_and_role_change_take_effect_at_once(signed_in: Callable[..., Client]) -> None:
    admin, viewer = signed_in(Role.ADMIN), signed_in(Role.VIEWER)
    assert viewer.get("/api/admin/users").status_code == 403
    page = admin.get("/api/admin/users", params={"limit": 1}).json()
    assert page["total"] >= 2
    assert len(page["items"]) == 1
    assert viewer.get("/api/auth/me").json()["role"] == "viewer"  # now cached for the session

    changed = admin.patch(f"/api/admin/users/{viewer.user.id}", json={"role": "reviewer"})

    assert changed.status_code == 200
    assert changed.json()["role"] == "reviewer"
    assert viewer.get("/api/auth/me").json()["role"] == "reviewer"  # the cached session user was dropped


def test_disabling_an_account_ends_its_sessions(signed_in: Callable[..., Client]) -> None:
    admin, user = signed_in(Role.ADMIN), signed_in(Role.REVIEWER)

    assert admin.patch(f"/api/admin/users/{user.user.id}", json={"is_active": False}).status_code == 200

    assert user.get("/api/auth/me").status_code == 401
    assert user.post("/api/auth/refresh").status_code == 401


def test_an_admin_cannot_demote_themselves(signed_in: Callable[..., Client]) -> None:
    admin = signed_in(Role.ADMIN)

    response = admin.patch(f"/api/admin/users/{admin.user.id}", json={"role": "viewer"})

    assert response.status_code == 409


def test_unknown_user_is_404(signed_in: Callable[..., Client]) -> None:
    admin = signed_in(Role.ADMIN)

    assert admin.patch("/api/admin/users/nobody", json={"role": "viewer"}).status_code == 404


def test_audit_query_filters_and_verify_detects_tampering(signed_in: Callable[..., Client], platform: Platform) -> None:
    admin = signed_in(Role.ADMIN)
    logins = admin.get("/api/admin/audit", params={"action": "auth.login"}).json()["items"]
    assert logins
    assert all(item["action"].startswith("auth.login") for item in logins)
    assert admin.get("/api/admin/audit/verify").json()["ok"] is True

    tamper(platform.services().engine, "UPDATE {table} SET actor = 'someone-else' WHERE id = 1")

    verdict = admin.get("/api/admin/audit/verify").json()
    assert verdict["ok"] is False
    assert verdict["row_id"] == 1
    assert verdict["problem"]


def test_first_start_creates_an_admin_once_with_a_printed_password(
    settings: Settings, make_platform: Callable[..., Platform], capsys: pytest.CaptureFixture[str]
) -> None:
    platform = make_platform(settings)
    with Client(create_app(settings, platform=platform), base_url=BASE_URL) as client:
        printed = capsys.readouterr().out
        password = printed.split("with password ")[1].split(" ")[0]
        client.sign_in("admin@reviewlab.localhost", password)
        assert client.get("/api/auth/me").json()["role"] == "admin"
    assert bootstrap_admin(platform) is None  # a second start creates nothing and prints nothing
    assert "password" not in capsys.readouterr().out


def test_admin_from_the_environment(tmp_path: object, make_platform: Callable[..., Platform], app: FastAPI) -> None:
    settings = Settings(
        reviewlab_home=tmp_path / "home",  # type: ignore[operator]
        reviewlab_admin_email="Root@Example.com",
        reviewlab_admin_password=PASSWORD,
    )
    platform = make_platform(settings)
    assert bootstrap_admin(platform) is None
    with Client(create_app(settings, platform=platform), base_url=BASE_URL) as client:
        assert client.sign_in("root@example.com")["user"]["role"] == "admin"
