"""Users' API keys: encrypted at rest, bound to their row, listed masked, revealed once asked, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, update

from reviewlab.accounts.models import UserRow
from reviewlab.providerstore import InvalidKey, KeyUnreadable, ProviderStore, UnknownProvider, UnknownUser
from reviewlab.providerstore.models import UserKeyRow
from reviewlab.security.crypto import mask
from tests.accounts import Now
from tests.providerstore import migrated_engine, new_user, secret_box

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated_engine(request, tmp_path)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def store(engine: Engine, now: Now) -> ProviderStore:
    return ProviderStore(engine, secret_box(), clock=now)


def _ciphertext(engine: Engine, user_id: str, provider: str) -> str:
    with engine.connect() as connection:
        query = select(UserKeyRow.ciphertext).where(UserKeyRow.user_id == user_id, UserKeyRow.provider == provider)
        return str(connection.execute(query).scalar_one())


def test_a_key_is_stored_encrypted_and_listed_masked(store: ProviderStore, engine: Engine, now: Now) -> None:
    user = new_user(engine)
    info = store.set_key(user, "openai", f"  {KEY}\n")
    assert (info.user_id, info.provider, info.masked) == (user, "openai", mask(KEY))
    assert (info.created_at, info.updated_at, info.last_used_at) == (now(), now(), None)
    stored = _ciphertext(engine, user, "openai")
    assert KEY not in stored
    assert KEY[-12:] not in stored
    assert store.keys(user) == [info]
    assert KEY not in repr(store.keys(user))


def test_reveal_decrypts_and_records_the_use(store: ProviderStore, engine: Engine, now: Now) -> None:
    user = new_user(engine)
    store.set_key(user, "anthropic", KEY)
    now.advance(timedelta(minutes=5))
    assert store.reveal(user, "anthropic") == KEY
    assert store.keys(user)[0].last_used_at == now()
    assert store.reveal(user, "openai") is None
    assert store.reveal(new_user(engine), "anthropic") is None


def test_setting_a_key_again_replaces_it_in_place(store: ProviderStore, engine: Engine, now: Now) -> None:
    user = new_user(engine)
    first = store.set_key(user, "openai", KEY)
    store.reveal(user, "openai")
    now.advance(timedelta(days=1))
    second = store.set_key(user, "openai", "sk-another-key-0000000000000000wxyz")
    assert (second.id, second.created_at, second.updated_at) == (first.id, first.created_at, now())
    assert (second.masked, second.last_used_at) == ("sk-...wxyz", None)
    assert store.reveal(user, "openai") == "sk-another-key-0000000000000000wxyz"
    assert len(store.keys(user)) == 1


def test_keys_list_only_the_users_own_by_provider(store: ProviderStore, engine: Engine) -> None:
    ada, bob = new_user(engine), new_user(engine)
    store.set_key(ada, "openai", KEY)
    store.set_key(ada, "anthropic", "sk-ant-0123456789012345678901234567")
    store.set_key(bob, "openai", KEY)
    assert [k.provider for k in store.keys(ada)] == ["anthropic", "openai"]
    assert [k.user_id for k in store.keys(bob)] == [bob]
    assert store.keys("no-such-user") == []


def test_delete_key(store: ProviderStore, engine: Engine) -> None:
    user = new_user(engine)
    store.set_key(user, "openai", KEY)
    assert store.delete_key(user, "openai") is True
    assert store.delete_key(user, "openai") is False
    assert store.keys(user) == []
    assert store.reveal(user, "openai") is None


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(store: ProviderStore, engine: Engine) -> None:
    ada, eve = new_user(engine), new_user(engine)
    store.set_key(ada, "openai", KEY)
    store.set_key(eve, "openai", "sk-eve-000000000000000000000000000000")
    store.set_key(eve, "anthropic", "sk-ant-eve-0000000000000000000000000")
    stolen = _ciphertext(engine, ada, "openai")
    with engine.begin() as connection:
        connection.execute(
            update(UserKeyRow).where(UserKeyRow.user_id == eve).values(ciphertext=stolen)  # both of eve's rows
        )
    for provider in ("openai", "anthropic"):
        with pytest.raises(KeyUnreadable, match=f"stored {provider} key of user {eve} cannot be decrypted"):
            store.reveal(eve, provider)
    assert store.reveal(ada, "openai") == KEY


def test_a_store_with_another_secret_cannot_read_the_keys(store: ProviderStore, engine: Engine) -> None:
    user = new_user(engine)
    store.set_key(user, "openai", KEY)
    other = ProviderStore(engine, secret_box(b"another secret, also long enough to be used"))
    with pytest.raises(KeyUnreadable, match="key this service lacks"):
        other.reveal(user, "openai")
    assert other.keys(user)[0].masked == mask(KEY)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "must not be empty"),
        ("   \n", "must not be empty"),
        ("x" * 513, "at most 512 characters"),
        ("sk-with space-0123456789", "without spaces or control characters"),
        ("sk-tab\t0123456789", "without spaces or control characters"),
        ("sk-nul\x000123456789", "without spaces or control characters"),
        ("sk-é-0123456789", "printable ASCII"),
    ],
)
def test_implausible_keys_are_refused(store: ProviderStore, engine: Engine, key: str, message: str) -> None:
    user = new_user(engine)
    with pytest.raises(InvalidKey, match=message):
        store.set_key(user, "openai", key)
    assert store.keys(user) == []


def test_a_key_of_512_characters_is_accepted(store: ProviderStore, engine: Engine) -> None:
    user = new_user(engine)
    store.set_key(user, "openai", "k" * 512)
    assert store.reveal(user, "openai") == "k" * 512


def test_only_cloud_providers_take_keys(store: ProviderStore, engine: Engine) -> None:
    user = new_user(engine)
    with pytest.raises(UnknownProvider, match="ollama runs locally and takes no API key"):
        store.set_key(user, "ollama", KEY)
    with pytest.raises(UnknownProvider, match="unknown provider 'openia'; use one of openai, anthropic"):
        store.set_key(user, "openia", KEY)
    for method in (store.reveal, store.delete_key):
        with pytest.raises(UnknownProvider):
            method(user, "huggingface")


def test_an_unknown_user_cannot_store_a_key(store: ProviderStore) -> None:
    with pytest.raises(UnknownUser, match="no user has id 'ghost'"):
        store.set_key("ghost", "openai", KEY)


def test_deleting_the_user_deletes_the_keys(store: ProviderStore, engine: Engine) -> None:
    user = new_user(engine)
    store.set_key(user, "openai", KEY)
    with engine.begin() as connection:
        connection.execute(delete(UserRow).where(UserRow.id == user))
    assert store.keys(user) == []
