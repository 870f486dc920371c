"""The API on the production engines: PostgreSQL (auth, projects, providers, production, audits schemas) and
Redis (rate limits, L1/L2 caches, analysis progress over pub/sub), with analyses on the in-process pool.

Each test gets its own Redis key prefix (tests run in parallel against one Redis) and unique accounts (the
PostgreSQL database is shared by the session).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from api.deps import Platform
from api.main import create_app
from reviewlab.accounts import Role
from reviewlab.cache import Caches, NearCache
from reviewlab.ratelimit import RateLimiter, RedisBackend
from reviewlab.settings import Settings
from tests._services import redis_namespace, redis_url_of
from tests.api import BASE_URL, Client, new_email, sign_ins
from tests.api.conftest import CHEAP, Clock
from tests.api.test_analyze import read_stream, start_snippet, wait

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_platform(postgres_url: str, tmp_path: Path, clock: Clock, mailer: Any) -> Iterator[Platform]:
    with redis_namespace() as (client, prefix):
        redis_url = redis_url_of(client)
        settings = Settings(
            reviewlab_home=tmp_path / "home",
            database_url=postgres_url,
            redis_url=redis_url,
            reviewlab_queue="inprocess",
        )
        platform = Platform(
            settings,
            limiter=RateLimiter(RedisBackend(client), clock=clock, key_prefix=f"{prefix}ratelimit:"),
            caches=Caches.from_settings(settings, prefix=prefix.rstrip(":")),
            mailer=mailer,
            passwords=CHEAP,
        )
        yield platform
        platform.close()


@pytest.fixture
def pg_app(pg_platform: Platform) -> FastAPI:
    return create_app(pg_platform.settings, platform=pg_platform)


@pytest.fixture
def pg_sign_in(pg_app: FastAPI) -> Iterator[Callable[..., Client]]:
    with sign_ins(pg_app) as sign_in:
        yield sign_in


def test_the_database_uses_the_seed_schemas(pg_platform: Platform) -> None:
    with pg_platform.services().engine.connect() as connection:
        schemas = set(connection.execute(text("SELECT schema_name FROM information_schema.schemata")).scalars())
        tables = set(
            connection.execute(
                text("SELECT table_schema || '.' || table_name FROM information_schema.tables")
            ).scalars()
        )
    assert {"auth", "projects", "production", "providers", "audits"} <= schemas
    assert {
        "auth.users",
        "auth.sessions",
        "auth.invitations",
        "auth.password_resets",
        "projects.projects",
        "projects.versions",
        "projects.baselines",
        "projects.policies",
        "projects.history",
        "production.analysis_sessions",
        "production.code_review_results",
        "production.artifacts",
        "providers.providers",
        "providers.user_keys",
        "providers.health",
        "providers.quotas",
        "audits.audit_log",
    } <= tables


def test_sign_in_refresh_reuse_and_logout(pg_sign_in: Callable[..., Client], pg_app: FastAPI) -> None:
    client = pg_sign_in()
    stolen = {c.name: c.value or "" for c in client.cookies.jar}
    assert client.post("/api/auth/refresh").status_code == 200

    with Client(pg_app, base_url=BASE_URL, cookies=stolen) as attacker:
        assert attacker.post("/api/auth/refresh").status_code == 401

    assert client.get("/api/auth/me").status_code == 401  # the whole family was revoked


def test_csrf_is_required(pg_sign_in: Callable[..., Client]) -> None:
    client = pg_sign_in()
    client.auto_csrf = False

    assert client.post("/api/auth/logout").status_code == 403
    assert (
        client.post("/api/auth/logout", headers={"X-CSRF-Token": client.cookies.get("csrf_token")}).status_code == 204
    )


def test_rate_limit_windows_on_redis(pg_app: FastAPI, clock: Clock) -> None:
    body = {"email": new_email("ghost"), "password": "not the password"}
    with Client(pg_app, base_url=BASE_URL) as client:
        assert [client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
        refused = client.post("/api/auth/login", json=body)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        for _ in range(3):
            clock.now += 61
            assert [client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
        clock.now += 61
        hourly = client.post("/api/auth/login", json=body)
        assert hourly.status_code == 429
        assert int(hourly.headers["retry-after"]) > 60
        clock.now += 3601
        assert client.post("/api/auth/login", json=body).status_code == 401


def test_rbac_and_idor_on_postgres(pg_sign_in: Callable[..., Client]) -> None:
    alice, mallory = pg_sign_in(), pg_sign_in()
    project = alice.post("/api/projects", json={"name": "shop"}).json()
    session_id = start_snippet(alice, project_id=project["id"])
    body = wait(alice, session_id)
    fingerprint = body["findings"][0]["fingerprint"]

    assert mallory.get(f"/api/projects/{project['id']}").status_code == 404
    assert mallory.get(f"/api/analyze/{session_id}").status_code == 404
    triage = f"/api/analyze/{session_id}/findings/{fingerprint}/triage"
    assert mallory.put(triage, json={"status": "false_positive"}).status_code == 404
    assert alice.put(triage, json={"status": "accepted"}).status_code == 200


def test_sse_over_redis_pubsub_resumes(pg_sign_in: Callable[..., Client]) -> None:
    client = pg_sign_in()
    session_id = start_snippet(client)

    events = read_stream(client, session_id)

    assert events[-1]["event"] == "done"
    middle = events[len(events) // 2]["id"]
    resumed = read_stream(client, session_id, headers={"Last-Event-ID": str(middle)})
    assert [e["id"] for e in resumed] == [e["id"] for e in events if e["id"] > middle]
    findings = [e for e in events if e["event"] == "finding"]
    assert "PY-S001" in json.dumps(findings)


def test_session_cache_lives_in_redis_and_role_changes_drop_it(
    pg_sign_in: Callable[..., Client], pg_platform: Platform
) -> None:
    admin, user = pg_sign_in(Role.ADMIN), pg_sign_in(Role.VIEWER)
    assert user.get("/api/auth/me").json()["role"] == "viewer"
    assert user.get("/api/auth/me").json()["role"] == "viewer"
    assert pg_platform.caches.stats()["sessions"].hits >= 1

    admin.patch(f"/api/admin/users/{user.user.id}", json={"role": "reviewer"})

    assert user.get("/api/auth/me").json()["role"] == "reviewer"


def test_a_near_copy_of_the_session_answers_on_the_loop_and_a_logout_elsewhere_drops_it(
    pg_sign_in: Callable[..., Client], pg_platform: Platform, pg_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.deps

    loads: list[str] = []
    load_user = api.deps._load_user

    def counted(platform: Platform, token: str, claims: Any, session_key: str) -> Any:
        loads.append(session_key)
        return load_user(platform, token, claims, session_key)

    monkeypatch.setattr(api.deps, "_load_user", counted)
    assert isinstance(pg_platform.caches.sessions.backend, NearCache)
    assert pg_platform.caches.sessions.backend.wait_live(5)
    user = pg_sign_in(Role.VIEWER)
    assert [user.get("/api/auth/me").status_code for _ in range(3)] == [200] * 3
    assert len(loads) == 1  # then the near copy, on the event loop: no worker thread, no Redis round trip

    # The same session signed out through another API process: this one hears of it and refuses the token.
    prefix = pg_platform.caches.sessions.backend.remote.prefix.rstrip(":")
    other = Platform(pg_platform.settings, caches=Caches.from_settings(pg_platform.settings, prefix=prefix))
    cookies = {c.name: c.value or "" for c in user.cookies.jar}
    try:
        with Client(create_app(other.settings, platform=other), base_url=BASE_URL, cookies=cookies) as elsewhere:
            assert (
                elsewhere.post("/api/auth/logout", headers={"X-CSRF-Token": cookies["csrf_token"]}).status_code == 204
            )
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while user.get("/api/auth/me").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert user.get("/api/auth/me").status_code == 401


def test_ready_checks_database_and_redis(pg_app: FastAPI) -> None:
    with Client(pg_app, base_url=BASE_URL) as client:
        checks = client.get("/health/ready").json()["checks"]

    assert checks["database"] == "ok"
    assert checks["redis"] == "ok"
    assert checks["queue"] == "ok"
