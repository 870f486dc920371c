"""One call to audit a request's state change: who, from where, under which request id."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.deps import Services


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
