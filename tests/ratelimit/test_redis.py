"""The Redis backend on the real Redis: key layout and TTLs, limits shared by processes under concurrency,
and an outage (a dead port, then a proxy cut and restored) that falls back to in-process limits and back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

import pytest
import redis

from reviewlab.ratelimit import Decision, MemoryBackend, RateLimiter, RedisBackend
from reviewlab.settings import Settings
from tests._services import DEFAULT_REDIS_URL, redis_namespace
from tests.ai.fakes import FakeClock

START = 1_700_000_000.0
IP = "203.0.113.7"
LOGIN = "/api/auth/login"
REDIS_LOG = "reviewlab.ratelimit.redis_backend"


def server_url() -> str:
    return os.environ.get("REVIEWLAB_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def namespace() -> Iterator[tuple[redis.Redis, str]]:
    with redis_namespace() as found:
        yield found


def redis_limiter(client: redis.Redis, prefix: str, clock: FakeClock) -> RateLimiter:
    return RateLimiter(RedisBackend(client), clock=clock, key_prefix=f"{prefix}ratelimit:")


def refused_redis_url() -> str:
    """A Redis URL on loopback where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.integration
def test_keys_are_one_sorted_set_per_subject_rule_and_window_and_expire(namespace: tuple[redis.Redis, str]) -> None:
    client, prefix = namespace
    clock = FakeClock(START)
    limiter = redis_limiter(client, prefix, clock)
    assert limiter.check(LOGIN, IP, user="42").allowed
    assert limiter.check("/api/projects", "2001:db8:1:2::5").allowed
    windows = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
    expected = {f"ratelimit:{subject}:login:{w}" for subject in (f"ip:{IP}", "user:42") for w in windows}
    expected |= {f"ratelimit:ip:2001:db8:1:2::/64:api:{w}" for w in windows}
    keys = {key.decode().removeprefix(prefix) for key in client.scan_iter(match=f"{prefix}*")}
    assert keys == expected
    for key in keys:
        window_ms = windows[key.rsplit(":", 1)[1]]
        assert window_ms - 5_000 < client.pttl(prefix + key) <= window_ms  # gone a window after the newest request
        assert client.zcard(prefix + key) == 1
        assert client.zcount(prefix + key, START * 1000, START * 1000) == 1  # scored in ms on the limiter's clock


@pytest.mark.integration
def test_a_refused_request_adds_nothing_and_old_requests_are_pruned(namespace: tuple[redis.Redis, str]) -> None:
    client, prefix = namespace
    clock = FakeClock(START)
    limiter = redis_limiter(client, prefix, clock)
    minute = f"{prefix}ratelimit:ip:{IP}:login:minute"
    for _ in range(5):
        limiter.check(LOGIN, IP)
    for _ in range(20):
        assert not limiter.check(LOGIN, IP).allowed
    assert client.zcard(minute) == 5
    clock.advance(60)
    assert limiter.check(LOGIN, IP).allowed
    assert client.zcard(minute) == 1  # the five that left the window were removed
    assert client.zcard(f"{prefix}ratelimit:ip:{IP}:login:hour") == 6


@pytest.mark.integration
def test_processes_share_one_limit(namespace: tuple[redis.Redis, str]) -> None:
    client, prefix = namespace
    clock = FakeClock(START)
    first, second = (redis_limiter(client, prefix, clock) for _ in range(2))
    assert all(first.check(LOGIN, IP).allowed for _ in range(3))
    assert all(second.check(LOGIN, IP).allowed for _ in range(2))  # same millisecond, distinct members
    refused = first.check(LOGIN, IP)
    assert (refused.allowed, refused.retry_after_s, refused.backend) == (False, 60, "redis")


@pytest.mark.integration
def test_twenty_threads_hammering_one_key_never_exceed_the_limit(namespace: tuple[redis.Redis, str]) -> None:
    _, prefix = namespace
    clock = FakeClock(START)  # every attempt falls in the same minute
    decisions: list[Decision] = []
    lock = threading.Lock()
    start = threading.Barrier(20, timeout=10)

    def hammer() -> None:  # an exception here fails the test (pytest reports unhandled thread exceptions)
        own = redis.Redis.from_url(server_url())  # its own connection, as another API process would have
        try:
            limiter = redis_limiter(own, prefix, clock)
            start.wait()
            for _ in range(25):
                decision = limiter.check("/api/projects", IP, user="alice")
                with lock:
                    decisions.append(decision)
        finally:
            own.close()

    threads = [threading.Thread(target=hammer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    allowed = [d for d in decisions if d.allowed]
    assert (len(decisions), len(allowed)) == (500, 60)
    assert {d.backend for d in decisions} == {"redis"}
    assert sorted(d.remaining["minute"] for d in allowed) == list(range(60))  # each count handed out once
    client = namespace[0]
    assert client.zcard(f"{prefix}ratelimit:ip:{IP}:api:minute") == 60
    assert client.zcard(f"{prefix}ratelimit:user:alice:api:minute") == 60


def test_an_outage_falls_back_to_in_process_limits_with_one_warning_per_cooldown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(START)
    client = redis.Redis.from_url(refused_redis_url(), socket_connect_timeout=0.2, socket_timeout=0.2)
    limiter = RateLimiter(RedisBackend(client, outage_cooldown_s=30), clock=clock)
    with caplog.at_level(logging.WARNING, logger=REDIS_LOG):
        decisions = [limiter.check(LOGIN, IP) for _ in range(6)]
        assert [d.allowed for d in decisions] == [True] * 5 + [False]  # still limited, per process
        assert {d.backend for d in decisions} == {"memory"}
        assert decisions[-1].retry_after_s == 60
        assert len(caplog.records) == 1  # Redis was tried once; the cool-down spares it the others
        assert "cannot reach Redis (ConnectionError" in caplog.text
        assert "using in-process limits for 30 s" in caplog.text
        clock.advance(29.999)
        assert limiter.check(LOGIN, IP).backend == "memory"
        assert len(caplog.records) == 1
        clock.advance(0.001)
        assert limiter.check(LOGIN, IP).backend == "memory"  # tried again, still down
        assert len(caplog.records) == 2
    limiter.close()


@pytest.mark.integration
def test_other_redis_errors_fall_back_too(namespace: tuple[redis.Redis, str], caplog: pytest.LogCaptureFixture) -> None:
    client, prefix = namespace
    client.set(f"{prefix}ratelimit:ip:{IP}:login:minute", "not a sorted set")
    limiter = redis_limiter(client, prefix, FakeClock(START))
    with caplog.at_level(logging.WARNING, logger=REDIS_LOG):
        assert limiter.check(LOGIN, IP).backend == "memory"
    assert "ResponseError" in caplog.text


def test_errors_that_are_not_redis_errors_propagate() -> None:
    class Broken:
        def register_script(self, script: str) -> object:
            def call(**_: object) -> None:
                raise TypeError("a bug, not an outage")

            return call

    limiter = RateLimiter(RedisBackend(Broken()), clock=FakeClock(START))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a bug"):
        limiter.check(LOGIN, IP)


class TcpProxy:
    """A loopback TCP forwarder to the real Redis that can be cut (an outage) and restored."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = True
        self.frozen = False
        self._closed = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones (they are accepted and closed at once)."""
        self._up = False
        with self._lock:
            sockets = list(self._open)
        self._drop(*sockets)

    def restore(self) -> None:
        self._up = True
        self.frozen = False

    def freeze(self) -> None:
        """Keep the connections open but forward nothing more (a peer gone silent: no error, no answer)."""
        self.frozen = True

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self._closed.set()
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            if not self._up:
                conn.close()
                continue
            upstream = socket.create_connection(self._upstream, timeout=5)
            upstream.settimeout(None)
            with self._lock:
                self._open |= {conn, upstream}
            for source, sink in ((conn, upstream), (upstream, conn)):
                thread = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self.frozen:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        with self._lock:
            mine = [s for s in sockets if s in self._open]
            self._open.difference_update(mine)
        for sock in mine:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.mark.integration
def test_after_the_cooldown_the_limiter_goes_back_to_redis(
    namespace: tuple[redis.Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, prefix = namespace
    where = client.connection_pool.connection_kwargs
    clock = FakeClock(START)
    with TcpProxy(where.get("host", "127.0.0.1"), where.get("port", 6379)) as proxy:
        settings = Settings(redis_url=f"redis://127.0.0.1:{proxy.port}/{where.get('db', 0)}")
        limiter = RateLimiter.from_settings(settings, clock=clock, key_prefix=f"{prefix}ratelimit:")
        with caplog.at_level(logging.INFO, logger=REDIS_LOG):
            assert limiter.check(LOGIN, IP).backend == "redis"
            proxy.cut()
            outage = [limiter.check(LOGIN, IP) for _ in range(3)]
            assert {d.backend for d in outage} == {"memory"}
            assert outage[-1].remaining["hour"] == 17  # the fallback counts from nothing: 3 requests
            proxy.restore()
            clock.advance(29)
            assert limiter.check(LOGIN, IP).backend == "memory"  # Redis is back, but the cool-down is not over
            clock.advance(1)
            back = limiter.check(LOGIN, IP)
        assert back.backend == "redis"
        assert back.remaining["hour"] == 18  # Redis holds its own two requests; the outage's stayed local
        assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
        assert "reaches Redis again" in caplog.records[-1].getMessage()
        limiter.close()


@pytest.mark.integration
def test_from_settings_picks_the_backend(namespace: tuple[redis.Redis, str]) -> None:
    _, prefix = namespace
    with RateLimiter.from_settings(Settings(redis_url=None)) as embedded:
        assert isinstance(embedded.backend, MemoryBackend)
        assert embedded.check(LOGIN, IP).backend == "memory"
    with RateLimiter.from_settings(Settings(redis_url=server_url()), key_prefix=f"{prefix}ratelimit:") as shared:
        assert isinstance(shared.backend, RedisBackend)
        decision = shared.check(LOGIN, IP, user="alice")
        assert (decision.allowed, decision.backend) == (True, "redis")
