"""``reviewlab events``: add a webhook subscription; ``deliver`` runs one pass of every event consumer (webhooks,
notifications, audit, metrics), ``run`` runs passes until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
from types import FrameType
from typing import Any

from reviewlab.errors import ReviewlabError
from reviewlab.events.consumers import EventConsumers, process_consumer
from reviewlab.events.model import EVENT_TYPES
from reviewlab.events.webhooks import default_consumer, new_secret, subscribe
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
        "deliver",
        help="one pass of the event consumers: webhooks (sending the due deliveries), notifications, audit, metrics",
    )
    deliver.add_argument(
        "--consumer", help="consumer name in the bus's consumer groups (default: HOST-deliverer; stable)"
    )
    deliver.set_defaults(handler=cmd_events_deliver)

    run = sub.add_parser("run", help="run the event consumers every --interval seconds until SIGTERM or Ctrl-C")
    run.add_argument("--interval", type=float, help="seconds between passes (default: REVIEWLAB_EVENTS_INTERVAL)")
    run.add_argument("--consumer", help="consumer name in the bus's consumer groups (default: HOST-PID)")
    run.set_defaults(handler=cmd_events_run)

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
    try:
        report = EventConsumers.from_settings(engine, settings, consumer=args.consumer or default_consumer()).run_pass()
    finally:
        engine.dispose()
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def cmd_events_run(args: argparse.Namespace, settings: Settings) -> int:
    interval = args.interval if args.interval is not None else settings.reviewlab_events_interval
    if interval <= 0:
        raise ReviewlabError("--interval must be positive")
    from reviewlab.observability.logs import configure_logging

    configure_logging(settings.reviewlab_log_format)
    engine = _engine(settings)
    consumers = EventConsumers.from_settings(engine, settings, consumer=args.consumer or process_consumer())

    def stop(signum: int, frame: FrameType | None) -> None:
        consumers.stop()

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    print(f"reviewlab events: consumer {consumers.consumer}, a pass every {interval:g} s", flush=True)
    try:
        consumers.run(interval, at_once=True)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        engine.dispose()
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
