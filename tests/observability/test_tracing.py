"""Tracing on the wire: spans exported over OTLP/HTTP to a loopback collector, one trace from the API request
through the analysis worker to the AI provider (which receives the ``traceparent``), and nothing at all
when no collector is configured."""

from __future__ import annotations

import secrets
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import create_app
from reviewlab.accounts import Role
from reviewlab.ai.base import AllProvidersFailed, ChatRequest, Message, TaskKind
from reviewlab.ai.config import AIConfig
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.providers.ollama import OllamaProvider
from reviewlab.ai.providers.openai import OpenAIProvider
from reviewlab.cache import Caches
from reviewlab.errors import SettingsError
from reviewlab.mail import MemoryMailer
from reviewlab.observability import tracing
from reviewlab.settings import Settings
from reviewlab.store.models import SessionStatus
from tests.ai.completers import findings_json, item
from tests.ai.servers import Answer, FakeOllama, FakeOpenAI, RecordedRequest, Status
from tests.api import BASE_URL, PASSWORD, Client, new_email
from tests.api.conftest import CHEAP
from tests.api.test_analyze import read_stream, start_snippet
from tests.observability.collector import Collector

INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_SPAN = "00f067aa0ba902b7"


@pytest.fixture(autouse=True)
def no_tracing_left() -> Iterator[None]:
    """Each test starts and ends with tracing off in this process."""
    assert tracing.active() is None
    yield
    tracing.shutdown()
    assert tracing.active() is None


@pytest.fixture
def collector() -> Iterator[Collector]:
    with Collector() as receiver:
        try:
            yield receiver
        finally:
            tracing.shutdown()  # while the collector still listens: the last spans are delivered, not retried


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama(models=("codellama:34b",)) as server:
        server.default = Answer(findings_json(item(1, message="eval of user input")), input_tokens=120)
        yield server


def _settings(tmp_path: Path, ollama: FakeOllama, **otel: str) -> Settings:
    return Settings(reviewlab_home=tmp_path / "home", ollama_host=ollama.url, ollama_model="codellama:34b", **otel)


def _app(settings: Settings) -> FastAPI:
    platform = Platform(settings, mailer=MemoryMailer(), passwords=CHEAP, caches=Caches.in_memory())
    return create_app(settings, platform=platform)


def _analysis_with_ai(app: FastAPI) -> list[str]:
    """Sign in and run an AI analysis through the API; the app's lifespan ends with the block, so its workers
    have finished and its tracing (if any) has flushed and shut down. The events' kinds."""
    with Client(app, base_url=BASE_URL) as client:  # with: the app's lifespan runs
        user = app.state.platform.services().accounts.create_user(new_email(), PASSWORD, Role.REVIEWER)
        client.sign_in(user.email)
        session_id = start_snippet(client, code="eval(input())\n", options={"ai": True})
        events = read_stream(client, session_id)
    return [e["event"] for e in events]


def _traceparent_of(request: RecordedRequest) -> tuple[str, str]:
    version, trace_id, span_id, flags = request.headers["traceparent"].split("-")
    assert version == "00"
    assert int(flags, 16) & 1  # sampled
    return trace_id, span_id


def test_one_trace_from_the_api_request_through_the_worker_to_the_provider(
    tmp_path: Path, collector: Collector, ollama: FakeOllama
) -> None:
    app = _app(_settings(tmp_path, ollama, otel_exporter_otlp_endpoint=collector.url))
    assert app.state.tracing is tracing.active()
    assert app.state.tracing.endpoint == f"{collector.url}/v1/traces"

    kinds = _analysis_with_ai(app)

    assert kinds[-1] == "done"
    assert "ai" in kinds, kinds
    [submit] = collector.named("POST /api/analyze")
    [run] = collector.named("analysis.run")
    calls = collector.named("chat ollama")  # the review, and the AI passes after it
    assert calls
    assert submit.kind == "server"
    assert submit.attributes["http.request.method"] == "POST"
    assert submit.attributes["http.route"] == "/api/analyze"
    assert submit.attributes["http.response.status_code"] == 202
    assert submit.attributes["reviewlab.request_id"]
    assert submit.parent_span_id == ""  # the client sent no traceparent: the request starts the trace

    # One trace: the run's parents lead to the request; the provider call's parents lead to the run.
    assert {submit.trace_id, run.trace_id, *(c.trace_id for c in calls)} == {submit.trace_id}
    assert submit in collector.ancestors(run)
    assert run.kind == "consumer"
    assert run.attributes["reviewlab.analysis.kind"] == "snippet"
    assert run.attributes["reviewlab.analysis.attempt"] == 1
    assert run.attributes["reviewlab.analysis.status"] == "completed"
    assert run.attributes["reviewlab.request_id"] == submit.attributes["reviewlab.request_id"]
    for call in calls:
        assert [s.name for s in collector.ancestors(call)] == ["analysis.ai", "analysis.run", "POST /api/analyze"]
    stages = {s.name for s in collector.spans if s.parent_span_id == run.span_id}
    assert stages >= {"analysis.engine", "analysis.ai", "analysis.store"}

    call = calls[0]
    assert call.kind == "client"
    assert not call.failed
    assert call.attributes["gen_ai.system"] == "ollama"
    assert call.attributes["gen_ai.request.model"] == "codellama:34b"
    assert call.attributes["gen_ai.usage.input_tokens"] == 120
    assert call.attributes["gen_ai.usage.output_tokens"] == 3
    assert call.attributes["reviewlab.cost_usd"] == 0.0  # a local model costs nothing

    # The provider received each call's span as its parent, in the same trace.
    sent = [_traceparent_of(chat) for chat in ollama.chat_requests()]
    assert sorted(sent) == sorted((c.trace_id, c.span_id) for c in calls)
    assert {s.service for s in (submit, run, *calls)} == {"reviewlab-api"}
    assert submit.resource["deployment.environment"] == "development"


def test_nothing_configured_means_no_exporter_no_spans_no_traffic(
    tmp_path: Path, collector: Collector, ollama: FakeOllama
) -> None:
    app = _app(_settings(tmp_path, ollama))

    kinds = _analysis_with_ai(app)

    assert app.state.tracing is None
    assert tracing.active() is None
    assert kinds[-1] == "done"
    assert "ai" in kinds
    assert collector.posts == 0
    assert tracing.headers() == {}
    assert tracing.traceparent() is None
    assert ollama.chat_requests()
    assert all("traceparent" not in chat.headers for chat in ollama.chat_requests())


def test_an_incoming_traceparent_is_continued(tmp_path: Path, collector: Collector, ollama: FakeOllama) -> None:
    app = _app(_settings(tmp_path, ollama, otel_exporter_otlp_endpoint=collector.url))
    incoming = f"00-{INCOMING_TRACE}-{INCOMING_SPAN}-01"

    with Client(app, base_url=BASE_URL) as client:
        assert client.get("/health/live", headers={"traceparent": incoming}).status_code == 200
        assert client.get("/no/such/path").status_code == 404

    [live] = collector.named("GET /health/live")
    assert (live.trace_id, live.parent_span_id) == (INCOMING_TRACE, INCOMING_SPAN)
    assert live.attributes["http.route"] == "/health/live"
    assert not live.failed
    [unmatched] = collector.named("GET")  # no route template: the method alone, never the raw path
    assert unmatched.trace_id != INCOMING_TRACE
    assert "http.route" not in unmatched.attributes
    assert unmatched.attributes["url.path"] == "/no/such/path"


def test_a_server_error_marks_the_request_span_failed(tmp_path: Path, collector: Collector, ollama: FakeOllama) -> None:
    app = _app(_settings(tmp_path, ollama, otel_exporter_otlp_endpoint=collector.url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    with Client(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500

    [span] = collector.named("GET /boom")
    assert span.failed
    assert span.attributes["http.response.status_code"] == 500
    assert span.attributes["error.type"] == "RuntimeError"


@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
def test_a_provider_failure_marks_its_span_failed(collector: Collector, streamed: bool) -> None:
    configured = tracing.configure(Settings(otel_exporter_otlp_endpoint=collector.url), service=tracing.WORKER_SERVICE)
    assert configured is not None
    config = AIConfig.from_table({"chain": ["ollama", "openai"], "retry": {"max_attempts": 1}, "models_refresh_s": 0})
    request = ChatRequest((Message("user", "Review: x = eval(data)"),), max_tokens=32, timeout_s=2.0)
    with FakeOllama(models=("codellama:34b",)) as ollama, FakeOpenAI() as openai:
        ollama.script(Status(500, "model crashed"))
        openai.default = Answer("Use ast.literal_eval.", input_tokens=20, output_tokens=6)
        providers = [
            OllamaProvider([ollama.url], default_model="codellama:34b"),
            OpenAIProvider("sk-test", base_url=openai.base_url),
        ]
        orchestrator = Orchestrator(providers, config, sleep=lambda _: None)
        try:
            with tracing.span("review") as parent:
                assert parent.recording
                if streamed:
                    text = "".join(orchestrator.stream(TaskKind.CODE_REVIEW, request, prompt_version="v1"))
                else:
                    text = orchestrator.complete(TaskKind.CODE_REVIEW, request, prompt_version="v1").text
        finally:
            for provider in providers:
                provider.close()
        assert text == "Use ast.literal_eval."
        assert configured.force_flush()
        failed_sent, answered_sent = ollama.chat_requests(), openai.chat_requests()

    [review] = collector.named("review")
    [failed] = collector.named("chat ollama")
    [answered] = collector.named("chat openai")
    assert failed.failed
    assert failed.attributes["error.type"] == "ProviderUnavailable"
    assert "HTTP 500" in failed.status_message
    assert not answered.failed
    assert answered.attributes["gen_ai.usage.input_tokens"] == 20
    assert answered.attributes["gen_ai.usage.output_tokens"] == 6
    assert answered.attributes["reviewlab.cost_usd"] > 0
    assert {failed.parent_span_id, answered.parent_span_id} == {review.span_id}
    assert _traceparent_of(failed_sent[0]) == (failed.trace_id, failed.span_id)
    assert _traceparent_of(answered_sent[0]) == (answered.trace_id, answered.span_id)
    assert failed.service == "reviewlab-worker"


def test_all_providers_failing_leaves_every_call_span_failed(collector: Collector) -> None:
    configured = tracing.configure(Settings(otel_exporter_otlp_endpoint=collector.url), service="test")
    assert configured is not None
    config = AIConfig.from_table({"chain": ["ollama"], "retry": {"max_attempts": 2}, "models_refresh_s": 0})
    request = ChatRequest((Message("user", "x"),), max_tokens=8, timeout_s=2.0)
    with FakeOllama(models=("codellama:34b",)) as ollama:
        ollama.default = Status(503)
        provider = OllamaProvider([ollama.url], default_model="codellama:34b")
        try:
            with pytest.raises(AllProvidersFailed):
                Orchestrator([provider], config, sleep=lambda _: None).complete(
                    TaskKind.CODE_REVIEW, request, prompt_version="v1"
                )
        finally:
            provider.close()
    assert configured.force_flush()
    calls = collector.named("chat ollama")
    assert len(calls) == 2  # one span per try
    assert all(c.failed for c in calls)
    assert len({c.trace_id for c in calls}) == 2  # no span was current: each try is its own trace


def test_the_traces_endpoint_wins_over_the_base_url(collector: Collector) -> None:
    settings = Settings(
        otel_exporter_otlp_endpoint="http://127.0.0.1:9/unused",
        otel_exporter_otlp_traces_endpoint=f"{collector.url}/v1/traces",
        otel_service_name="reviewlab-api-eu",
        otel_traces_sampler_arg=1.0,
    )
    configured = tracing.configure(settings, service=tracing.API_SERVICE)
    assert configured is not None
    with tracing.span("one", attributes={"skipped": None}):
        assert tracing.traceparent() is not None
    assert configured.force_flush()
    [span] = collector.spans
    assert span.service == "reviewlab-api-eu"
    assert "skipped" not in span.attributes


def test_a_zero_sample_ratio_exports_nothing_new_but_follows_a_sampled_parent(collector: Collector) -> None:
    configured = tracing.configure(
        Settings(otel_exporter_otlp_endpoint=collector.url, otel_traces_sampler_arg=0.0), service="test"
    )
    assert configured is not None
    with tracing.span("new trace") as dropped:
        assert not dropped.recording
    with tracing.span("continued", parent={"traceparent": f"00-{INCOMING_TRACE}-{INCOMING_SPAN}-01"}):
        pass
    assert configured.force_flush()
    assert [s.name for s in collector.spans] == ["continued"]


def test_configured_without_the_packages_is_a_clear_error_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: FakeOllama
) -> None:
    from reviewlab.jobs.celery_app import make_celery

    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # what a missing package looks like
    settings = _settings(tmp_path, ollama, otel_exporter_otlp_endpoint="http://127.0.0.1:4318")

    platform = Platform(settings)
    try:
        with pytest.raises(SettingsError, match=r"pip install 'reviewlab\[otel\]'"):
            create_app(settings, platform=platform)
    finally:
        platform.close()
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        make_celery(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"}))
    assert tracing.active() is None

    # Not configured, the missing packages are never needed.
    quiet = _settings(tmp_path, ollama)
    platform = Platform(quiet)
    try:
        assert create_app(quiet, platform=platform).state.tracing is None
    finally:
        platform.close()
    assert tracing.headers() == {}
    with tracing.span("nothing") as span:
        span.set("key", "value")
        span.fail("no-op")
        assert not span.recording


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_a_celery_worker_continues_the_trace_of_the_request_that_queued(
    collector: Collector, postgres_url: str, redis_url: str, pool: str
) -> None:
    from reviewlab.jobs.celery_app import CeleryQueue, make_celery
    from reviewlab.jobs.events import RedisNotifier
    from reviewlab.jobs.service import Analyses
    from tests.jobs.conftest import VULNERABLE, migrated_engine, wait_for
    from tests.jobs.test_workers import process

    name = f"reviewlab-test-{secrets.token_hex(4)}"
    settings = Settings(database_url=postgres_url, redis_url=redis_url, otel_exporter_otlp_endpoint=collector.url)
    configured = tracing.configure(settings, service="test-api")  # this process plays the API
    assert configured is not None
    queue = CeleryQueue(make_celery(settings, queue=name))
    notifier = RedisNotifier(redis_url)
    engines = migrated_engine(postgres_url)
    engine = next(engines)
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url}
    args = ["-m", "reviewlab.cli", "worker", "--queue", "celery", "--pool", pool, "-c", "1"]
    try:
        analyses = Analyses(engine, notifier, queue)
        with tracing.span("POST /api/analyze", kind="server") as request:
            assert request.recording
            session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, "u1")
        with process(*args, "--metrics-port", "0", "--celery-queue", name, env=env) as worker:
            state = wait_for(analyses, session_id, lambda s: s.finished, timeout=30)
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(20)
            output = worker.communicate()[0].decode()
        assert code == 0, output
        assert state.status is SessionStatus.COMPLETED
        assert configured.force_flush()
    finally:
        queue.close()
        notifier.close()
        engines.close()

    [submitted] = collector.named("POST /api/analyze")
    [run] = collector.named("analysis.run")
    assert (run.trace_id, run.parent_span_id) == (submitted.trace_id, submitted.span_id)
    assert run.service == "reviewlab-worker"
    assert run.attributes["reviewlab.session_id"] == session_id
    assert "celery" in run.attributes["reviewlab.worker"]
    assert {s.name for s in collector.spans if s.parent_span_id == run.span_id} >= {"analysis.engine", "analysis.store"}
