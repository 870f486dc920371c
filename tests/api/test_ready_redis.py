"""Readiness with Redis configured: a Redis that does not answer makes the service unready (503)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from api.deps import Platform
from api.main import create_app
from reviewlab.settings import Settings
from tests.api import BASE_URL, PROBLEM, Client

NOBODY_LISTENS = "redis://127.0.0.1:1/0"  # port 1: refused at once


def test_ready_is_503_when_the_configured_redis_is_down(tmp_path: Path, make_platform: Callable[..., Platform]) -> None:
    settings = Settings(
        reviewlab_home=tmp_path / "reviewlab-home",
        database_url=None,
        redis_url=NOBODY_LISTENS,
        reviewlab_queue="inprocess",  # the pool does not need Redis: only the Redis check may fail
    )
    app = create_app(settings, platform=make_platform(settings))

    with Client(app, base_url=BASE_URL) as client:
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["checks"]["redis"] == "failed"
    assert (body["checks"]["database"], body["checks"]["queue"]) == ("ok", "ok")
    assert body["detail"] == "readiness check 'redis' failed"
