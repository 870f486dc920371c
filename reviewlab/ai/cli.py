"""The command line's AI parts: ``reviewlab review --ai`` and ``reviewlab providers``.

Kept apart from ``reviewlab.cli`` so that a review without ``--ai`` never imports the orchestrator, its SDKs
or the chunker.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from reviewlab.engine.config import ReviewConfig, discover_config, load_config
from reviewlab.engine.gitdiff import ChangedLines
from reviewlab.engine.model import ReviewResult
from reviewlab.settings import Settings


def add_review(
    result: ReviewResult,
    root: Path,
    config: ReviewConfig,
    settings: Settings,
    *,
    changed: ChangedLines | None = None,
    prefix: str = "",
) -> None:
    """Run the AI review over a finished static review of ``root`` and say on stderr what it did.

    With ``changed`` (a ``--diff`` review), only the hunks of the change are sent; ``prefix`` is the reviewed
    directory relative to the repository root, as ``gitdiff.restrict`` takes it."""
    from reviewlab.ai.run import add_ai_review

    lines = None if changed is None else _relative(changed, prefix)
    add_ai_review(result, root, config, settings, changed=lines)
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    ai = result.ai or {}
    if ai.get("unavailable_reason"):
        err.print(f"AI review unavailable: {ai['unavailable_reason']}; the static review is complete")
        return
    totals = ai.get("totals", {})
    err.print(
        f"AI review {ai.get('status')}: {ai.get('findings_count', 0)} finding(s) from {ai.get('chunks_sent', 0)} "
        f"chunk(s); {totals.get('input_tokens', 0)} in / {totals.get('output_tokens', 0)} out tokens, "
        f"{totals.get('latency_s', 0):.2f} s, ${totals.get('cost_usd', 0):.4f}"
    )


def _relative(changed: ChangedLines, prefix: str) -> dict[str, set[int]]:
    """The changed lines by path relative to the reviewed directory (the paths of the review's files)."""
    if not prefix:
        return dict(changed.files)
    head = prefix.rstrip("/") + "/"
    return {path[len(head) :]: lines for path, lines in changed.files.items() if path.startswith(head)}


def add_providers_parser(commands: Any) -> None:
    """Register ``reviewlab providers`` on the command line's subcommands."""
    providers = commands.add_parser("providers", help="AI providers: health, circuit state, today's usage and cost")
    providers.add_argument("--format", choices=["text", "json"], default="text")
    providers.add_argument("--config", type=Path, help="configuration file (default: ./.reviewlab.toml)")
    providers.set_defaults(handler=cmd_providers)


def cmd_providers(args: argparse.Namespace, settings: Settings) -> int:
    """Check every configured provider once and show its health, circuit and costs so far today."""
    from reviewlab.ai.orchestrator import Orchestrator

    config = load_config(args.config) if args.config else discover_config(Path.cwd())
    ai_config, _ = config.ai_settings()
    with Orchestrator.from_settings(settings, ai_config) as orchestrator:
        statuses = orchestrator.health()
    rows = [_status_dict(status) for status in statuses]
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    table = Table(title="AI providers (in fallback order)", title_justify="left")
    for column in ("Provider", "Kind", "Health", "Latency", "Circuit", "Models", "Today"):
        table.add_column(column)
    for row in rows:
        usage = row["usage"]
        today = row["usage_error"] or (
            f"{usage['calls']} calls, {usage['input_tokens']}/{usage['output_tokens']} tokens, ${usage['cost_usd']:.4f}"
        )
        table.add_row(
            row["name"],
            row["kind"],
            "ok" if row["ok"] else f"down: {row['detail']}",
            f"{row['latency_s'] * 1000:.0f} ms",
            row["circuit"] + (f" ({row['failures']} failures)" if row["failures"] else ""),
            ", ".join(row["models"][:4]) + (" ..." if len(row["models"]) > 4 else ""),
            today,
        )
    Console(highlight=False, soft_wrap=True).print(table)
    return 0


def _status_dict(status: Any) -> dict[str, Any]:
    usage = status.usage
    return {
        "name": status.name,
        "kind": status.kind.value,
        "ok": status.health.ok,
        "latency_s": round(status.health.latency_s, 6),
        "detail": status.health.detail,
        "models": list(status.health.models),
        "circuit": status.breaker.value,
        "failures": status.failures,
        "retry_in_s": round(status.retry_in_s, 3),
        "usage": None
        if usage is None
        else {
            "calls": usage.calls,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": round(usage.cost_usd, 6),
            "cached_calls": usage.cached_calls,
        },
        "usage_error": status.usage_error,
    }
