"""One call to audit a request's state change (who, from where, under which request id), and the audit of
sign-in attempts refused before the login handler runs (rate limit, CSRF, validation)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from fastapi import Request

from api.routing import in_worker_thread
from reviewlab.accounts.errors import InvalidEmail
from reviewlab.accounts.repository import normalize_email
from reviewlab.errors import ReviewlabError

if TYPE_CHECKING:  # api.deps imports the middleware, which imports this module
    from api.deps import Platform, Services

log = logging.getLogger(__name__)

LOGIN_PATH = "/api/auth/login"
REFUSED_LOGIN = "auth.login.refused"
MAX_CREDENTIALS_BYTES = 8 * 1024
"""A body longer than this holds no valid credentials (email <= 320, password <= 1024 characters): not parsed."""

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


def audit(
    request: Request,
    services: Services,
    action: str,
    *,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append ``action`` to the hash-chained audit log; the actor defaults to the signed-in user."""
    client = request.client
    services.audit.append(
        action,
        actor=actor if actor is not None else getattr(request.state, "user_id", None),
        target_type=target_type,
        target_id=target_id,
        ip=client.host if client else None,
        request_id=getattr(request.state, "request_id", None),
        details=details,
    )


def is_login(scope: MutableMapping[str, Any]) -> bool:
    """Whether the request is a sign-in attempt."""
    return scope.get("type") == "http" and scope.get("method") == "POST" and scope.get("path") == LOGIN_PATH


async def audit_refused_login(
    scope: MutableMapping[str, Any],
    status: HTTPStatus,
    reason: str,
    *,
    body: bytes | None = None,
    receive: Receive | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a sign-in attempt refused before the handler: ``auth.login.refused`` with the client's ip, the
    answer's status, ``reason``, ``details`` and, when the body parses, the normalized email (never the password).

    The body is ``body`` if read already, else read from ``receive`` (the request is refused: nobody else
    will). The append runs on a worker thread; a failure to record is logged and never changes the answer."""
    if body is None and receive is not None:
        body = await _read_body(receive)
    details = {"reason": reason, "status": status.value} | (details or {})
    email = _email_of(body or b"")
    if email is not None:
        details["email"] = email
    client = scope.get("client")
    platform: Platform = scope["app"].state.platform

    def append() -> None:
        platform.services().audit.append(
            REFUSED_LOGIN,
            ip=client[0] if client else None,
            request_id=scope.get("state", {}).get("request_id"),
            details=details,
        )

    try:
        await in_worker_thread(append)
    except ReviewlabError as err:
        log.error("could not audit a refused sign-in (%s): %s", reason, err)


async def _read_body(receive: Receive) -> bytes:
    """The request body, or what came of it up to ``MAX_CREDENTIALS_BYTES`` and a little more."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_CREDENTIALS_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _email_of(body: bytes) -> str | None:
    """The normalized ``email`` of a JSON credentials body; None when there is none that parses."""
    if len(body) > MAX_CREDENTIALS_BYTES:
        return None
    try:
        payload = json.loads(body)
    except ValueError:  # not JSON (nor UTF-8)
        return None
    email = payload.get("email") if isinstance(payload, dict) else None
    if not isinstance(email, str):
        return None
    try:
        return normalize_email(email)
    except InvalidEmail:
        return None
