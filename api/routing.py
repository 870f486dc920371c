"""The route class every router uses: a plain ``def`` handler runs on a worker thread once per request.

FastAPI runs a ``def`` handler on a worker thread and then validates its answer on a second one, so each
request waits for a free thread twice; under load, with the pool busy, each wait costs milliseconds. Wrapped
here, the handler is a coroutine that runs the function on one worker thread, and the answer is validated on
the event loop (microseconds for these models). Handlers stay plain functions that may block on the store.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def on_worker_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a coroutine function that runs it on a worker thread (signature and hints kept for FastAPI)."""

    @functools.wraps(function)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(function, *args, **kwargs)

    return run


class WorkerThreadRoute(APIRoute):
    """An ``APIRoute`` whose plain-function handler makes one trip to a worker thread per request, not two."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.isfunction(endpoint) and not inspect.iscoroutinefunction(endpoint):
            endpoint = on_worker_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)
