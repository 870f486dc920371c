"""``reviewlab events``: add a webhook subscription; ``deliver`` runs one pass of every event consumer (webhooks,
notifications, audit, metrics), ``run`` runs passes until SIGTERM or Ctrl-C; ``dead-letters`` lists the messages
the consumers gave up on and ``replay`` publishes them again."""

from __future__ import annotations

import argparse
import json
import signal
from types import FrameType
from typing import Any

from reviewlab.errors import ReviewlabError
from reviewlab.events.bus import bus_address, default_bus
from reviewlab.events.consumers import EventConsumers, process_consumer
from reviewlab.events.deadletters import DeadLetter, dead_letters, replay
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

    listing = sub.add_parser("dead-letters", help="list the messages the event consumers gave up on")
    listing.add_argument("--group", help="one consumer group (audit, metrics, notifications)")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=cmd_events_dead_letters)

    again = sub.add_parser("replay", help="publish dead letters' events again (same event ids) and mark them replayed")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="a dead letter id (from `reviewlab events dead-letters`)")
    which.add_argument("--all", action="store_true", help="every dead letter not replayed yet")
    again.add_argument("--group", help="only dead letters of this consumer group")
    again.set_defaults(handler=cmd_events_replay)


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


def cmd_events_dead_letters(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    try:
        found = dead_letters(engine, group=args.group)
    finally:
        engine.dispose()
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in found], indent=2))
        return 0
    if not found:
        print("no dead letters")
    for d in found:
        print(_line(d))
    return 0


def _line(d: DeadLetter) -> str:
    replayed = "not replayed" if d.replayed_at is None else f"replayed {d.replayed_at.isoformat()}"
    return (
        f"{d.id}  {d.group}  {d.event_type} {d.event_id}  given up {d.given_up_at.isoformat()} after "
        f"{d.deliveries} deliveries, {replayed}: {d.last_error}"
    )


def cmd_events_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Publish the dead letters' events on the settings' bus. Without Redis or Kafka that bus lives in this
    process only, so one pass of the consumers runs here before exiting (as ``deliver``)."""
    engine = _engine(settings)
    address = bus_address(settings)
    bus = default_bus(address)
    try:
        replayed = replay(engine, bus, None if args.all else [args.id], group=args.group)
        for d in replayed:
            print(f"replayed {d.id}: {d.event_type} event {d.event_id} (given up by {d.group})")
        if not replayed:
            print("nothing to replay")
        if address is not None or not replayed:
            return 0
        report = EventConsumers.from_settings(engine, settings, bus=bus, consumer=default_consumer()).run_pass()
    finally:
        engine.dispose()
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0
