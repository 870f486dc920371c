"""The FastAPI face: health probes, problem+json errors, the route table."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.deps import StoreDep, StoreProvider, get_store_provider
from api.main import create_app
from reviewlab.errors import PathNotFoundError
from reviewlab.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x wants httpx2 under TestClient; until it is a dependency, only this warning is silenced.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")
    from fastapi.testclient import TestClient

UNREACHABLE_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/x"
PROBLEM = "application/problem+json"


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def test_live(client: TestClient) -> None:
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_the_store_answers(client: TestClient, settings: Settings) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert (settings.reviewlab_home / "reviewlab.db").is_file()


def test_not_ready_when_the_database_is_unreachable(app: FastAPI, client: TestClient, settings: Settings) -> None:
    unreachable = StoreProvider(settings.model_copy(update={"database_url": UNREACHABLE_POSTGRES}))
    app.dependency_overrides[get_store_provider] = lambda: unreachable

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert "'database'" in body["detail"]
    assert body["checks"] == {"database": "failed"}
    assert "nobody" not in response.text  # the probe names the check, never the connection details


def test_readiness_recovers_once_the_store_opens(app: FastAPI, client: TestClient, settings: Settings) -> None:
    down = StoreProvider(settings.model_copy(update={"database_url": UNREACHABLE_POSTGRES}))
    app.dependency_overrides[get_store_provider] = lambda: down
    assert client.get("/health/ready").status_code == 503

    app.dependency_overrides.clear()

    assert client.get("/health/ready").status_code == 200


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/no/such/route")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Not Found"}


def test_library_errors_become_problems(app: FastAPI, client: TestClient) -> None:
    def missing() -> None:
        raise PathNotFoundError("path not found: /nowhere")

    app.add_api_route("/test/missing", missing)

    response = client.get("/test/missing")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "path not found: /nowhere",
    }


def test_a_store_that_cannot_open_is_a_503_without_its_cause(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    def count_sessions(store: StoreDep) -> int:
        return len(store.list_sessions(limit=10))

    app.add_api_route("/test/sessions", count_sessions)
    unreachable = StoreProvider(settings.model_copy(update={"database_url": UNREACHABLE_POSTGRES}))
    app.dependency_overrides[get_store_provider] = lambda: unreachable

    response = client.get("/test/sessions")

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "StoreError: the server could not complete the request"


def test_store_dep_opens_the_configured_store(app: FastAPI, client: TestClient) -> None:
    def count_sessions(store: StoreDep) -> int:
        return len(store.list_sessions(limit=10))

    app.add_api_route("/test/sessions", count_sessions)

    assert client.get("/test/sessions").json() == 0


def test_route_table(app: FastAPI) -> None:
    schema = app.openapi()

    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/health/live": ["get"],
        "/health/ready": ["get"],
    }
    ready = schema["paths"]["/health/ready"]["get"]
    assert PROBLEM in ready["responses"]["503"]["content"]
    assert ready["description"].startswith("The service can do its work")


def test_create_app_reads_the_environment_when_not_given_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWLAB_HOME", str(tmp_path))

    app = create_app()

    assert app.state.settings.reviewlab_home == tmp_path
