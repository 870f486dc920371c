"""``reviewlab serve``: run the API (and, on embedded defaults, its in-process analysis workers) under uvicorn.

The library never imports the API: uvicorn loads it by name (``api.main:create_app``), so this module
only needs the ``api`` extra at run time.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from reviewlab.errors import SettingsError
from reviewlab.settings import Settings

APP_FACTORY = "api.main:create_app"


def add_serve_parser(commands: Any) -> None:
    """Register ``reviewlab serve`` on the command line's subcommands."""
    serve = commands.add_parser("serve", help="run the REST API (http://HOST:PORT/docs for its reference)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--workers", type=int, default=1, help="API processes (default: 1)")
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/Proto from FORWARDED_ALLOW_IPS (only behind your own proxy)",
    )
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted; 0 on a clean stop."""
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("fastapi") is None:
        raise SettingsError("the API needs its extra: pip install 'reviewlab[api]'")
    if not 0 < args.port < 65536:
        raise SettingsError(f"--port must be between 1 and 65535, not {args.port}")
    import uvicorn

    from reviewlab.observability.logs import uvicorn_log_config

    if args.workers > 1 and not settings.redis_url:
        # Each process would keep its own rate-limit windows, session cache and analysis pool.
        raise SettingsError(
            "--workers above 1 needs REDIS_URL: without it every API process keeps its own rate limits, "
            "session cache and analysis pool"
        )

    print(f"reviewlab API on http://{args.host}:{args.port} (reference: /docs); Ctrl-C stops it", flush=True)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=args.proxy_headers,
        server_header=False,
        log_level="info",
        log_config=uvicorn_log_config(settings.reviewlab_log_format),
    )
    return 0
