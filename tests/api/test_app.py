"""The app itself: the route table, problem+json for every error, settings read at creation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import create_app
from reviewlab.errors import PathNotFoundError
from reviewlab.settings import Settings
from tests.api import BASE_URL, PROBLEM, Client

ROUTES = {
    "/health/live": ["get"],
    "/health/ready": ["get"],
    "/metrics": ["get"],
    "/api/auth/csrf": ["get"],
    "/api/auth/register": ["post"],
    "/api/auth/login": ["post"],
    "/api/auth/refresh": ["post"],
    "/api/auth/logout": ["post"],
    "/api/auth/me": ["get"],
    "/api/auth/invitations": ["post"],
    "/api/auth/invitations/accept": ["post"],
    "/api/auth/password-reset": ["post"],
    "/api/auth/password-reset/confirm": ["post"],
    "/api/admin/users": ["get"],
    "/api/admin/users/{user_id}": ["patch"],
    "/api/admin/audit": ["get"],
    "/api/admin/audit/verify": ["get"],
    "/api/admin/webhooks": ["get", "post"],
    "/api/admin/webhooks/{webhook_id}": ["delete", "get", "patch"],
    "/api/admin/webhooks/{webhook_id}/rotate-secret": ["post"],
    "/api/admin/webhooks/{webhook_id}/deliveries": ["get"],
    "/api/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": ["post"],
    "/api/projects": ["get", "post"],
    "/api/projects/{project_id}": ["delete", "get", "put"],
    "/api/projects/{project_id}/members": ["get", "post"],
    "/api/projects/{project_id}/members/{user_id}": ["delete", "put"],
    "/api/projects/{project_id}/versions": ["get"],
    "/api/projects/{project_id}/baseline": ["get", "put"],
    "/api/projects/{project_id}/policy": ["get", "put"],
    "/api/projects/{project_id}/history": ["get"],
    "/api/providers": ["get"],
    "/api/providers/health": ["post"],
    "/api/models": ["get"],
    "/api/models/evaluations": ["get"],
    "/api/models/evaluations/{evaluation_id}": ["get"],
    "/api/models/history": ["get"],
    "/api/models/quarantine": ["get"],
    "/api/models/datasets": ["get"],
    "/api/models/{ref}": ["get"],
    "/api/models/{ref}/promote": ["post"],
    "/api/models/{ref}/quarantine": ["post"],
    "/api/providers/chain/{name}": ["put"],
    "/api/providers/keys": ["get"],
    "/api/providers/keys/{provider}": ["delete", "put"],
    "/api/providers/quotas": ["get", "put"],
    "/api/providers/costs": ["get"],
    "/api/analyze": ["post"],
    "/api/analyze/archive": ["post"],
    "/api/analyze/{session_id}": ["get"],
    "/api/analyze/{session_id}/cancel": ["post"],
    "/api/analyze/{session_id}/stream": ["get"],
    "/api/analyze/{session_id}/findings/{fingerprint}/triage": ["get", "put"],
}


def test_route_table(app: FastAPI) -> None:
    schema = app.openapi()

    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == ROUTES
    ready = schema["paths"]["/health/ready"]["get"]
    assert PROBLEM in ready["responses"]["503"]["content"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert operation.get("description") or operation.get("summary"), f"{path} is undocumented"


def test_unknown_route_is_a_problem(client: Client) -> None:
    response = client.get("/no/such/route")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Not Found"}


def test_library_errors_become_problems(app: FastAPI, client: Client) -> None:
    def missing() -> None:
        raise PathNotFoundError("path not found: /nowhere")

    app.add_api_route("/test/missing", missing)

    response = client.get("/test/missing")

    assert response.status_code == 404
    assert response.json()["detail"] == "path not found: /nowhere"


def test_a_store_that_cannot_open_is_a_503_without_its_cause(
    settings: Settings, make_platform: Callable[..., Platform]
) -> None:
    down = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/x"})
    with Client(create_app(down, platform=make_platform(down)), base_url=BASE_URL) as client:
        response = client.post("/api/auth/login", json={"email": "a@example.com", "password": "whatever it is"})

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert "nobody" not in response.text
    assert response.json()["detail"] == "StoreError: the server could not complete the request"


def test_create_app_reads_the_environment_when_not_given_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWLAB_HOME", str(tmp_path))

    app = create_app()

    assert app.state.platform.settings.reviewlab_home == tmp_path
    app.state.platform.close()


@pytest.mark.parametrize(
    "module",
    ["api.main", "reviewlab.projects", "reviewlab.providerstore", "reviewlab.jobs.service", "reviewlab.accounts"],
)
def test_each_entry_point_imports_on_its_own(module: str) -> None:
    """A fresh interpreter imports it first (as uvicorn imports ``api.main``): no import cycle between schemas."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr


def test_serve_refuses_several_processes_without_redis(capsys: pytest.CaptureFixture[str]) -> None:
    from reviewlab.cli import main

    assert main(["serve", "--workers", "2"]) == 2
    assert "needs REDIS_URL" in capsys.readouterr().err


@pytest.mark.slow
def test_reviewlab_serve_answers_and_stops(tmp_path: Path) -> None:
    """``reviewlab serve`` as an operator runs it: the API answers, the first admin is printed, Ctrl-C stops it."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "REVIEWLAB_HOME": str(tmp_path), "REVIEWLAB_COOKIE_SECURE": "false"}
    command = [sys.executable, "-m", "reviewlab.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not answer in 60 s"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "created the admin account admin@reviewlab.localhost with password" in output
