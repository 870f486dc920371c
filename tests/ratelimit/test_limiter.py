"""The limiter on both backends (one parametrized suite): every window of the seed's table, subjects, rules.

Time is a fake clock moved in milliseconds from a realistic epoch (Redis scores then need 13 digits);
the Redis runs use the real server with a key prefix of the test's own (``tests.ai.fakes.redis_namespace``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from reviewlab.ratelimit import DEFAULT_RULES, Decision, MemoryBackend, RateLimiter, RedisBackend, Rule, Window
from reviewlab.ratelimit.limiter import client_id, subject_id
from tests._services import redis_namespace
from tests.ai.fakes import FakeClock

START = 1_700_000_000.0
IP, OTHER_IP = "203.0.113.7", "198.51.100.20"
PATHS = {
    "login": "/api/auth/login",
    "register": "/api/auth/register",
    "analyze": "/api/analyze/123/stream",
    "api": "/api/projects",
}


class Lab:
    """A limiter on one backend, its fake clock set in milliseconds from ``START``."""

    def __init__(self, limiter: RateLimiter, clock: FakeClock, kind: str) -> None:
        self.limiter = limiter
        self.clock = clock
        self.kind = kind

    def at(self, offset_ms: int) -> None:
        self.clock.now = START + offset_ms / 1000

    def check(self, path: str = PATHS["login"], ip: str = IP, user: str | None = None) -> Decision:
        decision = self.limiter.check(path, ip, user)
        if decision.rule is not None:
            assert decision.backend == self.kind  # never a silent fallback from Redis to memory
        return decision


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    clock = FakeClock(START)
    if request.param == "memory":
        yield Lab(RateLimiter(MemoryBackend(), clock=clock), clock, "memory")
        return
    with redis_namespace() as (client, prefix):
        limiter = RateLimiter(RedisBackend(client), clock=clock, key_prefix=f"{prefix}ratelimit:")
        yield Lab(limiter, clock, "redis")


def spacing_ms(rule: Rule, window: Window) -> int:
    """A gap between requests that fills ``window`` without ever filling a shorter one."""
    shorter = [w for w in rule.windows if w.seconds < window.seconds]
    return max((math.ceil(w.seconds * 1000 / w.limit) for w in shorter), default=0)


WINDOW_CASES = [
    pytest.param(rule.id, window.name, id=f"{rule.id}-{window.name}")
    for rule in DEFAULT_RULES
    for window in rule.windows
]


@pytest.mark.parametrize(("rule_id", "window_name"), WINDOW_CASES)
def test_every_window_allows_its_limit_then_refuses_until_it_slides(lab: Lab, rule_id: str, window_name: str) -> None:
    rule = DEFAULT_RULES[rule_id]
    window = next(w for w in rule.windows if w.name == window_name)
    path, limit, window_ms, gap = PATHS[rule_id], window.limit, window.seconds * 1000, spacing_ms(rule, window)
    assert limit * gap < window_ms  # every request is still in the window when the next one is refused

    for i in range(limit):
        lab.at(i * gap)
        decision = lab.check(path)
        assert decision.allowed, f"request {i + 1} of {limit}"
        assert (decision.rule, decision.remaining[window_name]) == (rule_id, limit - 1 - i)

    refused_at = limit * gap
    lab.at(refused_at)
    refused = lab.check(path)
    retry = math.ceil((window_ms - refused_at) / 1000)  # the first request leaves the window then
    assert (refused.allowed, refused.refused_window, refused.refused_scope) == (False, window_name, "ip")
    assert refused.retry_after_s == retry
    assert refused.headers()["Retry-After"] == str(retry)
    assert refused.remaining[window_name] == 0

    lab.at(refused_at + (retry - 1) * 1000)
    still = lab.check(path)
    assert (still.allowed, still.refused_window, still.retry_after_s) == (False, window_name, 1)

    slid_at = refused_at + retry * 1000
    lab.at(slid_at)
    again = lab.check(path)
    left = sum(1 for i in range(limit) if i * gap <= slid_at - window_ms)  # requests that slid out
    assert again.allowed
    assert again.remaining[window_name] == left - 1


def test_a_burst_at_a_window_boundary_does_not_double_the_allowance(lab: Lab) -> None:
    lab.at(59_900)  # the end of a fixed minute: a fixed-window limiter would allow 5 more at 60 000
    assert all(lab.check().allowed for _ in range(5))
    lab.at(60_100)
    refused = lab.check()
    assert (refused.allowed, refused.retry_after_s) == (False, 60)  # 59.8 s until the burst leaves
    lab.at(119_899)
    assert not lab.check().allowed
    lab.at(119_900)
    assert [lab.check().allowed for _ in range(6)] == [True] * 5 + [False]


def test_refused_requests_consume_no_allowance(lab: Lab) -> None:
    assert all(lab.check().allowed for _ in range(5))
    for second in range(60):
        lab.at(second * 1000)
        refused = lab.check()
        assert (refused.allowed, refused.retry_after_s) == (False, 60 - second)
    lab.at(60_000)
    assert [lab.check().allowed for _ in range(6)] == [True] * 5 + [False]
    assert lab.check().remaining == {"minute": 0, "hour": 10, "day": 90}  # 10 counted, not 70


def test_each_ip_has_its_own_allowance(lab: Lab) -> None:
    assert all(lab.check(ip=IP).allowed for _ in range(5))
    assert not lab.check(ip=IP).allowed
    assert all(lab.check(ip=OTHER_IP).allowed for _ in range(5))
    assert not lab.check(ip=OTHER_IP).allowed


def test_a_user_is_limited_across_ips(lab: Lab) -> None:
    for i in range(5):
        assert lab.check(ip=f"192.0.2.{i}", user="alice").allowed
    refused = lab.check(ip="192.0.2.99", user="alice")
    assert (refused.allowed, refused.refused_scope, refused.refused_window) == (False, "user", "minute")
    assert lab.check(ip="192.0.2.99", user="bob").allowed
    assert lab.check(ip="192.0.2.99").allowed  # anonymous from that IP: only the IP counts


def test_an_ip_is_limited_across_users(lab: Lab) -> None:
    for name in ("alice", "bob", None, "carol", "dave"):
        assert lab.check(user=name).allowed
    refused = lab.check(user="erin")
    assert (refused.allowed, refused.refused_scope) == (False, "ip")
    assert lab.check(ip=OTHER_IP, user="erin").allowed


def test_a_request_refused_for_the_ip_is_not_counted_for_the_user(lab: Lab) -> None:
    assert all(lab.check().allowed for _ in range(5))  # anonymous requests fill the IP
    for _ in range(10):
        assert lab.check(user="alice").refused_scope == "ip"
    assert [lab.check(ip=OTHER_IP, user="alice").allowed for _ in range(6)] == [True] * 5 + [False]


def test_remaining_is_the_tighter_of_ip_and_user(lab: Lab) -> None:
    for _ in range(3):
        lab.check(ip=OTHER_IP, user="alice")
    decision = lab.check(user="alice")  # the IP's first request, the user's fourth
    assert decision.remaining == {"minute": 1, "hour": 16, "day": 96}


def test_each_rule_counts_only_its_own_requests(lab: Lab) -> None:
    assert all(lab.check(PATHS["login"]).allowed for _ in range(5))
    assert not lab.check(PATHS["login"]).allowed
    assert not lab.check("/auth/login/").allowed  # the seed's path and a trailing slash: the same rule
    analyze = lab.check(PATHS["analyze"])
    assert (analyze.rule, analyze.allowed, analyze.remaining["minute"]) == ("analyze", True, 9)
    api = lab.check(PATHS["api"])
    assert (api.rule, api.allowed, api.remaining["minute"]) == ("api", True, 59)  # analyze did not count here
    assert lab.check("/api/analyze").remaining["minute"] == 8  # POST /api/analyze is the analyze rule too


def test_paths_without_a_rule_are_not_limited_or_counted(lab: Lab) -> None:
    for _ in range(100):
        decision = lab.check("/health/live")
        assert decision == Decision(allowed=True, rule=None)
    assert decision.headers() == {}


def test_ipv6_clients_count_by_their_64_block(lab: Lab) -> None:
    for host in range(5):
        assert lab.check(ip=f"2001:db8:1:2::{host + 1:x}").allowed
    assert not lab.check(ip="2001:db8:1:2:ffff::1").allowed
    assert lab.check(ip="2001:db8:1:3::1").allowed
    assert all(lab.check(ip="::ffff:192.0.2.1").allowed for _ in range(4))
    assert lab.check(ip="192.0.2.1").allowed  # the IPv4-mapped address and the IPv4 address are one client
    assert not lab.check(ip="192.0.2.1").allowed


def test_headers_describe_the_window_closest_to_refusing(lab: Lab) -> None:
    first = lab.check()
    assert first.headers() == {
        "RateLimit-Limit": "5",
        "RateLimit-Remaining": "4",
        "RateLimit-Reset": "60",
        "RateLimit-Policy": "5;w=60, 20;w=3600, 100;w=86400",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset": "60",
    }
    lab.at(30_500)
    for _ in range(4):
        lab.check()
    refused = lab.check()
    assert refused.retry_after_s == 30  # 29.5 s until the first request leaves, rounded up
    headers = refused.headers()
    assert (headers["Retry-After"], headers["RateLimit-Remaining"], headers["RateLimit-Reset"]) == ("30", "0", "30")
    assert refused.window("hour").reset_after_s == 3570


def test_client_and_subject_ids() -> None:
    assert client_id(" 203.0.113.7 ") == "203.0.113.7"
    assert client_id("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_id("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_id("2001:db8:1:2:3:4:5:6", 128) == "2001:db8:1:2:3:4:5:6/128"
    assert client_id("") == "unknown"
    assert client_id("testclient") == "testclient"
    assert subject_id("42") == "42"
    digest = subject_id("x" * 65)
    assert digest.startswith("sha256-")
    assert len(digest) == 39
    assert subject_id("a b") != "a b"
    assert subject_id("a\nb").startswith("sha256-")


def test_an_invalid_ipv6_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="ipv6_prefix"):
        RateLimiter(ipv6_prefix=0)
