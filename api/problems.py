"""RFC 9457 problem details: every error response of the API, and the one place errors become them.

Library errors (``reviewlab.errors``) are translated here, at the seam, so route handlers raise or
let propagate and never build error bodies by hand.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from reviewlab.accounts.errors import EmailTaken, TokenRejected, UnknownUser
from reviewlab.errors import ConfigError, InputError, PathNotFoundError, ReviewlabError, SettingsError, StoreError
from reviewlab.jobs.errors import AnalysisNotFound, QueueUnavailable
from reviewlab.lifecycle.service import LifecycleError, UnknownModel
from reviewlab.lifecycle.tracking import TrackingError
from reviewlab.projects.errors import AlreadyMember, LastOwner, NameTaken, UnknownMember, UnknownProject
from reviewlab.providerstore.errors import UnknownProvider
from reviewlab.security.errors import TokenError

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger(__name__)

# Most specific first: the first class an error is an instance of decides its status.
_STATUS_BY_ERROR: tuple[tuple[type[ReviewlabError], HTTPStatus], ...] = (
    (EmailTaken, HTTPStatus.CONFLICT),
    (NameTaken, HTTPStatus.CONFLICT),
    (AlreadyMember, HTTPStatus.CONFLICT),
    (LastOwner, HTTPStatus.CONFLICT),
    (UnknownProject, HTTPStatus.NOT_FOUND),
    (UnknownMember, HTTPStatus.NOT_FOUND),
    (UnknownProvider, HTTPStatus.NOT_FOUND),
    (AnalysisNotFound, HTTPStatus.NOT_FOUND),
    (QueueUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
    (UnknownModel, HTTPStatus.NOT_FOUND),
    (LifecycleError, HTTPStatus.CONFLICT),
    (TrackingError, HTTPStatus.SERVICE_UNAVAILABLE),
    (UnknownUser, HTTPStatus.NOT_FOUND),
    (TokenRejected, HTTPStatus.BAD_REQUEST),
    (TokenError, HTTPStatus.UNAUTHORIZED),
    (PathNotFoundError, HTTPStatus.NOT_FOUND),
    (ConfigError, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InputError, HTTPStatus.UNPROCESSABLE_ENTITY),
    (StoreError, HTTPStatus.SERVICE_UNAVAILABLE),
    (SettingsError, HTTPStatus.INTERNAL_SERVER_ERROR),
)


class Problem(BaseModel):
    """An RFC 9457 problem details object (extension members allowed)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class ProblemError(Exception):
    """Raise in a route to answer with a problem, for conditions that are not library errors."""

    def __init__(
        self, status: HTTPStatus, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_body(status: HTTPStatus, detail: str, **extensions: Any) -> dict[str, Any]:
    """The problem object; ``type`` is ``about:blank``, so ``title`` is the status phrase."""
    return Problem(title=status.phrase, status=status.value, detail=detail, **extensions).model_dump()


def problem_response(
    status: HTTPStatus, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
) -> JSONResponse:
    """A problem+json response."""
    body = problem_body(status, detail, **extensions)
    return JSONResponse(body, status_code=status.value, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


PROBLEM_CONTENT: dict[str, Any] = {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}}
"""The OpenAPI content of an error response: a problem object as ``application/problem+json``."""

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "default": {"content": PROBLEM_CONTENT, "description": "A problem"}
}


def _problem_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
    return problem_response(exc.status, exc.detail, headers=exc.headers, **exc.extensions)


def _reviewlab_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReviewlabError)  # noqa: S101 - registered for ReviewlabError only
    status = next((s for cls, s in _STATUS_BY_ERROR if isinstance(exc, cls)), HTTPStatus.INTERNAL_SERVER_ERROR)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        # Server-side causes (store URLs, environment) stay in the log, not in the response.
        log.error("request failed: %s", exc, exc_info=exc)
        return problem_response(status, f"{type(exc).__name__}: the server could not complete the request")
    return problem_response(status, str(exc))


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for HTTPException only
    status = HTTPStatus(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else status.description
    return problem_response(status, detail, headers=dict(exc.headers or {}))


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for RequestValidationError only
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    return problem_response(HTTPStatus.UNPROCESSABLE_ENTITY, "the request is invalid", errors=errors)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem+json."""
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(ReviewlabError, _reviewlab_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
