"""The request guards: security headers, body limits, rate limits (every window of table 6.3), request ids, metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from api.deps import Platform
from reviewlab.accounts import Role, User
from tests.api import BASE_URL, PASSWORD, PROBLEM, Client, new_email
from tests.api.conftest import Clock


def test_security_headers_on_every_answer(client: Client) -> None:
    for response in (client.get("/health/live"), client.get("/api/auth/me"), client.get("/nowhere")):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")
    assert client.get("/api/auth/me").headers["cache-control"] == "no-store"
    assert "server" not in client.get("/health/live").headers


def test_request_ids_are_echoed_or_made(client: Client) -> None:
    given = client.get("/health/live", headers={"X-Request-ID": "abcdef0123456789"})
    hostile = client.get("/health/live", headers={"X-Request-ID": "x\u0001" * 3})

    assert given.headers["x-request-id"] == "abcdef0123456789"
    assert hostile.headers["x-request-id"] != "x\u0001" * 3
    assert len(hostile.headers["x-request-id"]) == 16


def test_a_body_over_the_limit_is_413_by_content_length(client: Client, platform: Platform) -> None:
    limit = platform.settings.reviewlab_max_body_bytes
    response = client.post(
        "/api/auth/login", content=b"{" + b" " * limit + b"}", headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_streamed_body_over_the_limit_is_413(client: Client, platform: Platform) -> None:
    limit = platform.settings.reviewlab_max_body_bytes
    chunk = b" " * 65536

    def chunks():  # type: ignore[no-untyped-def]
        yield b"{"
        for _ in range(limit // len(chunk) + 2):
            yield chunk
        yield b"}"

    response = client.post("/api/auth/login", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413


def test_login_limits_per_minute_hour_and_day(client: Client, clock: Clock) -> None:
    """Table 6.3: /auth/login 5 a minute, 20 an hour, 100 a day (sliding windows, exact)."""
    body = {"email": new_email("ghost"), "password": "not the password"}
    statuses = [client.post("/api/auth/login", json=body).status_code for _ in range(5)]
    assert statuses == [401] * 5
    refused = client.post("/api/auth/login", json=body)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == "5;w=60, 20;w=3600, 100;w=86400"

    for _ in range(3):  # 15 more over three minutes: 20 within the hour
        clock.now += 61
        assert [client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
    clock.now += 61
    hourly = client.post("/api/auth/login", json=body)
    assert hourly.status_code == 429
    assert 60 < int(hourly.headers["retry-after"]) <= 3600

    for _ in range(4):  # 80 more over four hours: 100 within the day
        clock.now += 3601
        for _ in range(4):
            assert [client.post("/api/auth/login", json=body).status_code for _ in range(5)] == [401] * 5
            clock.now += 61
    clock.now += 3601
    daily = client.post("/api/auth/login", json=body)
    assert daily.status_code == 429
    assert 3600 < int(daily.headers["retry-after"]) <= 86400

    clock.now += 86401
    assert client.post("/api/auth/login", json=body).status_code == 401


def test_register_limits(client: Client, clock: Clock) -> None:
    """Table 6.3: /auth/register 3 a minute, 10 an hour, 50 a day."""

    def register() -> int:
        return client.post("/api/auth/register", json={"email": new_email(), "password": PASSWORD}).status_code

    assert [register() for _ in range(3)] == [201] * 3
    assert register() == 429
    for _ in range(2):
        clock.now += 61
        assert [register() for _ in range(3)] == [201] * 3
    clock.now += 61
    assert register() == 201  # the tenth this hour
    assert register() == 429
    clock.now += 3601
    assert register() == 201


def test_api_limits_count_per_user_across_addresses(app: FastAPI, make_user: Callable[..., User], clock: Clock) -> None:
    """Table 6.3: /api/* 60 a minute, per client IP and per user: a user switching addresses stays limited."""
    user = make_user(Role.REVIEWER)
    with Client(app, base_url=BASE_URL) as first:
        first.sign_in(user.email)
        cookies = {c.name: c.value or "" for c in first.cookies.jar}
        statuses = [first.get("/api/auth/me").status_code for _ in range(55)]
    assert set(statuses) == {200}
    with Client(app, base_url=BASE_URL, cookies=cookies) as second:  # another IP, the same user
        more = [second.get("/api/auth/me").status_code for _ in range(10)]
    assert more == [200] * 5 + [429] * 5  # the user's 60 a minute, though this address made only 5
    clock.now += 61
    with Client(app, base_url=BASE_URL, cookies=cookies) as third:
        assert third.get("/api/auth/me").status_code == 200


def test_analyze_paths_have_their_own_limit(app: FastAPI, clock: Clock) -> None:
    """Table 6.3: /api/analyze/* 10 a minute (whatever the answer: a refused request is counted too)."""
    with Client(app, base_url=BASE_URL) as client:
        statuses = [client.get("/api/analyze/nonexistent").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_health_and_metrics_are_not_limited(client: Client) -> None:
    assert {client.get("/health/live").status_code for _ in range(80)} == {200}


def test_metrics_count_requests_by_route_template(client: Client, make_user: Callable[..., User]) -> None:
    client.get("/health/live")
    client.post("/api/auth/login", json={"email": new_email(), "password": "wrong password"})

    text = client.get("/metrics").text

    assert 'reviewlab_http_requests_total{method="GET",route="/health/live",status="200"}' in text
    assert 'reviewlab_login_attempts_total{outcome="failed"} 1.0' in text
    assert "reviewlab_http_request_duration_seconds_bucket" in text


def test_metrics_export_the_analysis_queue_depth(client: Client, platform: Platform) -> None:
    """What the workers' autoscaler scales on (deploy/k8s, via prometheus-adapter): analyses waiting."""
    from reviewlab.jobs.events import MemoryNotifier
    from reviewlab.jobs.service import Analyses

    assert 'reviewlab_analysis_queue_depth{queue="reviewlab"} 0.0' in client.get("/metrics").text
    unserved = Analyses(platform.services().engine, MemoryNotifier(), None)  # no queue: no worker takes them
    for _ in range(3):
        unserved.submit({"kind": "snippet", "code": "x = 1\n", "language": "python"}, owner_id=None)

    assert 'reviewlab_analysis_queue_depth{queue="reviewlab"} 3.0' in client.get("/metrics").text


def test_ready_reports_each_check(client: Client) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "queue": "ok", "providers": "unchecked"}


def test_not_ready_when_the_analysis_queue_stopped(client: Client, platform: Platform) -> None:
    platform.services().analyses.queue.close()  # type: ignore[union-attr]

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["queue"] == "failed"


def test_ready_reports_providers_degraded_when_none_answered(signed_in: Callable[..., Client], client: Client) -> None:
    admin = signed_in(Role.ADMIN)
    admin.post("/api/providers/health")  # nothing listens on Ollama's port, no key, no local model

    checks = client.get("/health/ready").json()["checks"]

    assert checks["providers"] == "degraded"


def test_not_ready_when_the_database_is_down(
    make_platform: Callable[..., Platform], settings: object, tmp_path: object
) -> None:
    from api.main import create_app
    from reviewlab.settings import Settings

    assert isinstance(settings, Settings)
    down = settings.model_copy(update={"database_url": "postgresql://nobody@127.0.0.1:1/x"})
    app = create_app(down, platform=make_platform(down))
    with Client(app, base_url=BASE_URL) as client:
        response = client.get("/health/ready")
        live = client.get("/health/live")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"
    assert "nobody" not in response.text
    assert live.status_code == 200


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/admin/users"])
def test_unauthenticated_requests_are_401_problems(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
