"""The API under test: an app on its own store, with a mailer that keeps mails and cheap password hashing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import create_app
from reviewlab.accounts import Role, User
from reviewlab.cache import Caches
from reviewlab.mail import MemoryMailer
from reviewlab.ratelimit import MemoryBackend, RateLimiter
from reviewlab.security import Argon2Parameters, Passwords
from reviewlab.settings import Settings
from tests.api import BASE_URL, PASSWORD, Client, new_email, sign_ins

CHEAP = Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))


class Clock:
    """A settable clock for the rate limiter (seconds since the epoch)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults: a fresh SQLite store under the test's home, in-process everything."""
    return Settings(reviewlab_home=tmp_path / "reviewlab-home", database_url=None, redis_url=None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def make_platform(clock: Clock, mailer: MemoryMailer) -> Iterator[Callable[..., Platform]]:
    made: list[Platform] = []

    def make(settings: Settings, **overrides: Any) -> Platform:
        options: dict[str, Any] = {
            "limiter": RateLimiter(MemoryBackend(), clock=clock),
            "mailer": mailer,
            "passwords": CHEAP,
            "caches": Caches.in_memory(),
        }
        platform = Platform(settings, **(options | overrides))
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close()


@pytest.fixture
def platform(settings: Settings, make_platform: Callable[..., Platform]) -> Platform:
    return make_platform(settings)


@pytest.fixture
def app(settings: Settings, platform: Platform) -> FastAPI:
    return create_app(settings, platform=platform)


@pytest.fixture
def client(app: FastAPI) -> Iterator[Client]:
    with Client(app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def make_user(platform: Platform) -> Callable[..., User]:
    def make(role: Role = Role.REVIEWER, email: str | None = None) -> User:
        return platform.services().accounts.create_user(email or new_email(role.value), PASSWORD, role)

    return make


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[..., Client]]:
    """Clients signed in as new users of a role (each its own cookie jar)."""
    with sign_ins(app) as sign_in:
        yield sign_in
