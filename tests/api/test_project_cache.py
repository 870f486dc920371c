"""A project review run by the platform's in-process pool drops the project's cached results (L2) from the
platform's own caches: in-process ones (embedded) and Redis (another reader of the same keys sees it gone)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import create_app
from reviewlab.cache import Caches
from reviewlab.settings import Settings
from tests._services import redis_namespace, redis_url_of
from tests.api import Client, sign_ins
from tests.api.test_analyze import start_snippet, wait


def _review_drops_the_cached_results(app: FastAPI, platform: Platform, reader: Caches) -> None:
    with sign_ins(app) as sign_in:
        owner = sign_in()
        project_id = owner.post("/api/projects", json={"name": "cached"}).json()["id"]
        platform.caches.projects.set(project_id, "findings", {"stale": True})
        assert reader.projects.get(project_id, "findings") == {"stale": True}

        body = wait(owner, start_snippet(owner, project_id=project_id))

        assert body["analysis"]["status"] == "completed"
        # Another process's near copy is dropped when the invalidation's message arrives: milliseconds later.
        deadline = time.monotonic() + 5
        while reader.projects.get(project_id, "findings") is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.projects.get(project_id, "findings") is None


def test_an_embedded_review_invalidates_the_platforms_in_process_cache(app: FastAPI, platform: Platform) -> None:
    _review_drops_the_cached_results(app, platform, platform.caches)


@pytest.fixture
def redis_platform(tmp_path: Path, make_platform: Callable[..., Platform]) -> Iterator[tuple[Platform, Caches]]:
    with redis_namespace() as (client, prefix):
        redis_url = redis_url_of(client)
        settings = Settings(
            reviewlab_home=tmp_path / "reviewlab-home",
            database_url=None,
            redis_url=redis_url,
            reviewlab_queue="inprocess",
        )
        namespace = prefix.rstrip(":")
        reader = Caches.from_settings(settings, prefix=namespace)  # as another API process would read
        yield make_platform(settings, caches=Caches.from_settings(settings, prefix=namespace)), reader
        reader.close()


@pytest.mark.integration
def test_a_review_invalidates_the_redis_cache(redis_platform: tuple[Platform, Caches]) -> None:
    platform, reader = redis_platform
    app = create_app(platform.settings, platform=platform)
    with Client(app):  # the app's lifespan
        _review_drops_the_cached_results(app, platform, reader)
