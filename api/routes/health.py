"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import StoreProviderDep
from api.problems import PROBLEM_MEDIA_TYPE, Problem, ProblemError
from reviewlab.errors import StoreError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


class Live(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, Literal["ok"]]


@router.get("/live")
def live() -> Live:
    """The process is up and answering requests."""
    return Live()


@router.get(
    "/ready",
    responses={HTTPStatus.SERVICE_UNAVAILABLE.value: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}},
)
def ready(stores: StoreProviderDep) -> Ready:
    """The service can do its work: the operational store opens and answers a trivial query."""
    try:
        stores.get().revision()
    except StoreError as err:
        # The cause (host, driver message) goes to the log; an unauthenticated probe only names the check.
        log.warning("readiness check 'database' failed: %s", err)
        raise ProblemError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "readiness check 'database' failed: the operational store did not answer",
            checks={"database": "failed"},
        ) from err
    return Ready(checks={"database": "ok"})
