"""AI orchestrator overhead: a call through the orchestrator beside the same call straight to the provider.

Both go to a loopback server that speaks Ollama's wire protocol (``tests/ai/servers.py``: NDJSON
streaming on ``/api/chat``), so the model's own time is the same tiny constant and what differs is what
the orchestrator adds per call: breaker, quota check, routing, response-cache lookup and store, usage
and cost accounting. Calls alternate (direct, orchestrated, direct, ...) so drift in the machine's load
hits both alike. Then the cache hit path: the same request answered from the in-process cache and,
when a Redis answers on ``REDIS_URL`` (default ``redis://127.0.0.1:6379/15``), from Redis.

Usage: python benchmarks/ai_overhead.py [--calls N]   (prints a Markdown table; target: p95 added < 5 ms)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake server lives with the tests

from reviewlab.ai.base import ChatRequest, Message, TaskKind
from reviewlab.ai.cache import MemoryCache, NullCache, RedisCache
from reviewlab.ai.config import AIConfig
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.providers.ollama import OllamaProvider
from tests.ai.servers import Answer, FakeOllama

MODEL = "codellama:34b"


def request(i: int) -> ChatRequest:
    return ChatRequest((Message("user", f"Review line {i}: x = eval(data)"),), max_tokens=64, timeout_s=10)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args(argv)
    config = AIConfig.from_table({"chain": ["ollama"], "cache": {"backend": "off"}, "models_refresh_s": 0})
    rows: list[tuple[str, float, float]] = []
    with FakeOllama(models=(MODEL,)) as server:
        server.default = Answer("Looks fine.", input_tokens=40, output_tokens=4)
        direct = OllamaProvider([server.url], default_model=MODEL)
        orchestrated = Orchestrator([OllamaProvider([server.url], default_model=MODEL)], config, cache=NullCache())
        for i in range(20):  # warm both paths: connections, routing table, imports
            direct.chat(request(i), MODEL)
            orchestrated.complete(TaskKind.CODE_REVIEW, request(i), prompt_version="bench@v1")
        plain: list[float] = []
        through: list[float] = []
        for i in range(args.calls):
            plain.append(timed(partial(direct.chat, request(i), MODEL)))
            through.append(
                timed(partial(orchestrated.complete, TaskKind.CODE_REVIEW, request(i), prompt_version="bench@v1"))
            )
        direct.close()
        orchestrated.close()
        p50_plain, p95_plain = percentiles(plain)
        p50_through, p95_through = percentiles(through)
        rows += [
            ("provider called directly (loopback Ollama)", p50_plain, p95_plain),
            ("through the orchestrator, no cache", p50_through, p95_through),
            ("added by the orchestrator", p50_through - p50_plain, p95_through - p95_plain),
        ]
        caches: list[tuple[str, Any]] = [("in-process cache hit", MemoryCache())]
        redis_client = _redis()
        if redis_client is not None:
            caches.append(("Redis cache hit", RedisCache(redis_client, key_prefix="bench:model:")))
        for label, cache in caches:
            cached = Orchestrator([OllamaProvider([server.url], default_model=MODEL)], config, cache=cache)
            hot = request(-1)
            cached.complete(TaskKind.CODE_REVIEW, hot, prompt_version="bench@v1")  # the miss that fills it
            hit = partial(cached.complete, TaskKind.CODE_REVIEW, hot, prompt_version="bench@v1")
            hits = [timed(hit) for _ in range(args.calls)]
            cached.close()
            rows.append((label, *percentiles(hits)))
        if redis_client is not None:
            for key in redis_client.scan_iter("bench:model:*"):
                redis_client.delete(key)
    print("| path | p50 (ms) | p95 (ms) |")
    print("| --- | ---: | ---: |")
    for label, p50, p95 in rows:
        print(f"| {label} | {p50 * 1000:.3f} | {p95 * 1000:.3f} |")
    added_p95 = rows[2][2] * 1000
    print(f"\n{args.calls} calls each. Added at p95: {added_p95:.3f} ms (target: under 5 ms).")
    return 0


def _redis() -> Any:
    try:
        import redis

        client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"), socket_timeout=0.5)
        client.ping()
        return client
    except Exception:  # noqa: BLE001 - no Redis here: the Redis row is left out
        return None


if __name__ == "__main__":
    raise SystemExit(main())
