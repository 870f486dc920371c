"""Providers over HTTP: the chain, keys never returned, quotas, costs, health checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text

from api.deps import Platform
from reviewlab.accounts import Role
from reviewlab.ai.base import Completion
from reviewlab.providerstore import SqlLedger
from tests.api import Client

SECRET = "sk-test-abcdefghijklmnopqrstuvwxyz0123456789"


def test_a_key_goes_in_once_and_never_comes_out(signed_in: Callable[..., Client], platform: Platform) -> None:
    user = signed_in()

    stored = user.put("/api/providers/keys/openai", json={"key": SECRET})

    assert stored.status_code == 200
    assert SECRET not in stored.text
    assert stored.json()["masked"].endswith(SECRET[-4:])
    listed = user.get("/api/providers/keys")
    assert SECRET not in listed.text
    assert [k["provider"] for k in listed.json()] == ["openai"]
    with platform.services().engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.execute(text("SELECT * FROM user_keys")))
    assert SECRET not in dump
    audit = platform.services().audit.query(action_prefix="provider.key")
    assert [a.action for a in audit] == ["provider.key.set"]
    assert SECRET not in str(audit)
    assert platform.services().providers.reveal(user.user.id, "openai") == SECRET


def test_keys_are_per_user(signed_in: Callable[..., Client]) -> None:
    alice, bob = signed_in(), signed_in()
    alice.put("/api/providers/keys/anthropic", json={"key": SECRET})

    assert bob.get("/api/providers/keys").json() == []
    assert bob.delete("/api/providers/keys/anthropic").status_code == 404
    assert alice.delete("/api/providers/keys/anthropic").status_code == 204
    assert alice.get("/api/providers/keys").json() == []


def test_keys_only_for_cloud_providers_and_plausible(signed_in: Callable[..., Client]) -> None:
    user = signed_in()

    assert user.put("/api/providers/keys/ollama", json={"key": SECRET}).status_code == 422
    assert user.put("/api/providers/keys/openai", json={"key": "has spaces in it"}).status_code == 422
    assert user.put("/api/providers/keys/openai", json={"key": ""}).status_code == 422


def test_the_chain_in_order_and_admin_changes(signed_in: Callable[..., Client]) -> None:
    viewer, admin = signed_in(Role.VIEWER), signed_in(Role.ADMIN)
    chain = viewer.get("/api/providers").json()
    assert [p["name"] for p in chain] == ["ollama", "huggingface", "openai", "anthropic"]

    assert viewer.put("/api/providers/chain/openai", json={"enabled": False, "priority": 9}).status_code == 403
    assert admin.put("/api/providers/chain/openai", json={"enabled": False, "priority": 9}).status_code == 200
    after = {p["name"]: p for p in viewer.get("/api/providers").json()}
    assert after["openai"]["enabled"] is False
    assert [p["name"] for p in viewer.get("/api/providers").json()][-1] == "openai"


def test_health_check_records_each_provider(signed_in: Callable[..., Client]) -> None:
    admin = signed_in(Role.ADMIN)

    checked = admin.post("/api/providers/health")

    assert checked.status_code == 200
    states = {p["name"]: p["state"] for p in checked.json()}
    assert states["ollama"] == "unavailable"  # nothing listens on the default Ollama port here
    assert all(p["checked_at"] for p in admin.get("/api/providers").json() if p["state"])


def test_quotas_set_by_admins_apply_to_users(signed_in: Callable[..., Client]) -> None:
    admin, user = signed_in(Role.ADMIN), signed_in()
    user_id = user.user.id

    assert user.put("/api/providers/quotas", json={"max_tokens": 10}).status_code == 403
    everyone = admin.put("/api/providers/quotas", json={"max_cost_usd": 5.0})
    own = admin.put("/api/providers/quotas", json={"user_id": user_id, "provider": "openai", "max_tokens": 1000})
    assert everyone.status_code == own.status_code == 200
    assert admin.put("/api/providers/quotas", json={"period": "week", "max_tokens": 1}).status_code == 422
    assert admin.put("/api/providers/quotas", json={"user_id": "nobody", "max_tokens": 1}).status_code == 404

    quotas = user.get("/api/providers/quotas").json()
    assert [(q["user_id"], q["provider"]) for q in quotas] == [(None, "*"), (user_id, "openai")]


def test_costs_per_provider_model_and_day(signed_in: Callable[..., Client], platform: Platform) -> None:
    admin, user = signed_in(Role.ADMIN), signed_in()
    user_id = user.user.id
    ledger = SqlLedger(platform.services().engine)
    completion = Completion(
        text="{}", provider="openai", model="gpt-4o-mini", input_tokens=1000, output_tokens=200, latency_s=0.5
    )
    ledger.record(completion, 0.0027, user=user_id, review="r1")
    ledger.record(completion, 0.0027, user=user_id, review="r2")

    mine = user.get("/api/providers/costs").json()

    assert mine["total"]["requests"] == 2
    assert mine["total"]["input_tokens"] == 2000
    assert abs(mine["total"]["cost_usd"] - 0.0054) < 1e-9
    assert list(mine["by_model"]) == ["openai/gpt-4o-mini"]
    assert list(mine["by_day"]) == [datetime.now(UTC).date().isoformat()]
    assert user.get("/api/providers/costs", params={"user_id": admin.user.id}).status_code == 403
    assert admin.get("/api/providers/costs", params={"user_id": user_id}).json()["total"]["requests"] == 2
    assert user.get("/api/providers/costs", params={"since": "2026-12-31", "until": "2026-01-01"}).status_code == 422
