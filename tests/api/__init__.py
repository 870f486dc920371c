"""Tests of the REST API: a real app on a real store (SQLite per test; PostgreSQL and Redis for integration)."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

with warnings.catch_warnings():
    # Starlette 1.x wants httpx2 under TestClient; until it is a dependency, only this warning is silenced.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"
BASE_URL = "https://testserver"  # https: the session cookies are Secure, and a client only returns them over https


def new_email(name: str = "user") -> str:
    """An address no other test uses (PostgreSQL tests share one database)."""
    return f"{name}-{secrets.token_hex(4)}@example.com"


class Client(TestClient):
    """A TestClient that sends the ``csrf_token`` cookie as ``X-CSRF-Token`` on state-changing requests."""

    auto_csrf = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Each client its own address, so one test's clients do not share the per-IP rate limits.
        kwargs.setdefault(
            "client", (f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}", 50000)
        )
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        if self.auto_csrf and method.upper() not in {"GET", "HEAD", "OPTIONS"}:
            token = self.cookies.get("csrf_token")
            if token is None:
                token = self.get("/api/auth/csrf").json()["csrf_token"]
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", token)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)

    @classmethod
    def signed_in_as(cls, app: Any, user: Any) -> Client:
        """A new client (its own address and cookie jar) signed in as ``user``; ``client.user`` is that user."""
        client = cls(app, base_url=BASE_URL)  # without ``with``: the app's lifespan belongs to the test's client
        client.sign_in(user.email)
        client.user = user
        return client

    user: Any = None

    def sign_in(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@contextmanager
def sign_ins(app: Any) -> Iterator[Callable[..., Client]]:
    """``sign_in(role)``: a client signed in as a new user of ``role`` on ``app`` (closed at the end)."""
    from reviewlab.accounts import Role

    clients: list[Client] = []

    def sign_in(role: Role = Role.REVIEWER) -> Client:
        user = app.state.platform.services().accounts.create_user(new_email(role.value), PASSWORD, role)
        client = Client.signed_in_as(app, user)
        clients.append(client)
        return client

    try:
        yield sign_in
    finally:
        for client in clients:
            client.close()
