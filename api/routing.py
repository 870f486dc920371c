"""The route class every router uses: a plain ``def`` handler runs on a worker thread once per request.

FastAPI runs a ``def`` handler on a worker thread and then validates its answer on a second one, so each
request waits for a free thread twice; under load, with the pool busy, each wait costs milliseconds. Wrapped
here, the handler is a coroutine that runs the function on one worker thread, and the answer is validated on
the event loop (microseconds for these models). Handlers stay plain functions that may block on the store.

The threads are the API's own pool (``REVIEWLAB_API_THREADS`` of them, set when the app starts), reached with
``loop.run_in_executor``: anyio's way to a thread (a capacity limiter, a cancel scope and a queue per trip)
cost a tenth of a loaded API's time. The caller's context variables (request id, trace) go along.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi.routing import APIRoute, APIRouter
from starlette.routing import Match
from starlette.types import Scope

DEFAULT_THREADS = 4

_T = TypeVar("_T")
_lock = threading.Lock()
_threads = DEFAULT_THREADS
_pools: dict[int, ThreadPoolExecutor] = {}  # by size: apps of different sizes in one process (tests) each keep theirs


def use_threads(count: int) -> None:
    """Run handlers on ``count`` threads from now on (the app's start sets ``REVIEWLAB_API_THREADS``)."""
    global _threads
    if count < 1:
        raise ValueError("an API needs at least one worker thread")
    _threads = count


def worker_pool() -> ThreadPoolExecutor:
    """The pool of the configured size (made on first use)."""
    with _lock:
        pool = _pools.get(_threads)
        if pool is None:
            pool = _pools[_threads] = ThreadPoolExecutor(_threads, thread_name_prefix="reviewlab-api")
        return pool


async def in_worker_thread(function: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """``function(*args, **kwargs)`` on a worker thread, in a copy of the caller's context."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(worker_pool(), call)


def on_worker_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a coroutine function that runs it on a worker thread (signature and hints kept for FastAPI)."""

    @functools.wraps(function)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await in_worker_thread(function, *args, **kwargs)

    return run


class WorkerThreadRoute(APIRoute):
    """An ``APIRoute`` whose plain-function handler makes one trip to a worker thread per request, not two."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.isfunction(endpoint) and not inspect.iscoroutinefunction(endpoint):
            endpoint = on_worker_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)


class ApiRouter(APIRouter):
    """An ``APIRouter`` that, given a prefix, answers "no match" at once for a path outside it.

    FastAPI tries every route of every included router in turn, each a regular expression: without this, a
    request for ``/api/analyze/{id}``, the last router, cost 130 µs of matching, a tenth of the request.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and not _route_path(scope).startswith(self.prefix):
            return Match.NONE, {}  # every route of this router begins with the prefix
        return super().matches(scope)


def _route_path(scope: Scope) -> str:
    """The path the routes see: without the ``root_path`` a proxy mounted the app under (as Starlette does)."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path
