"""Facts: what the analysis of one file keeps besides its findings, as JSON-compatible data.

A fact is computed in the worker that parsed the file, cached with the file's findings, and read
in the parent once every file is analysed: ``metrics`` are stored with the review (and feed the
quality gate's complexity limit). A review gathers every fact some enabled part of it needs and no
other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewlab.engine.config import ReviewConfig
    from reviewlab.engine.rules.base import FileContext, Rule


def _metrics(ctx: FileContext) -> dict[str, Any]:
    from reviewlab.engine.rules.thresholds import metrics_of

    return metrics_of(ctx)[0].to_dict()


FACTS: dict[str, Callable[[FileContext], dict[str, Any]]] = {"metrics": _metrics}


def facts_for(config: ReviewConfig, rules: Sequence[Rule]) -> tuple[str, ...]:
    """The facts a review with ``config`` and its enabled ``rules`` gathers from each parsed file."""
    return ("metrics",) if config.metrics else ()
