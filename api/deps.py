"""The API's dependencies, as named aliases route handlers declare (``user: CurrentUser``).

:class:`Platform` is built once per app from the settings. Everything that needs no database is made
at once (token and CSRF services, cookie policy, rate limiter, caches, mailer); the database-backed
services are made together when the store first opens, so the app starts while the database is down
and recovers by itself when it comes back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy import Engine

from api.metrics import Metrics
from api.middleware import ACCESS_CLAIMS
from api.problems import ProblemError
from api.routing import in_worker_thread
from reviewlab.accounts import Accounts, Role, SqlRefreshStore, User
from reviewlab.audit import AuditLog
from reviewlab.audit.seal import ChainSeal
from reviewlab.cache import Caches
from reviewlab.errors import ReviewlabError
from reviewlab.events.consumers import EventConsumers
from reviewlab.jobs.cli import notifier_from_settings, queue_from_settings
from reviewlab.jobs.runner import RunConfig
from reviewlab.jobs.service import Analyses
from reviewlab.lifecycle.service import Lifecycle
from reviewlab.mail import Mailer, mailer_from_settings
from reviewlab.projects import Projects
from reviewlab.providerstore import ProviderStore
from reviewlab.ratelimit import MemoryBackend, RateLimiter, RuleTable
from reviewlab.security import (
    CookiePolicy,
    CsrfTokens,
    Passwords,
    SecretBox,
    TokenError,
    TokenService,
    TokenType,
    authenticate,
    cookie_policy_from_settings,
    default_passwords,
)
from reviewlab.security.cookies import ACCESS_COOKIE
from reviewlab.security.tokens import Claims
from reviewlab.settings import Settings
from reviewlab.store import Store
from reviewlab.store.connect import create_engine

SESSION_USER_KEY = "user"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """The database-backed services, all on one engine."""

    engine: Engine
    store: Store
    accounts: Accounts
    refresh: SqlRefreshStore
    audit: AuditLog
    projects: Projects
    providers: ProviderStore
    analyses: Analyses
    lifecycles: LifecycleProvider
    closers: tuple[Callable[[], None], ...] = ()

    def close(self) -> None:
        for close in self.closers:
            close()
        self.engine.dispose()


class LifecycleProvider:
    """The model lifecycle on the services' engine (MLflow and the policy from the settings), made on first use:
    loading MLflow takes a moment, and most requests never need it.

    ``changes`` serializes this process's lifecycle changes (promotions, quarantines), so two requests never
    promote against the same production at once.
    """

    def __init__(self, build: Callable[[], Lifecycle]) -> None:
        self._build = build
        self._lifecycle: Lifecycle | None = None
        self._lock = threading.Lock()
        self.changes = threading.Lock()

    def get(self) -> Lifecycle:
        with self._lock:
            if self._lifecycle is None:
                self._lifecycle = self._build()
            return self._lifecycle


class StoreProvider:
    """The app's one engine and its services, opened (and migrated) on first use.

    A failed open is not remembered: the next request tries again, and readiness recovers by itself.
    """

    def __init__(self, settings: Settings, build: Callable[[Engine, Store], Services]) -> None:
        self._settings = settings
        self._build = build
        self._services: Services | None = None
        self._lock = threading.Lock()

    def services(self) -> Services:
        """The open services; a ``StoreError`` when the store cannot be opened."""
        with self._lock:
            if self._services is None:
                engine = create_engine(self._settings.sqlalchemy_url)
                store = Store(engine)
                try:
                    store.migrate()
                    self._services = self._build(engine, store)
                except BaseException:
                    engine.dispose()
                    raise
            return self._services

    def opened(self) -> Services | None:
        """The services if the store is open already (no waiting, no attempt to open it)."""
        return self._services

    def get(self) -> Store:
        """The open store; a ``StoreError`` when it cannot be opened."""
        return self.services().store

    def close(self) -> None:
        with self._lock:
            if self._services is not None:
                self._services.close()
                self._services = None


class Platform:
    """Everything the routes use, built once per app."""

    def __init__(
        self,
        settings: Settings,
        *,
        limiter: RateLimiter | None = None,
        mailer: Mailer | None = None,
        passwords: Passwords | None = None,
        tokens: TokenService | None = None,
        caches: Caches | None = None,
    ) -> None:
        self.settings = settings
        self.tokens = tokens if tokens is not None else TokenService.from_settings(settings)
        self.csrf = CsrfTokens.from_settings(settings)
        self.box = SecretBox.from_settings(settings)
        self.cookies: CookiePolicy = cookie_policy_from_settings(
            settings, secure=settings.reviewlab_cookie_secure, tokens=self.tokens.config
        )
        self.limiter = limiter if limiter is not None else _limiter(settings)
        self.caches = caches if caches is not None else Caches.from_settings(settings)
        self.mailer = mailer if mailer is not None else mailer_from_settings(settings)
        self.passwords = passwords if passwords is not None else default_passwords()
        self.stores = StoreProvider(settings, self._build)
        self.metrics = Metrics()
        self.metrics.gauge(
            "reviewlab_cache_hit_ratio", "Hits over lookups per cache tier since start", "tier", self._hit_ratios
        )
        self.metrics.gauge(
            "reviewlab_analysis_queue_depth", "Analyses waiting for a worker", "queue", self._queue_depth
        )

    def _queue_depth(self) -> dict[str, float]:
        services = self.stores.opened()  # a scrape never opens the store
        return {} if services is None else {"reviewlab": float(services.analyses.queue_depth())}

    def _hit_ratios(self) -> dict[str, float]:
        return {tier: stats.hit_ratio for tier, stats in self.caches.stats().items()}

    def _build(self, engine: Engine, store: Store) -> Services:
        notifier = notifier_from_settings(self.settings)
        # The pool's reviews invalidate this platform's project cache (in-process, only reachable from here).
        queue = queue_from_settings(self.settings, engine, notifier, run_config=RunConfig(caches=self.caches))
        analyses = Analyses(engine, notifier, queue)
        # Analyses run here, so their events are consumed here too (with Celery, the workers consume them).
        events: EventConsumers | None = None
        closers: tuple[Callable[[], None], ...] = (queue.close, notifier.close)
        if self.settings.queue_backend == "inprocess":
            events = EventConsumers.from_settings(engine, self.settings, mailer=self.mailer)
            closers = (queue.close, events.stop, notifier.close)
        services = Services(
            engine=engine,
            store=store,
            accounts=Accounts(engine, passwords=self.passwords),
            refresh=SqlRefreshStore(engine),
            audit=AuditLog(engine, seal=ChainSeal.from_settings(self.settings)),
            projects=Projects(engine),
            providers=ProviderStore(engine, self.box),
            analyses=analyses,
            lifecycles=LifecycleProvider(lambda: self._lifecycle(engine)),
            closers=closers,
        )
        if events is not None:
            events.start(self.settings.reviewlab_events_interval)
        return services

    def _lifecycle(self, engine: Engine) -> Lifecycle:
        from reviewlab.lifecycle.lab import lifecycle_for

        return lifecycle_for(engine, self.settings)

    def services(self) -> Services:
        return self.stores.services()

    def readiness_checks(self) -> dict[str, Callable[[], None]]:
        """The required dependencies besides the database, as checks that raise when one is down."""
        checks: dict[str, Callable[[], None]] = {}
        if self.settings.redis_url:
            checks["redis"] = self._ping_redis
        checks["queue"] = self._check_queue
        return checks

    def _check_queue(self) -> None:
        queue = self.services().analyses.queue
        if queue is None:
            raise ConnectionError("no analysis queue")
        queue.check()

    def informational_checks(self) -> dict[str, Literal["ok", "degraded", "unchecked"]]:
        """Dependencies reported but not required: the AI providers, by their last recorded health check
        (``POST /api/providers/health``): ``ok`` when one answered, ``degraded`` when none did (reviews are
        static only), ``unchecked`` before the first check."""
        opened = self.stores.opened()
        if opened is None:
            return {}
        try:
            rows = opened.providers.health()
        except ReviewlabError:
            return {}
        if not rows:
            return {"providers": "unchecked"}
        return {"providers": "ok" if any(row.state.value == "available" for row in rows) else "degraded"}

    def _ping_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.settings.redis_url or "", socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        except redis.RedisError as err:
            raise ConnectionError(f"Redis did not answer: {err}") from err
        finally:
            client.close()

    def close(self) -> None:
        self.stores.close()
        self.caches.close()


def _limiter(settings: Settings) -> RateLimiter:
    if settings.reviewlab_rate_limits:
        return RateLimiter.from_settings(settings)
    log.warning("REVIEWLAB_RATE_LIMITS=false: no request is rate limited (meant for load tests only)")
    return RateLimiter(MemoryBackend(), rules=RuleTable(()))


# The dependencies below are coroutines on purpose: FastAPI runs a plain function dependency on a worker
# thread, and these return at once (opening the store, the one slow case, goes to a thread).


async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return (await get_platform(request)).settings


async def get_store_provider(request: Request) -> StoreProvider:
    """The app's store provider (readiness asks it directly, to report a failed open as a failed check)."""
    return (await get_platform(request)).stores


async def get_services(platform: Annotated[Platform, Depends(get_platform)]) -> Services:
    """The database-backed services; failing to open the store answers 503 (see ``api.problems``)."""
    opened = platform.stores.opened()
    if opened is not None:
        return opened
    return await in_worker_thread(platform.services)


async def get_store(services: Annotated[Services, Depends(get_services)]) -> Store:
    return services.store


async def get_lifecycle(services: Annotated[Services, Depends(get_services)]) -> Lifecycle:
    """The model lifecycle (made on a worker thread the first time: it loads MLflow)."""
    return await in_worker_thread(services.lifecycles.get)


async def current_user(request: Request, platform: Annotated[Platform, Depends(get_platform)]) -> User:
    """The signed-in user: a valid access token of a live session, for an active account; else 401.

    The user is cached per session for five minutes (L1). Every way a session ends through the API
    (logout, refresh-token reuse, password reset, deactivation) drops the entry, and role changes do too,
    so a hit needs neither the revocation check nor the user lookup. A hit on a copy in this process (the
    in-process cache, or the near copy of the Redis one) is answered on the event loop; anything that may
    wait (Redis, the database) runs on a worker thread.
    """
    token = request.cookies.get(ACCESS_COOKIE)
    if not token:
        raise ProblemError(HTTPStatus.UNAUTHORIZED, "sign in first", headers={"WWW-Authenticate": "Cookie"})
    claims: Claims | None = getattr(request.state, ACCESS_CLAIMS, None)
    try:
        if claims is None:  # the rate limiter decodes the token first; without it (tests, other apps) do it here
            claims = platform.tokens.decode(token, TokenType.ACCESS)
    except TokenError as err:
        raise ProblemError(HTTPStatus.UNAUTHORIZED, f"session not valid: {err}") from err
    session_key = claims.fam or claims.jti
    user = _cached_user(platform, session_key, claims.sub, peek=True)
    if user is None:
        user = await in_worker_thread(_load_user, platform, token, claims, session_key)
    if not user.is_active:
        raise ProblemError(HTTPStatus.UNAUTHORIZED, "session not valid: the account is disabled")
    request.state.user_id = user.id
    request.state.session_id = session_key
    return user


def _cached_user(platform: Platform, session_key: str, user_id: str, *, peek: bool = False) -> User | None:
    """The session's cached user; with ``peek``, only a copy in this process (no I/O: fit for the event loop)."""
    sessions = platform.caches.sessions
    cached = (sessions.peek if peek else sessions.get)(session_key, SESSION_USER_KEY)
    return _user_from_cache(cached) if isinstance(cached, dict) and cached.get("id") == user_id else None


def _load_user(platform: Platform, token: str, claims: Claims, session_key: str) -> User:
    """The session's user from the cache, else checked against the database (revocation, account) and cached."""
    user = _cached_user(platform, session_key, claims.sub)
    if user is not None:
        return user
    services = platform.services()
    try:
        authenticate(token, services.refresh, tokens=platform.tokens)  # refuses a revoked session
    except TokenError as err:
        raise ProblemError(HTTPStatus.UNAUTHORIZED, f"session not valid: {err}") from err
    user = services.accounts.get_user(claims.sub)
    if user is None or not user.is_active:
        raise ProblemError(HTTPStatus.UNAUTHORIZED, "session not valid: the account is disabled")
    platform.caches.sessions.set(session_key, SESSION_USER_KEY, _user_to_cache(user))
    return user


def drop_sessions(platform: Platform, session_ids: list[str]) -> None:
    """Forget the cached users of these sessions (after they end or their user changes)."""
    for session_id in session_ids:
        platform.caches.sessions.drop(session_id)


def _user_to_cache(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "is_active": user.is_active,
        "created_at": user.created_at.isoformat(),
        "last_login_at": None if user.last_login_at is None else user.last_login_at.isoformat(),
    }


def _user_from_cache(value: dict[str, object]) -> User | None:
    from datetime import datetime

    try:
        last = value.get("last_login_at")
        return User(
            id=str(value["id"]),
            email=str(value["email"]),
            role=Role(str(value["role"])),
            is_active=bool(value["is_active"]),
            created_at=datetime.fromisoformat(str(value["created_at"])),
            last_login_at=None if last is None else datetime.fromisoformat(str(last)),
        )
    except (KeyError, ValueError):
        return None


def require_roles(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency admitting only users with one of ``roles`` (403 for the others)."""
    allowed = frozenset(roles)

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ProblemError(HTTPStatus.FORBIDDEN, f"this needs one of the roles: {names}")
        return user

    return check


PlatformDep = Annotated[Platform, Depends(get_platform)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreProviderDep = Annotated[StoreProvider, Depends(get_store_provider)]
ServicesDep = Annotated[Services, Depends(get_services)]
StoreDep = Annotated[Store, Depends(get_store)]
LifecycleDep = Annotated[Lifecycle, Depends(get_lifecycle)]
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(require_roles(Role.ADMIN))]
ReviewerUser = Annotated[User, Depends(require_roles(Role.ADMIN, Role.REVIEWER, Role.EXPERIMENTER))]
ExperimenterUser = Annotated[User, Depends(require_roles(Role.ADMIN, Role.EXPERIMENTER))]
