"""The analysis metrics, recorded by the runner where analyses end: by kind and status, each stage's duration,
the findings by severity and category; and ``reviewlab worker`` serving them on its metrics port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client import CollectorRegistry

from reviewlab.errors import ReviewlabError
from reviewlab.jobs.service import Analyses
from reviewlab.observability.metrics import Instruments
from reviewlab.store.models import SessionStatus
from tests.jobs.conftest import VULNERABLE, Runner

REPO = Path(__file__).resolve().parents[2]


def samples(metrics: Instruments, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    assert metrics.registry is not None
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in metrics.registry.collect()
        for s in family.samples
        if s.name == name
    }


def test_a_completed_analysis_is_counted_with_its_stages_and_findings(analyses: Analyses, run: Runner) -> None:
    metrics = Instruments(CollectorRegistry())
    session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id="u1")
    assert run(session_id, metrics=metrics) is SessionStatus.COMPLETED
    state = analyses.get(session_id)
    registry = metrics.registry
    assert registry is not None
    labels = {"kind": "snippet", "status": "completed"}
    assert registry.get_sample_value("reviewlab_analyses_finished_total", labels) == 1
    assert registry.get_sample_value("reviewlab_analysis_stage_duration_seconds_count", {"stage": "analyze"}) == 1
    by_severity: dict[str, float] = {}
    for key, count in samples(metrics, "reviewlab_findings_total").items():
        found = dict(key)
        assert found["category"]
        by_severity[found["severity"]] = by_severity.get(found["severity"], 0) + count
    assert by_severity == {severity: n for severity, n in state.counts_by_severity.items() if n}
    assert sum(by_severity.values()) == state.findings_count == 2


def test_a_failed_analysis_is_counted_with_the_stage_it_reached(analyses: Analyses, run: Runner) -> None:
    metrics = Instruments(CollectorRegistry())
    files = {"kind": "files", "files": [{"path": "a.py", "content": "x = 1\n"}]}
    session_id = analyses.submit(files, owner_id="u1")

    def boom(event: object) -> None:
        raise ReviewlabError("the engine broke")

    assert run(session_id, metrics=metrics, on_progress=boom) is SessionStatus.FAILED
    registry = metrics.registry
    assert registry is not None
    assert registry.get_sample_value("reviewlab_analyses_finished_total", {"kind": "files", "status": "failed"}) == 1
    stages = {dict(key)["stage"] for key in samples(metrics, "reviewlab_analysis_stage_duration_seconds_count")}
    assert "fetch" in stages
    assert samples(metrics, "reviewlab_findings_total") == {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}}
    return {**env, "REVIEWLAB_HOME": str(tmp_path / "home")}


def test_the_worker_serves_its_metrics(tmp_path: Path) -> None:
    port = free_port()
    command = "from reviewlab.cli import main; raise SystemExit(main())"
    args = ["worker", "--queue", "inprocess", "--metrics-port", str(port), "--concurrency", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-c", command, *args],
        cwd=REPO,
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        text = scrape(port)
        assert "# TYPE reviewlab_analyses_finished_total counter" in text
        assert "# TYPE reviewlab_provider_requests_total counter" in text
        assert "# TYPE reviewlab_analysis_stage_duration_seconds histogram" in text
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output.decode()


def test_prefork_children_are_served_in_multiprocess_mode(tmp_path: Path) -> None:
    """What ``--pool prefork`` does: the parent serves the metrics its forked pool processes record."""
    port = free_port()
    script = textwrap.dedent(
        f"""
        import os, urllib.request
        from reviewlab.jobs.cli import _serve_metrics
        from reviewlab.observability.metrics import instruments

        stop = _serve_metrics({port}, multiprocess=True)
        children = []
        for status in ("completed", "failed"):
            pid = os.fork()
            if pid == 0:
                instruments().analysis_finished("snippet", status)
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        print(urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read().decode())
        stop()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=clean_env(tmp_path), capture_output=True, timeout=60, check=True
    )
    text = done.stdout.decode()
    assert 'reviewlab_analyses_finished_total{kind="snippet",status="completed"} 1.0' in text
    assert 'reviewlab_analyses_finished_total{kind="snippet",status="failed"} 1.0' in text


def test_a_metrics_port_of_zero_serves_nothing() -> None:
    from reviewlab.jobs.cli import _serve_metrics

    _serve_metrics(0, multiprocess=False)()  # a no-op stopper
