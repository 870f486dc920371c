"""The cycle with LLM candidates, answered by a loopback Ollama that speaks the real wire protocol.

The scripted model reads the code each request carries: ``good:7b`` reports the labelled problems of the file
it is shown (including one no static rule finds), ``bad:7b`` reports a problem on the first line of every file
(false positives, clean samples included). The good candidate is promoted over the static default, the bad one
is refused; then the model server starts failing under production analyses run by the real worker, monitoring
quarantines the LLM configuration and restores the static one, and re-evaluation — once the server is healthy
again — returns it to V1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from reviewlab.jobs.db import prepared, table_of
from reviewlab.jobs.events import MemoryNotifier
from reviewlab.jobs.runner import run_analysis
from reviewlab.jobs.service import Analyses
from reviewlab.lifecycle.dataset import Case, Dataset, Label
from reviewlab.lifecycle.lab import lifecycle_for
from reviewlab.lifecycle.policy import Policy
from reviewlab.lifecycle.service import Lifecycle
from reviewlab.lifecycle.tracking import Tracker
from reviewlab.settings import Settings
from reviewlab.store.models import AnalysisSession, SessionStatus
from tests.ai.servers import Answer, FakeOllama, FakeOpenAI, Respond, Status
from tests.lifecycle.support import STATIC_DEFAULT, candidate, small_dataset

pytestmark = pytest.mark.slow

AUTHZ = b"""def delete_invoice(request, db):
    invoice = db.invoices.get(request.args["id"])
    db.invoices.delete(invoice)
    return {"deleted": invoice.id}
"""
"""Any signed-in user deletes anyone's invoice: a missing authorization check (CWE-862) no static rule sees."""

GOOD = candidate("name: llm-good\nai: {provider: ollama, model: 'good:7b', reflection_threshold: 6, timeout_s: 5}")
BAD = candidate("name: llm-bad\nai: {provider: ollama, model: 'bad:7b', reflection_threshold: 6, timeout_s: 5}")


def dataset() -> Dataset:
    authz = Case(
        "py-authz",
        "python",
        {"invoices.py": AUTHZ},
        frozenset({"security"}),
        (Label("invoices.py", 3, "security", 862),),
    )
    return small_dataset().extended([authz])


DATASET = dataset()
LABELS: list[tuple[Label, str]] = [
    (label, case.files[label.file].decode().splitlines()[label.line - 1].strip())
    for case in DATASET.cases
    for label in case.expected
]
"""Each label with the text of its line: the model "recognises" a problem by seeing that line in that file."""

SESSIONS = table_of(AnalysisSession)
_PATH = re.compile(r"file `([^`]+)`")
_LINES = re.compile(r"Review lines (\d+)-(\d+)")


def model(body: Any) -> Answer | Status:
    """The scripted model: its answer to one Ollama chat request."""
    user = body["messages"][-1]["content"]
    if "scores" in json.dumps(
        body.get("format") or body.get("response_format") or {}
    ):  # self-reflection: every suggestion is sound
        count = len(re.findall(r"^\[\d+\] lines", user, flags=re.MULTILINE))
        return Answer.json({"scores": [{"index": i, "score": 9, "reason": "clear"} for i in range(count)]})
    path = _PATH.search(user)
    lines = _LINES.search(user)
    assert path is not None, user[:300]
    assert lines is not None, user[:300]
    if body["model"].startswith("bad"):
        first = int(lines.group(1))
        findings = [
            {"line": first, "severity": "high", "category": "security", "cwe": 20, "message": "input is unsafe"}
        ]
    else:
        findings = [
            {"line": label.line, "severity": "high", "category": label.category, "cwe": label.cwe, "message": "real"}
            for label, text in LABELS
            if label.file == path.group(1) and text in user
        ]
    return Answer.json({"findings": findings}, input_tokens=120, output_tokens=40)


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama(models=("good:7b", "bad:7b")) as server:
        server.default = Respond(model)
        yield server


@pytest.fixture
def llm_settings(settings: Settings, ollama: FakeOllama) -> Settings:
    return settings.model_copy(update={"ollama_host": ollama.url})


@pytest.fixture
def llm_lifecycle(engine: Engine, llm_settings: Settings, tracker: Tracker) -> Lifecycle:
    return lifecycle_for(engine, llm_settings, tracker=tracker, policy=Policy())


def analyse(engine: Engine, settings: Settings, index: int) -> Any:
    """One production analysis with AI review, run by the real worker; its stored session."""
    analyses = Analyses(engine, MemoryNotifier(), None)
    code = f"# request {index}\nimport subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"
    session_id = analyses.submit(
        {"kind": "snippet", "code": code, "language": "python", "options": {"ai": True}}, owner_id=None
    )
    status = run_analysis(session_id, "worker-1", settings, engine=engine, notifier=MemoryNotifier())
    assert status is SessionStatus.COMPLETED
    with prepared(engine).connect() as connection:
        return connection.execute(select(SESSIONS).where(SESSIONS.c.id == session_id)).one()


def test_a_better_llm_candidate_is_promoted_and_a_worse_one_is_not(
    llm_lifecycle: Lifecycle, ollama: FakeOllama, tracker: Tracker
) -> None:
    llm_lifecycle.register([STATIC_DEFAULT, GOOD, BAD])
    llm_lifecycle.promote("static-default", DATASET, actor="alice")

    refused = llm_lifecycle.promote("llm-bad", DATASET, actor="alice")
    promoted = llm_lifecycle.promote("llm-good", DATASET, actor="alice")

    assert refused is not None
    assert not refused.passed
    assert {c.name for c in refused.verdict.checks if not c.passed} >= {"f1", "false_positive_rate"}
    assert promoted is not None
    assert promoted.passed, promoted.verdict.failures
    good = promoted.candidate_evaluation
    static = promoted.production_evaluation
    assert good is not None
    assert good.metrics is not None
    assert static is not None
    assert static.metrics is not None
    assert static.metrics["recall"] == pytest.approx(3 / 4)  # the missing authorization check is invisible to rules
    assert good.metrics["recall"] == 1.0
    assert good.metrics["precision"] == 1.0
    assert good.metrics["tokens"] > 0  # what the model used, from its own usage reports
    assert good.metrics["error_rate"] == 0.0
    assert llm_lifecycle.production() is not None
    assert llm_lifecycle.production().name == "llm-good"  # type: ignore[union-attr]
    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "llm-good"
    run = tracker.run(good.mlflow_run_id or "")
    assert run.data.params["ai.model"] == "good:7b"
    assert run.data.params["ai.provider"] == "ollama"
    models = {request.body["model"] for request in ollama.chat_requests()}
    assert models == {"good:7b", "bad:7b"}


def test_a_failing_model_server_quarantines_production_and_re_evaluation_brings_it_back(
    llm_lifecycle: Lifecycle, engine: Engine, llm_settings: Settings, ollama: FakeOllama, tracker: Tracker
) -> None:
    llm_lifecycle.register([STATIC_DEFAULT, GOOD])
    llm_lifecycle.promote("static-default", DATASET, actor="alice")
    llm_lifecycle.promote("llm-good", DATASET, actor="alice")
    healthy = [analyse(engine, llm_settings, i) for i in range(2)]
    assert all(s.configuration == GOOD.config_hash and s.ai_status == "complete" for s in healthy)
    assert llm_lifecycle.monitor().breaches == ()  # two analyses are not evidence yet

    ollama.default = Status(404, "model 'good:7b' not found")  # the model vanished from the server
    failing = [analyse(engine, llm_settings, i) for i in range(2, 7)]
    report = llm_lifecycle.monitor(actor="monitor")

    assert {s.ai_status for s in failing} == {"unavailable"}  # the static review still completed each one
    assert report.analyses == 7
    assert report.errors == 5
    assert report.breaches
    assert report.breaches[0].startswith("error rate 71.4% over 7 analyses")
    assert report.quarantined is not None
    assert report.quarantined.restored == "static-default"
    assert llm_lifecycle.production().name == "static-default"  # type: ignore[union-attr]
    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "static-default"
    after = analyse(engine, llm_settings, 7)
    assert after.configuration == STATIC_DEFAULT.config_hash  # the next analysis already uses the restored one

    stuck = llm_lifecycle.re_evaluate(DATASET)  # still failing: the evaluation fails, the record stays open
    ollama.default = Respond(model)  # the model is back
    released = llm_lifecycle.re_evaluate(DATASET)

    assert [r.outcome for r in stuck] == ["failed"]
    assert stuck[0].detail.startswith("evaluation failed")
    assert [r.outcome for r in released] == ["released"]
    assert {m.name: m.stage.value for m in llm_lifecycle.models()} == {
        "llm-good": "experimental",
        "static-default": "production",
    }
    moves = [(t.model, t.to_stage, t.manual) for t in llm_lifecycle.history()][:3]
    assert moves == [
        ("llm-good", "experimental", False),
        ("static-default", "production", False),
        ("llm-good", "quarantined", False),
    ]


def test_a_cloud_candidate_is_measured_in_tokens_and_dollars(
    engine: Engine, settings: Settings, tracker: Tracker
) -> None:
    cloud = candidate("name: llm-cloud\nai: {provider: openai, model: gpt-4o, timeout_s: 5}")
    with FakeOpenAI(models=("gpt-4o",)) as server:
        server.default = Respond(model)
        keyed = settings.model_copy(
            update={"openai_base_url": server.base_url, "openai_api_key": SecretStr("sk-test-0123456789abcdef")}
        )
        lifecycle = lifecycle_for(engine, keyed, tracker=tracker, policy=Policy())
        lifecycle.register([cloud])

        evaluation = lifecycle.evaluate("llm-cloud", DATASET)

    assert evaluation.metrics is not None
    requests = server.chat_requests()
    reflections = sum(1 for r in requests if "scores" in json.dumps(r.body.get("response_format")))
    reviews = len(requests) - reflections
    assert reviews == len(DATASET.cases)  # one review call per case, a reflection where it found something
    assert reflections == 4
    # reviews are answered with 120 / 40 tokens, reflections with the fake's default 7 / 3
    assert evaluation.metrics["input_tokens"] == 120 * reviews + 7 * reflections
    assert evaluation.metrics["output_tokens"] == 40 * reviews + 3 * reflections
    # gpt-4o at $2.50 / $10.00 per million input / output tokens
    expected = (2.5 * (120 * reviews + 7 * reflections) + 10.0 * (40 * reviews + 3 * reflections)) / 1e6
    assert evaluation.metrics["cost_usd"] == pytest.approx(expected, abs=1e-5)  # costs are kept to 6 decimals per call
    assert tracker.run(evaluation.mlflow_run_id or "").data.metrics["cost_usd"] == pytest.approx(
        expected, abs=1e-5
    )  # costs are kept to 6 decimals per call
