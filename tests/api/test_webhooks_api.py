"""``/api/admin/webhooks``: admins manage subscriptions, see secrets once, read and re-send deliveries; audited."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from api.deps import Platform
from reviewlab.accounts import Role
from reviewlab.events import model, webhooks
from reviewlab.events.bus import InProcessBus, set_default_bus
from reviewlab.events.webhooks import DELIVERIES, RetryPolicy
from reviewlab.jobs.db import prepared, reading
from tests.api import PROBLEM, Client

HOOKS = "/api/admin/webhooks"
RECEIVER = "https://ci.example.com/reviewlab"


class Receiver:
    """An httpx transport that answers ``status`` and keeps every request it got."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status)


@pytest.fixture
def admin(signed_in: Callable[..., Client]) -> Client:
    return signed_in(Role.ADMIN)


@pytest.fixture
def bus() -> Iterator[InProcessBus]:
    """A bus of the test's own, also the process's default (where the accounts and key changes publish)."""
    bus = InProcessBus()
    set_default_bus(bus)
    yield bus
    set_default_bus(None)


@pytest.fixture
def deliver(platform: Platform, bus: InProcessBus) -> Iterator[Callable[..., Receiver]]:
    """``deliver(status)``: one pass of the fan-out and the deliverer against a receiver answering ``status``."""
    clients: list[httpx.Client] = []

    def run(status: int = 204, *, max_attempts: int = 8) -> Receiver:
        receiver = Receiver(status)
        client = httpx.Client(transport=httpx.MockTransport(receiver))
        clients.append(client)
        policy = RetryPolicy(max_attempts=max_attempts)
        webhooks.drain(platform.services().engine, bus, box=platform.box, client=client, policy=policy)
        return receiver

    yield run
    for client in clients:
        client.close()


def _create(client: Client, **fields: Any) -> dict[str, Any]:
    response = client.post(HOOKS, json={"url": RECEIVER, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _publish(bus: InProcessBus, count: int = 1) -> None:
    for number in range(count):
        bus.publish(model.user_changed(f"u{number}", actor=None, change="created", fields={}))


def _audits(platform: Platform, prefix: str) -> list[Any]:
    return platform.services().audit.query(action_prefix=prefix)


def test_create_shows_the_secret_once_and_it_signs_the_deliveries(
    admin: Client, platform: Platform, bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    created = _create(admin, event_types=["user.changed"], description="CI")

    secret = created["secret"]
    assert len(secret) == 64
    assert (created["url"], created["event_types"], created["description"]) == (RECEIVER, ["user.changed"], "CI")
    assert created["active"] is True
    assert created["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}
    shown = admin.get(f"{HOOKS}/{created['id']}").json()
    assert "secret" not in shown
    assert [w["id"] for w in admin.get(HOOKS).json()] == [created["id"]]
    assert all("secret" not in w for w in admin.get(HOOKS).json())
    assert secret not in str(platform.services().audit.query())

    _publish(bus)
    receiver = deliver()

    (request,) = receiver.requests
    headers = request.headers
    assert webhooks.verify(secret, request.content, headers["X-Reviewlab-Timestamp"], headers["X-Reviewlab-Signature"])
    (row,) = _audits(platform, "webhook.created")
    assert (row.actor, row.target_id) == (admin.user.id, created["id"])
    assert row.details == {"url": RECEIVER, "event_types": ["user.changed"], "description": "CI"}


def test_rotating_the_secret_signs_later_deliveries_with_the_new_one(
    admin: Client, platform: Platform, bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    created = _create(admin)

    rotated = admin.post(f"{HOOKS}/{created['id']}/rotate-secret")

    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert rotated.json()["id"] == created["id"]
    assert new != created["secret"]
    _publish(bus)
    (request,) = deliver().requests
    stamp, signature = request.headers["X-Reviewlab-Timestamp"], request.headers["X-Reviewlab-Signature"]
    assert webhooks.verify(new, request.content, stamp, signature)
    assert not webhooks.verify(created["secret"], request.content, stamp, signature)
    (row,) = _audits(platform, "webhook.secret.rotated")
    assert row.target_id == created["id"]
    assert new not in str(row.details)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://ci.example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://ci.example.com/a\tb"}, "url"),
        ({"url": RECEIVER, "event_types": ["review.finished", "no.such.type"]}, "event_types"),
        ({"url": RECEIVER, "secret": "mine-mine-mine-mine"}, "secret"),
    ],
)
def test_invalid_subscriptions_are_422_naming_the_field(
    admin: Client, platform: Platform, body: dict[str, Any], field: str
) -> None:
    response = admin.post(HOOKS, json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert ["body", field] in [error["loc"] for error in response.json()["errors"]]
    assert webhooks.webhooks(platform.services().engine) == []


def test_update_changes_what_is_given_and_is_audited(admin: Client, platform: Platform) -> None:
    created = _create(admin, event_types=["gate.failed"], description="old")
    url = f"{HOOKS}/{created['id']}"

    changed = admin.patch(url, json={"url": "http://hooks.internal/x", "event_types": [], "active": False})

    assert changed.status_code == 200
    body = changed.json()
    assert (body["url"], body["event_types"], body["active"], body["description"]) == (
        "http://hooks.internal/x",
        [],
        False,
        "old",
    )
    assert admin.patch(url, json={"description": None}).json()["description"] is None
    assert admin.patch(url, json={"active": True, "url": None}).json()["url"] == "http://hooks.internal/x"
    assert admin.get(url).json()["active"] is True
    assert admin.patch(url, json={"event_types": ["nope"]}).json()["errors"][0]["loc"] == ["body", "event_types"]
    assert admin.patch(url, json={"url": "file:///etc/passwd"}).status_code == 422
    assert admin.patch(url, json={"secret": "x" * 20}).status_code == 422
    rows = _audits(platform, "webhook.changed")
    assert [r.details for r in reversed(rows)] == [
        {"url": "http://hooks.internal/x", "event_types": [], "active": False},
        {"description": None},
        {"active": True},
    ]
    assert {r.actor for r in rows} == {admin.user.id}


def test_a_paused_webhook_gets_no_new_deliveries(
    admin: Client, platform: Platform, bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    created = _create(admin)
    admin.patch(f"{HOOKS}/{created['id']}", json={"active": False})

    _publish(bus)

    assert deliver().requests == []
    assert admin.get(f"{HOOKS}/{created['id']}").json()["deliveries"]["pending"] == 0


def test_deliveries_are_paginated_filtered_and_carry_their_attempts(
    admin: Client, bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    created = _create(admin)
    other = _create(admin, url="https://other.example.com/")
    _publish(bus, 3)
    deliver(500, max_attempts=1)
    url = f"{HOOKS}/{created['id']}/deliveries"

    page = admin.get(url, params={"limit": 2}).json()

    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 0, 2)
    assert len(admin.get(url, params={"limit": 2, "offset": 2}).json()["items"]) == 1
    failed = admin.get(url, params={"status": "failed"}).json()
    assert failed["total"] == 3
    item = failed["items"][0]
    assert (item["webhook_id"], item["status"], item["attempts"], item["event_type"]) == (
        created["id"],
        "failed",
        1,
        "user.changed",
    )
    (attempt,) = item["log"]
    assert (attempt["attempt"], attempt["status_code"]) == (1, 500)
    assert attempt["error"].startswith("HTTP 500")
    assert model.DomainEvent.from_json(item["body"]).type == "user.changed"
    assert admin.get(url, params={"status": "delivered"}).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert admin.get(url, params={"status": "lost"}).status_code == 422
    counts = {w["id"]: w["deliveries"] for w in admin.get(HOOKS).json()}
    assert counts == {
        created["id"]: {"pending": 0, "delivered": 0, "failed": 3},
        other["id"]: {"pending": 0, "delivered": 0, "failed": 3},
    }


def test_a_failed_delivery_is_sent_again_once_and_audited(
    admin: Client, platform: Platform, bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    created = _create(admin)
    _publish(bus)
    deliver(503, max_attempts=1)
    (delivery,) = admin.get(f"{HOOKS}/{created['id']}/deliveries").json()["items"]
    redeliver = f"{HOOKS}/{created['id']}/deliveries/{delivery['id']}/redeliver"

    again = admin.post(redeliver)

    assert again.status_code == 200
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 1)
    assert again.json()["next_attempt_at"] is not None
    conflict = admin.post(redeliver)
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "the delivery is pending: only a failed one is sent again"
    receiver = deliver(200, max_attempts=1)
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["X-Reviewlab-Delivery"] == delivery["id"]
    (sent,) = admin.get(f"{HOOKS}/{created['id']}/deliveries").json()["items"]
    assert (sent["status"], sent["attempts"], [a["status_code"] for a in sent["log"]]) == ("delivered", 2, [503, 200])
    assert admin.post(redeliver).status_code == 409  # delivered: nothing to send again
    (row,) = _audits(platform, "webhook.delivery.redelivered")
    assert (row.actor, row.target_type, row.target_id) == (admin.user.id, "webhook_delivery", delivery["id"])
    assert row.details == {"webhook_id": created["id"], "event_type": "user.changed", "attempts": 1}


def test_deleting_a_webhook_deletes_its_deliveries(
    admin: Client, platform: Platform, bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    created, kept = _create(admin), _create(admin)
    _publish(bus, 2)
    deliver(500)

    deleted = admin.delete(f"{HOOKS}/{created['id']}")

    assert deleted.status_code == 204
    assert admin.get(f"{HOOKS}/{created['id']}").status_code == 404
    assert [w["id"] for w in admin.get(HOOKS).json()] == [kept["id"]]
    with reading(prepared(platform.services().engine), "test") as connection:
        owners = [r.webhook_id for r in connection.execute(DELIVERIES.select())]
    assert owners == [kept["id"], kept["id"]]
    (row,) = _audits(platform, "webhook.deleted")
    assert (row.target_id, row.details) == (created["id"], {"deliveries_deleted": 2})
    assert admin.delete(f"{HOOKS}/{created['id']}").status_code == 404


def test_unknown_ids_are_404(admin: Client) -> None:
    created = _create(admin)
    nobody = "00000000-0000-0000-0000-000000000000"

    answers = [
        admin.get(f"{HOOKS}/{nobody}"),
        admin.patch(f"{HOOKS}/{nobody}", json={"active": False}),
        admin.delete(f"{HOOKS}/{nobody}"),
        admin.post(f"{HOOKS}/{nobody}/rotate-secret"),
        admin.get(f"{HOOKS}/{nobody}/deliveries"),
        admin.post(f"{HOOKS}/{nobody}/deliveries/{nobody}/redeliver"),
        admin.post(f"{HOOKS}/{created['id']}/deliveries/{nobody}/redeliver"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {a.headers["content-type"] for a in answers} == {PROBLEM}


def test_only_admins_manage_webhooks(admin: Client, signed_in: Callable[..., Client], client: Client) -> None:
    created = _create(admin)
    one = f"{HOOKS}/{created['id']}"
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", HOOKS, {}),
        ("POST", HOOKS, {"json": {"url": RECEIVER}}),
        ("GET", one, {}),
        ("PATCH", one, {"json": {"active": False}}),
        ("DELETE", one, {}),
        ("POST", f"{one}/rotate-secret", {}),
        ("GET", f"{one}/deliveries", {}),
        ("POST", f"{one}/deliveries/x/redeliver", {}),
    ]

    for role in (Role.REVIEWER, Role.EXPERIMENTER, Role.VIEWER):
        user = signed_in(role)
        assert [user.request(m, u, **o).status_code for m, u, o in calls] == [403] * len(calls), role
    assert [client.request(m, u, **o).status_code for m, u, o in calls] == [401] * len(calls)
    assert admin.get(one).json()["active"] is True  # nothing above changed it


def test_state_changes_need_the_csrf_token(admin: Client) -> None:
    created = _create(admin)
    admin.auto_csrf = False

    answers = [
        admin.post(HOOKS, json={"url": RECEIVER}),
        admin.patch(f"{HOOKS}/{created['id']}", json={"active": False}),
        admin.post(f"{HOOKS}/{created['id']}/rotate-secret"),
        admin.delete(f"{HOOKS}/{created['id']}"),
    ]

    assert [a.status_code for a in answers] == [403] * len(answers)
    admin.auto_csrf = True
    assert admin.get(f"{HOOKS}/{created['id']}").json()["active"] is True


def test_account_and_key_changes_through_the_api_reach_a_subscribed_webhook(
    admin: Client, signed_in: Callable[..., Client], bus: InProcessBus, deliver: Callable[..., Receiver]
) -> None:
    user = signed_in(Role.VIEWER)
    _create(admin, event_types=["user.changed", "key.changed"])
    deliver()  # the sign-ins' accounts

    assert admin.patch(f"/api/admin/users/{user.user.id}", json={"role": "reviewer", "is_active": False}).is_success
    key = "sk-ant-abcdefghijklmnopqrstuvwxyz0123456789"
    assert admin.put("/api/providers/keys/anthropic", json={"key": key}).is_success
    receiver = deliver()

    events = [model.DomainEvent.from_json(r.content) for r in receiver.requests]
    assert [(e.type, e.data["change"], e.actor) for e in events] == [
        ("user.changed", "role_changed", admin.user.id),
        ("user.changed", "deactivated", admin.user.id),
        ("key.changed", "stored", admin.user.id),
    ]
    assert events[0].subject_id == events[1].subject_id == user.user.id
    assert key[-6:] not in receiver.requests[2].content.decode()
