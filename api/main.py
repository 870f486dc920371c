"""The FastAPI application: ``create_app(settings)`` builds it; ``app`` is the one uvicorn serves.

    uvicorn api.main:app

Settings are read when the app is created (from the environment unless given), never when the
library is imported; nothing connects to anything until a request needs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.deps import StoreProvider
from api.problems import PROBLEM_RESPONSES, install_problem_handlers
from api.routes import health
from reviewlab import __version__
from reviewlab.settings import Settings, get_settings


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        app.state.store_provider.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: the process settings, read from the environment now)."""
    settings = settings if settings is not None else get_settings()
    app = FastAPI(
        title="reviewlab",
        version=__version__,
        summary="Self-hosted AI code review lab",
        lifespan=_lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.settings = settings
    app.state.store_provider = StoreProvider(settings)
    install_problem_handlers(app)
    app.include_router(health.router)
    return app


app = create_app()
