"""``reviewlab models ...`` end to end: a SQLite store, an MLflow store and a lab directory of each test's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reviewlab.accounts import Accounts, Role
from reviewlab.cli import main
from reviewlab.lifecycle.lab import open_lifecycle
from reviewlab.lifecycle.tracking import Tracker
from reviewlab.security.passwords import Argon2Parameters, Passwords
from reviewlab.settings import get_settings
from reviewlab.store.connect import create_engine, translated
from tests.lifecycle.support import lab_directory

CHEAP = Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))
PASSWORD = "correct horse battery"
NOTHING = "name: nothing\nrule_pack: {select: [GEN-A]}\n"  # finds none of the labels: worse than static-default


class Lab:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self._capsys = capsys

    def run(self, *argv: str) -> tuple[int, str, str]:
        self._capsys.readouterr()
        code = main(["models", *argv])
        captured = self._capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *argv: str) -> Any:
        code, out, err = self.run(*argv, "--json")
        assert code == 0, err
        return json.loads(out)

    def add_candidate(self, file: str, text: str) -> None:
        (self.root / "candidates" / file).write_text(text, encoding="utf-8")

    def add_user(self, role: Role, email: str) -> str:
        assert self.run("history")[0] == 0  # migrates the configured store
        engine = create_engine(get_settings().sqlalchemy_url)
        try:
            return Accounts(translated(engine), passwords=CHEAP).create_user(email, PASSWORD, role).id
        finally:
            engine.dispose()


@pytest.fixture
def lab(tmp_path: Path, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Lab:
    root = lab_directory(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("REVIEWLAB_EXPERIMENTS_DIR", str(root))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens: the LLM candidate cannot run
    get_settings.cache_clear()
    return Lab(root, capsys)


def _stages(lab: Lab) -> dict[str, str]:
    return {m["name"]: m["version"] for m in lab.json("list")["models"]}


def _production(lab: Lab) -> str | None:
    production: str | None = lab.json("list")["production"]
    return production


def test_list_shows_v1_then_v2_after_a_promotion(lab: Lab) -> None:
    code, out, _ = lab.run("list")
    assert code == 0
    lines = [line for line in out.splitlines() if line[2:].startswith(("static-", "llm-"))]
    assert len(lines) == 4
    assert all("V1 experimental" in line for line in lines)
    assert all("not evaluated" in line for line in lines)
    assert "production: none" in out

    code, out, _ = lab.run("promote", "static-default")
    assert code == 0, out
    assert "promoted: static-default is production (V2)" in out

    listed = lab.json("list")
    assert listed["production"] == "static-default"
    by_name = {m["name"]: m for m in listed["models"]}
    assert {name: m["version"] for name, m in by_name.items()} == {
        "llm-codellama-7b": "V1",
        "static-default": "V2",
        "static-security": "V1",
        "static-strict": "V1",
    }
    assert by_name["static-default"]["production"] is True
    assert by_name["static-default"]["evaluation"]["f1"] == pytest.approx(1.0)
    assert by_name["static-strict"]["evaluation"] is None
    code, out, _ = lab.run("list")
    (default,) = [line for line in out.splitlines() if line[2:].startswith("static-default")]
    assert default.startswith("* ")
    assert "V2 production" in default
    assert "F1 1.000" in default

    datasets = lab.json("datasets")
    assert len(datasets) == 1
    assert datasets[0]["current"] is True
    assert datasets[0]["version"] == listed["dataset_version"]
    assert (datasets[0]["cases"], datasets[0]["clean_cases"], datasets[0]["from_triage"]) == (4, 1, 0)


def test_evaluate_prints_the_metrics_and_an_mlflow_run(lab: Lab, mlflow_uri: str) -> None:
    code, out, err = lab.run("evaluate", "static-default")
    assert code == 0, err
    for part in ("precision 1.000", "recall 1.000", "F1 1.000", "FPR 0.0%", "latency p50", "p95", "tokens 0"):
        assert part in out
    assert "cost $0.0000" in out
    assert "errors 0 of 4 cases" in out
    assert "per-category F1: performance 1.000, security 1.000" in out
    run_id = out.split("MLflow run: ")[1].split()[0]
    assert Tracker(mlflow_uri).run(run_id).info.status == "FINISHED"

    (evaluation,) = lab.json("evaluate", "static-default")
    assert evaluation["status"] == "succeeded"
    assert evaluation["metrics"]["f1"] == pytest.approx(1.0)
    assert evaluation["mlflow_run_id"] != run_id


def test_a_failed_evaluation_exits_1_with_its_error_and_no_scores(lab: Lab) -> None:
    code, out, _ = lab.run("evaluate", "llm-codellama-7b")
    assert code == 1
    assert "llm-codellama-7b" in out
    assert ": FAILED" in out
    assert "error: " in out
    assert "not reachable" in out
    assert "precision" not in out
    assert "F1" not in out

    with open_lifecycle(get_settings()) as lifecycle:
        (evaluation,) = lifecycle.evaluations(model="llm-codellama-7b")
    assert evaluation.status == "failed"
    assert evaluation.metrics is None
    assert evaluation.error is not None
    assert "not reachable" in evaluation.error
    assert _stages(lab)["llm-codellama-7b"] == "V1"


def test_a_worse_candidate_is_refused_and_production_stays(lab: Lab) -> None:
    assert lab.run("promote", "static-default")[0] == 0
    lab.add_candidate("nothing.yaml", NOTHING)

    code, out, _ = lab.run("promote", "nothing")
    assert code == 1
    assert "against static-default" in out
    assert "passed  error_rate" in out
    assert "FAILED  f1: F1 0.000 vs production 1.000" in out
    assert "FAILED  category:security" in out
    assert "refused: nothing stays V1 experimental; production is still static-default" in out
    assert _production(lab) == "static-default"
    assert _stages(lab)["nothing"] == "V1"


@pytest.mark.slow  # three evaluations and some twenty commands
def test_manual_overrides_need_an_experimenter_or_admin(lab: Lab) -> None:
    lab.add_candidate("nothing.yaml", NOTHING)
    experimenter = lab.add_user(Role.EXPERIMENTER, "ada@example.org")
    lab.add_user(Role.VIEWER, "vic@example.org")
    assert lab.run("promote", "static-default")[0] == 0

    code, out, err = lab.run("quarantine", "static-default", "--reason", "too noisy")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "--as EMAIL" in err
    code, _, err = lab.run("quarantine", "static-default", "--reason", "too noisy", "--as", "vic@example.org")
    assert code == 2
    assert err.count("\n") == 1
    assert "viewer" in err
    code, _, err = lab.run("quarantine", "static-default", "--reason", "x", "--as", "nobody@example.org")
    assert code == 2
    assert "no account" in err
    code, _, err = lab.run("promote", "nothing", "--force", "--as", "ada@example.org")
    assert code == 2
    assert "--reason" in err
    code, _, err = lab.run("promote", "nothing", "--force", "--reason", "trial", "--as", "vic@example.org")
    assert code == 2
    assert "viewer" in err
    assert _production(lab) == "static-default"

    code, out, _ = lab.run("promote", "nothing", "--force", "--reason", "a trial week", "--as", "ADA@example.org")
    assert code == 0
    assert "FAILED  f1" in out
    assert "forced: nothing is production (V2)" in out
    assert _production(lab) == "nothing"

    code, out, _ = lab.run("quarantine", "nothing", "--reason", "misses everything", "--as", "ada@example.org")
    assert code == 0
    assert "quarantined nothing (V3): misses everything" in out
    assert "production is now static-default (restored)" in out
    assert _stages(lab) == {
        "llm-codellama-7b": "V1",
        "nothing": "V3",
        "static-default": "V2",
        "static-security": "V1",
        "static-strict": "V1",
    }

    (outcome,) = lab.json("re-evaluate")  # against production static-default: still worse
    assert (outcome["model"], outcome["outcome"], outcome["passed"]) == ("nothing", "failed", False)
    assert _stages(lab)["nothing"] == "V3"

    code, out, _ = lab.run("quarantine", "static-default", "--reason", "drifted", "--as", "ada@example.org")
    assert code == 0
    assert "production is now none" in out
    assert _production(lab) is None

    history = lab.json("history", "nothing")
    newest = history[0]
    assert (newest["from"], newest["to"], newest["manual"]) == ("production", "quarantined", True)
    assert (newest["actor"], newest["reason"]) == (experimenter, "misses everything")
    assert [(t["from"], t["to"]) for t in history] == [
        ("production", "quarantined"),
        ("experimental", "production"),
        (None, "experimental"),
    ]
    code, out, _ = lab.run("history")
    first = out.splitlines()[0]
    assert "static-default  V2 production -> V3 quarantined  manual" in first
    assert f"by {experimenter}  drifted" in first


def test_monitor_reports_on_production(lab: Lab) -> None:
    code, out, _ = lab.run("monitor")
    assert code == 0
    assert "no production configuration" in out
    assert lab.run("promote", "static-default")[0] == 0
    code, out, _ = lab.run("monitor")
    assert code == 0
    assert "production static-default" in out
    assert "evaluation succeeded, F1 1.000 (promoted with 1.000)" in out
    assert "no breach: production unchanged" in out
    report = lab.json("monitor")
    assert report["model"] == "static-default"
    assert report["breaches"] == []
    assert report["quarantined"] is None
    code, out, _ = lab.run("re-evaluate")
    assert code == 0
    assert "no configuration is quarantined" in out


def test_bad_input_exits_2_with_one_line(lab: Lab) -> None:
    for argv in (
        ("evaluate", "no-such-model"),
        ("promote", "no-such-model"),
        ("history", "no-such-model"),
        ("list", "--dataset", "0123456789ab"),
        ("evaluate",),
    ):
        code, out, err = lab.run(*argv)
        assert code == 2, argv
        assert out == "", argv
        assert err.count("\n") == 1, (argv, err)
        assert err.startswith("reviewlab: error: "), (argv, err)
        assert "Traceback" not in err
    assert "no configuration named 'no-such-model'" in lab.run("promote", "no-such-model")[2]

    lab.add_candidate("broken.yaml", "name: broken\nrule_pack: [not, a, mapping]\n")
    code, out, err = lab.run("list")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "broken" in err
