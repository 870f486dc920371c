"""``make run`` keeps its promise of embedded defaults: the API it starts runs analyses on its in-process pool
even when ``REDIS_URL`` is set in the environment (it starts no Celery worker that would take them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_serves_the_api_with_the_in_process_queue() -> None:
    environment = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0", "REVIEWLAB_QUEUE": "auto"}

    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    serve = dry_run[dry_run.rindex("REVIEWLAB_QUEUE=") :]
    assert serve.startswith("REVIEWLAB_QUEUE=inprocess ")
    assert "reviewlab serve --host" in serve
