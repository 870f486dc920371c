"""``GET /api/admin/audit/verify`` catches a cut tail and a chain rewritten with plain SHA-256 without being
given the expected head: the chain is keyed and anchored outside the database (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import create_app
from reviewlab.accounts import Role
from reviewlab.settings import Settings
from tests._services import DEFAULT_POSTGRES_URL, fresh_postgres_database
from tests.api import Client, sign_ins
from tests.audit.test_audit_log import tamper
from tests.audit.test_seal import rewrite_with_sha256


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def audited_app(
    request: pytest.FixtureRequest, tmp_path: Path, make_platform: Callable[..., Platform]
) -> Iterator[FastAPI]:
    """The API on a database of the test's own (the chain must start with this test's key)."""
    home = tmp_path / "reviewlab-home"
    if request.param == "sqlite":
        settings = Settings(reviewlab_home=home, database_url=None, redis_url=None)
        yield create_app(settings, platform=make_platform(settings))
        return
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        settings = Settings(reviewlab_home=home, database_url=url, redis_url=None, reviewlab_queue="inprocess")
        platform = make_platform(settings)
        yield create_app(settings, platform=platform)
        platform.close()  # before the database is dropped


@pytest.fixture
def admin(audited_app: FastAPI) -> Iterator[Client]:
    with sign_ins(audited_app) as sign_in:
        yield sign_in(Role.ADMIN)


def _platform(app: FastAPI) -> Platform:
    platform: Platform = app.state.platform
    return platform


def test_the_endpoint_catches_a_cut_tail_without_an_expected_head(audited_app: FastAPI, admin: Client) -> None:
    assert admin.get("/api/admin/audit/verify").json()["ok"] is True
    services = _platform(audited_app).services()
    newest = services.audit.head()
    assert newest is not None

    tamper(services.engine, f"DELETE FROM {{table}} WHERE id = {newest.id}")  # noqa: S608 - an id
    verdict = admin.get("/api/admin/audit/verify").json()

    assert (verdict["ok"], verdict["problem"]) == (False, "truncated")
    assert f"row {newest.id} was anchored" in verdict["message"]


def test_the_endpoint_catches_a_chain_rewritten_with_plain_sha256(audited_app: FastAPI, admin: Client) -> None:
    services = _platform(audited_app).services()
    admin.get("/api/auth/me")
    rewrite_with_sha256(services.engine, forged={1: "mallory"})

    verdict = admin.get("/api/admin/audit/verify").json()

    assert (verdict["ok"], verdict["problem"], verdict["row_id"]) == (False, "edited", 1)
