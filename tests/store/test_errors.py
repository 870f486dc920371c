"""Every database failure reaches callers as a StoreError that names the database but not the password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewlab.errors import StoreError
from reviewlab.store import Store
from tests.store.conftest import make_review

UNREACHABLE = "postgresql://reviewlab:s3cret-pw@127.0.0.1:1/reviewlab"

OPERATIONS: dict[str, Callable[[Store], object]] = {
    "migrate": Store.migrate,
    "save_review": lambda store: store.save_review(make_review()),
    "list_sessions": Store.list_sessions,
    "get_session": lambda store: store.get_session("x"),
    "findings": lambda store: store.findings("x"),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_an_unreachable_postgres_is_a_store_error_without_the_password(operation: Callable[[Store], object]) -> None:
    with Store.from_url(UNREACHABLE) as store, pytest.raises(StoreError) as caught:
        operation(store)

    message = str(caught.value)
    assert message.startswith("cannot connect to the database at postgresql://127.0.0.1:1/reviewlab: ")
    assert "s3cret-pw" not in message
    assert caught.value.__cause__ is not None


def test_an_invalid_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="invalid database URL"):
        Store.from_url("not a url")


def test_a_sqlite_file_whose_directory_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")

    with pytest.raises(StoreError, match="cannot create the directory"):
        Store.from_url(f"sqlite:///{blocker / 'reviewlab.db'}")


def test_reading_an_unmigrated_database_is_a_store_error(tmp_path: Path) -> None:
    with Store.from_url(f"sqlite:///{tmp_path / 'empty.db'}") as store, pytest.raises(StoreError) as caught:
        store.list_sessions()

    assert str(caught.value).startswith(f"database error while listing sessions at sqlite:///{tmp_path}")
    assert "no such table" in str(caught.value)
