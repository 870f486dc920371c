"""The dashboard's only way to the platform: the REST API, as the signed-in user.

The API's session cookies (``access_token``, ``refresh_token``, ``csrf_token``) live in this client's cookie
jar, held server-side in the user's Streamlit session; every state-changing request carries the
``X-CSRF-Token`` header equal to the cookie. An expired access token is refreshed once, transparently; when
the refresh is refused too, ``SessionExpired`` tells the page to send the user back to sign-in. Errors are
the API's RFC 9457 problems, as ``ApiError`` with a message a person can read.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8000"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
STREAM_TIMEOUT = httpx.Timeout(30.0, connect=5.0, read=60.0)  # the stream sends keep-alives well within this
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_url() -> str:
    """``REVIEWLAB_API_URL``, else the API ``make run`` starts."""
    return os.environ.get("REVIEWLAB_API_URL", DEFAULT_API_URL).rstrip("/")


class ApiError(Exception):
    """The API answered with an error (or could not be reached); ``str(err)`` is for people."""

    def __init__(self, status: int, title: str, detail: str | None = None, errors: list[Any] | None = None) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.status == 0:
            return f"The reviewlab API cannot be reached: {self.detail}"
        text = self.detail or self.title
        if self.errors:
            fields = "; ".join(_field_error(e) for e in self.errors[:5])
            text = f"{text}: {fields}" if fields else text
        return text


class SessionExpired(ApiError):
    """The session ended (expired, signed out elsewhere, account disabled): sign in again."""


def _field_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(part) for part in error.get("loc", []) if part not in ("body", "query", "path"))
    message = str(error.get("msg", "invalid"))
    return f"{where}: {message}" if where else message


@dataclass(frozen=True, slots=True)
class Event:
    """One Server-Sent Event of an analysis stream."""

    id: str | None
    event: str
    data: Any


class ApiClient:
    """A signed-in (or not yet) user's connection to the API."""

    def __init__(self, base_url: str | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = (base_url or api_url()).rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT, transport=transport)
        self.user: dict[str, Any] | None = None

    def close(self) -> None:
        self._http.close()

    # -- session ----------------------------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def role(self) -> str | None:
        return None if self.user is None else str(self.user.get("role"))

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Sign in (``ApiError`` 401 for a wrong email or password); returns the user."""
        self._http.cookies.clear()  # a CSRF token of an ended session would not match the new one
        self._send("GET", "/api/auth/csrf", retry=False)
        answer = self._send("POST", "/api/auth/login", json={"email": email, "password": password}, retry=False)
        self.user = answer["user"]
        return self.user

    def sign_out(self) -> None:
        """End the session at the API (best effort) and forget it here."""
        with contextlib.suppress(ApiError):
            self._send("POST", "/api/auth/logout", retry=False)
        self.user = None
        self._http.cookies.clear()

    def me(self) -> dict[str, Any]:
        self.user = self.get("/api/auth/me")
        return self.user

    # -- requests -----------------------------------------------------------------------------------------

    def get(self, path: str, /, **params: Any) -> Any:
        return self._send("GET", path, params=_params(params))

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self._send("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None) -> Any:
        return self._send("PUT", path, json=body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self._send("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self._send("DELETE", path)

    def stream(self, path: str, *, last_event_id: str | None = None) -> Iterator[Event]:
        """The Server-Sent Events of ``path`` until the server ends the stream."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        try:
            with self._http.stream("GET", path, headers=headers, timeout=STREAM_TIMEOUT) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                yield from _events(response.iter_lines())
        except httpx.HTTPError as err:
            raise ApiError(0, "unreachable", f"{type(err).__name__}: {err}") from err

    # -- plumbing -----------------------------------------------------------------------------------------

    def _ensure_csrf(self) -> None:
        if not self._http.cookies.get(CSRF_COOKIE):
            self._send("GET", "/api/auth/csrf", retry=False)

    def _send(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if method not in SAFE_METHODS:
            self._ensure_csrf()
            headers[CSRF_HEADER] = self._http.cookies.get(CSRF_COOKIE) or ""
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as err:
            raise ApiError(0, "unreachable", f"{type(err).__name__}: {err}") from err
        if response.status_code == 401 and retry and self.user is not None:
            if self._refresh():
                return self._send(method, path, retry=False, headers=headers, **kwargs)
            self.user = None
            self._http.cookies.clear()
            raise SessionExpired(401, "Your session has ended", "Your session has ended: please sign in again.")
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text

    def _refresh(self) -> bool:
        try:
            answer = self._http.post(
                "/api/auth/refresh", headers={CSRF_HEADER: self._http.cookies.get(CSRF_COOKIE) or ""}
            )
        except httpx.HTTPError:
            return False
        if answer.status_code != 200:
            return False
        self.user = answer.json().get("user", self.user)
        return True


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value not in (None, "", [], ())}


def _error(response: httpx.Response) -> ApiError:
    try:
        problem = response.json()
    except (json.JSONDecodeError, ValueError):
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    title = str(problem.get("title") or response.reason_phrase or f"HTTP {response.status_code}")
    detail = problem.get("detail")
    errors = problem.get("errors") if isinstance(problem.get("errors"), list) else None
    cls = SessionExpired if response.status_code == 401 and "session" in str(detail or "").lower() else ApiError
    return cls(response.status_code, title, None if detail is None else str(detail), errors)


def _events(lines: Iterator[str]) -> Iterator[Event]:
    """Parse ``text/event-stream`` lines into events (comments and keep-alives skipped)."""
    event_id: str | None = None
    name = "message"
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except json.JSONDecodeError:
                    value = text
                yield Event(event_id, name, value)
            name, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value_text = line.partition(":")
        value_text = value_text.removeprefix(" ")
        if field == "id":
            event_id = value_text
        elif field == "event":
            name = value_text
        elif field == "data":
            data.append(value_text)
