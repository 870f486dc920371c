"""Analysis throughput with 1 and 2 Celery workers on the same queue: what the second worker adds.

For each worker count K: a new PostgreSQL database and an emptied Redis database; the API (uvicorn, one
process) with ``REVIEWLAB_QUEUE=celery``, so it only queues; ``--analyses`` analyses submitted through
``POST /api/analyze`` while no worker runs (each uploads the same files: a real Python package from the standard
library, ``--package``, 29 files, 0.38 MB by default); then K ``reviewlab worker --queue celery --concurrency 1``
processes are started and the run waits until every analysis is completed.

Throughput is counted over the workers' busy span: from the first analysis's ``started_at`` to the last one's
``finished_at`` (from ``GET /api/analyze/{id}``), so worker start-up does not count. Each worker reviews with one
process (``jobs=1``), so K workers use K cores; the machine's core count bounds the gain.

Usage: python benchmarks/worker_throughput.py [--workers 1,2] [--analyses 24] [--package email] [--json F]
       [--postgres-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import sysconfig
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from api_load import (
    ADMIN_EMAIL,
    flushed_redis,
    new_client,
    post,
    postgres_database,
    server,
    server_environment,
    sign_in,
    start_workers,
    stop,
)

POLL_SECONDS = 0.5
DRAIN_TIMEOUT_S = 1800.0


def package_files(name: str) -> list[dict[str, str]]:
    """The ``.py`` files of the standard library package ``name`` as the API's ``files`` payload."""
    root = Path(sysconfig.get_paths()["stdlib"]) / name
    if not root.is_dir():
        raise SystemExit(f"no standard library package {name!r} at {root}")
    return [
        {"path": path.relative_to(root.parent).as_posix(), "content": path.read_text(encoding="utf-8")}
        for path in sorted(root.rglob("*.py"))
        if "test" not in path.parts
    ]


async def submit(admin: httpx.AsyncClient, files: list[dict[str, str]], count: int) -> list[str]:
    await sign_in(admin, ADMIN_EMAIL)
    ids = []
    for _ in range(count):
        answer = await post(admin, "/api/analyze", {"kind": "files", "files": files})
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    return ids


async def wait_done(admin: httpx.AsyncClient, ids: list[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    done: dict[str, dict[str, Any]] = {}
    while len(done) < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(done)} of {len(ids)} analyses finished within {DRAIN_TIMEOUT_S:.0f} s")
        for session_id in ids:
            if session_id in done:
                continue
            state = (await admin.get(f"/api/analyze/{session_id}", params={"limit": 1})).json()["analysis"]
            if state["status"] in ("completed", "failed", "cancelled"):
                done[session_id] = state
        await asyncio.sleep(POLL_SECONDS)
    return list(done.values())


def run_once(workers: int, args: argparse.Namespace, files: list[dict[str, str]]) -> dict[str, Any]:
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="reviewlab-workers-")))
        stores = {
            "DATABASE_URL": stack.enter_context(postgres_database(args.postgres_url)),
            "REDIS_URL": stack.enter_context(flushed_redis(args.redis_url)),
            "REVIEWLAB_QUEUE": "celery",
        }
        env = server_environment(home, stores)
        base = stack.enter_context(server(env, home))

        async def submit_start_drain() -> list[dict[str, Any]]:
            async with new_client(base) as admin:
                ids = await submit(admin, files, args.analyses)
                stack.callback(stop, start_workers(workers, env, home))  # after every analysis is queued
                return await wait_done(admin, ids)

        states = asyncio.run(submit_start_drain())
    failed = [s for s in states if s["status"] != "completed"]
    if failed:
        raise SystemExit(f"{len(failed)} analyses did not complete: {failed[0].get('error')}")
    started = min(datetime.fromisoformat(s["started_at"]) for s in states)
    finished = max(datetime.fromisoformat(s["finished_at"]) for s in states)
    span = (finished - started).total_seconds()
    each = sorted(
        (datetime.fromisoformat(s["finished_at"]) - datetime.fromisoformat(s["started_at"])).total_seconds()
        for s in states
    )
    return {
        "workers": workers,
        "analyses": len(states),
        "busy_seconds": span,
        "analyses_per_minute": 60 * len(states) / span,
        "median_analysis_seconds": each[len(each) // 2],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated (default: 1,2)")
    parser.add_argument("--analyses", type=int, default=24, help="analyses per run (default: 24)")
    parser.add_argument("--package", default="email", help="standard library package each analysis uploads")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test", help="to create DBs")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a Redis database the run may empty")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    if args.analyses < 2 or any(n < 1 for n in counts):
        parser.error("--analyses must be at least 2 and every worker count positive")
    files = package_files(args.package)
    size = sum(len(f["content"]) for f in files) / 1e6
    print(f"each analysis: {len(files)} files, {size:.2f} MB ({args.package}); {os.cpu_count()} cores", file=sys.stderr)

    runs = []
    for count in counts:
        run = run_once(count, args, files)
        runs.append(run)
        print(
            f"  {count} worker(s): {run['analyses']} analyses in {run['busy_seconds']:.1f} s "
            f"= {run['analyses_per_minute']:.1f}/min, median {run['median_analysis_seconds']:.2f} s each",
            file=sys.stderr,
        )
    print("| workers | analyses | busy span s | analyses/min | median analysis s | gain over 1 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in runs:
        gain = run["analyses_per_minute"] / runs[0]["analyses_per_minute"]
        print(
            f"| {run['workers']} | {run['analyses']} | {run['busy_seconds']:.1f} | {run['analyses_per_minute']:.1f} | "
            f"{run['median_analysis_seconds']:.2f} | {gain:.2f}x |"
        )
    if args.json:
        report = {"package": args.package, "files": len(files), "megabytes": size, "cores": os.cpu_count()}
        report["runs"] = runs
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
