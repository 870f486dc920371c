"""The dashboard under test talks to a real API: uvicorn on loopback, on embedded defaults (SQLite, in-process
workers, in-memory caches), started once per test module (the lifecycle's production configuration is global
state: one module promoting a configuration must not change what another module's reviews report). Each test
gets users of its own.

``dashboard(role, page)`` gives an ``AppTest`` of ``app/main.py`` signed in as a new user with that role (through
the API, as the sign-in page does) and switched to ``page``.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from api.deps import Platform
from api.main import create_app
from app.client import ApiClient
from app.session import CLIENT_KEY
from reviewlab.accounts import Role
from reviewlab.cache import Caches
from reviewlab.mail import MemoryMailer
from reviewlab.security import Argon2Parameters, Passwords
from reviewlab.settings import Settings
from tests.lifecycle.support import lab_directory

REPO = Path(__file__).resolve().parents[2]
ENTRY_POINT = REPO / "app" / "main.py"
PASSWORD = "correct horse battery staple 42"
ADMIN_EMAIL = "admin@reviewlab.test"
CHEAP = Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))


@dataclass
class LiveApi:
    url: str
    settings: Settings
    platform: Platform
    mailer: MemoryMailer

    def user(self, role: str = "reviewer") -> str:
        """A new active account with ``role``; its email (the password is ``PASSWORD``)."""
        email = f"{role}-{secrets.token_hex(4)}@reviewlab.test"
        self.platform.services().accounts.create_user(email, PASSWORD, Role(role))
        return email

    def client(self, role: str = "reviewer") -> ApiClient:
        """An API client signed in as a new user with ``role`` (the caller closes it)."""
        api = ApiClient(self.url)
        api.sign_in(self.user(role), PASSWORD)
        return api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Iterator[LiveApi]:
    home = tmp_path_factory.mktemp("live-api")
    mlflow = home / "mlflow" / "mlflow.db"
    mlflow.parent.mkdir()
    mlflow.write_bytes(mlflow_template.read_bytes())
    settings = Settings(
        reviewlab_home=home / "home",
        database_url=f"sqlite:///{home / 'store.db'}",
        redis_url=None,
        reviewlab_cookie_secure=False,  # plain http on loopback, as in development
        reviewlab_rate_limits=False,  # many sign-ins from one address in a few seconds
        reviewlab_admin_email=ADMIN_EMAIL,
        reviewlab_admin_password=SecretStr(PASSWORD),
        reviewlab_queue="inprocess",
        reviewlab_warehouse_dir=home / "warehouse",
        mlflow_tracking_uri=f"sqlite:///{mlflow}",
        reviewlab_experiments_dir=lab_directory(home),
        ollama_host="http://127.0.0.1:9",  # no model server: AI review is unavailable, quickly
    )
    mailer = MemoryMailer()
    platform = Platform(settings, passwords=CHEAP, mailer=mailer, caches=Caches.in_memory())
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, platform=platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="live-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    yield LiveApi(f"http://127.0.0.1:{port}", settings, platform, mailer)
    server.should_exit = True
    thread.join(timeout=30)
    platform.close()


@pytest.fixture
def api_url(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> str:
    """The live API, as the dashboard finds it (``REVIEWLAB_API_URL``)."""
    monkeypatch.setenv("REVIEWLAB_API_URL", live_api.url)
    return live_api.url


@pytest.fixture
def dashboard(live_api: LiveApi, api_url: str) -> Iterator[Callable[..., AppTest]]:
    """``dashboard(role, page)``: the app signed in as a new ``role`` user, on ``page`` (e.g. "pages/results.py")."""
    clients: list[ApiClient] = []
    apps: list[AppTest] = []

    def open_as(role: str | None = "reviewer", page: str | None = None, *, timeout: float = 60) -> AppTest:
        app = AppTest.from_file(str(ENTRY_POINT), default_timeout=timeout)
        apps.append(app)
        if role is not None:
            api = live_api.client(role)
            clients.append(api)
            app.session_state[CLIENT_KEY] = api
        if page is not None:
            app.switch_page(page)
        app.run()
        return app

    yield open_as
    for app in apps:  # the client a sign-in inside the app made, too
        if CLIENT_KEY in app.session_state:
            clients.append(app.session_state[CLIENT_KEY])
    for api in clients:
        api.close()


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
