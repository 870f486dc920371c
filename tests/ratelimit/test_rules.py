"""The rate-limit table is the seed's (section 6.3), and each path maps to its most specific rule."""

from __future__ import annotations

from typing import Any

import pytest

from reviewlab.errors import ConfigError
from reviewlab.ratelimit import DEFAULT_RULES, Rule, RuleTable, Window, normalize_path, per

# The seed's table 6.3, as written there: pattern -> (per minute, per hour, per day).
SEED_TABLE = {
    "/auth/login": (5, 20, 100),
    "/auth/register": (3, 10, 50),
    "/api/analyze/*": (10, 100, 1000),
    "/api/*": (60, 1000, 10000),
}


def test_the_default_table_is_the_seeds() -> None:
    for pattern, limits in SEED_TABLE.items():
        rule = next(rule for rule in DEFAULT_RULES if pattern in rule.patterns)
        assert [(w.name, w.seconds, w.limit) for w in rule.windows] == [
            ("minute", 60, limits[0]),
            ("hour", 3600, limits[1]),
            ("day", 86400, limits[2]),
        ]
    assert {p for rule in DEFAULT_RULES for p in rule.patterns} == {
        *SEED_TABLE,
        "/api/auth/login",
        "/api/auth/register",
    }


def test_every_rule_has_a_key_safe_id_patterns_and_windows_shortest_first() -> None:
    assert [rule.id for rule in DEFAULT_RULES] == ["login", "register", "analyze", "api"]
    for rule in DEFAULT_RULES:
        assert ":" not in rule.id
        assert rule.patterns
        assert [w.seconds for w in rule.windows] == sorted(w.seconds for w in rule.windows)
        assert rule.longest_s == 86400
        assert DEFAULT_RULES[rule.id] is rule


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/api/auth/login", "login"),
        ("/auth/login", "login"),
        ("/api/auth/register", "register"),
        ("/auth/register", "register"),
        ("/api/analyze", "analyze"),
        ("/api/analyze/123", "analyze"),
        ("/api/analyze/123/stream", "analyze"),
        ("/api/analyzer", "api"),
        ("/api/projects", "api"),
        ("/api/projects/7/members", "api"),
        ("/api/auth/logout", "api"),
        ("/api/auth/login/extra", "api"),
        ("/api", "api"),
        # spelled differently, still the same rule
        ("/api/auth/login/", "login"),
        ("//api//auth/./login?next=/home", "login"),
        ("/api/projects/../auth/login", "login"),
        ("/api/auth/login#x", "login"),
        ("/api/analyze/../analyze/9/stream/", "analyze"),
        # not limited
        ("/health/live", None),
        ("/metrics", None),
        ("/", None),
        ("", None),
        ("/apix", None),
        ("/API/auth/login", None),  # the router is case-sensitive: no such route, no such rule
        ("/auth/login/x", None),
    ],
)
def test_the_most_specific_rule_applies(path: str, rule: str | None) -> None:
    matched = DEFAULT_RULES.match(path)
    assert (matched.id if matched else None) == rule


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("/", "/"),
        ("", "/"),
        ("/a/b/", "/a/b"),
        ("a/b", "/a/b"),
        ("//a///b", "/a/b"),
        ("/a/./b/.", "/a/b"),
        ("/a/../../b", "/b"),
        ("/a?x=/b", "/a"),
        ("/a#/b", "/a"),
        ("/a/%2e%2e/b", "/a/%2e%2e/b"),  # not decoded again: the router sees the same literal segment
    ],
)
def test_normalize_path(path: str, normal: str) -> None:
    assert normalize_path(path) == normal


def test_an_exact_pattern_beats_a_prefix_and_a_longer_prefix_beats_a_shorter() -> None:
    table = RuleTable(
        [
            Rule("all", ("/*",), per(minute=1, hour=2, day=3)),
            Rule("a", ("/a/*",), per(minute=1, hour=2, day=3)),
            Rule("ab", ("/a/b/*",), per(minute=1, hour=2, day=3)),
            Rule("ab-exact", ("/a/b",), per(minute=1, hour=2, day=3)),
        ]
    )
    assert {p: getattr(table.match(p), "id", None) for p in ("/", "/x", "/a", "/a/c", "/a/b", "/a/b/c")} == {
        "/": "all",
        "/x": "all",
        "/a": "a",
        "/a/c": "a",
        "/a/b": "ab-exact",
        "/a/b/c": "ab",
    }


def test_a_table_from_configuration_data() -> None:
    table = RuleTable.from_mapping(
        {
            "login": {"patterns": ["/api/auth/login"], "minute": 2, "day": 10},
            "burst": {"patterns": ["/api/search/*"], "second": 5, "minute": 100},
        }
    )
    login = table.match("/api/auth/login")
    assert login is not None
    assert login.windows == (Window("minute", 60, 2), Window("day", 86400, 10))
    burst = table.match("/api/search/q")
    assert burst is not None
    assert [(w.name, w.seconds) for w in burst.windows] == [("second", 1), ("minute", 60)]
    assert table.match("/api/projects") is None


def test_the_default_table_written_as_data_is_the_same_table() -> None:
    data: dict[str, dict[str, Any]] = {
        rule.id: {"patterns": list(rule.patterns)} | {w.name: w.limit for w in rule.windows} for rule in DEFAULT_RULES
    }
    assert list(RuleTable.from_mapping(data)) == list(DEFAULT_RULES)


WINDOWS = per(minute=1, hour=2, day=3)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Window("minute", 60, 0), "limit must be a whole number of at least 1"),
        (lambda: Window("minute", 0, 5), "seconds must be a whole number of at least 1"),
        (lambda: Window("minute", 60, 2.5), "limit must be a whole number"),  # type: ignore[arg-type]
        (lambda: Window("Minute:1", 60, 5), "window name"),
        (lambda: Rule("a:b", ("/a",), WINDOWS), "rule id"),
        (lambda: Rule("a", (), WINDOWS), "no path pattern"),
        (lambda: Rule("a", ("/a",), ()), "no window"),
        (lambda: Rule("a", ("/a",), (Window("m", 60, 1), Window("m", 120, 2))), "names a window twice"),
        (lambda: Rule("a", ("api/*",), WINDOWS), "must be /a/path or /a/prefix/*"),
        (lambda: Rule("a", ("/api*",), WINDOWS), "must be /a/path or /a/prefix/*"),
        (lambda: Rule("a", ("/api/*/x",), WINDOWS), "must be /a/path or /a/prefix/*"),
        (lambda: Rule("a", ("/api?x",), WINDOWS), "must be /a/path or /a/prefix/*"),
        (lambda: Rule("a", ("/api/",), WINDOWS), "is not normalised"),
        (lambda: Rule("a", ("/api//x/*",), WINDOWS), "is not normalised"),
        (lambda: RuleTable([Rule("a", ("/a",), WINDOWS), Rule("a", ("/b",), WINDOWS)]), "same id"),
        (lambda: RuleTable([Rule("a", ("/a/*",), WINDOWS), Rule("b", ("/a/*",), WINDOWS)]), "appears in rules"),
        (lambda: RuleTable.from_mapping({"a": {"patterns": "/a", "minute": 1}}), "must be a list of paths"),
        (lambda: RuleTable.from_mapping({"a": {"patterns": ["/a"], "week": 1}}), "unknown keys"),
        (lambda: RuleTable.from_mapping({"a": {"patterns": ["/a"]}}), "no window"),
    ],
)
def test_an_invalid_table_is_a_config_error(build: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build()
