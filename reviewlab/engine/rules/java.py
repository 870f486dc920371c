"""java rule pack."""

from __future__ import annotations

from reviewlab.engine.rules.base import Rule

RULES: tuple[Rule, ...] = ()
