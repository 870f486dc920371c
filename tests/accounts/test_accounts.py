"""``Accounts``: users, login, invitations, password resets, roles and deactivation, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from reviewlab.accounts import Accounts, EmailTaken, InvalidEmail, Role, SqlRefreshStore, TokenRejected, UnknownUser
from reviewlab.accounts.models import InvitationRow, PasswordResetRow, UserRow
from reviewlab.accounts.repository import token_hash
from reviewlab.security.errors import PasswordPolicyError
from reviewlab.security.passwords import Argon2Parameters, PasswordCheck, Passwords
from tests.accounts import Now, migrated_engine

PASSWORD = "correct horse battery"
CHEAP = Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated_engine(request, tmp_path)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def accounts(engine: Engine, now: Now) -> Accounts:
    return Accounts(engine, passwords=CHEAP, clock=now)


def _stored_hash(engine: Engine, user_id: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(select(UserRow.password_hash).where(UserRow.id == user_id)).scalar_one())


def test_create_and_authenticate(accounts: Accounts, engine: Engine, now: Now) -> None:
    user = accounts.create_user("  Ada@Example.ORG ", PASSWORD, Role.REVIEWER)
    assert (user.email, user.role, user.is_active, user.last_login_at) == ("ada@example.org", Role.REVIEWER, True, None)
    assert PASSWORD not in _stored_hash(engine, user.id)

    logged_in = accounts.authenticate("ADA@example.org", PASSWORD)
    assert logged_in is not None
    assert logged_in.id == user.id
    assert logged_in.last_login_at == now()
    assert accounts.get_user(user.id) == logged_in


def test_wrong_password_and_unknown_email_are_both_none(accounts: Accounts) -> None:
    accounts.create_user("ada@example.org", PASSWORD, Role.VIEWER)
    assert accounts.authenticate("ada@example.org", "wrong horse battery") is None
    assert accounts.authenticate("nobody@example.org", PASSWORD) is None
    assert accounts.authenticate("not an email", PASSWORD) is None


def test_an_unknown_email_costs_a_password_verification(engine: Engine, now: Now) -> None:
    calls: list[str | None] = []

    class Counting(Passwords):
        def check(self, stored_hash: str | None, password: str) -> PasswordCheck:
            calls.append(stored_hash)
            return super().check(stored_hash, password)

    accounts = Accounts(engine, passwords=Counting(CHEAP.parameters), clock=now)
    assert accounts.authenticate("nobody@example.org", PASSWORD) is None
    assert calls == [None]  # Passwords.check(None, ...) runs the dummy verification


def test_duplicate_email_is_refused_case_insensitively(accounts: Accounts) -> None:
    accounts.create_user("ada@example.org", PASSWORD, Role.VIEWER)
    with pytest.raises(EmailTaken, match="already exists"):
        accounts.create_user("ADA@Example.org", PASSWORD, Role.ADMIN)
    assert len(accounts.list_users()) == 1


def test_bad_input_is_refused(accounts: Accounts) -> None:
    with pytest.raises(PasswordPolicyError):
        accounts.create_user("ada@example.org", "short", Role.VIEWER)
    with pytest.raises(InvalidEmail):
        accounts.create_user("ada", PASSWORD, Role.VIEWER)
    with pytest.raises(ValueError, match="superuser"):
        accounts.create_user("ada@example.org", PASSWORD, "superuser")
    assert accounts.list_users() == []


def test_login_rehashes_when_the_parameters_change(engine: Engine, now: Now) -> None:
    user = Accounts(engine, passwords=CHEAP, clock=now).create_user("ada@example.org", PASSWORD, Role.VIEWER)
    old_hash = _stored_hash(engine, user.id)
    stronger = Passwords(Argon2Parameters(time_cost=2, memory_cost_kib=2048))
    assert stronger.needs_rehash(old_hash)

    assert Accounts(engine, passwords=stronger, clock=now).authenticate("ada@example.org", PASSWORD) is not None

    new_hash = _stored_hash(engine, user.id)
    assert new_hash != old_hash
    assert not stronger.needs_rehash(new_hash)
    assert Accounts(engine, passwords=stronger, clock=now).authenticate("ada@example.org", PASSWORD) is not None
    assert _stored_hash(engine, user.id) == new_hash  # no rehash when the parameters are current


def test_invitation_is_single_use_and_stored_as_a_hash(accounts: Accounts, engine: Engine) -> None:
    admin = accounts.create_user("admin@example.org", PASSWORD, Role.ADMIN)
    token = accounts.invite("New@Example.org", Role.EXPERIMENTER, by=admin.id)
    with engine.connect() as connection:
        stored = connection.execute(select(InvitationRow.token_hash, InvitationRow.invited_by)).one()
    assert tuple(stored) == (token_hash(token), admin.id)
    assert token not in stored.token_hash

    user = accounts.accept_invitation(token, PASSWORD)
    assert (user.email, user.role) == ("new@example.org", Role.EXPERIMENTER)
    assert accounts.authenticate("new@example.org", PASSWORD) == accounts.get_user(user.id)
    with pytest.raises(TokenRejected, match="already used"):
        accounts.accept_invitation(token, PASSWORD)
    with pytest.raises(TokenRejected, match="unknown"):
        accounts.accept_invitation(token + "x", PASSWORD)


def test_invitation_expires(accounts: Accounts, now: Now) -> None:
    token = accounts.invite("new@example.org", Role.VIEWER, by=None)
    now.advance(timedelta(days=7, seconds=1))
    with pytest.raises(TokenRejected, match="expired"):
        accounts.accept_invitation(token, PASSWORD)
    assert accounts.list_users() == []


def test_inviting_a_registered_email_is_refused(accounts: Accounts) -> None:
    accounts.create_user("ada@example.org", PASSWORD, Role.VIEWER)
    with pytest.raises(EmailTaken):
        accounts.invite("ADA@example.org", Role.ADMIN, by=None)


def test_a_weak_password_does_not_spend_the_invitation(accounts: Accounts) -> None:
    token = accounts.invite("new@example.org", Role.VIEWER, by=None)
    with pytest.raises(PasswordPolicyError):
        accounts.accept_invitation(token, "short")
    assert accounts.accept_invitation(token, PASSWORD).email == "new@example.org"


def test_reset_is_single_use_and_revokes_sessions(accounts: Accounts, engine: Engine) -> None:
    user = accounts.create_user("ada@example.org", PASSWORD, Role.VIEWER)
    store = SqlRefreshStore(engine)
    store.record("laptop", "jti-1", user_id=user.id, expires_at=4e9)
    assert accounts.request_password_reset("nobody@example.org") is None
    token = accounts.request_password_reset("ADA@example.org")
    assert token is not None
    other = accounts.request_password_reset("ada@example.org")
    assert other is not None
    with engine.connect() as connection:
        assert token_hash(token) in connection.execute(select(PasswordResetRow.token_hash)).scalars().all()

    accounts.reset_password(token, "a brand new passphrase")

    assert accounts.authenticate("ada@example.org", PASSWORD) is None
    assert accounts.authenticate("ada@example.org", "a brand new passphrase") is not None
    assert store.is_revoked("laptop")
    with pytest.raises(TokenRejected, match="already used"):
        accounts.reset_password(token, "yet another passphrase")
    with pytest.raises(TokenRejected, match="already used"):  # the other outstanding reset died with it
        accounts.reset_password(other, "yet another passphrase")


def test_reset_expires(accounts: Accounts, now: Now) -> None:
    accounts.create_user("ada@example.org", PASSWORD, Role.VIEWER)
    token = accounts.request_password_reset("ada@example.org")
    assert token is not None
    now.advance(timedelta(hours=1))
    with pytest.raises(TokenRejected, match="expired"):
        accounts.reset_password(token, "a brand new passphrase")
    assert accounts.authenticate("ada@example.org", PASSWORD) is not None


def test_roles_listing_and_deactivation(accounts: Accounts, engine: Engine, now: Now) -> None:
    users = []
    for i in range(3):
        users.append(accounts.create_user(f"user{i}@example.org", PASSWORD, Role.VIEWER))
        now.advance(timedelta(seconds=1))
    assert [u.email for u in accounts.list_users(limit=2, offset=1)] == ["user1@example.org", "user2@example.org"]

    assert accounts.set_role(users[0].id, "admin").role is Role.ADMIN
    with pytest.raises(UnknownUser):
        accounts.set_role("missing", Role.ADMIN)
    assert accounts.get_user("missing") is None

    store = SqlRefreshStore(engine)
    store.record("phone", "jti-1", user_id=users[1].id, expires_at=4e9)
    assert not accounts.deactivate(users[1].id).is_active
    assert store.is_revoked("phone")
    assert accounts.authenticate("user1@example.org", PASSWORD) is None
    assert accounts.request_password_reset("user1@example.org") is None
