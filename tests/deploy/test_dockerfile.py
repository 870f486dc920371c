"""The Dockerfile, read without an engine: its targets, user, extras, health checks and ports."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.deploy._files import ROOT

TARGETS = {"api", "worker", "dagster", "dashboard", "mlflow"}
# Each face's health endpoint and port (None: the worker listens on none).
HEALTH = {
    "api": ("/health/live", 8000),
    "dagster": ("/server_info", 3000),
    "dashboard": ("/_stcore/health", 8501),
    "mlflow": ("/health", 5000),
    "worker": (None, None),
}


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in logical]


def _stages() -> dict[str, dict[str, object]]:
    stages: dict[str, dict[str, object]] = {}
    current: dict[str, object] | None = None
    for keyword, args in _instructions():
        if keyword == "FROM":
            match = re.match(r"(\S+)\s+AS\s+(\S+)$", args, re.IGNORECASE)
            assert match, f"every stage is named: FROM {args}"
            current = {"base": match[1], "lines": []}
            stages[match[2]] = current
        elif current is not None:
            current["lines"].append((keyword, args))  # type: ignore[attr-defined]
    return stages


def _lines(stage: str, keyword: str) -> list[str]:
    """The stage's own `keyword` lines, or its parents' when it has none (what the image inherits)."""
    stages = _stages()
    while stage in stages:
        found = [args for kw, args in stages[stage]["lines"] if kw == keyword]  # type: ignore[attr-defined]
        if found:
            return found
        stage = str(stages[stage]["base"])
    return []


def test_the_targets_share_one_runtime_base() -> None:
    stages = _stages()
    assert set(stages) >= {"builder", "runtime", *TARGETS}
    assert {stages[t]["base"] for t in TARGETS} == {"runtime"}
    assert any("--from=builder" in args for kw, args in stages["runtime"]["lines"] if kw == "COPY")  # type: ignore[attr-defined]


def test_the_builder_installs_the_extras_with_constraints_but_never_hf() -> None:
    builder = dict.fromkeys(["ARG", "RUN"], "")
    for keyword, args in _stages()["builder"]["lines"]:  # type: ignore[attr-defined]
        if keyword in builder:
            builder[keyword] += args + "\n"
    extras = re.search(r"EXTRAS=(\S+)", builder["ARG"])
    assert extras, "the extras are an ARG"
    # make run's extras, plus tracing, the Dagster Kubernetes run launcher the cluster manifests need and Kafka
    expected = {"postgres", "api", "dagster", "warehouse", "mlflow", "app", "otel", "k8s", "kafka"}
    assert set(extras[1].split(",")) == expected
    assert "--constraint constraints.txt" in builder["RUN"]
    assert not re.search(r"\bhf\b|torch", builder["RUN"] + builder["ARG"])


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_runs_as_a_non_root_user(target: str) -> None:
    users = _lines(target, "USER")
    assert users, "a USER is set"
    assert users[-1].split(":")[0] not in {"0", "root"}


def test_the_runtime_environment() -> None:
    env = " ".join(_lines("runtime", "ENV"))
    for setting in ("HF_HUB_OFFLINE=1", "DAGSTER_DISABLE_TELEMETRY=1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS=false"):
        assert setting in env
    labels = " ".join(_lines("runtime", "LABEL"))
    for label in ("title", "description", "version", "revision", "created", "licenses"):
        assert f"org.opencontainers.image.{label}=" in labels
    copied = " ".join(_lines("runtime", "COPY"))
    assert ".streamlit" in copied


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_each_target_checks_its_health_and_exposes_its_port(target: str) -> None:
    path, port = HEALTH[target]
    own = {kw for kw, _ in _stages()[target]["lines"]}  # type: ignore[attr-defined]
    assert {"HEALTHCHECK", "CMD"} <= own
    check = _lines(target, "HEALTHCHECK")[-1]
    exposed = " ".join(_lines(target, "EXPOSE")).split()
    if port is None:
        assert exposed == []
        assert "inspect ping" in check
    else:
        assert exposed == [str(port)]
        assert f"http://127.0.0.1:{port}{path}" in check


def test_the_commands_start_each_face() -> None:
    commands = {t: json.loads(_lines(t, "CMD")[-1]) for t in TARGETS}
    assert commands["api"][:2] == ["reviewlab", "serve"]
    assert commands["worker"] == ["reviewlab", "worker", "--queue", "celery"]
    assert "dagster-webserver" in commands["dagster"]
    assert commands["dashboard"] == ["streamlit", "run", "app/main.py"]
    assert "mlflow server" in " ".join(commands["mlflow"])


def test_exposed_ports_match_the_compose_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        target = (service.get("build") or {}).get("target")
        if target is None or HEALTH[target][1] is None:
            continue
        port = HEALTH[target][1]
        published = [str(p).rsplit(":", 1)[-1] for p in service.get("ports", [])]
        check = " ".join(service["healthcheck"]["test"])
        assert all(p == str(port) for p in published), name
        assert f"127.0.0.1:{port}" in check or name == "dagster-daemon", name


def test_the_dockerignore_keeps_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".venv", "**/.git", ".pytest_cache", ".mypy_cache", ".ruff_cache", "reports", "tests", ".env"):
        assert entry in ignored
    for needed in ("constraints.txt", "pyproject.toml", "README.md", "reviewlab", "api", "app", "pipelines"):
        assert needed not in ignored
