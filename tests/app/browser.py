"""The dashboard in a real browser: ``streamlit run app/main.py`` against the live API, driven by Playwright in
Debian's headless Chromium (``/usr/bin/chromium``, or ``REVIEWLAB_CHROMIUM``; Playwright downloads nothing).

Missing Chromium or Playwright skips the browser tests outside CI and fails them under ``CI=true`` (``.ci/run``
installs Chromium), like the other services the suite needs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests._services import unavailable

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("REVIEWLAB_CHROMIUM", "/usr/bin/chromium")
# As the machine's notes advise: no background networking (the closed network refuses it), no GPU, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(api_url: str, log: Path) -> Iterator[str]:
    """``streamlit run app/main.py`` on a free loopback port, talking to ``api_url``; yields its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "REVIEWLAB_API_URL": api_url,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_HEADLESS": "true",
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO / "app" / "main.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser through Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        unavailable("Playwright", "the e2e extra (pip install -e '.[e2e]')", err)
    if not Path(CHROMIUM).is_file():
        unavailable("Chromium", CHROMIUM, "install Debian's chromium package (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
