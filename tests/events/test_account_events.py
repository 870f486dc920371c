"""``user.changed`` and ``key.changed``: each committed account or API-key change publishes its event with the
right data and actor (never a password, token or key); a broken bus fails none of them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from reviewlab.accounts import Accounts, Role, UnknownUser
from reviewlab.events import bus as bus_module
from reviewlab.events.bus import InProcessBus
from reviewlab.events.model import DomainEvent
from reviewlab.providerstore import ProviderStore
from tests.providerstore import CHEAP, secret_box

PASSWORD = "correct horse battery"
KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


class _Broken:
    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        raise ConnectionError("the bus is down")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.fixture
def accounts(engine: Engine) -> Accounts:
    return Accounts(engine, passwords=CHEAP)


@pytest.fixture
def keys(engine: Engine) -> ProviderStore:
    return ProviderStore(engine, secret_box())


def _events(bus: InProcessBus) -> list[DomainEvent]:
    return [m.event for m in bus.read("test", "c1", count=1000) if m.event is not None]


def test_a_new_account_is_created_by_itself_or_by_the_actor(accounts: Accounts, fresh_bus: InProcessBus) -> None:
    registered = accounts.create_user("Ann@Example.com", PASSWORD)
    made = accounts.create_user("bob@example.com", PASSWORD, Role.REVIEWER, actor=registered.id)

    first, second = _events(fresh_bus)

    assert (first.type, first.subject_type, first.subject_id, first.actor) == (
        "user.changed",
        "user",
        registered.id,
        registered.id,
    )
    assert first.data == {"change": "created", "email": "ann@example.com", "role": "viewer", "is_active": True}
    assert (second.subject_id, second.actor, second.data["role"]) == (made.id, registered.id, "reviewer")


def test_an_accepted_invitation_publishes_who_invited(accounts: Accounts, fresh_bus: InProcessBus) -> None:
    admin = accounts.create_user("admin@example.com", PASSWORD, Role.ADMIN)
    token = accounts.invite("new@example.com", Role.EXPERIMENTER, by=admin.id)

    user = accounts.accept_invitation(token, PASSWORD)

    event = _events(fresh_bus)[-1]
    assert (event.subject_id, event.actor) == (user.id, user.id)
    assert event.data == {
        "change": "invitation_accepted",
        "email": "new@example.com",
        "role": "experimenter",
        "is_active": True,
        "invited_by": admin.id,
    }
    assert token not in event.to_json()


def test_a_password_reset_publishes_without_the_password_or_token(accounts: Accounts, fresh_bus: InProcessBus) -> None:
    user = accounts.create_user("ann@example.com", PASSWORD)
    token = accounts.request_password_reset("ann@example.com")
    assert token is not None

    accounts.reset_password(token, "another horse battery")

    event = _events(fresh_bus)[-1]
    assert (event.subject_id, event.actor, event.data["change"]) == (user.id, user.id, "password_reset")
    assert set(event.data) == {"change", "email", "role", "is_active"}
    assert token not in event.to_json()
    assert "another horse battery" not in event.to_json()


def test_a_role_change_publishes_the_previous_role_and_the_actor(accounts: Accounts, fresh_bus: InProcessBus) -> None:
    user = accounts.create_user("ann@example.com", PASSWORD)

    accounts.set_role(user.id, Role.REVIEWER, actor="admin-1")
    accounts.set_role(user.id, "reviewer", actor="admin-1")  # the same role: nothing changes, nothing published

    _, changed = _events(fresh_bus)
    assert (changed.subject_id, changed.actor) == (user.id, "admin-1")
    assert changed.data == {
        "change": "role_changed",
        "email": "ann@example.com",
        "role": "reviewer",
        "is_active": True,
        "previous_role": "viewer",
    }


def test_deactivation_and_reactivation_publish_once_each(accounts: Accounts, fresh_bus: InProcessBus) -> None:
    user = accounts.create_user("ann@example.com", PASSWORD)

    accounts.set_active(user.id, False, actor="admin-1")
    accounts.deactivate(user.id, actor="admin-2")  # already disabled
    accounts.set_active(user.id, True, actor="admin-2")
    accounts.set_active(user.id, True)  # already enabled

    _, off, on = _events(fresh_bus)
    assert (off.data["change"], off.data["is_active"], off.actor) == ("deactivated", False, "admin-1")
    assert (on.data["change"], on.data["is_active"], on.actor) == ("reactivated", True, "admin-2")


def test_a_change_that_fails_publishes_nothing(accounts: Accounts, fresh_bus: InProcessBus) -> None:
    with pytest.raises(UnknownUser):
        accounts.set_role("nobody", Role.ADMIN, actor="admin-1")
    with pytest.raises(UnknownUser):
        accounts.deactivate("nobody")

    assert _events(fresh_bus) == []


def test_key_changes_publish_whose_key_and_provider_never_the_key(
    accounts: Accounts, keys: ProviderStore, fresh_bus: InProcessBus
) -> None:
    user = accounts.create_user("ann@example.com", PASSWORD)

    stored = keys.set_key(user.id, "openai", KEY)
    replaced = keys.set_key(user.id, "openai", KEY + "x", actor="admin-1")
    assert keys.delete_key(user.id, "openai") is True
    assert keys.delete_key(user.id, "openai") is False  # nothing to delete: nothing published

    _, first, second, third = _events(fresh_bus)
    assert [e.data["change"] for e in (first, second, third)] == ["stored", "replaced", "deleted"]
    assert {(e.type, e.subject_type, e.subject_id) for e in (first, second, third)} == {
        ("key.changed", "key", stored.id)
    }
    assert replaced.id == stored.id
    assert [e.actor for e in (first, second, third)] == [user.id, "admin-1", user.id]
    for event in (first, second, third):
        assert event.data == {"change": event.data["change"], "user_id": user.id, "provider": "openai"}
        assert KEY[-8:] not in event.to_json()
        assert stored.masked not in event.to_json()


def test_a_broken_bus_fails_no_change(
    accounts: Accounts, keys: ProviderStore, caplog: pytest.LogCaptureFixture
) -> None:
    bus_module.set_default_bus(_Broken())  # type: ignore[arg-type]

    admin = accounts.create_user("admin@example.com", PASSWORD, Role.ADMIN)
    user = accounts.accept_invitation(accounts.invite("ann@example.com", Role.VIEWER, by=admin.id), PASSWORD)
    accounts.set_role(user.id, Role.REVIEWER, actor=admin.id)
    accounts.set_active(user.id, False, actor=admin.id)
    accounts.set_active(user.id, True, actor=admin.id)
    token = accounts.request_password_reset("ann@example.com")
    assert token is not None
    accounts.reset_password(token, "another horse battery")
    keys.set_key(user.id, "anthropic", KEY)
    assert keys.delete_key(user.id, "anthropic") is True

    now = accounts.get_user(user.id)
    assert now is not None
    assert (now.role, now.is_active) == (Role.REVIEWER, True)
    assert accounts.authenticate("ann@example.com", "another horse battery") is not None
    assert keys.keys(user.id) == []
    assert caplog.text.count("could not publish") == 8
