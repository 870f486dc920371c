"""``WorkerThreadRoute``: a plain handler runs on a worker thread, once per request, its answer validated after."""

from __future__ import annotations

import contextvars
import inspect
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import starlette.concurrency
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.routing import Match

from api import routing
from api.main import create_app
from api.routing import ApiRouter, WorkerThreadRoute, _route_path
from reviewlab.settings import Settings


class Answer(BaseModel):
    thread: str
    loop_thread: str


def test_a_plain_handler_runs_once_on_a_worker_thread_and_keeps_its_parameters() -> None:
    router = APIRouter(route_class=WorkerThreadRoute)
    loop_threads: list[str] = []

    @router.get("/where")
    def where(name: str, count: int = 1) -> Answer:
        assert (name, count) == ("x", 3)  # query parameters still come from the function's own signature
        return Answer(thread=threading.current_thread().name, loop_thread=loop_threads[0])

    @router.get("/loop")
    async def loop() -> str:
        loop_threads.append(threading.current_thread().name)
        return "ok"

    app = FastAPI()
    app.include_router(router)
    hops = mock.Mock(wraps=starlette.concurrency.run_in_threadpool)
    with TestClient(app) as client, mock.patch("fastapi.routing.run_in_threadpool", hops):
        assert client.get("/loop").status_code == 200
        answer = client.get("/where", params={"name": "x", "count": 3})
    assert answer.status_code == 200
    assert answer.json()["thread"] != answer.json()["loop_thread"]  # off the event loop
    hops.assert_not_called()  # FastAPI's own trips (handler, then validation) are not made: the route's one is
    assert app.openapi()["paths"]["/where"]["get"]["parameters"][0]["name"] == "name"


def test_a_handler_that_raises_still_answers_its_problem() -> None:
    router = APIRouter(route_class=WorkerThreadRoute)

    @router.get("/boom")
    def boom() -> str:
        raise LookupError("gone")

    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(LookupError)
    async def lookup(request: object, err: LookupError) -> object:
        from fastapi.responses import JSONResponse

        return JSONResponse({"detail": str(err)}, status_code=404)

    with TestClient(app) as client:
        assert client.get("/boom").json() == {"detail": "gone"}


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router whole
        if included is not None:
            yield from _api_routes(included.routes)


def test_every_plain_api_handler_makes_one_trip(tmp_path: Path) -> None:
    app = create_app(Settings(reviewlab_home=tmp_path, database_url=None, redis_url=None))
    routes = list(_api_routes(app.routes))
    plain = [r for r in routes if not inspect.iscoroutinefunction(inspect.unwrap(r.endpoint))]
    assert len(plain) > 20
    # FastAPI sees coroutines, so it neither runs them on a thread nor validates their answers on another one.
    assert all(inspect.iscoroutinefunction(r.dependant.call) for r in plain), [r.path for r in plain]


def test_a_handler_sees_the_requests_context_on_its_thread() -> None:
    router = APIRouter(route_class=WorkerThreadRoute)
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")

    async def mark() -> None:
        marker.set("set by the request")  # as the request id and the trace are

    @router.get("/context", dependencies=[Depends(mark)])
    def context() -> dict[str, str]:
        return {"marker": marker.get(), "thread": threading.current_thread().name}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        answer = client.get("/context").json()
    assert answer["marker"] == "set by the request"
    assert answer["thread"].startswith("reviewlab-api")  # the API's own pool, not anyio's


def test_the_api_runs_blocking_work_on_as_many_threads_as_configured(tmp_path: Path) -> None:
    import anyio.to_thread

    settings = Settings(reviewlab_home=tmp_path, database_url=None, redis_url=None, reviewlab_api_threads=3)
    with TestClient(create_app(settings)) as client:
        assert client.portal is not None
        tokens = client.portal.call(lambda: _limiter_tokens(anyio.to_thread))
        pool = routing.worker_pool()
    assert tokens == 3
    assert pool._max_workers == 3
    assert Settings(reviewlab_home=tmp_path).reviewlab_api_threads == 4  # the default: more only contend for the GIL


async def _limiter_tokens(to_thread: Any) -> float:
    return float(to_thread.current_default_thread_limiter().total_tokens)


def test_a_router_with_a_prefix_tries_none_of_its_routes_for_a_path_outside_it() -> None:
    router = ApiRouter(prefix="/api/things", route_class=WorkerThreadRoute)

    @router.get("/{thing_id}")
    def thing(thing_id: str) -> str:
        return thing_id

    [route] = router.routes
    with mock.patch.object(type(route), "matches", wraps=route.matches) as tried:
        assert router.matches({"type": "http", "path": "/api/other/1", "method": "GET"})[0] is Match.NONE
        tried.assert_not_called()
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/api/things/7").json() == "7"
        assert client.get("/api/other/7").status_code == 404


@pytest.mark.parametrize(
    ("path", "root_path", "seen"),
    [
        ("/api/things/1", "", "/api/things/1"),
        ("/proxy/api/things/1", "/proxy", "/api/things/1"),  # mounted under a proxy's prefix
        ("/proxy", "/proxy", ""),
        ("/proxyish/api", "/proxy", "/proxyish/api"),  # only a whole segment is the root path
    ],
)
def test_the_prefix_is_checked_against_the_path_without_the_root_path(path: str, root_path: str, seen: str) -> None:
    assert _route_path({"path": path, "root_path": root_path}) == seen


def test_every_api_router_checks_its_prefix_first(tmp_path: Path) -> None:
    app = create_app(Settings(reviewlab_home=tmp_path, database_url=None, redis_url=None))
    included = [route.original_router for route in app.routes if hasattr(route, "original_router")]
    assert len(included) >= 8
    assert all(isinstance(router, ApiRouter) for router in included)
    assert all(router.prefix for router in included if router.routes[0].path.startswith("/api/"))
