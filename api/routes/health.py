"""Liveness, readiness and the Prometheus scrape."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Literal

from fastapi import Response
from pydantic import BaseModel

from api.deps import PlatformDep
from api.problems import PROBLEM_CONTENT, ProblemError
from api.routing import ApiRouter, WorkerThreadRoute
from reviewlab.errors import ReviewlabError

log = logging.getLogger(__name__)

router = ApiRouter(tags=["health"], route_class=WorkerThreadRoute)

CheckState = Literal["ok", "failed", "degraded", "unchecked"]


class Live(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, CheckState]


@router.get("/health/live")
async def live() -> Live:
    """The process is up and answering requests (on the event loop: a probe needs no worker thread)."""
    return Live()


@router.get(
    "/health/ready",
    responses={HTTPStatus.SERVICE_UNAVAILABLE.value: {"content": PROBLEM_CONTENT, "description": "not ready"}},
)
def ready(platform: PlatformDep) -> Ready:
    """The service can do its work: every required dependency answers.

    Required: the database, Redis (when configured) and the analysis queue (the in-process pool runs, or
    the Celery broker answers). The AI providers are reported from their last health check (``degraded``
    when none answered: reviews then run on static analysis alone) but never make the service unready.
    """
    checks: dict[str, CheckState] = {}

    def database() -> None:
        platform.stores.get().revision()

    required: dict[str, Callable[[], None]] = {"database": database, **platform.readiness_checks()}
    for name, check in required.items():
        try:
            check()
        except (ReviewlabError, OSError, ConnectionError, TimeoutError) as err:
            # The cause (host, driver message) goes to the log; an unauthenticated probe only names the check.
            log.warning("readiness check %r failed: %s", name, err)
            checks[name] = "failed"
        else:
            checks[name] = "ok"
    checks |= platform.informational_checks()
    failed = sorted(name for name, state in checks.items() if state == "failed")
    if failed:
        raise ProblemError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            f"readiness check {', '.join(repr(f) for f in failed)} failed",
            checks=checks,
        )
    return Ready(checks=checks)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(platform: PlatformDep) -> Response:
    """Prometheus metrics: HTTP latency by route, logins, rate-limit refusals, analyses, queue depth, caches."""
    return Response(platform.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
