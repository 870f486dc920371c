"""The rule registry: every rule of every pack, by id.

A new rule is one ``Rule(...)`` in its language's pack module; a new pack is one module plus one
name in ``_PACKS``. ``tests/rules`` walks this registry: every rule has docs and a fixture. Packs are
imported when the registry is first read, so that the engine modules they use (the taint analysis)
can import ``rules.base`` and ``rules.pyhelpers`` without importing every pack.
"""

from __future__ import annotations

import importlib
from functools import cache

from reviewlab.engine.packversion import rule_pack_version
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, TextContext, TextHit

__all__ = [
    "Captures",
    "FileContext",
    "Hit",
    "Rule",
    "RuleDocs",
    "TextContext",
    "TextHit",
    "all_rules",
    "get_rule",
    "rule_pack_version",
]

_PACKS = (
    "pyinject",
    "python",
    "pycrypto",
    "pyflow",
    "pycookies",
    "pyshell",
    "pyquality",
    "pyperf",
    "pycosts",
    "pyuploads",
    "javascript",
    "java",
    "go",
    "jsunused",
    "jssmells",
    "jsconditions",
    "jsasync",
    "jsio",
    "jsperf",
    "javaquality",
    "javaunused",
    "javaresources",
    "javaperf",
    "javainvariants",
    "javaio",
    "goquality",
    "goerrors",
    "goresources",
    "goperf",
    "goio",
    "jsflow",
    "javaflow",
    "goflow",
    "secrets",
    "suppression",
    "thresholds",
    "project",
)


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, in a stable order."""
    rules: list[Rule] = []
    seen: set[str] = set()
    for name in _PACKS:
        pack = importlib.import_module(f"reviewlab.engine.rules.{name}")
        for rule in pack.RULES:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id}")
            seen.add(rule.id)
            rules.append(rule)
    return tuple(rules)


@cache
def _by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in all_rules()}


def get_rule(rule_id: str) -> Rule | None:
    return _by_id().get(rule_id)
