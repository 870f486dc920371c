"""The request id of the work in progress, in a context variable, and on every log record.

The API's request middleware sets it for each request; an analysis queued by the request stores it with
the session (its ``queued`` event), and the worker that runs the analysis sets it again for the run, so
the API's and the worker's log lines of one request carry the same ``request_id``. Importing this module
puts a ``request_id`` attribute (``None`` outside any request) on every log record made from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("reviewlab_request_id", default=None)


def current_request_id() -> str | None:
    """The request id of the work in progress, or None."""
    return _request_id.get()


@contextmanager
def request_id_set(request_id: str | None) -> Iterator[None]:
    """``request_id`` as the current one for the block (None clears it)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


_previous_factory: Any = None


def install_record_factory() -> None:
    """Give every log record the current ``request_id`` (idempotent)."""
    global _previous_factory
    if _previous_factory is not None:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return record

    _previous_factory = previous
    logging.setLogRecordFactory(factory)


install_record_factory()
