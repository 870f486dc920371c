"""Facts: what the analysis of one file keeps besides its findings, as JSON-compatible data.

A fact is computed in the worker that parsed the file, cached with the file's findings, and read
in the parent once every file is analysed: ``metrics`` are stored with the review (and feed the
quality gate's complexity limit), ``imports`` build the module graph and ``clones`` (token sequences)
find duplicated code across files (``reviewlab.engine.crossfile``). A review gathers every fact some
enabled part of it needs and no other.
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


def _imports(ctx: FileContext) -> dict[str, Any]:
    from reviewlab.engine.architecture import module_facts

    return module_facts(ctx.path, ctx.language, ctx.tree, ctx.source)


def _clones(ctx: FileContext) -> dict[str, Any]:
    from reviewlab.engine.clones import clone_facts

    return clone_facts(ctx.tree, ctx.source, ctx.language)


FACTS: dict[str, Callable[[FileContext], dict[str, Any]]] = {
    "metrics": _metrics,
    "imports": _imports,
    "clones": _clones,
}


def facts_for(config: ReviewConfig, rules: Sequence[Rule]) -> tuple[str, ...]:
    """The facts a review with ``config`` and its enabled ``rules`` gathers from each parsed file."""
    enabled = {rule.id for rule in rules}
    wanted: list[str] = []
    if config.metrics:
        wanted.append("metrics")
    if any(rule_id.startswith("GEN-A") for rule_id in enabled):
        wanted.append("imports")
    if "GEN-Q002" in enabled:
        wanted.append("clones")
    return tuple(wanted)
