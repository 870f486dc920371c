"""docker-compose.yml, read without an engine: services, health checks, build targets, mounts and variables.

With the Compose CLI (``docker compose``) on the machine, ``docker compose config`` also parses and validates
the file against the Compose specification; without it that test is skipped (no engine is needed either way).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy._files import ROOT, env_example_values, interpolate
from tests.deploy.test_dockerfile import _stages

SERVICES = {
    "postgres", "redis", "ollama", "api", "worker", "dagster-webserver", "dagster-daemon",
    "mlflow", "dashboard", "nginx", "prometheus", "grafana",
}  # fmt: skip
# Written by another part of the deployment work (observability); only their mount points are checked here.
THEIRS = {"deploy/prometheus", "deploy/grafana/provisioning", "deploy/grafana/dashboards"}
# The operator provides these (deploy/nginx/make-dev-cert.sh makes a development pair).
OPERATOR_FILES = {"deploy/nginx/certs/tls.crt", "deploy/nginx/certs/tls.key"}


def _interpolated(node: Any, env: dict[str, str]) -> Any:
    """Like Compose: values are interpolated after parsing (so a value never turns into YAML syntax)."""
    if isinstance(node, dict):
        return {key: _interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolated(value, env) for value in node]
    return interpolate(node, env) if isinstance(node, str) else node


def _model() -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return _interpolated(raw, env_example_values())


def _bind_sources(model: dict[str, Any]) -> dict[str, str]:
    """Local path -> where it is mounted, for every bind mount."""
    sources = {}
    for service in model["services"].values():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                sources[str(Path(source))] = target
    return sources


def test_every_service_is_there_on_one_network() -> None:
    model = _model()
    assert set(model["services"]) == SERVICES
    assert list(model["networks"]) == ["reviewlab"]
    for name, service in model["services"].items():
        assert service.get("networks") == ["reviewlab"], name


def test_every_service_has_a_health_check() -> None:
    missing = [name for name, s in _model()["services"].items() if not s.get("healthcheck", {}).get("test")]
    assert missing == []


def test_dependencies_wait_for_health() -> None:
    model = _model()
    for name, service in model["services"].items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in model["services"], (name, dependency)
            if dependency != "ollama":  # optional: the API skips the AI review without it
                assert spec["condition"] == "service_healthy", (name, dependency)
                assert "healthcheck" in model["services"][dependency]


def test_reviewlab_services_read_the_env_file_and_are_wired_to_the_stack() -> None:
    model = _model()
    for name in ("api", "worker", "dagster-webserver", "dagster-daemon", "dashboard"):
        service = model["services"][name]
        assert service["env_file"] == ".env"
        env = service["environment"]
        assert env["DATABASE_URL"] == "postgresql://reviewlab:change-me@postgres:5432/reviewlab"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["OLLAMA_HOST"] == "http://ollama:11434"
        assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    for name in ("dagster-webserver", "dagster-daemon"):
        assert model["services"][name]["environment"]["DAGSTER_HOME"] == "/var/lib/reviewlab/dagster"
    assert model["services"]["dagster-daemon"]["command"][:3] == ["with-dagster-instance", "dagster-daemon", "run"]
    assert model["services"]["worker"]["build"]["target"] == "worker"
    mlflow = model["services"]["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"]
    assert mlflow.endswith("@postgres:5432/mlflow")
    assert model["services"]["postgres"]["environment"]["POSTGRES_EXTRA_DATABASES"] == "mlflow"


def test_every_build_target_exists_in_the_dockerfile() -> None:
    stages = _stages()
    targets = {s["build"]["target"] for s in _model()["services"].values() if "build" in s}
    assert targets == {"api", "worker", "dagster", "dashboard", "mlflow"}
    assert targets <= set(stages)


def test_every_named_volume_is_declared() -> None:
    model = _model()
    used = {
        v.split(":")[0]
        for s in model["services"].values()
        for v in s.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert used == set(model["volumes"])


def test_mounted_local_paths_exist() -> None:
    sources = _bind_sources(_model())
    ours = {path for path in sources if path not in THEIRS}
    assert ours, "the gateway's and PostgreSQL's files are mounted"
    assert [p for p in ours if not (ROOT / p).exists()] == []
    assert set(sources) >= THEIRS
    assert sources["deploy/prometheus"] == "/etc/prometheus"
    assert sources["deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert sources["deploy/grafana/dashboards"] == "/var/lib/grafana/dashboards"


def test_tls_comes_from_secrets() -> None:
    model = _model()
    files = {str(Path(s["file"])) for s in model["secrets"].values()}
    assert files == OPERATOR_FILES
    assert {s["target"] for s in model["services"]["nginx"]["secrets"]} == {"tls.crt", "tls.key"}
    assert (ROOT / "deploy/nginx/make-dev-cert.sh").exists()


def test_only_the_gateway_is_public() -> None:
    for name, service in _model()["services"].items():
        for port in service.get("ports", []):
            if name == "nginx":
                assert port in ("80:80", "443:443")
            else:
                assert port.startswith("127.0.0.1:"), (name, port)


def test_grafana_is_on_the_seeds_port() -> None:
    assert _model()["services"]["grafana"]["ports"] == ["127.0.0.1:3002:3000"]


def _compose_cli() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, text=True, check=False, timeout=30)
        if probe.returncode == 0:
            return command
    return None


def test_compose_config_accepts_the_file(tmp_path: Path) -> None:
    command = _compose_cli()
    if command is None:
        pytest.skip("no Compose CLI (docker compose / docker-compose) on this machine")
    # A project directory holding the repository's files and a .env made from .env.example.
    for entry in ROOT.iterdir():
        if entry.name not in {".env", ".git", ".venv"}:
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        [*command, "--project-directory", str(tmp_path), "-f", str(tmp_path / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert set(rendered["services"]) == SERVICES
