"""The integration fixtures' rule: a missing service fails the run under CI=true and skips the test elsewhere."""

from __future__ import annotations

import pytest

from tests._services import flushed_redis, fresh_postgres_database, must_fail, unavailable, worker_redis_url


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({"CI": "true"}, True), ({}, False), ({"CI": "false"}, False), ({"CI": ""}, False)],
)
def test_must_fail_only_under_ci(environ: dict[str, str], expected: bool) -> None:
    assert must_fail(environ) is expected


def test_unavailable_fails_under_ci() -> None:
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is not reachable at here and CI=true"):
        unavailable("PostgreSQL", "here", "refused", {"CI": "true"})


def test_unavailable_skips_outside_ci() -> None:
    with pytest.raises(pytest.skip.Exception, match=r"skip outside CI=true\): refused"):
        unavailable("PostgreSQL", "here", "refused", {})


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), (None, pytest.skip.Exception)])
def test_an_unreachable_postgres_fails_or_skips(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)

    with (
        pytest.raises(outcome, match="PostgreSQL is not reachable"),
        fresh_postgres_database("postgresql+psycopg://postgres:pw@127.0.0.1:1/test"),
    ):
        pass


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), (None, pytest.skip.Exception)])
def test_an_unreachable_redis_fails_or_skips(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)

    with pytest.raises(outcome, match="Redis is not reachable"), flushed_redis("redis://127.0.0.1:1/15"):
        pass


@pytest.mark.integration
def test_the_redis_fixture_yields_an_empty_database(redis_url: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0
        client.set("reviewlab:test", "1")
        assert client.get("reviewlab:test") == b"1"


@pytest.mark.integration
def test_the_postgres_fixture_yields_a_fresh_database(postgres_url: str) -> None:
    assert "/reviewlab_test_" in postgres_url


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/15", "gw0", "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379/15", "gw1", "redis://127.0.0.1:6379/13"),
        ("redis://127.0.0.1:6379/14", "gw0", "redis://127.0.0.1:6379/13"),
        ("redis://:secret@cache:6380", "master", "redis://:secret@cache:6380/14"),
    ],
)
def test_flushing_tests_get_a_database_of_their_workers_own(url: str, worker: str, expected: str) -> None:
    """Flushing the shared database wiped namespaced keys of tests running in the other worker."""
    assert worker_redis_url(url, {"PYTEST_XDIST_WORKER": worker}) == expected
