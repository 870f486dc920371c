"""The rate-limit table (the seed's section 6.3) and how a request path maps to one of its rules.

A :class:`Rule` has a stable id (it is part of the Redis keys), one or more path patterns and its
windows (a limit per window length). A pattern is either

* exact, ``/api/auth/login``: that path only; or
* a prefix ending in ``/*``, ``/api/analyze/*``: ``/api/analyze`` itself and every path below it,
  segment by segment (so ``/api/analyze/123/stream`` but not ``/api/analyzer``). ``/*`` is every path.

How :meth:`RuleTable.match` maps a path to a rule:

1. The path is normalised: query and fragment dropped, empty and ``.`` segments removed, ``..``
   resolved, the trailing slash dropped (``//api/auth/./login/?next=x`` -> ``/api/auth/login``), so
   spelling a path differently does not escape its rule. Case is kept (the router is case-sensitive).
   Pass the decoded path, ASGI's ``scope["path"]``; it is not percent-decoded a second time.
2. An exact pattern equal to the path wins.
3. Otherwise the prefix pattern with the most segments that contains the path wins: the most specific
   rule applies, and only that one (an analysis request counts against ``analyze``, not also ``api``).
4. No pattern matches: the path is not limited (``/health/live``, ``/metrics``).

:data:`DEFAULT_RULES` is the seed's table. The API mounts the auth routes under ``/api/auth/``, so the
``login`` and ``register`` rules match both the seed's paths and the mounted ones. Another table is
built in code (``RuleTable([Rule(...), ...])``) or from configuration data (:meth:`RuleTable.from_mapping`);
invalid tables raise :class:`~reviewlab.errors.ConfigError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reviewlab.errors import ConfigError

WINDOW_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` requests in any ``seconds``-long stretch of time (a sliding window)."""

    name: str
    seconds: int
    limit: int

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(f"window name {self.name!r} must be lower-case letters, digits, '_' or '-'")
        if type(self.seconds) is not int or self.seconds < 1:
            raise ConfigError(f"window {self.name!r}: seconds must be a whole number of at least 1")
        if type(self.limit) is not int or self.limit < 1:
            raise ConfigError(f"window {self.name!r}: limit must be a whole number of at least 1")


def per(*, minute: int, hour: int, day: int) -> tuple[Window, ...]:
    """The seed's three windows: per minute, per hour and per day."""
    return (Window("minute", 60, minute), Window("hour", 3600, hour), Window("day", 86400, day))


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: an id, the paths it covers and its windows (shortest first)."""

    id: str
    patterns: tuple[str, ...]
    windows: tuple[Window, ...]

    def __post_init__(self) -> None:
        if not _NAME.match(self.id):
            raise ConfigError(f"rule id {self.id!r} must be lower-case letters, digits, '_' or '-'")
        if not self.patterns:
            raise ConfigError(f"rule {self.id!r} has no path pattern")
        for pattern in self.patterns:
            _check_pattern(self.id, pattern)
        if not self.windows:
            raise ConfigError(f"rule {self.id!r} has no window")
        if len({w.name for w in self.windows}) != len(self.windows):
            raise ConfigError(f"rule {self.id!r} names a window twice")
        object.__setattr__(self, "windows", tuple(sorted(self.windows, key=lambda w: w.seconds)))

    @property
    def longest_s(self) -> int:
        """The longest window, in seconds: how long a request is remembered."""
        return self.windows[-1].seconds


def normalize_path(path: str) -> str:
    """``path`` without query, fragment, empty or dot segments and trailing slash; ``/`` for the root."""
    path = path.partition("?")[0].partition("#")[0]
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def _check_pattern(rule_id: str, pattern: str) -> None:
    body = pattern[:-2] if pattern.endswith("/*") else pattern
    if not pattern.startswith("/") or "*" in body or "?" in body or "#" in body:
        raise ConfigError(f"rule {rule_id!r}: pattern {pattern!r} must be /a/path or /a/prefix/*")
    if body and normalize_path(body) != body:
        raise ConfigError(f"rule {rule_id!r}: pattern {pattern!r} is not normalised (write {normalize_path(body)!r})")


class RuleTable:
    """The rules, and the most specific one for a path (see the module's documentation)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules = tuple(rules)
        self._exact: dict[str, Rule] = {}
        self._prefix: dict[str, Rule] = {}  # "/api/analyze/*" -> "/api/analyze", "/*" -> ""
        if len({rule.id for rule in self._rules}) != len(self._rules):
            raise ConfigError("two rate-limit rules have the same id")
        for rule in self._rules:
            for pattern in rule.patterns:
                table, key = (self._prefix, pattern[:-2]) if pattern.endswith("/*") else (self._exact, pattern)
                if key in table:
                    raise ConfigError(f"pattern {pattern!r} appears in rules {table[key].id!r} and {rule.id!r}")
                table[key] = rule

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, Any]]) -> RuleTable:
        """A table from configuration data (JSON, TOML, YAML), one entry per rule id::

        {"login": {"patterns": ["/auth/login", "/api/auth/login"], "minute": 5, "hour": 20, "day": 100}}

        Window keys are ``second``, ``minute``, ``hour`` and ``day``; at least one is needed.
        """
        rules = []
        for rule_id, entry in data.items():
            unknown = set(entry) - {"patterns", *WINDOW_SECONDS}
            if unknown:
                raise ConfigError(f"rate-limit rule {rule_id!r}: unknown keys {sorted(unknown)}")
            patterns = entry.get("patterns")
            if not isinstance(patterns, list | tuple) or not all(isinstance(p, str) for p in patterns):
                raise ConfigError(f"rate-limit rule {rule_id!r}: 'patterns' must be a list of paths")
            windows = tuple(
                Window(name, seconds, entry[name]) for name, seconds in WINDOW_SECONDS.items() if name in entry
            )
            rules.append(Rule(rule_id, tuple(patterns), windows))
        return cls(rules)

    def match(self, path: str) -> Rule | None:
        """The most specific rule covering ``path``, or None when the path is not limited."""
        normalized = normalize_path(path)
        rule = self._exact.get(normalized)
        if rule is not None:
            return rule
        candidate = "" if normalized == "/" else normalized
        while True:
            rule = self._prefix.get(candidate)
            if rule is not None or not candidate:
                return rule
            candidate = candidate[: candidate.rfind("/")]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __getitem__(self, rule_id: str) -> Rule:
        for rule in self._rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


DEFAULT_RULES = RuleTable(
    (
        Rule("login", ("/auth/login", "/api/auth/login"), per(minute=5, hour=20, day=100)),
        Rule("register", ("/auth/register", "/api/auth/register"), per(minute=3, hour=10, day=50)),
        Rule("analyze", ("/api/analyze/*",), per(minute=10, hour=100, day=1000)),
        Rule("api", ("/api/*",), per(minute=60, hour=1000, day=10000)),
    )
)
