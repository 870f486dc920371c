"""The response cache (the seed's L3: AI model responses, 24 h TTL, ``model:{hash}`` keys).

A key is the SHA-256 of the provider, the model, the prompt version and the whole request that shapes
the answer (messages, JSON schema, max_tokens, temperature, stop sequences; not the timeout). A hit
is returned with ``cached=True`` and the original token counts; it costs nothing.

:class:`MemoryCache` is in-process (thread-safe, TTL, least-recently-used bound). :class:`RedisCache`
shares answers between processes; a Redis outage degrades it to no caching with a logged warning (once
a minute) and it stops asking Redis for ``outage_backoff_s`` so a dead server does not add a connect
timeout to every call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from reviewlab.ai.base import ChatRequest, Completion

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class ResponseCache(Protocol):
    """Where answers are kept. Neither method raises for the store being unreachable."""

    def get_many(self, keys: Sequence[str]) -> list[Completion | None]:
        """The cached answers of ``keys`` (None for a miss), in order."""
        ...

    def put(self, key: str, completion: Completion) -> None: ...


def request_digest(request: ChatRequest) -> str:
    """A digest of everything in ``request`` that shapes the answer (computed once per call)."""
    material = json.dumps(
        [
            [[m.role, m.content] for m in request.messages],
            request.json_schema,
            request.max_tokens,
            request.temperature,
            list(request.stop),
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def cache_key(provider: str, model: str, prompt_version: str, digest: str) -> str:
    """The cache key of one (provider, model, prompt version, request digest)."""
    return hashlib.sha256(f"{provider}\x1f{model}\x1f{prompt_version}\x1f{digest}".encode()).hexdigest()


def _encode(completion: Completion) -> str:
    return json.dumps(
        {
            "text": completion.text,
            "provider": completion.provider,
            "model": completion.model,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "latency_s": completion.latency_s,
            "finish_reason": completion.finish_reason,
        },
        separators=(",", ":"),
    )


def _decode(raw: str | bytes) -> Completion:
    data = json.loads(raw)
    return Completion(
        text=str(data["text"]),
        provider=str(data["provider"]),
        model=str(data["model"]),
        input_tokens=int(data["input_tokens"]),
        output_tokens=int(data["output_tokens"]),
        latency_s=float(data["latency_s"]),
        cached=True,
        finish_reason=data.get("finish_reason"),
    )


class NullCache:
    """No caching (``backend = "off"``)."""

    def get_many(self, keys: Sequence[str]) -> list[Completion | None]:
        return [None] * len(keys)

    def put(self, key: str, completion: Completion) -> None:
        return None


class MemoryCache:
    """In-process answers with a TTL, at most ``max_entries`` of them (the least recently used go first)."""

    def __init__(self, *, ttl_s: float = 86400.0, max_entries: int = 4096, clock: Clock = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Completion]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: Sequence[str]) -> list[Completion | None]:
        now = self._clock()
        found: list[Completion | None] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is None:
                    found.append(None)
                elif entry[0] <= now:
                    del self._entries[key]
                    found.append(None)
                else:
                    self._entries.move_to_end(key)
                    found.append(entry[1])
        return found

    def put(self, key: str, completion: Completion) -> None:
        if not completion.cached:
            completion = Completion(
                completion.text,
                completion.provider,
                completion.model,
                completion.input_tokens,
                completion.output_tokens,
                completion.latency_s,
                True,
                completion.finish_reason,
            )
        expires = self._clock() + self._ttl_s
        with self._lock:
            self._entries[key] = (expires, completion)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


class RedisCache:
    """Answers in Redis under ``{key_prefix}{hash}`` with the TTL; a Redis outage means no caching, not a failure."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        ttl_s: float = 86400.0,
        key_prefix: str = "model:",
        outage_backoff_s: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = max(1, round(ttl_s))
        self._prefix = key_prefix
        self._backoff_s = outage_backoff_s
        self._clock = clock
        self._down_until = float("-inf")
        self._warned_at = float("-inf")

    def get_many(self, keys: Sequence[str]) -> list[Completion | None]:
        import redis

        if not keys or self._clock() < self._down_until:
            return [None] * len(keys)
        try:
            raw = self._client.mget([self._prefix + key for key in keys])
        except redis.RedisError as err:
            self._outage(err)
            return [None] * len(keys)
        found: list[Completion | None] = []
        for key, value in zip(keys, raw, strict=True):
            try:
                found.append(None if value is None else _decode(value))
            except (ValueError, KeyError, TypeError) as err:
                log.warning("ignoring an unreadable cached answer %s%s: %s", self._prefix, key, err)
                found.append(None)
        return found

    def put(self, key: str, completion: Completion) -> None:
        import redis

        if self._clock() < self._down_until:
            return
        try:
            self._client.set(self._prefix + key, _encode(completion), ex=self._ttl)
        except redis.RedisError as err:
            self._outage(err)

    def _outage(self, err: Exception) -> None:
        now = self._clock()
        self._down_until = now + self._backoff_s
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning("AI response cache unavailable (Redis: %s); answering without it for now", err)
