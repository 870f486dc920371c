"""The API's request guards, as plain ASGI middleware (outermost first):

1. :class:`RequestContext` — a request id (``X-Request-ID``), the HTTP metrics by route and, when tracing is
   on, the request's server span (continuing an incoming ``traceparent``).
2. :class:`SecurityHeaders` — the response headers every answer carries.
3. :class:`BodyLimit` — 413 for a body over the limit, by ``Content-Length`` or while it streams in.
4. :class:`RateLimit` — the seed's table 6.3 per client IP and per signed-in user; 429 with ``Retry-After``.
5. :class:`CsrfGuard` — every state-changing ``/api`` request repeats the ``csrf_token`` cookie in
   ``X-CSRF-Token``, and the token belongs to the caller's session; else 403.

Refusals are problem+json answers made here, before any route runs, so a refused request reads nothing
and changes nothing, except that a refused sign-in is audited (``auth.login.refused``) after the answer.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any

from api.auditing import audit_refused_login, is_login
from api.metrics import Metrics
from api.problems import PROBLEM_MEDIA_TYPE, problem_body
from api.routing import in_worker_thread
from reviewlab.observability import tracing
from reviewlab.observability.context import request_id_set
from reviewlab.ratelimit import MemoryBackend, RateLimiter
from reviewlab.security import CsrfTokens, TokenError, TokenService, TokenType, requires_csrf
from reviewlab.security.cookies import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from reviewlab.security.csrf import ANONYMOUS_SESSION

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = "x-request-id"
ACCESS_CLAIMS = "access_claims"  # request.state key: the verified claims of the request's access token
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'"
)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes), decoded as latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies; a malformed ``Cookie`` header counts as none."""
    raw = header(scope, b"cookie")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


async def send_problem(send: Send, status: HTTPStatus, detail: str, headers: dict[str, str] | None = None) -> None:
    """Answer with a problem+json body, from middleware."""
    body = json.dumps(problem_body(status, detail)).encode()
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status.value, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


# Request ids name log lines, not secrets: a generator seeded once per process, not a system call per request.
_ids = random.Random(secrets.randbits(128))  # noqa: S311


class RequestContext:
    """Gives each request an id (the client's ``X-Request-ID`` if well-formed), records its metrics and traces it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = header(scope, REQUEST_ID_HEADER.encode())
        request_id = given if given and _REQUEST_ID.fullmatch(given) else f"{_ids.getrandbits(64):016x}"
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        span = _server_span(scope, request_id)
        try:
            # The id is on the request's log records and stored with the analyses it queues, as is the span.
            with request_id_set(request_id), span.current():
                await self.app(scope, receive, send_with_id)
        except Exception as err:
            span.fail(err)
            raise
        finally:
            route = getattr(scope.get("route"), "path", None)
            self.metrics.observe_request(scope["method"], route or "unmatched", status, time.perf_counter() - started)
            _end_server_span(span, scope["method"], route, status)


def _server_span(scope: Scope, request_id: str) -> tracing.Span:
    """The request's server span, continuing the caller's trace when it sends ``traceparent``."""
    if tracing.active() is None:
        return tracing.NO_SPAN
    parent = {
        tracing.TRACEPARENT: header(scope, tracing.TRACEPARENT.encode()) or "",
        tracing.TRACESTATE: header(scope, tracing.TRACESTATE.encode()) or "",
    }
    attributes = {"http.request.method": scope["method"], "url.path": scope["path"], "reviewlab.request_id": request_id}
    return tracing.start_span(scope["method"], kind="server", attributes=attributes, parent=parent)


def _end_server_span(span: tracing.Span, method: str, route: str | None, status: int) -> None:
    """Name the span by route template (``GET /api/analyze/{session_id}``; the method alone when no route
    matched), record the status, mark a 5xx as failed, and end it."""
    if route is not None:
        span.rename(f"{method} {route}")
        span.set("http.route", route)
    span.set("http.response.status_code", status)
    if status >= 500:
        span.fail(f"HTTP {status}")
    span.end()


class SecurityHeaders:
    """Headers against sniffing, framing, referrer leaks and caching of private answers; HSTS over https."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if hsts:
            self.common.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = [(b"content-security-policy", (_DOCS_CSP if path in _DOCS_PATHS else _API_CSP).encode())]
        if path.startswith("/api/"):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                added = [(k, v) for k, v in self.common + extra if k not in present]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 for request bodies over the limit: at once by ``Content-Length``, or when the stream passes it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_paths: frozenset[str], max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"] in self.upload_paths else self.max_bytes
        declared = header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_problem(send, HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
                return
            if int(declared) > limit:
                await send_problem(send, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(limit))
                return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not started:
                    # Answer now and tell the app the client left: it stops reading and changes nothing.
                    refused = True
                    await send_problem(send, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(limit))
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise
            # The app's reaction to the disconnect (ClientDisconnect and the like) after the 413 went out.


def _too_large(limit: int) -> str:
    return f"the request body is over the limit of {limit} bytes"


_MAX_QUIET_CLIENTS = 100_000  # clients remembered at once; expired ones are dropped when it is reached


class RateLimit:
    """The seed's limits per client IP and, for a signed-in caller, per user; refusals are 429 + Retry-After."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, tokens: TokenService, metrics: Metrics) -> None:
        self.app = app
        self.limiter = limiter
        self.tokens = tokens
        self.metrics = metrics
        # The in-process backend answers in microseconds; Redis gets a thread, so the event loop never waits on it.
        self.blocking = not isinstance(limiter.backend, MemoryBackend)
        # Per client ip, until when its refused sign-ins are not audited one by one: a flood of refused attempts
        # writes one audit row per rate-limit window, not one per request.
        self._quiet_until: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limiter.rules.match(scope["path"]) is None:
            await self.app(scope, receive, send)  # no rule for the path (health, metrics; or limits off): no count
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        user = self._user(scope)
        if self.blocking:
            decision = await in_worker_thread(self.limiter.check, scope["path"], ip, user)
        else:
            decision = self.limiter.check(scope["path"], ip, user)
        headers = decision.headers()
        if not decision.allowed:
            self.metrics.rate_limited.labels(rule=decision.rule or "none").inc()
            await send_problem(
                send, HTTPStatus.TOO_MANY_REQUESTS, f"rate limit reached; retry in {decision.retry_after_s} s", headers
            )
            if is_login(scope) and self._audit_due(ip, decision.retry_after_s):  # after the answer: never delays it
                await audit_refused_login(
                    scope,
                    HTTPStatus.TOO_MANY_REQUESTS,
                    "rate_limited",
                    receive=receive,
                    details={"unaudited_for_s": decision.retry_after_s},
                )
            return
        if not headers:
            await self.app(scope, receive, send)
            return
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *raw]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _audit_due(self, ip: str, window_s: int) -> bool:
        """Whether this refused sign-in from ``ip`` is audited: the first of each window is, with how long the
        ones after it go unrecorded (they are refused alike and counted in ``reviewlab_rate_limited_requests``)."""
        now = time.monotonic()
        if now < self._quiet_until.get(ip, 0.0):
            return False
        if len(self._quiet_until) >= _MAX_QUIET_CLIENTS:
            self._quiet_until = {k: until for k, until in self._quiet_until.items() if until > now}
        self._quiet_until[ip] = now + max(1, window_s)
        return True

    def _user(self, scope: Scope) -> str | None:
        """The signed-in user, from a valid access token (kept for the route: tokens are decoded once)."""
        token = cookies(scope).get(ACCESS_COOKIE)
        if not token:
            return None
        try:
            claims = self.tokens.decode(token, TokenType.ACCESS)
        except TokenError:
            return None
        scope.setdefault("state", {})[ACCESS_CLAIMS] = claims
        return claims.sub


class CsrfGuard:
    """403 for a state-changing ``/api`` request whose ``X-CSRF-Token`` is not its session's ``csrf_token`` cookie."""

    def __init__(self, app: ASGIApp, *, csrf: CsrfTokens, tokens: TokenService) -> None:
        self.app = app
        self.csrf = csrf
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/") or not requires_csrf(scope["method"]):
            await self.app(scope, receive, send)
            return
        jar = cookies(scope)
        given = header(scope, b"x-csrf-token")
        if not self.csrf.verify(jar.get(CSRF_COOKIE), given, session_of(jar, self.tokens)):
            detail = (
                "missing CSRF token: send the csrf_token cookie's value in the X-CSRF-Token header "
                "(GET /api/auth/csrf issues one)"
                if not given or CSRF_COOKIE not in jar
                else "CSRF token does not match this session"
            )
            await send_problem(send, HTTPStatus.FORBIDDEN, detail)
            if is_login(scope):
                await audit_refused_login(scope, HTTPStatus.FORBIDDEN, "csrf", receive=receive)
            return
        await self.app(scope, receive, send)


def session_of(jar: dict[str, str], tokens: TokenService) -> str:
    """The session (refresh family) the caller's cookies belong to, or the anonymous session.

    Lifetimes are not checked here (an expired access token still names its session, so a refresh can
    be CSRF-checked); signatures are, so a forged cookie names nothing.
    """
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        token = jar.get(name)
        if not token:
            continue
        try:
            family = tokens.decode(token, None, check_lifetime=False).fam
        except TokenError:
            continue
        if family:
            return family
    return ANONYMOUS_SESSION
