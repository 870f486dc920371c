"""The orchestrator's parts built from the settings: what ``Orchestrator.from_settings`` runs on.

:func:`from_settings` builds the providers of the enabled chain (a cloud one only when its key is set; one
that cannot be set up, for a missing optional dependency or no model directory, becomes an
:class:`UnavailableProvider` that is reported in every failure rather than hidden), one Redis client for
the response cache and the cost ledger when ``REDIS_URL`` is set and the configuration does not say
otherwise, and the router with each provider's default model.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    Health,
    Provider,
    ProviderError,
    ProviderKind,
    ProviderUnavailable,
    estimate_tokens,
)
from reviewlab.ai.cache import RedisCache, ResponseCache
from reviewlab.ai.config import PROVIDERS, AIConfig
from reviewlab.ai.costs import Ledger, RedisLedger
from reviewlab.ai.routing import Router
from reviewlab.errors import SettingsError

if TYPE_CHECKING:
    import redis

    from reviewlab.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Setup:
    """What an orchestrator is built from; ``closers`` release what was opened (the Redis connection pool)."""

    providers: tuple[Provider, ...]
    cache: ResponseCache | None  # None: the orchestrator's in-process default
    ledger: Ledger | None  # None: the orchestrator's in-process default
    router: Router
    closers: tuple[Callable[[], None], ...]


class UnavailableProvider:
    """Stands in for a provider that could not be built (a missing optional dependency, no model directory)."""

    def __init__(self, name: str, kind: ProviderKind, reason: str) -> None:
        self.name = name
        self.kind = kind
        self.reason = reason

    def chat(self, request: ChatRequest, model: str) -> Completion:
        raise ProviderUnavailable(self.name, self.reason)

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        raise ProviderUnavailable(self.name, self.reason)

    def health(self) -> Health:
        return Health(self.name, ok=False, latency_s=0.0, detail=self.reason)

    def count_tokens(self, text: str, model: str) -> int:
        return estimate_tokens(text)


def from_settings(settings: Settings, config: AIConfig) -> Setup:
    """The providers the settings allow (cloud ones only with a key), with Redis behind the cache and the
    ledger when ``REDIS_URL`` is set (and the configuration does not say otherwise)."""
    providers = build_providers(settings, config)
    client = redis_client(settings.redis_url, config)
    cache: ResponseCache | None = None
    ledger: Ledger | None = None
    if client is not None and config.cache.backend in ("auto", "redis"):
        cache = RedisCache(client, ttl_s=config.cache.ttl_s, key_prefix=config.cache.key_prefix)
    if client is not None and config.costs.backend in ("auto", "redis"):
        ledger = RedisLedger(client, key_prefix=config.costs.key_prefix, retention_days=config.costs.retention_days)
    ollama = config.provider("ollama").default_model or settings.ollama_model
    defaults = {n: c.default_model for n, c in config.providers.items() if c.default_model} | {"ollama": ollama}
    router = Router(config.routing, provider_defaults=defaults)
    closers = (client.close,) if client is not None else ()
    return Setup(tuple(providers), cache, ledger, router, closers)


def build_providers(settings: Settings, config: AIConfig) -> list[Provider]:
    """One provider per name of the enabled chain, in chain order; a cloud one is left out without its key."""
    providers: list[Provider] = []
    for name in config.enabled_chain():
        spec = PROVIDERS[name]
        if spec.key_setting is not None and not _has_secret(getattr(settings, spec.key_setting, None)):
            continue
        try:
            module = importlib.import_module(spec.module)
            providers.append(getattr(module, spec.class_name).from_settings(settings))
        except ProviderError as err:  # not configured (no model directory, ...)
            providers.append(UnavailableProvider(name, spec.kind, err.message))
        except ImportError as err:  # an optional dependency is not installed
            log.warning("AI provider %s cannot be loaded: %s", name, err)
            providers.append(UnavailableProvider(name, spec.kind, f"cannot be loaded: {err}"))
    return providers


def redis_client(url: str | None, config: AIConfig) -> redis.Redis | None:
    """One Redis client for the cache and the ledger, when a URL is set and either wants Redis."""
    wants = [config.cache.backend, config.costs.backend]
    if not url:
        if "redis" in wants:
            raise SettingsError('[reviewlab.ai] asks for the "redis" backend but REDIS_URL is not set')
        return None
    if not {"auto", "redis"} & set(wants):
        return None
    try:
        import redis
    except ImportError as err:
        if "redis" in wants:
            raise SettingsError("REDIS_URL is set but the redis client is not installed") from err
        log.warning("REDIS_URL is set but the redis client is not installed; AI cache and costs stay in-process")
        return None
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    t = config.redis_timeout_s
    # One immediate retry (a pooled connection the server closed), no backoff: the cache and the ledger
    # degrade on their own when Redis is down, and a call must not wait seconds for it.
    return redis.Redis.from_url(
        url, socket_timeout=t, socket_connect_timeout=t, health_check_interval=30, retry=Retry(NoBackoff(), 1)
    )


def _has_secret(value: object) -> bool:
    secret = getattr(value, "get_secret_value", None)
    return bool(secret().strip()) if callable(secret) else bool(value)
