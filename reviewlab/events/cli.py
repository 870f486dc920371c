"""``reviewlab events``: add a webhook subscription, and deliver (read the bus, send what is due)."""

from __future__ import annotations

import argparse
from typing import Any

from reviewlab.events.bus import default_bus
from reviewlab.events.model import EVENT_TYPES
from reviewlab.events.notifications import EmailNotifications
from reviewlab.events.webhooks import default_consumer, drain, new_secret, subscribe
from reviewlab.security.crypto import SecretBox
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.failures import store_errors


def add_events_parser(commands: Any) -> None:
    """Register ``reviewlab events`` on the command line's subcommands."""
    events = commands.add_parser("events", help="domain events and their signed webhooks")
    sub = events.add_subparsers(dest="events_command", required=True, parser_class=type(events))

    deliver = sub.add_parser(
        "deliver", help="turn the bus's new events into webhook deliveries and email notifications, send the due ones"
    )
    deliver.add_argument(
        "--consumer",
        help="consumer name in the bus's 'webhooks' and 'notifications' groups (default: HOST-deliverer; stable)",
    )
    deliver.set_defaults(handler=cmd_events_deliver)

    add = sub.add_parser("subscribe", help="add a webhook subscription; prints its id and secret")
    add.add_argument("url", help="http(s) URL receiving the POSTs")
    add.add_argument(
        "--type", action="append", default=[], choices=sorted(EVENT_TYPES), help="an event type (repeat; default: all)"
    )
    add.add_argument("--description")
    add.set_defaults(handler=cmd_events_subscribe)


def _engine(settings: Settings) -> Any:
    engine = create_engine(settings.sqlalchemy_url)
    with store_errors(engine.url, "migrating the schema"):
        migrate.upgrade(translated(engine))
    return engine


def cmd_events_deliver(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    bus = default_bus(settings.redis_url)
    consumer = args.consumer or default_consumer()
    try:
        report = drain(engine, bus, box=SecretBox.from_settings(settings), consumer=consumer)
        mailed, left = EmailNotifications.from_settings(engine, bus, settings, consumer=consumer).drain()
    finally:
        engine.dispose()
    print(report.summary())
    print(f"notifications: {mailed} events handled, {left} left for the next pass")
    return 0


def cmd_events_subscribe(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    secret = new_secret()
    try:
        webhook = subscribe(
            engine, args.url, secret, args.type, box=SecretBox.from_settings(settings), description=args.description
        )
    finally:
        engine.dispose()
    print(f"webhook {webhook.id} -> {webhook.url} ({', '.join(webhook.event_types) or 'every event type'})")
    print(f"secret (shown once; verify X-Reviewlab-Signature with it): {secret}")
    return 0
