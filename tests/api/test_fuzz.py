"""Property-based fuzzing of every operation in the OpenAPI schema: no generated request gets a 5xx.

Schemathesis generates requests from the app's ``/openapi.json``, valid ones (positive data) and ones
that break the schema (negative data), and sends them to the app in process. It runs twice:

- anonymously, with an anonymous CSRF token (as ``GET /api/auth/csrf`` hands out), so the public forms
  (register, login, invitations, password resets) reach their handlers and the rest answer 401;
- as an admin, with a fresh session and its CSRF token for every request (a generated logout or refresh
  cannot sign the rest of the run out), so every request gets past the guards to validation and the
  handler. Besides random ids, the admin run also sends requests naming the project, the completed
  analysis and the second user made beforehand, so handlers get past their 404s (not for DELETE: a
  deleted project would leave the later operations nothing to find).

Checks, chosen rather than all of schemathesis's:

- ``not_a_server_error``: the requirement, no 5xx whatever the request.
- ``status_code_conformance``: every operation documents ``default`` (a problem+json answer for 401,
  403, 404, 413, 429...), so this only rejects a status outside 100-599; kept so that narrowing the
  documented responses is checked at once.
- ``content_type_conformance``, ``response_schema_conformance``, ``response_headers_conformance``: each
  answer has a documented media type, body and headers.
- ``problem_details`` (here): every 4xx answer is an RFC 9457 problem whose ``status`` is the answer's
  (the schema's ``Problem`` says the shape; this says it is used for every error, with the right status).
Left out: ``negative_data_rejection``, because FastAPI's (pydantic's) lax parsing accepts values the
schema does not describe, a Unix time for a ``date``/``date-time`` query parameter (``?until=710884``)
or an unknown query parameter, and that is the framework's documented behaviour, not a fault of this
API; ``positive_data_acceptance`` (random ids are rightly 404, and many valid requests rightly 409 or
422); and the checks that replay requests or follow links between operations (``ignored_auth``,
``use_after_free``, ``ensure_resource_availability``): the session is a cookie the schema does not
declare, and the stateful phase is not run.

The app's rate limiter has an empty rule table (``RuleTable(())``): under the seed's limits (60 a minute
on ``/api/*``) nearly every generated request would be a 429 and nothing else would be tested.

Deterministic (``derandomize``, no example database) and bounded: ``MAX_EXAMPLES`` per operation, per
kind of data and per caller; 50-60 s on two idle cores, hence marked slow.

Schemathesis's own pytest integration is not used: ``schemathesis.pytest.from_fixture`` (the loader for
an app built by a fixture) fails under pytest 9 (it reads ``Function._nodeid``), so each operation's
strategy is run with Hypothesis's ``@given`` here, and every failing operation is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.deps import Platform
from api.main import create_app
from api.problems import Problem
from reviewlab.accounts import Role, User
from reviewlab.ratelimit import MemoryBackend, RateLimiter, RuleTable
from reviewlab.security import start_session
from reviewlab.security.cookies import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from reviewlab.settings import Settings
from tests.api import BASE_URL, PASSWORD, PROBLEM, Client

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 10
SNIPPET = "import os\n\ndef run():\n    return eval(input())\n"


def problem_details(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx/5xx answer is an RFC 9457 problem: problem+json, a valid ``Problem``, the same status inside."""
    if response.status_code < 400:
        return
    media_types = {value.split(";")[0].strip() for value in response.headers.get("content-type", [])}
    assert media_types == {PROBLEM}, f"a {response.status_code} answer as {media_types or 'no content type'}"
    problem = Problem.model_validate(response.json())
    assert problem.status == response.status_code, f"status {problem.status} in a {response.status_code} answer"


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    problem_details,
]
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

Credentials = Callable[[], dict[str, Any]]


class Seeded:
    """What exists before the admin run: the admin, a second user, a project and its completed analysis."""

    def __init__(self, admin: User, other: User, project_id: str, session_id: str) -> None:
        self.admin = admin
        self.ids = {"project_id": project_id, "session_id": session_id, "user_id": other.id}


@pytest.fixture
def fuzz_platform(settings: Settings, make_platform: Callable[..., Platform]) -> Platform:
    # No rate limits, or nearly every request is a 429 (see the module docstring).
    return make_platform(settings, limiter=RateLimiter(MemoryBackend(), rules=RuleTable(())))


@pytest.fixture
def fuzz_app(settings: Settings, fuzz_platform: Platform) -> FastAPI:
    return create_app(settings, platform=fuzz_platform)


@pytest.fixture
def api_schema(fuzz_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture
def seeded(fuzz_app: FastAPI, fuzz_platform: Platform) -> Seeded:
    accounts = fuzz_platform.services().accounts
    admin = accounts.create_user("fuzz-admin@example.com", PASSWORD, Role.ADMIN)
    other = accounts.create_user("fuzz-reviewer@example.com", PASSWORD, Role.REVIEWER)
    with Client(fuzz_app, base_url=BASE_URL) as client:
        client.sign_in(admin.email)
        project = client.post("/api/projects", json={"name": "fuzzed"})
        assert project.status_code == 201, project.text
        project_id = project.json()["id"]
        job = {"kind": "snippet", "code": SNIPPET, "language": "python", "project_id": project_id}
        started = client.post("/api/analyze", json=job)
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]
        with client.stream("GET", f"/api/analyze/{session_id}/stream") as stream:
            events = [line for line in stream.iter_lines() if line.startswith("event: ")]
        assert events[-1] == "event: done", events
    return Seeded(admin, other, project_id, session_id)


def fuzz(
    schema: schemathesis.BaseSchema, credentials: Credentials, known_ids: dict[str, str] | None = None
) -> list[str]:
    """Send every operation valid and invalid requests; one report per operation and kind of data that failed."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode)
            known = {p.name: known_ids[p.name] for p in operation.path_parameters if p.name in (known_ids or {})}
            if known and operation.method.upper() != "DELETE":
                strategy = st.one_of(operation.as_strategy(mode, path_parameters=known), strategy)

            @FUZZ_SETTINGS
            @given(case=strategy)
            def send(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=CHECKS, **credentials())

            try:
                send()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid request to send.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 - report every failing operation, not the first
                failures.append(f"{operation.label} with {mode.value} data:\n{err}")
    return failures


def test_no_server_error_for_anonymous_requests(api_schema: schemathesis.BaseSchema, fuzz_platform: Platform) -> None:
    token = fuzz_platform.csrf.generate()

    failures = fuzz(api_schema, lambda: {"cookies": {CSRF_COOKIE: token}, "headers": {"X-CSRF-Token": token}})

    assert not failures, "\n\n".join(failures)


def test_no_server_error_for_an_admin(
    api_schema: schemathesis.BaseSchema, fuzz_platform: Platform, seeded: Seeded
) -> None:
    def new_session() -> dict[str, Any]:
        pair = start_session(seeded.admin.id, fuzz_platform.services().refresh, tokens=fuzz_platform.tokens)
        csrf = fuzz_platform.csrf.generate(fuzz_platform.tokens.decode(pair.refresh, None).fam or "")
        return {
            "cookies": {ACCESS_COOKIE: pair.access, REFRESH_COOKIE: pair.refresh, CSRF_COOKIE: csrf},
            "headers": {"X-CSRF-Token": csrf},
        }

    failures = fuzz(api_schema, new_session, seeded.ids)

    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("method", "url", "options"),
    [
        pytest.param(
            "GET",
            "/api/analyze/{session_id}/stream?after=99999999999999999999",
            {},
            id="stream-after",
        ),
        pytest.param(
            "GET",
            "/api/analyze/{session_id}/stream",
            {"headers": {"Last-Event-ID": "99999999999999999999"}},
            id="stream-last-event-id",
        ),
        pytest.param(
            "PUT",
            "/api/providers/quotas",
            {"json": {"max_tokens": 10**20}},
            id="quota-max-tokens",
        ),
        pytest.param(
            "GET",
            "/api/providers/costs?until=0001-01-01",
            {},
            id="costs-until-date-min",
        ),
        pytest.param(
            "GET",
            "/api/admin/audit?since=2020-01-01T00:00:00",
            {},
            id="audit-naive-since",
        ),
    ],
)
def test_found_by_fuzzing(method: str, url: str, options: dict[str, Any], fuzz_app: FastAPI, seeded: Seeded) -> None:
    """Requests that once got a 5xx (found by the fuzzer), pinned as plain requests: each is a 4xx or an answer."""
    with Client(fuzz_app, base_url=BASE_URL) as client:
        client.sign_in(seeded.admin.email)

        response = client.request(method, url.format(session_id=seeded.ids["session_id"]), **options)

    assert response.status_code < 500, response.text
