"""Domain events on one bus, and the signed webhooks that consume them.

- ``model``: ``DomainEvent`` (a frozen dataclass, JSON round trip) and its constructors.
- ``bus``: the ``EventBus`` protocol, ``RedisStreamsBus`` (the default when ``REDIS_URL`` is set) and
  ``InProcessBus``; ``default_bus`` and ``publish_safely`` (a publishing failure is logged, never raised).
- ``kafka``: ``KafkaBus``, the bus on Kafka when ``KAFKA_BOOTSTRAP_SERVERS`` is set (the ``kafka`` extra).
- ``webhooks``: subscriptions and deliveries (``production.webhooks``, ``production.webhook_deliveries``), the
  fan-out consumer, HMAC-SHA256 signing and the deliverer with exponential backoff.
"""

from __future__ import annotations

from reviewlab.events.bus import EventBus, InProcessBus, Message, RedisStreamsBus, default_bus, publish_safely
from reviewlab.events.model import EVENT_TYPES, DomainEvent

__all__ = [
    "EVENT_TYPES",
    "DomainEvent",
    "EventBus",
    "InProcessBus",
    "Message",
    "RedisStreamsBus",
    "default_bus",
    "publish_safely",
]
