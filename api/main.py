"""The FastAPI application: ``create_app(settings)`` builds it; ``app`` is the one uvicorn serves.

    uvicorn api.main:app        # or: reviewlab serve

Settings are read when the app is created (from the environment unless given), never when the
library is imported; nothing connects to anything until the app starts or a request needs it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from api import routing
from api.deps import Platform
from api.middleware import BodyLimit, CsrfGuard, RateLimit, RequestContext, SecurityHeaders
from api.problems import PROBLEM_RESPONSES, install_problem_handlers
from api.routes import admin, analyze, auth, health, models, projects, providers, webhooks
from reviewlab import __version__
from reviewlab.errors import StoreError
from reviewlab.observability import tracing
from reviewlab.settings import Settings, get_settings

log = logging.getLogger(__name__)

DEFAULT_ADMIN_EMAIL = "admin@reviewlab.localhost"
UPLOAD_PATHS = frozenset({"/api/analyze/archive"})
MULTIPART_OVERHEAD = 1024 * 1024


def bootstrap_admin(platform: Platform) -> str | None:
    """Create the first admin if there is none: from REVIEWLAB_ADMIN_EMAIL/PASSWORD, else with a random password.

    A generated password is printed once, here, and never stored in clear; returns it (None otherwise).
    """
    settings = platform.settings
    email = settings.reviewlab_admin_email or DEFAULT_ADMIN_EMAIL
    given = settings.reviewlab_admin_password
    password = given.get_secret_value() if given is not None else secrets.token_urlsafe(18)
    created = platform.services().accounts.ensure_admin(email, password)
    if created is None:
        return None
    platform.services().audit.append("admin.bootstrap", actor=created.id, target_type="user", target_id=created.id)
    if given is not None:
        log.warning("created the admin account %s (password from REVIEWLAB_ADMIN_PASSWORD)", email)
        return None
    # Printed once on purpose: the operator needs it to sign in the first time; it is not kept anywhere.
    print(f"reviewlab: created the admin account {email} with password {password} (shown once; change it)")
    return password


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    platform: Platform = app.state.platform
    # The threads that run handlers' blocking work (the store, the session cache on Redis, audit appends). More
    # threads than cores only contend for the interpreter lock: with anyio's 40, a loaded API answered fewer
    # requests, and each waited for a thread's turn.
    anyio.to_thread.current_default_thread_limiter().total_tokens = platform.settings.reviewlab_api_threads
    routing.use_threads(platform.settings.reviewlab_api_threads)  # the handlers' own pool (api.routing)
    try:
        await anyio.to_thread.run_sync(bootstrap_admin, platform)
    except StoreError as err:
        # The API still starts: readiness reports the database, and the next start creates the admin.
        log.error("could not prepare the database at start: %s", err)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(platform.close)  # the in-process workers finish their analyses first
        if app.state.tracing is not None:
            await anyio.to_thread.run_sync(app.state.tracing.shutdown)  # flushes the spans


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """The API for ``settings`` (default: the process settings, read from the environment now)."""
    settings = settings if settings is not None else get_settings()
    platform = platform if platform is not None else Platform(settings)
    app = FastAPI(
        title="reviewlab",
        version=__version__,
        summary="Self-hosted AI code review lab",
        lifespan=_lifespan,
        responses=PROBLEM_RESPONSES,
        # Spans and metrics are the platform's own (``RequestContext``); FastAPI's would duplicate the server span
        # and cost a provider lookup on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    app.state.tracing = tracing.configure(settings, service=tracing.API_SERVICE)  # None: tracing is off
    install_problem_handlers(app)
    for module in (health, auth, admin, webhooks, projects, providers, analyze, models):
        app.include_router(module.router)
    # Added innermost first: a request meets RequestContext, SecurityHeaders, BodyLimit, RateLimit, CsrfGuard.
    app.add_middleware(CsrfGuard, csrf=platform.csrf, tokens=platform.tokens)
    app.add_middleware(RateLimit, limiter=platform.limiter, tokens=platform.tokens, metrics=platform.metrics)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.reviewlab_max_body_bytes,
        upload_paths=UPLOAD_PATHS,
        max_upload_bytes=max(
            settings.reviewlab_max_body_bytes, settings.reviewlab_max_archive_bytes + MULTIPART_OVERHEAD
        ),
    )
    app.add_middleware(SecurityHeaders, hsts=settings.reviewlab_cookie_secure)
    app.add_middleware(RequestContext, metrics=platform.metrics)
    return app


def __getattr__(name: str) -> FastAPI:
    # ``api.main:app`` for uvicorn, built on first access so importing this module reads no settings.
    if name == "app":
        return create_app()
    raise AttributeError(name)
