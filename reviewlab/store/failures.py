"""Translate SQLAlchemy and Alembic failures into ``StoreError`` with a message a user can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic.util import CommandError
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from reviewlab.errors import StoreError
from reviewlab.store.connect import describe_url


@contextmanager
def store_errors(url: URL, action: str) -> Iterator[None]:
    """Re-raise any database failure inside the block as ``StoreError`` (``action`` says what was being done)."""
    try:
        yield
    except StoreError:
        raise
    except (SQLAlchemyError, CommandError) as err:
        raise StoreError(describe_failure(url, action, err)) from err


def describe_failure(url: URL, action: str, err: Exception) -> str:
    """One line: what failed, where, and the driver's reason, with the password scrubbed."""
    where = describe_url(url)
    if isinstance(err, DBAPIError):
        reason = str(err.orig).strip() or type(err.orig).__name__
        if err.statement is None or err.connection_invalidated:
            message = f"cannot connect to the database at {where}: {reason}"
        else:
            message = f"database error while {action} at {where}: {reason}"
    elif isinstance(err, CommandError):
        message = f"cannot migrate the database at {where} (was it migrated by a newer reviewlab?): {err}"
    elif isinstance(err, NoSuchModuleError):
        message = f"no driver for the database at {where} (for PostgreSQL: pip install 'reviewlab[postgres]'): {err}"
    else:
        message = f"database error while {action} at {where}: {err}"
    return _scrub(" ".join(message.split()), url)


def _scrub(message: str, url: URL) -> str:
    password = url.password
    if password:
        message = message.replace(str(password), "***")
    return message
