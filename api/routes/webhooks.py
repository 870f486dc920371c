"""``/api/admin/webhooks`` (admin role): outgoing webhook subscriptions, their secrets and their delivery logs.

A secret is shown once, in the answer that creates or rotates it, and never again (it is stored encrypted).
Deleting a subscription deletes its deliveries and their log too; the audit log keeps that it happened.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.auditing import audit
from api.deps import AdminUser, PlatformDep, Services, ServicesDep
from api.problems import ProblemError
from api.routing import ApiRouter, WorkerThreadRoute
from reviewlab.errors import InputError
from reviewlab.events import webhooks
from reviewlab.events.model import EVENT_TYPES
from reviewlab.events.webhooks import WebhookSummary

router = ApiRouter(prefix="/api/admin/webhooks", tags=["webhooks"], route_class=WorkerThreadRoute)

KNOWN_TYPES = ", ".join(sorted(EVENT_TYPES))
WebhookId = Annotated[str, Path(max_length=64)]
DeliveryId = Annotated[str, Path(max_length=64)]
EventType = Annotated[str, Field(max_length=64)]
DeliveryStatus = Literal["pending", "delivered", "failed"]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
URL_DESCRIPTION = "an http(s) URL the events are POSTed to"
TYPES_DESCRIPTION = f"the event types to send (empty: every type); known: {KNOWN_TYPES}"


def _url(value: str | None) -> str | None:
    try:
        return None if value is None else webhooks.check_url(value)
    except InputError as err:
        raise ValueError(str(err)) from err


def _types(value: list[str] | None) -> list[str] | None:
    try:
        return None if value is None else list(webhooks.check_event_types(value))
    except InputError as err:
        raise ValueError(str(err)) from err


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description=URL_DESCRIPTION)
    event_types: list[EventType] = Field(default_factory=list, max_length=32, description=TYPES_DESCRIPTION)
    description: str | None = Field(default=None, max_length=1000)

    _check_url = field_validator("url")(_url)
    _check_types = field_validator("event_types")(_types)


class WebhookChange(BaseModel):
    """What to change; a field left out stays as it is (``description: null`` clears it)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2048, description=URL_DESCRIPTION)
    event_types: list[EventType] | None = Field(default=None, max_length=32, description=TYPES_DESCRIPTION)
    description: str | None = Field(default=None, max_length=1000)
    active: bool | None = Field(default=None, description="false pauses it: no new deliveries are queued")

    _check_url = field_validator("url")(_url)
    _check_types = field_validator("event_types")(_types)


class DeliveryCounts(BaseModel):
    pending: int = 0
    delivered: int = 0
    failed: int = 0


class WebhookOut(BaseModel):
    id: str
    url: str
    event_types: list[str] = Field(description="empty: every type")
    active: bool
    description: str | None
    created_at: datetime
    deliveries: DeliveryCounts

    @classmethod
    def of(cls, webhook: WebhookSummary) -> WebhookOut:
        return cls.model_validate(webhook, from_attributes=True)


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the signing secret, shown this once: keep it to verify the signatures")


class SecretOut(BaseModel):
    id: str
    secret: str = Field(description="the new signing secret, shown this once; the old one no longer signs")


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryOut(BaseModel):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: float | None
    log: list[AttemptOut] = Field(description="every attempt (the last 50)")
    created_at: datetime
    delivered_at: datetime | None
    body: str = Field(description="the exact JSON sent on every attempt")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int


def _found(webhook: WebhookSummary | None, webhook_id: str) -> WebhookSummary:
    if webhook is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no webhook {webhook_id}")
    return webhook


def _delivery(services: Services, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    found = webhooks.delivery(services.engine, webhook_id, delivery_id)
    if found is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"webhook {webhook_id} has no delivery {delivery_id}")
    return found


@router.get("")
def list_webhooks(_: AdminUser, services: ServicesDep) -> list[WebhookOut]:
    """Every subscription, oldest first, with its deliveries counted by status (never a secret)."""
    return [WebhookOut.of(w) for w in webhooks.webhook_summaries(services.engine)]


@router.post("", status_code=HTTPStatus.CREATED)
def create_webhook(body: WebhookIn, request: Request, _: AdminUser, platform: PlatformDep) -> WebhookCreated:
    """Subscribe a URL to events; the answer carries the generated signing secret, shown only this once."""
    services = platform.services()
    secret = webhooks.new_secret()
    created = webhooks.subscribe(
        services.engine, body.url, secret, body.event_types, box=platform.box, description=body.description
    )
    audit(
        request,
        services,
        "webhook.created",
        target_type="webhook",
        target_id=created.id,
        details=body.model_dump(mode="json"),
    )
    webhook = WebhookOut.of(_found(webhooks.webhook_summary(services.engine, created.id), created.id))
    return WebhookCreated(**webhook.model_dump(), secret=secret)


@router.get("/{webhook_id}")
def get_webhook(webhook_id: WebhookId, _: AdminUser, services: ServicesDep) -> WebhookOut:
    """One subscription with its delivery counts (never its secret)."""
    return WebhookOut.of(_found(webhooks.webhook_summary(services.engine, webhook_id), webhook_id))


@router.patch("/{webhook_id}")
def change_webhook(
    webhook_id: WebhookId, body: WebhookChange, request: Request, _: AdminUser, services: ServicesDep
) -> WebhookOut:
    """Change the URL, the event types, the description, or pause/resume (``active``)."""
    # A null url, event_types or active leaves it as it is; only the description can be cleared.
    given = body.model_dump(exclude_unset=True).items()
    changes: dict[str, Any] = {k: v for k, v in given if v is not None or k == "description"}
    webhook = _found(webhooks.update_webhook(services.engine, webhook_id, **changes), webhook_id)
    audit(request, services, "webhook.changed", target_type="webhook", target_id=webhook_id, details=changes)
    return WebhookOut.of(webhook)


@router.delete("/{webhook_id}", status_code=HTTPStatus.NO_CONTENT)
def delete_webhook(webhook_id: WebhookId, request: Request, _: AdminUser, services: ServicesDep) -> Response:
    """Remove a subscription with its deliveries and their log (pending ones are not sent)."""
    gone = webhooks.delete_webhook(services.engine, webhook_id)
    if gone is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no webhook {webhook_id}")
    details = {"deliveries_deleted": gone}
    audit(request, services, "webhook.deleted", target_type="webhook", target_id=webhook_id, details=details)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret")
def rotate_secret(webhook_id: WebhookId, request: Request, _: AdminUser, platform: PlatformDep) -> SecretOut:
    """A new signing secret, shown only this once; every later attempt (retries too) is signed with it."""
    services = platform.services()
    secret = webhooks.new_secret()
    if not webhooks.rotate_secret(services.engine, webhook_id, secret, box=platform.box):
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no webhook {webhook_id}")
    audit(request, services, "webhook.secret.rotated", target_type="webhook", target_id=webhook_id)
    return SecretOut(id=webhook_id, secret=secret)


@router.get("/{webhook_id}/deliveries")
def list_deliveries(
    webhook_id: WebhookId,
    _: AdminUser,
    services: ServicesDep,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """A subscription's deliveries, newest first, with every attempt; filtered by status."""
    _found(webhooks.webhook_summary(services.engine, webhook_id), webhook_id)
    rows, total = webhooks.delivery_page(services.engine, webhook_id, status=status, limit=limit, offset=offset)
    return DeliveryPage(
        items=[DeliveryOut.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver")
def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, request: Request, _: AdminUser, services: ServicesDep
) -> DeliveryOut:
    """Send a failed delivery again: it is pending and due now, for one more attempt; 409 unless it failed."""
    found = _delivery(services, webhook_id, delivery_id)
    if not webhooks.redeliver(services.engine, webhook_id, delivery_id):
        raise ProblemError(HTTPStatus.CONFLICT, f"the delivery is {found['status']}: only a failed one is sent again")
    audit(
        request,
        services,
        "webhook.delivery.redelivered",
        target_type="webhook_delivery",
        target_id=delivery_id,
        details={"webhook_id": webhook_id, "event_type": found["event_type"], "attempts": found["attempts"]},
    )
    return DeliveryOut.model_validate(_delivery(services, webhook_id, delivery_id))
