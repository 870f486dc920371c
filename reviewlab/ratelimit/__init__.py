"""Rate limits as in the seed's table 6.3: per client IP and per user, per minute, hour and day.

The face calls one method per request and turns a refusal into ``429`` with ``Retry-After``::

    limiter = RateLimiter.from_settings(get_settings())   # Redis when REDIS_URL is set, else in-process
    decision = limiter.check(scope["path"], client_ip, user_id_or_none)
    if not decision.allowed:
        ...  # 429, headers=decision.headers()

Algorithm: a sliding-window *log* per subject, rule and window: the times of the requests it allowed.
A request is allowed when every window holds fewer than its limit of requests from the last
``window`` seconds. It is exact: no stretch of 60 seconds ever holds more than the per-minute limit,
so a burst at a window boundary cannot double the allowance (as it can with fixed windows, and as a
sliding-window *counter* still can, up to nearly twice the limit, because it assumes the previous
window's requests were spread evenly), and ``Retry-After`` is the moment the oldest counted request
leaves the window, to the second. The cost is memory proportional to the traffic allowed: at most the
limit per window (refused requests are not logged), about 11,000 timestamps a day for a client that
uses the whole ``/api/*`` allowance, and nothing for one that has been idle for a day.

Modules: :mod:`~reviewlab.ratelimit.rules` (the table, path matching), :mod:`~reviewlab.ratelimit.limiter`
(the limiter, subjects), :mod:`~reviewlab.ratelimit.decision` (the answer, headers),
:mod:`~reviewlab.ratelimit.memory` and :mod:`~reviewlab.ratelimit.redis_backend` (the two backends,
key layout, Redis outage fallback).
"""

from reviewlab.ratelimit.base import Backend, Counter, Outcome, Usage
from reviewlab.ratelimit.decision import Decision, WindowStatus
from reviewlab.ratelimit.limiter import RateLimiter, client_id
from reviewlab.ratelimit.memory import MemoryBackend
from reviewlab.ratelimit.redis_backend import RedisBackend
from reviewlab.ratelimit.rules import DEFAULT_RULES, Rule, RuleTable, Window, normalize_path, per

__all__ = [
    "DEFAULT_RULES",
    "Backend",
    "Counter",
    "Decision",
    "MemoryBackend",
    "Outcome",
    "RateLimiter",
    "RedisBackend",
    "Rule",
    "RuleTable",
    "Usage",
    "Window",
    "WindowStatus",
    "client_id",
    "normalize_path",
    "per",
]
