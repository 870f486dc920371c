"""``reviewlab scan add|list|run``: register repositories for scheduled scans, list them, scan one now."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from reviewlab.settings import Settings


def add_scan_parser(commands: Any) -> None:
    """Register ``reviewlab scan`` on the command line's subcommands."""
    scan = commands.add_parser("scan", help="repositories under scheduled review")
    scan_commands = scan.add_subparsers(dest="scan_command", required=True, parser_class=type(scan))
    add = scan_commands.add_parser("add", help="register a repository (a git URL or a path on this server)")
    add.add_argument("repo", help="git URL (https, ssh, git) or local repository path")
    add.add_argument("--name", help="project name (default: the repository's name)")
    add.add_argument("--branch", default="main", help="branch to scan (default: main)")
    add.add_argument("--owner", metavar="EMAIL", help="the project's owner (default: the first active admin)")
    add.set_defaults(handler=cmd_scan_add)
    listing = scan_commands.add_parser("list", help="the registered repositories and their last scan")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.set_defaults(handler=cmd_scan_list)
    run = scan_commands.add_parser("run", help="scan one repository now; exit 1 when the scan fails")
    run.add_argument("target", metavar="PROJECT_ID_OR_NAME")
    run.add_argument("--ref", help="branch, tag or commit to scan (default: the registered branch)")
    run.set_defaults(handler=cmd_scan_run)


@contextmanager
def _migrated(settings: Settings) -> Iterator[Engine]:
    from reviewlab.store import migrate
    from reviewlab.store.connect import create_engine, translated
    from reviewlab.store.failures import store_errors

    engine = create_engine(settings.sqlalchemy_url)
    try:
        with store_errors(engine.url, "migrating the schema"):
            migrate.upgrade(translated(engine))
        yield engine
    finally:
        engine.dispose()


def cmd_scan_add(args: argparse.Namespace, settings: Settings) -> int:
    """Register ``args.repo`` (a relative path is taken from the current directory)."""
    from reviewlab.scans.targets import register_repository

    repo: str = args.repo
    if "://" not in repo and not repo.startswith("/") and Path(repo).is_dir():
        repo = str(Path(repo).resolve())
    with _migrated(settings) as engine:
        target = register_repository(engine, repo, name=args.name, branch=args.branch, owner_email=args.owner)
    print(f"registered {target.name} ({target.project_id}): {target.repo_url} branch {target.branch}")
    return 0


def cmd_scan_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every target with its last scanned commit and time."""
    from reviewlab.scans.run import last_scan
    from reviewlab.scans.targets import scan_targets

    rows: list[dict[str, Any]] = []
    with _migrated(settings) as engine:
        for target in scan_targets(engine):
            # By project, as the sensor and the freshness check look: a Dagster scan pins the snapshot's commit,
            # so its recorded ref is that commit, not the branch.
            version = last_scan(engine, target.project_id)
            rows.append(
                {
                    "project_id": target.project_id,
                    "name": target.name,
                    "repo_url": target.repo_url,
                    "branch": target.branch,
                    "last_ref": None if version is None else version.ref,
                    "last_commit": None if version is None else version.commit,
                    "last_scanned_at": None if version is None else version.created_at.isoformat(),
                    "last_session_id": None if version is None else version.session_id,
                }
            )
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no repositories registered; add one with `reviewlab scan add REPO`")
    for row in rows:
        last = f"{row['last_commit'][:12]} at {row['last_scanned_at']}" if row["last_commit"] else "never scanned"
        print(f"{row['project_id']}  {row['name']}  {row['repo_url']}  {row['branch']}  {last}")
    return 0


def cmd_scan_run(args: argparse.Namespace, settings: Settings) -> int:
    """Scan one target now and print the summary; 1 when the scan did not complete."""
    from reviewlab.scans.run import run_scan
    from reviewlab.scans.targets import find_target

    with _migrated(settings) as engine:
        target = find_target(engine, args.target)
        outcome = run_scan(settings, target, ref=args.ref, trigger="manual", engine=engine)
    counts = ", ".join(f"{n} {s}" for s, n in outcome.counts_by_severity.items() if n) or "none"
    print(f"scan {outcome.session_id} of {target.name} at {outcome.ref}: {outcome.status.value}")
    if not outcome.ok:
        print(f"error: {outcome.error}")
        return 1
    print(f"commit {outcome.commit}; {len(outcome.findings)} findings ({counts}) in {outcome.duration_seconds:.1f} s")
    if outcome.gate_passed is not None:
        print(f"quality gate: {'passed' if outcome.gate_passed else 'FAILED'}")
    return 0
