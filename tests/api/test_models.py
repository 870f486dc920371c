"""The model lifecycle over HTTP: configurations, evaluations side by side, promotion, quarantine, history, access,
and the production configuration every analysis reviews with, switched without a restart."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from api.deps import Platform
from api.routes import models
from reviewlab.accounts import Role
from reviewlab.jobs.db import prepared, reading, table_of
from reviewlab.lifecycle.lab import LabPaths
from reviewlab.settings import Settings
from reviewlab.store.models import AnalysisSession
from tests.api import PROBLEM, Client
from tests.api.test_analyze import start_snippet, wait
from tests.lifecycle.support import COMMAND, LOOP, SECURITY_ONLY, STATIC_DEFAULT, lab_directory

SESSIONS = table_of(AnalysisSession)
# A shell injection (security) and a string built in a loop (performance) in one file.
BOTH = (COMMAND + b"\n\n" + LOOP).decode()
SECURITY_ONLY_YAML = "name: security-only\nrule_pack: {select: [PY-S, SEC-]}\n"


@pytest.fixture
def settings(tmp_path: Path, mlflow_uri: str) -> Settings:
    """A SQLite store and an MLflow store of the test's own, and a lab with the small dataset as the curated one."""
    return Settings(
        reviewlab_home=tmp_path / "reviewlab-home",
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        redis_url=None,
        mlflow_tracking_uri=mlflow_uri,
        reviewlab_experiments_dir=lab_directory(tmp_path),
    )


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


def _configuration(platform: Platform, session_id: str) -> str | None:
    engine = prepared(platform.services().engine)
    with reading(engine, "reading a session") as connection:
        value: str | None = connection.execute(
            select(SESSIONS.c.configuration).where(SESSIONS.c.id == session_id)
        ).scalar_one()
    return value


def _categories(analysis: dict[str, Any]) -> set[str]:
    assert analysis["analysis"]["status"] == "completed", analysis
    return {finding["category"] for finding in analysis["findings"]}


def test_only_experimenters_and_admins_use_the_lifecycle(signed_in: Callable[..., Client]) -> None:
    experimenter, admin = signed_in(Role.EXPERIMENTER), signed_in(Role.ADMIN)

    for outsider in (signed_in(Role.REVIEWER), signed_in(Role.VIEWER)):
        for path in ("/api/models", "/api/models/static-default", "/api/models/history", "/api/models/datasets"):
            _problem(outsider.get(path), 403)
        _problem(outsider.get("/api/models/evaluations", params={"models": "static-default"}), 403)
        _problem(outsider.post("/api/models/static-default/promote", json={}), 403)
        _problem(outsider.post("/api/models/static-default/quarantine", json={"reason": "no"}), 403)
    anonymous = Client(experimenter.app, base_url=str(experimenter.base_url))  # no ``with``: the app runs already
    try:
        _problem(anonymous.get("/api/models"), 401)
    finally:
        anonymous.close()

    listed = _ok(experimenter.get("/api/models"))
    assert _ok(admin.get("/api/models"))["models"] == listed["models"]

    by_name = {m["name"]: m for m in listed["models"]}
    assert set(by_name) == {"llm-codellama-7b", "static-default", "static-security", "static-strict"}
    assert listed["production"] is None
    assert len(listed["dataset_version"]) == 12
    default = by_name["static-default"]
    assert (default["stage"], default["version"], default["kind"]) == ("experimental", "V1", "static")
    assert default["config_hash"] == STATIC_DEFAULT.config_hash
    assert default["settings"]["name"] == "static-default"
    assert default["latest_evaluation"] is None
    assert by_name["llm-codellama-7b"]["kind"] == "llm"
    assert by_name["llm-codellama-7b"]["settings"]["ai"]["provider"] == "ollama"


@pytest.mark.slow
def test_promotion_evaluations_side_by_side_and_history(signed_in: Callable[..., Client]) -> None:
    experimenter, admin = signed_in(Role.EXPERIMENTER), signed_in(Role.ADMIN)

    first = _ok(experimenter.post("/api/models/static-default/promote"))  # no body: the gate, no force
    second = _ok(experimenter.post("/api/models/static-strict/promote", json={"reason": "stricter complexity"}))

    assert (first["outcome"], first["passed"], first["stage"], first["version"]) == (
        "promoted",
        True,
        "production",
        "V2",
    )
    assert first["production_model"] is None
    assert first["production"] is None
    assert first["checks"]
    assert all(check["passed"] for check in first["checks"])
    assert first["candidate"]["status"] == "succeeded"
    assert first["candidate"]["mlflow_run_id"]
    assert first["candidate"]["metrics"]["f1"] == 1.0
    # static-strict finds what static-default finds on the small dataset: the gate passes, production moves.
    assert second["outcome"] == "promoted", second["checks"]
    assert second["production_model"] == "static-default"
    assert second["production"]["evaluation_id"] == first["candidate"]["evaluation_id"]  # not evaluated again
    assert second["dataset_version"] == first["dataset_version"]

    listed = _ok(experimenter.get("/api/models"))
    stages = {m["name"]: (m["stage"], m["version"]) for m in listed["models"]}
    assert stages["static-strict"] == ("production", "V2")
    assert stages["static-default"] == ("experimental", "V1")
    assert listed["production"] == "static-strict"
    latest = {m["name"]: m["latest_evaluation"] for m in listed["models"]}
    assert latest["static-default"]["id"] == first["candidate"]["evaluation_id"]
    assert latest["static-security"] is None

    compared = _ok(
        experimenter.get(
            "/api/models/evaluations",
            params={"models": ["static-default", STATIC_DEFAULT.config_hash, "static-strict", "static-security"]},
        )
    )
    assert compared["dataset_version"] == first["dataset_version"]
    rows = compared["models"]
    assert [r["model"] for r in rows] == ["static-default", "static-default", "static-strict", "static-security"]
    assert rows[0] == rows[1]
    assert rows[3]["evaluation"] is None  # never evaluated: nothing to show, never a zero score
    evaluation = rows[0]["evaluation"]
    assert evaluation["status"] == "succeeded"
    assert evaluation["mlflow_run_id"] == first["candidate"]["mlflow_run_id"]
    assert evaluation["metrics"]["per_category"]["performance"]["f1"] == 1.0
    assert evaluation["metrics"]["per_category"]["security"]["tp"] == 2
    with_version = experimenter.get(
        "/api/models/evaluations", params={"models": "static-strict", "dataset": first["dataset_version"]}
    )
    assert _ok(with_version)["models"] == [rows[2]]
    _problem(experimenter.get("/api/models/evaluations", params={"models": ["static-default", "no-such"]}), 404)
    _problem(experimenter.get("/api/models/evaluations", params={"models": "static-default", "dataset": "0" * 12}), 404)
    _problem(experimenter.get("/api/models/evaluations"), 422)

    detail = _ok(experimenter.get(f"/api/models/evaluations/{evaluation['id']}"))
    assert {case["case"] for case in detail["cases"]} == {"py-command", "py-sql", "py-loop", "py-clean"}
    assert detail["metrics"] == evaluation["metrics"]
    _problem(experimenter.get("/api/models/evaluations/00000000-0000-0000-0000-000000000000"), 404)

    model = _ok(experimenter.get("/api/models/static-default"))
    assert _ok(experimenter.get(f"/api/models/{STATIC_DEFAULT.config_hash}")) == model
    assert [e["id"] for e in model["evaluations"]] == [evaluation["id"]]
    assert [(t["from_stage"], t["to_stage"]) for t in model["transitions"]] == [
        ("production", "experimental"),
        ("experimental", "production"),
        (None, "experimental"),
    ]
    assert model["quarantine"] == []
    _problem(experimenter.get("/api/models/no-such"), 404)
    _problem(experimenter.get("/api/models/NOT_A_NAME"), 422)

    history = _ok(experimenter.get("/api/models/history"))
    assert (history[0]["model"], history[0]["to_stage"]) == ("static-strict", "production")
    assert history[0]["actor"] == experimenter.user.id
    assert history[0]["reason"] == "stricter complexity"
    assert {t["model"] for t in _ok(experimenter.get("/api/models/history", params={"model": "static-strict"}))} == {
        "static-strict"
    }
    datasets = _ok(experimenter.get("/api/models/datasets"))
    assert [(d["version"], d["current"], d["cases"]) for d in datasets] == [(first["dataset_version"], True, 4)]
    assert "location" not in datasets[0]  # a path on the server

    audit = _ok(admin.get("/api/admin/audit", params={"action": "lifecycle.promotion."}))["items"]
    assert [(a["action"], a["actor"], a["target_id"]) for a in audit] == [
        ("lifecycle.promotion.promoted", experimenter.user.id, second["config_hash"]),
        ("lifecycle.promotion.promoted", experimenter.user.id, STATIC_DEFAULT.config_hash),
    ]


@pytest.mark.slow
def test_production_reviews_follow_promotion_and_quarantine_without_restart(
    signed_in: Callable[..., Client], settings: Settings, platform: Platform
) -> None:
    experimenter, admin = signed_in(Role.EXPERIMENTER), signed_in(Role.ADMIN)
    promoted = _ok(experimenter.post("/api/models/static-default/promote", json={"reason": None, "force": False}))
    assert promoted["outcome"] == "promoted"
    # A new candidate file, picked up by the next request: security rules only, so it misses the loop.
    (LabPaths.from_settings(settings).candidates / "security-only.yaml").write_text(SECURITY_ONLY_YAML)

    refused = _ok(experimenter.post("/api/models/security-only/promote", json={"reason": "try it"}))
    assert (refused["outcome"], refused["passed"], refused["stage"]) == ("refused", False, "experimental")
    assert refused["production_model"] == "static-default"
    failing = [check for check in refused["checks"] if not check["passed"]]
    assert failing
    assert any("performance" in check["detail"] or "F1" in check["detail"] for check in failing)
    _problem(experimenter.post("/api/models/security-only/promote", json={"force": True}), 422)
    _problem(experimenter.post("/api/models/security-only/promote", json={"force": True, "reason": "  "}), 422)
    _problem(experimenter.post("/api/models/security-only/promote", json={"force": True, "x": 1}), 422)
    forced = _ok(
        experimenter.post(
            "/api/models/security-only/promote", json={"force": True, "reason": "security triage first this week"}
        )
    )
    assert (forced["outcome"], forced["passed"], forced["stage"], forced["version"]) == (
        "forced",
        False,
        "production",
        "V2",
    )
    assert forced["config_hash"] == SECURITY_ONLY.config_hash
    assert forced["candidate"]["evaluation_id"] == refused["candidate"]["evaluation_id"]
    conflict = _problem(experimenter.post("/api/models/security-only/promote", json={}), 409)
    assert "already production" in conflict["detail"]

    first = wait(experimenter, start_snippet(experimenter, BOTH))
    assert "security" in _categories(first)
    assert "performance" not in _categories(first)
    assert _configuration(platform, first["analysis"]["id"]) == SECURITY_ONLY.config_hash

    _problem(experimenter.post("/api/models/security-only/quarantine", json={"reason": " "}), 422)
    _problem(experimenter.post("/api/models/security-only/quarantine", json={}), 422)
    _problem(experimenter.post("/api/models/security-only/quarantine", json={"reason": "x" * 2001}), 422)
    _problem(experimenter.post("/api/models/no-such/quarantine", json={"reason": "gone"}), 404)
    record = _ok(
        experimenter.post("/api/models/security-only/quarantine", json={"reason": "misses performance findings"})
    )
    assert (record["model"], record["restored"], record["status"], record["manual"]) == (
        "security-only",
        "static-default",
        "open",
        True,
    )
    assert record["actor"] == experimenter.user.id
    assert record["re_evaluations"] == []
    _problem(experimenter.post("/api/models/security-only/quarantine", json={"reason": "again"}), 409)
    _problem(experimenter.post("/api/models/security-only/promote", json={}), 409)

    second = wait(experimenter, start_snippet(experimenter, BOTH))
    assert {"security", "performance"} <= _categories(second)
    assert _configuration(platform, second["analysis"]["id"]) == STATIC_DEFAULT.config_hash

    listed = _ok(experimenter.get("/api/models"))
    stages = {m["name"]: m["version"] for m in listed["models"]}
    assert (stages["security-only"], stages["static-default"], listed["production"]) == ("V3", "V2", "static-default")
    assert _ok(experimenter.get("/api/models/quarantine")) == [record]
    assert _ok(experimenter.get("/api/models/quarantine", params={"model": "static-default"})) == []
    assert _ok(experimenter.get("/api/models/security-only"))["quarantine"] == [record]
    audit = _ok(admin.get("/api/admin/audit", params={"action": "lifecycle.", "actor": experimenter.user.id}))
    actions = [a["action"] for a in audit["items"]]
    assert {"lifecycle.promotion.refused", "lifecycle.promotion.forced", "lifecycle.quarantine"} <= set(actions)
    quarantined = next(a for a in audit["items"] if a["action"] == "lifecycle.quarantine")
    assert quarantined["target_id"] == SECURITY_ONLY.config_hash
    assert quarantined["details"]["restored"] == "static-default"


@pytest.mark.slow
def test_a_model_that_cannot_run_fails_its_evaluation_and_is_refused(signed_in: Callable[..., Client]) -> None:
    experimenter = signed_in(Role.EXPERIMENTER)

    decision = _ok(experimenter.post("/api/models/llm-codellama-7b/promote", json={}))

    assert (decision["outcome"], decision["passed"], decision["stage"]) == ("refused", False, "experimental")
    assert "evaluation failed" in decision["problem"]
    assert decision["candidate"]["status"] == "failed"
    assert decision["candidate"]["metrics"] is None
    assert "ollama" in decision["candidate"]["error"]
    model = _ok(experimenter.get("/api/models/llm-codellama-7b"))
    [failed] = model["evaluations"]
    assert (failed["status"], failed["metrics"], failed["trigger"]) == ("failed", None, "promotion")
    compared = _ok(experimenter.get("/api/models/evaluations", params={"models": "llm-codellama-7b"}))
    assert compared["models"][0]["evaluation"] is None  # only succeeded evaluations are compared
    assert _ok(experimenter.get(f"/api/models/evaluations/{failed['id']}"))["cases"] is None


def test_the_routes_are_documented_and_run_off_the_event_loop(client: Client) -> None:
    routes = [r for r in models.router.routes if isinstance(r, APIRoute)]
    # Plain functions that the route runs on a worker thread, so an evaluation never blocks the event loop.
    assert routes
    assert not any(inspect.iscoroutinefunction(inspect.unwrap(r.endpoint)) for r in routes)
    paths = client.get("/openapi.json").json()["paths"]
    promote = paths["/api/models/{ref}/promote"]["post"]
    assert promote["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DecisionOut"
    }
    assert set(paths) >= {
        "/api/models",
        "/api/models/{ref}",
        "/api/models/evaluations",
        "/api/models/evaluations/{evaluation_id}",
        "/api/models/{ref}/quarantine",
        "/api/models/history",
        "/api/models/quarantine",
        "/api/models/datasets",
    }
