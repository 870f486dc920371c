"""Request ids from the API to the worker's log lines, JSON and text log lines, and the analyses run in process on
/metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest

from reviewlab.observability.context import current_request_id, request_id_set
from reviewlab.observability.logs import JsonFormatter, configure_logging, uvicorn_log_config
from tests.api import Client
from tests.api.test_analyze import VULNERABLE, wait

REQUEST_ID = "trace-0123456789abcdef"


def test_the_request_id_reaches_the_worker_log_lines(
    signed_in: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = signed_in()
    caplog.set_level(logging.INFO)
    body = {"kind": "snippet", "code": VULNERABLE, "language": "python"}
    response = client.post("/api/analyze", json=body, headers={"X-Request-ID": REQUEST_ID})
    assert response.status_code == 202, response.text
    assert response.headers["x-request-id"] == REQUEST_ID
    session_id = response.json()["id"]
    assert wait(client, session_id)["analysis"]["status"] == "completed"

    mine = [r for r in caplog.records if session_id in r.getMessage()]
    api = [r for r in mine if r.name == "reviewlab.jobs.service"]
    worker = [r for r in mine if r.name == "reviewlab.jobs.runner"]
    assert [r.getMessage() for r in api] == [f"analysis {session_id} queued (snippet)"]
    assert {r.getMessage().split(" ", 2)[2].split(" ")[0] for r in worker} == {"started", "completed"}
    assert {getattr(r, "request_id", None) for r in api + worker} == {REQUEST_ID}
    assert {r.threadName for r in worker}.isdisjoint({r.threadName for r in api})  # restored, not inherited

    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in api + worker]
    assert {line["request_id"] for line in lines} == {REQUEST_ID}
    assert {line["logger"] for line in lines} == {"reviewlab.jobs.service", "reviewlab.jobs.runner"}
    assert all(set(line) >= {"timestamp", "level", "logger", "message", "request_id"} for line in lines)

    # the worker's run is stored, and restored, with the session: a second request has its own id
    other = client.post("/api/analyze", json=body)
    other_id = other.headers["x-request-id"]
    assert other_id != REQUEST_ID
    second = other.json()["id"]
    wait(client, second)
    ours = [r for r in caplog.records if second in r.getMessage() and r.name.startswith("reviewlab.")]
    assert len(ours) == 3
    assert {getattr(r, "request_id", None) for r in ours} == {other_id}

    # the analyses ran in this process: the API's /metrics has them (from reviewlab.observability.metrics)
    text = client.get("/metrics").text
    [line] = [
        line
        for line in text.splitlines()
        if line.startswith('reviewlab_analyses_finished_total{kind="snippet",status="completed"}')
    ]
    assert float(line.split()[-1]) >= 2
    assert 'reviewlab_analysis_stage_duration_seconds_count{stage="analyze"}' in text
    assert "reviewlab_findings_total{" in text


def test_an_unset_request_id_is_none_outside_requests() -> None:
    assert current_request_id() is None
    record = logging.getLogger("reviewlab.test").makeRecord("reviewlab.test", logging.INFO, __file__, 1, "m", (), None)
    assert record.request_id is None  # type: ignore[attr-defined]
    with request_id_set("abc"):
        assert current_request_id() == "abc"
    assert current_request_id() is None


def test_json_and_text_log_lines() -> None:
    logger = logging.getLogger("reviewlab.test.format")
    for kind in ("json", "text"):
        handler = configure_logging(kind)
        stream = io.StringIO()
        handler.setStream(stream)  # type: ignore[attr-defined]
        try:
            with request_id_set("req-12345678"):
                logger.info("hello %s", "there")
            logger.warning("outside")
            try:
                raise ValueError("bad")
            except ValueError:
                logger.exception("failed")
        finally:
            logging.getLogger().removeHandler(handler)
        out = stream.getvalue()
        if kind == "json":
            first, second, third = (json.loads(line) for line in out.splitlines() if line.startswith("{"))
            assert first["message"] == "hello there"
            assert (first["level"], first["logger"], first["request_id"]) == ("INFO", logger.name, "req-12345678")
            assert first["timestamp"].endswith("+00:00")
            assert second["request_id"] is None
            assert "ValueError: bad" in third["exception"]
        else:
            assert "INFO reviewlab.test.format [req-12345678]: hello there" in out
            assert "WARNING reviewlab.test.format [-]: outside" in out


def test_uvicorn_log_config_is_valid() -> None:
    import logging.config

    root = logging.getLogger()
    before = list(root.handlers), root.level
    for kind in ("json", "text"):
        config = uvicorn_log_config(kind)
        logging.config.dictConfig(config)
        [handler] = [h for h in root.handlers if h not in before[0]]
        assert isinstance(handler.formatter, JsonFormatter) == (kind == "json")
        root.removeHandler(handler)
    root.setLevel(before[1])
