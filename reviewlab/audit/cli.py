"""``reviewlab audit verify``: walk the audit chain of the configured database."""

from __future__ import annotations

import argparse
from typing import Any

from reviewlab.audit.log import verify
from reviewlab.audit.seal import ChainSeal
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.failures import store_errors


def add_audit_parser(commands: Any) -> None:
    """Register ``reviewlab audit verify`` on the command line's subcommands."""
    audit = commands.add_parser("audit", help="the hash-chained audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, parser_class=type(audit))
    check = audit_commands.add_parser("verify", help="check that no audit row was edited, deleted or reordered")
    check.add_argument(
        "--expected-head", metavar="HASH", help="a row hash kept elsewhere as well: it must be in the chain"
    )
    check.set_defaults(handler=cmd_audit_verify)


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Print the chain's state against its anchor; 0 when intact, 1 when tampered (``args.expected_head`` optional)."""
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with store_errors(engine.url, "migrating the schema"):
            migrate.upgrade(translated(engine))
        result = verify(engine, seal=ChainSeal.from_settings(settings), expected_head=args.expected_head)
    finally:
        engine.dispose()
    if result.ok:
        print(f"audit log intact: {result.rows_checked} rows, head {result.head_id} {result.head_hash}")
        return 0
    print(f"audit log TAMPERED ({result.problem}): {result.message}")
    print(f"intact before it: {result.rows_checked} rows, last good {result.head_id} {result.head_hash}")
    return 1
