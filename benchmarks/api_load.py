"""API load test: N concurrent signed-in clients against a real uvicorn server, latency per endpoint group.

Starts ``python -m uvicorn api.main:create_app --factory`` on a free loopback port with a fresh
REVIEWLAB_HOME (and, for ``--backend postgres``, a new PostgreSQL database plus a Redis database, and a
Celery worker for the analyses), waits for ``/health/ready``, makes the users, then runs two phases of
``--seconds`` each:

1. reads: every client loops over GET /health/live, /api/auth/me, /api/projects, /api/projects/{id}
   and /api/analyze/{id} (a completed analysis of the project);
2. analyses: every client loops POST /api/analyze (a snippet) and follows its /stream to ``done``.

Each client is its own user (registered, made a reviewer and a project member by the admin) with its
own session cookies; state-changing requests carry the CSRF header. The server runs with
REVIEWLAB_RATE_LIMITS=false: from one IP the seed's limits (60 requests a minute) would refuse the load.

Reports per endpoint group: requests, errors (a 4xx/5xx answer or no answer), P50/P95/P99 in ms and
throughput, against the seed's targets (P50 < 100 ms, P95 < 500 ms, P99 < 1 s, errors < 1%) and the
aim for reads (P95 < 50 ms), and the API's CPU time per request in each phase (all its processes, read
from ``/proc``; Linux only), which other load on the machine disturbs far less than latency. The load
generator shares the machine (and its cores) with the server; its timed requests go through aiohttp
(about a third of httpx's CPU per request), the set-up through httpx.

With ``--api-processes N`` uvicorn runs N API processes on one port (``--backend postgres`` only: they share the
PostgreSQL store and Redis, as API pods do); ``--phases reads`` runs only the read phase. On ``--backend
postgres`` the analyses run on ``--celery-workers K`` ``reviewlab worker`` processes (default 1), as the platform
runs them whenever Redis is configured; ``--celery-workers 0`` puts them on the API's in-process pool instead,
as on the embedded backend. The API's CPU per request leaves out what the Celery workers do.

Usage: python benchmarks/api_load.py [--clients 50] [--seconds 15] [--backend embedded|postgres]
       [--api-processes 1] [--phases reads,analyses] [--json out.json] [--postgres-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ADMIN_EMAIL = "bench-admin@example.com"
USER_PASSWORD = "bench " + secrets.token_urlsafe(12)
SNIPPET = "import os\n\ndef run(cmd):\n    os.system(cmd)\n    return eval(input())\n"
READY_TIMEOUT_S = 90.0
SEED_TARGETS = {"p50_ms": 100.0, "p95_ms": 500.0, "p99_ms": 1000.0, "error_pct": 1.0}
READ_AIM_P95_MS = 50.0
READ_GROUPS = (
    "GET /health/live",
    "GET /api/auth/me",
    "GET /api/projects",
    "GET /api/projects/{id}",
    "GET /api/analyze/{id}",
)
ANALYSIS_GROUPS = ("POST /api/analyze", "analysis 202 -> done")


@dataclass
class Group:
    """The latencies (seconds) and errors of one endpoint group."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)  # "HTTP 503", "ReadTimeout", ...

    def summary(self, seconds: float) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        requests = len(ordered) + self.errors
        return {
            "requests": requests,
            "errors": self.errors,
            "error_pct": 100.0 * self.errors / requests if requests else 0.0,
            "p50_ms": percentile(ordered, 50) * 1000,
            "p95_ms": percentile(ordered, 95) * 1000,
            "p99_ms": percentile(ordered, 99) * 1000,
            "throughput_rps": requests / seconds,
            "error_kinds": dict(self.error_kinds),
        }


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values (NaN when there are none)."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class Recorder:
    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}

    def ok(self, name: str, seconds: float) -> None:
        self.groups.setdefault(name, Group()).latencies.append(seconds)

    def error(self, name: str, kind: str) -> None:
        group = self.groups.setdefault(name, Group())
        group.errors += 1
        group.error_kinds[kind] += 1


# --- the server and its stores ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new database on the server of ``admin_url`` (a libpq URL), dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"reviewlab_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def flushed_redis(url: str) -> Iterator[str]:
    """``url``'s Redis database, emptied before and after (caches, rate-limit and job keys of the run)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
    finally:
        client.flushdb()
        client.close()


def process_tree_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of process ``pid`` and all its descendants so far; None without ``/proc``."""
    proc = Path("/proc")
    if not (proc / str(pid)).exists():
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone since listed
        parents[int(stat.parent.name)] = int(fields[1])
        times[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        children = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(times.get(member, 0.0) for member in tree)


def start_workers(count: int, env: dict[str, str], home: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for number in range(count):
        log = (home / f"worker-{number}.log").open("wb")
        command = [str(BIN / "reviewlab"), "worker", "--queue", "celery", "--concurrency", "1"]
        command += ["--metrics-port", "0", "--no-events"]
        workers.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


SERVER_PIDS: list[int] = []  # the server processes started, for process_tree_cpu_s


@contextmanager
def server(env: dict[str, str], home: Path, processes: int = 1) -> Iterator[str]:
    """uvicorn serving the API with ``env`` in ``processes`` worker processes; yields its base URL once
    /health/ready answers 200 (its process id is last in ``SERVER_PIDS`` meanwhile)."""
    port = free_port()
    log = (home / "server.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--no-server-header"]
    if processes > 1:
        command += ["--workers", str(processes)]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS.append(process.pid)
    try:
        wait_ready(base, process, home / "server.log")
        yield base
    finally:
        SERVER_PIDS.remove(process.pid)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if client.get("/health/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise SystemExit(f"the server was not ready within {READY_TIMEOUT_S:.0f} s:\n{log.read_text()[-4000:]}")


def server_environment(home: Path, stores: dict[str, str]) -> dict[str, str]:
    """This process's environment without its store settings, plus the run's."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "REVIEWLAB_QUEUE"}}
    env |= {
        "REVIEWLAB_HOME": str(home),
        "REVIEWLAB_ADMIN_EMAIL": ADMIN_EMAIL,
        "REVIEWLAB_ADMIN_PASSWORD": USER_PASSWORD,
        "REVIEWLAB_RATE_LIMITS": "false",  # one IP, 50 clients: the seed's limits would refuse the load
        "REVIEWLAB_COOKIE_SECURE": "false",  # plain http on loopback, so the client returns the cookies
        "ENVIRONMENT": "development",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return env | stores


# --- clients --------------------------------------------------------------------------------------


def new_client(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(60.0), limits=httpx.Limits(max_connections=4))


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    csrf = (await client.get("/api/auth/csrf")).json()["csrf_token"]
    answer = await client.post(
        "/api/auth/login", json={"email": email, "password": USER_PASSWORD}, headers={"X-CSRF-Token": csrf}
    )
    answer.raise_for_status()


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any], method: str = "POST") -> httpx.Response:
    """A state-changing request with the session's CSRF token."""
    headers = {"X-CSRF-Token": client.cookies.get("csrf_token") or ""}
    return await client.request(method, url, json=body, headers=headers)


async def follow_to_end(client: httpx.AsyncClient, session_id: str) -> str:
    """Read the analysis's event stream to its last event; that event's name."""
    last = ""
    async with client.stream("GET", f"/api/analyze/{session_id}/stream") as stream:
        stream.raise_for_status()
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                last = line[7:]
    return last


@dataclass
class Fixture:
    base: str
    admin: httpx.AsyncClient
    users: list[httpx.AsyncClient]
    project_id: str
    analysis_id: str


def timed_session(fixture: Fixture, client: httpx.AsyncClient) -> aiohttp.ClientSession:
    """An aiohttp session holding ``client``'s cookies (signed in as its user) and its CSRF header."""
    jar = aiohttp.CookieJar(unsafe=True)  # loopback is an IP address: keep the cookies the server sets
    jar.update_cookies(dict(client.cookies.items()))
    return aiohttp.ClientSession(
        base_url=fixture.base,
        cookie_jar=jar,
        connector=aiohttp.TCPConnector(limit=4),
        timeout=aiohttp.ClientTimeout(total=60),
        headers={"X-CSRF-Token": client.cookies.get("csrf_token") or ""},
    )


class Answer:
    """What a timed request answered: its status and JSON body (read while the connection was held)."""

    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self.body = body

    def json(self) -> Any:
        return self.body


async def request(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Answer:
    async with session.request(method, url, json=body) as response:
        data = await response.read()
        return Answer(response.status, json.loads(data) if data and response.status < 400 else None)


async def prepare(base: str, clients: int) -> Fixture:
    """The admin, a project with a completed analysis, and ``clients`` signed-in reviewers who are its members."""
    admin = new_client(base)
    await sign_in(admin, ADMIN_EMAIL)
    project = await post(admin, "/api/projects", {"name": f"load-{secrets.token_hex(3)}"})
    project.raise_for_status()
    project_id = project.json()["id"]
    started = await post(
        admin, "/api/analyze", {"kind": "snippet", "code": SNIPPET, "language": "python"} | {"project_id": project_id}
    )
    started.raise_for_status()
    analysis_id = started.json()["id"]
    if (last := await follow_to_end(admin, analysis_id)) != "done":
        raise SystemExit(f"the seed analysis ended with {last!r}")

    gate = asyncio.Semaphore(8)  # registration and sign-in hash passwords: a few at a time

    async def user(n: int) -> httpx.AsyncClient:
        async with gate:
            client = new_client(base)
            email = f"load-{n}-{secrets.token_hex(3)}@example.com"
            csrf = (await client.get("/api/auth/csrf")).json()["csrf_token"]
            made = await client.post(
                "/api/auth/register", json={"email": email, "password": USER_PASSWORD}, headers={"X-CSRF-Token": csrf}
            )
            made.raise_for_status()
            user_id = made.json()["id"]
            (await post(admin, f"/api/admin/users/{user_id}", {"role": "reviewer"}, method="PATCH")).raise_for_status()
            member = await post(admin, f"/api/projects/{project_id}/members", {"user_id": user_id, "role": "reviewer"})
            member.raise_for_status()
            await sign_in(client, email)
            return client

    users = await asyncio.gather(*(user(n) for n in range(clients)))
    return Fixture(base, admin, list(users), project_id, analysis_id)


async def run_for(fixture: Fixture, seconds: float, loop: Callable[..., Awaitable[None]]) -> float:
    """Run ``loop(session, deadline)`` for every user at once, each on its timed session; the phase's wall time."""
    sessions = [timed_session(fixture, client) for client in fixture.users]
    try:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(loop(session, deadline) for session in sessions))
        return time.monotonic() - started
    finally:
        await asyncio.gather(*(session.close() for session in sessions))


async def timed(recorder: Recorder, name: str, pending: Awaitable[Answer]) -> Answer | None:
    started = time.perf_counter()
    try:
        response = await pending
    except (aiohttp.ClientError, TimeoutError) as err:
        recorder.error(name, type(err).__name__)
        return None
    if response.status_code >= 400:
        recorder.error(name, f"HTTP {response.status_code}")
        return None
    recorder.ok(name, time.perf_counter() - started)
    return response


async def reads(fixture: Fixture, seconds: float, recorder: Recorder) -> float:
    urls = dict(
        zip(
            READ_GROUPS,
            (
                "/health/live",
                "/api/auth/me",
                "/api/projects",
                f"/api/projects/{fixture.project_id}",
                f"/api/analyze/{fixture.analysis_id}",
            ),
            strict=True,
        )
    )

    async def loop(session: aiohttp.ClientSession, deadline: float) -> None:
        while time.monotonic() < deadline:
            for name, url in urls.items():
                await timed(recorder, name, request(session, "GET", url))

    return await run_for(fixture, seconds, loop)


async def analyses(fixture: Fixture, seconds: float, recorder: Recorder) -> float:
    body = {"kind": "snippet", "code": SNIPPET, "language": "python"}

    async def loop(session: aiohttp.ClientSession, deadline: float) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            accepted = await timed(recorder, "POST /api/analyze", request(session, "POST", "/api/analyze", body))
            if accepted is None:
                recorder.error("analysis 202 -> done", "not accepted")
                continue
            try:
                last = await stream_to_end(session, accepted.json()["id"])
            except (aiohttp.ClientError, TimeoutError) as err:
                last = type(err).__name__
            if last == "done":
                recorder.ok("analysis 202 -> done", time.perf_counter() - started)
            else:
                recorder.error("analysis 202 -> done", f"ended with {last or 'no event'}")

    return await run_for(fixture, seconds, loop)


async def stream_to_end(session: aiohttp.ClientSession, session_id: str) -> str:
    """``follow_to_end`` on a timed session."""
    last = ""
    async with session.get(f"/api/analyze/{session_id}/stream") as stream:
        stream.raise_for_status()
        async for line in stream.content:
            if line.startswith(b"event: "):
                last = line[7:].decode().strip()
    return last


def server_cpu_s() -> float | None:
    return process_tree_cpu_s(SERVER_PIDS[-1]) if SERVER_PIDS else None


def cpu_ms_per_request(before: float | None, requests: int) -> float | None:
    after = server_cpu_s()
    return None if before is None or after is None or not requests else round(1000 * (after - before) / requests, 3)


async def measure(base: str, clients: int, seconds: float, phases: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    fixture = await prepare(base, clients)
    results: dict[str, dict[str, Any]] = {}
    try:
        if "reads" in phases:
            read_recorder = Recorder()
            cpu_before = server_cpu_s()
            read_seconds = await reads(fixture, seconds, read_recorder)
            results |= {name: read_recorder.groups.get(name, Group()).summary(read_seconds) for name in READ_GROUPS}
            every_read = Group([t for g in read_recorder.groups.values() for t in g.latencies])
            for group in read_recorder.groups.values():
                every_read.errors += group.errors
                every_read.error_kinds.update(group.error_kinds)
            results["all reads"] = every_read.summary(read_seconds)
            results["all reads"]["server_cpu_ms_per_request"] = cpu_ms_per_request(
                cpu_before, len(every_read.latencies)
            )
        if "analyses" in phases:
            analysis_recorder = Recorder()
            cpu_before = server_cpu_s()
            analysis_seconds = await analyses(fixture, seconds, analysis_recorder)
            for name in ANALYSIS_GROUPS:
                results[name] = analysis_recorder.groups.get(name, Group()).summary(analysis_seconds)
            submitted = results["POST /api/analyze"]
            submitted["server_cpu_ms_per_request"] = cpu_ms_per_request(cpu_before, submitted["requests"])
    finally:
        await asyncio.gather(fixture.admin.aclose(), *(c.aclose() for c in fixture.users))
    return results


# --- report ---------------------------------------------------------------------------------------


def verdicts(name: str, row: dict[str, Any]) -> dict[str, bool]:
    """Which targets the group meets; the seed's targets are for single requests, not whole analyses."""
    if name not in READ_GROUPS and not name.startswith(("POST", "all")):
        return {}
    answer = {"seed_targets": all(row[key] < limit for key, limit in SEED_TARGETS.items())}
    if name.startswith("GET") or name == "all reads":
        answer["read_aim"] = row["p95_ms"] < READ_AIM_P95_MS and row["error_pct"] < SEED_TARGETS["error_pct"]
    return answer


def table(results: dict[str, dict[str, Any]]) -> str:
    header = "| group | requests | errors | P50 ms | P95 ms | P99 ms | req/s | seed targets | reads: P95 < 50 ms |"
    lines = [header, "|" + "---|" * 9]
    for name, row in results.items():
        judged = verdicts(name, row)
        aim = {True: "yes", False: "no", None: "-"}[judged.get("read_aim")]
        seed = {True: "met", False: "missed", None: "-"}[judged.get("seed_targets")]
        lines.append(
            f"| {name} | {row['requests']} | {row['errors']} ({row['error_pct']:.2f}%) | {row['p50_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['throughput_rps']:.1f} | "
            f"{seed} | {aim} |"
        )
    cpu = [
        f"{name}: {row['server_cpu_ms_per_request']:.2f} ms"
        for name, row in results.items()
        if row.get("server_cpu_ms_per_request") is not None
    ]
    if cpu:
        lines += ["", "API CPU per request (with the in-process pool, an analysis's work included): " + "; ".join(cpu)]
    kinds = [f"{name}: {row['error_kinds']}" for name, row in results.items() if row["error_kinds"]]
    if kinds:
        lines += ["", "errors by kind:", *kinds]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent signed-in clients (default: 50)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase (default: 15)")
    parser.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test", help="to create DBs")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a Redis database the run may empty")
    parser.add_argument("--api-processes", type=int, default=1, help="uvicorn worker processes (default: 1)")
    parser.add_argument(
        "--celery-workers",
        type=int,
        default=None,
        help="analyses on this many Celery worker processes (default: 1 with --backend postgres, as deployed with "
        "Redis; 0, the API's in-process pool, on the embedded backend, which has no broker)",
    )
    parser.add_argument(
        "--phases", default="reads,analyses", help="comma-separated: reads, analyses (default: both, in that order)"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.api_processes < 1:
        parser.error("--clients, --seconds and --api-processes must be positive")
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    if not phases or set(phases) - {"reads", "analyses"}:
        parser.error("--phases is a comma-separated list of reads and analyses")
    if args.celery_workers is None:
        args.celery_workers = 1 if args.backend == "postgres" else 0
    if args.celery_workers < 0 or (args.celery_workers and args.backend == "embedded"):
        parser.error("--celery-workers takes a count, and needs --backend postgres (their queue is in Redis)")
    if args.api_processes > 1 and args.backend == "embedded":
        parser.error("several API processes share a store: use --backend postgres (one SQLite file, many writers)")

    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="reviewlab-load-")))
        stores: dict[str, str] = {}
        if args.backend == "postgres":
            stores["DATABASE_URL"] = stack.enter_context(postgres_database(args.postgres_url))
            stores["REDIS_URL"] = stack.enter_context(flushed_redis(args.redis_url))
            # Analyses on the API's own pool unless Celery workers are asked for (the deployment's way with Redis).
            stores["REVIEWLAB_QUEUE"] = "celery" if args.celery_workers else "inprocess"
        env = server_environment(home, stores)
        base = stack.enter_context(server(env, home, args.api_processes))
        if args.celery_workers:
            stack.callback(stop, start_workers(args.celery_workers, env, home))
        results = asyncio.run(measure(base, args.clients, args.seconds, phases))

    where = f"{args.celery_workers} Celery worker(s)" if args.celery_workers else "the API's own pool"
    print(
        f"\n{args.clients} clients, {args.api_processes} API process(es), {args.seconds:g} s per phase, "
        f"backend {args.backend}, analyses on {where}, {os.cpu_count()} cores\n"
    )
    print(table(results))
    if args.json:
        report = {
            "backend": args.backend,
            "clients": args.clients,
            "api_processes": args.api_processes,
            "celery_workers": args.celery_workers,
            "seconds": args.seconds,
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "targets": {"seed": SEED_TARGETS, "read_aim_p95_ms": READ_AIM_P95_MS},
            "groups": {name: row | verdicts(name, row) for name, row in results.items()},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
