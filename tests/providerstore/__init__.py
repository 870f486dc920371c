"""Tests of the provider store, and the database fixture they share: migrated SQLite, or the test PostgreSQL emptied."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from reviewlab.accounts import Accounts, Role
from reviewlab.security.crypto import CRYPTO_KEY_LABEL, SecretBox
from reviewlab.security.keys import derive_key
from reviewlab.security.passwords import Argon2Parameters, Passwords
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated

CHEAP = Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))
PROVIDER_TABLES = ("review_usage", "usage", "quotas", "health", "user_keys", "providers")


def migrated_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: a fresh SQLite file, or the session's PostgreSQL with ``providers`` emptied."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'providers.db'}")
    else:
        engine = create_engine(request.getfixturevalue("postgres_url"))
    try:
        migrate.upgrade(translated(engine))
        if request.param == "postgres":
            with engine.begin() as connection:
                for table in PROVIDER_TABLES:
                    connection.execute(text(f"DELETE FROM providers.{table}"))  # noqa: S608  (fixed table names)
        yield translated(engine)
    finally:
        engine.dispose()


def secret_box(secret: bytes = b"a test secret that is long enough, 32+ bytes") -> SecretBox:
    """A SecretBox keyed from ``secret`` as the service keys it from ``JWT_SECRET_KEY``."""
    return SecretBox(derive_key(secret, CRYPTO_KEY_LABEL))


def new_user(engine: Engine) -> str:
    """The id of a new account with an address of its own (the PostgreSQL database is shared by the session)."""
    accounts = Accounts(engine, passwords=CHEAP)
    return accounts.create_user(f"{uuid.uuid4().hex}@example.org", "correct horse battery", Role.VIEWER).id
