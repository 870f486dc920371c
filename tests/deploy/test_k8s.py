"""The Kubernetes manifests (deploy/k8s): both overlays render with ``kubectl kustomize``, every document
validates against the Kubernetes 1.30 schemas in strict mode, and the documents agree with each other, the
seed's scaling table (10.2), the API's health paths and the README's list of Secrets.

No cluster is involved: admission, scheduling and the probes answering are not tested here.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests._services import unavailable

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("production", "dev")
KUBERNETES_VERSION = "1.30.0"
NAMESPACES = {"platform-v2-stable", "platform-v1-exp", "platform-infrastructure"}
QUEUE_DEPTH_METRIC = "reviewlab_analysis_queue_depth"
TARGETS = {"api", "worker", "dagster", "dashboard", "mlflow"}
REVIEWLAB_IMAGE = re.compile(r"^ghcr\.io/reviewlab/reviewlab:(?P<version>[0-9A-Za-z.]+)-(?P<target>[a-z]+)$")

# Seed 10.2 mapped onto our faces (README "Autoscaling"): (min, max, CPU %, external metric target or None).
SEED_HPAS = {
    ("platform-v2-stable", "api"): (3, 20, 70, None),
    ("platform-v2-stable", "worker"): (3, 50, 70, 100),
}
# The health endpoint of every HTTP face: (readiness path, liveness path).
HEALTH_PATHS = {
    "api": ("/health/ready", "/health/live"),
    "dashboard": ("/_stcore/health", "/_stcore/health"),
    "dagster-webserver": ("/server_info", "/server_info"),
    "mlflow": ("/health", "/health"),
    "ollama": ("/api/version", "/api/version"),
}
WORKLOADS = {"Deployment", "StatefulSet", "CronJob", "Job", "DaemonSet"}
SECRET_LOOKING = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN|DATABASE_URL|REDIS_URL|STORE_URI|POSTGRES_URL)$")


@functools.cache
def _render(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        unavailable("kubectl", "PATH", "kubectl is needed to render the kustomize overlays")
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


@pytest.fixture(params=OVERLAYS)
def docs(request: pytest.FixtureRequest) -> tuple[dict[str, Any], ...]:
    return _render(request.param)


@pytest.fixture
def production() -> tuple[dict[str, Any], ...]:
    return _render("production")


def _key(doc: dict[str, Any]) -> str:
    return f"{doc['kind']} {doc['metadata'].get('namespace', '-')}/{doc['metadata']['name']}"


def _of(docs: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def _find(docs: tuple[dict[str, Any], ...], kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    for doc in _of(docs, kind):
        if doc["metadata"]["name"] == name and doc["metadata"].get("namespace") == namespace:
            return doc
    return None


def _pod_template(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def _pods(docs: tuple[dict[str, Any], ...]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod template) of every workload."""
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            yield doc, _pod_template(doc)


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod["spec"].get("initContainers", []), *pod["spec"]["containers"]]


def _documented_secrets() -> set[tuple[str, str, str]]:
    """(namespace, Secret, key) rows of the README's "Secrets to create" table."""
    row = re.compile(r"^\|\s*([a-z0-9-]+)\s*\|\s*`([a-z0-9-]+)`\s*\|\s*`([A-Za-z0-9_.-]+)`\s*\|")
    text = (K8S / "README.md").read_text(encoding="utf-8")
    return {(m[1], m[2], m[3]) for line in text.splitlines() if (m := row.match(line))}


def _dagster_instance(docs: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    config_map = _find(docs, "ConfigMap", "platform-v2-stable", "dagster-instance")
    assert config_map is not None
    return yaml.safe_load(config_map["data"]["dagster.yaml"])


def test_every_document_validates_strictly(docs: tuple[dict[str, Any], ...]) -> None:
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            problems.append(f"{_key(doc)}: {'.'.join(str(p) for p in err.path)}: {err.message}")
    assert not problems, "\n".join(problems)


def test_objects_live_in_the_three_namespaces(docs: tuple[dict[str, Any], ...]) -> None:
    assert {doc["metadata"]["name"] for doc in _of(docs, "Namespace")} == NAMESPACES
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") in NAMESPACES, _key(doc)
    assert not _of(docs, "Secret"), "Secrets are created in the cluster (README), never rendered from the repo"


def test_every_container_has_requests_and_limits(docs: tuple[dict[str, Any], ...]) -> None:
    for workload, pod in _pods(docs):
        for container in _containers(pod):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{_key(workload)} {container['name']}"


def test_http_faces_probe_their_health_paths(docs: tuple[dict[str, Any], ...]) -> None:
    checked = set()
    for workload, pod in _pods(docs):
        component = workload["metadata"]["name"]
        for container in pod["spec"]["containers"]:
            if not any(port.get("name") == "http" for port in container.get("ports", [])):
                continue
            assert component in HEALTH_PATHS, f"{_key(workload)} serves HTTP without a known health path"
            ready, live = HEALTH_PATHS[component]
            assert container["readinessProbe"]["httpGet"]["path"] == ready, _key(workload)
            assert container["livenessProbe"]["httpGet"]["path"] == live, _key(workload)
            checked.add(component)
    assert checked == set(HEALTH_PATHS)


def test_api_waits_for_its_start_before_liveness(production: tuple[dict[str, Any], ...]) -> None:
    api = _find(production, "Deployment", "platform-v2-stable", "api")
    assert api is not None
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert "--proxy-headers" in container["args"]


def test_hpas_follow_the_seed(production: tuple[dict[str, Any], ...]) -> None:
    hpas = {
        (doc["metadata"]["namespace"], doc["metadata"]["name"]): doc
        for doc in _of(production, "HorizontalPodAutoscaler")
    }
    assert set(hpas) == set(SEED_HPAS)
    for where, (low, high, cpu, queue) in SEED_HPAS.items():
        spec = hpas[where]["spec"]
        assert (spec["minReplicas"], spec["maxReplicas"]) == (low, high), where
        target = spec["scaleTargetRef"]
        deployment = _find(production, target["kind"], where[0], target["name"])
        assert deployment is not None, f"{where}: no {target['kind']} {target['name']}"
        assert "replicas" not in deployment["spec"], f"{where}: the HPA owns the replicas"
        metrics = {metric["type"]: metric for metric in spec["metrics"]}
        assert metrics["Resource"]["resource"] == {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": cpu},
        }
        if queue is None:
            assert set(metrics) == {"Resource"}
            continue
        external = metrics["External"]["external"]
        assert external["metric"]["name"] == QUEUE_DEPTH_METRIC
        assert external["target"] == {"type": "Value", "value": str(queue)}


def test_the_queue_metric_is_served_by_prometheus_adapter(production: tuple[dict[str, Any], ...]) -> None:
    rules = _find(production, "ConfigMap", "platform-infrastructure", "prometheus-adapter-rules")
    assert rules is not None
    config = yaml.safe_load(rules["data"]["config.yaml"])
    served = {rule["name"]["as"]: rule for rule in config["externalRules"]}
    assert QUEUE_DEPTH_METRIC in served
    assert QUEUE_DEPTH_METRIC in served[QUEUE_DEPTH_METRIC]["seriesQuery"]
    # Every API replica reports the same broker queue: the max over them, never the sum.
    assert served[QUEUE_DEPTH_METRIC]["metricsQuery"].startswith("max(")


def test_the_api_exports_the_queue_metric() -> None:
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "api").rglob("*.py"))
    assert f'"{QUEUE_DEPTH_METRIC}"' in sources


def test_pod_disruption_budgets_cover_api_and_workers(production: tuple[dict[str, Any], ...]) -> None:
    covered = set()
    for pdb in _of(production, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        matching = [
            workload["metadata"]["name"]
            for workload, pod in _pods(production)
            if workload["metadata"]["namespace"] == pdb["metadata"]["namespace"]
            and selector.items() <= pod["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, f"{_key(pdb)} selects {matching}"
        covered.add(matching[0])
    assert {"api", "worker"} <= covered


def test_service_selectors_and_ports_match_a_pod_template(docs: tuple[dict[str, Any], ...]) -> None:
    for service in _of(docs, "Service"):
        selector = service["spec"]["selector"]
        pods = [
            pod
            for workload, pod in _pods(docs)
            if workload["metadata"]["namespace"] == service["metadata"]["namespace"]
            and selector.items() <= pod["metadata"]["labels"].items()
        ]
        assert pods, f"{_key(service)} selects no pod template"
        ports = {port.get("name") for pod in pods for c in pod["spec"]["containers"] for port in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"{_key(service)}: no container port {port['targetPort']}"


def test_ingress_backends_exist(docs: tuple[dict[str, Any], ...]) -> None:
    for ingress in _of(docs, "Ingress"):
        namespace = ingress["metadata"]["namespace"]
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = _find(docs, "Service", namespace, backend["name"])
                assert service is not None, f"{_key(ingress)} -> {backend['name']}"
                assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
                assert path["path"] != "/metrics"


def test_secrets_are_referenced_never_written(docs: tuple[dict[str, Any], ...]) -> None:
    documented = _documented_secrets()
    documented_names = {(namespace, secret) for namespace, secret, _ in documented}
    used: set[tuple[str, str, str]] = set()
    used_names: set[tuple[str, str]] = set()
    for workload, pod in _pods(docs):
        namespace = workload["metadata"]["namespace"]
        for container in _containers(pod):
            for env in container.get("env", []):
                if "value" in env:
                    assert not SECRET_LOOKING.search(env["name"]), f"{_key(workload)}: literal {env['name']}"
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    used.add((namespace, ref["name"], ref["key"]))
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    used_names.add((namespace, source["secretRef"]["name"]))
        for volume in pod["spec"].get("volumes", []):
            if "secret" in volume:
                used_names.add((namespace, volume["secret"]["secretName"]))
    for ingress in _of(docs, "Ingress"):
        for tls in ingress["spec"].get("tls", []):
            used_names.add((ingress["metadata"]["namespace"], tls["secretName"]))
    launcher = _dagster_instance(docs)["run_launcher"]["config"]
    used_names |= {(launcher["job_namespace"], name) for name in launcher["env_secrets"]}
    for config_map in _of(docs, "ConfigMap"):
        for key in config_map.get("data", {}):
            assert not SECRET_LOOKING.search(key), f"{_key(config_map)} holds {key}"
    assert used - documented == set(), "secretKeyRef not in the README's table"
    referenced = used_names | {(namespace, secret) for namespace, secret, _ in used}
    assert referenced - documented_names == set(), "Secrets missing from the README's table"
    assert documented_names - referenced == set(), "the README lists Secrets nothing uses"


def test_no_container_runs_as_root(docs: tuple[dict[str, Any], ...]) -> None:
    for workload, pod in _pods(docs):
        context = pod["spec"]["securityContext"]
        assert context["runAsNonRoot"] is True, _key(workload)
        assert context.get("runAsUser", 1) != 0, _key(workload)
        assert context["seccompProfile"]["type"] == "RuntimeDefault", _key(workload)
        for container in _containers(pod):
            own = container["securityContext"]
            assert own.get("runAsUser", 1) != 0, _key(workload)
            assert own.get("runAsNonRoot", True) is True, _key(workload)
            assert own["allowPrivilegeEscalation"] is False, _key(workload)
            assert own.get("privileged", False) is False, _key(workload)
            assert own["capabilities"]["drop"] == ["ALL"], _key(workload)
            assert "add" not in own["capabilities"], _key(workload)
    run_pods = _dagster_instance(docs)["run_launcher"]["config"]
    assert run_pods["run_k8s_config"]["pod_spec_config"]["security_context"]["run_as_non_root"] is True
    assert run_pods["security_context"]["allowPrivilegeEscalation"] is False


def test_images_are_pinned(docs: tuple[dict[str, Any], ...]) -> None:
    targets = set()
    for workload, pod in _pods(docs):
        for container in _containers(pod):
            image = container["image"]
            name, _, tag = image.rpartition("/")[2].partition(":")
            assert tag not in {"", "latest"}, f"{_key(workload)}: {image}"
            assert "@" not in name, f"{_key(workload)}: {image}"
            if image.startswith("ghcr.io/reviewlab/"):
                match = REVIEWLAB_IMAGE.match(image)
                assert match is not None, f"{_key(workload)}: {image}"
                assert match["target"] in TARGETS, f"{_key(workload)}: {image}"
                targets.add(match["target"])
    assert targets == TARGETS


def test_dagster_runs_on_postgres_with_the_k8s_run_launcher(docs: tuple[dict[str, Any], ...]) -> None:
    instance = _dagster_instance(docs)
    assert instance["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}
    launcher = instance["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    config = launcher["config"]
    namespace = config["job_namespace"]
    assert _find(docs, "ServiceAccount", namespace, config["service_account_name"]) is not None
    assert _find(docs, "ConfigMap", namespace, config["instance_config_map"]) is not None
    for name in config["env_config_maps"]:
        assert _find(docs, "ConfigMap", namespace, name) is not None, name
    assert ("platform-v2-stable", "reviewlab-dagster", "DAGSTER_POSTGRES_URL") in _documented_secrets()

    # The webserver and daemon may create and watch run Jobs and their Pods in that namespace.
    allowed: dict[str, set[tuple[str, str]]] = {}
    for binding in _of(docs, "RoleBinding"):
        role = _find(docs, "Role", binding["metadata"]["namespace"], binding["roleRef"]["name"])
        assert role is not None
        grants = {(res, verb) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]}
        for subject in binding["subjects"]:
            allowed.setdefault(subject["name"], set()).update(grants)
    for name in ("dagster-webserver", "dagster-daemon"):
        deployment = _find(docs, "Deployment", namespace, name)
        assert deployment is not None
        account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
        assert {("jobs", "create"), ("jobs", "watch"), ("pods", "list"), ("pods/log", "get")} <= allowed[account]

    # Every run Job gets the code location's image.
    user_code = _find(docs, "Deployment", namespace, "dagster-user-code")
    assert user_code is not None
    container = user_code["spec"]["template"]["spec"]["containers"][0]
    current = {env["name"]: env.get("value") for env in container["env"]}["DAGSTER_CURRENT_IMAGE"]
    assert current == container["image"]
    workspace = _find(docs, "ConfigMap", namespace, "dagster-workspace")
    assert workspace is not None
    server = yaml.safe_load(workspace["data"]["workspace.yaml"])["load_from"][0]["grpc_server"]
    assert server["host"].startswith("dagster-user-code.")
    assert server["port"] == container["ports"][0]["containerPort"]


def test_faces_use_pgbouncer_and_dagster_mlflow_their_own_url(production: tuple[dict[str, Any], ...]) -> None:
    pgbouncer = _find(production, "ConfigMap", "platform-infrastructure", "pgbouncer-config")
    assert pgbouncer is not None
    ini = pgbouncer["data"]["pgbouncer.ini"]
    assert "listen_port = 6432" in ini
    assert "pool_mode = transaction" in ini
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert "pgbouncer.platform-infrastructure.svc.cluster.local:6432" in readme
    mlflow = _find(production, "Deployment", "platform-v2-stable", "mlflow")
    assert mlflow is not None
    env = mlflow["spec"]["template"]["spec"]["containers"][0]["env"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in env if "valueFrom" in e}
    assert refs == {"MLFLOW_BACKEND_STORE_URI": "reviewlab-mlflow"}


def test_experiments_are_isolated_with_relaxed_quotas(docs: tuple[dict[str, Any], ...]) -> None:
    namespace = "platform-v1-exp"
    (cron,) = [doc for doc in _of(docs, "CronJob") if doc["metadata"]["namespace"] == namespace]
    assert _pod_template(cron)["spec"]["containers"][0]["args"] == ["reviewlab", "models", "evaluate", "--all"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert [q for q in _of(docs, "ResourceQuota") if q["metadata"]["namespace"] == namespace]
    policies = [p for p in _of(docs, "NetworkPolicy") if p["metadata"]["namespace"] == namespace]
    isolating = [p for p in policies if p["spec"]["podSelector"] == {} and p["spec"].get("ingress") == []]
    assert isolating
    assert set(isolating[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}


def test_ollama_runs_on_a_gpu_in_production(production: tuple[dict[str, Any], ...]) -> None:
    ollama = _find(production, "Deployment", "platform-infrastructure", "ollama")
    assert ollama is not None
    spec = ollama["spec"]["template"]["spec"]
    assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert spec["nodeSelector"]
    assert any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])


def test_the_dagster_instance_config_is_valid_for_dagster_and_dagster_k8s(
    production: tuple[dict[str, Any], ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ConfigMap's dagster.yaml passes Dagster's own instance schema, and its run launcher's config passes
    the schema of the installed ``dagster_k8s.K8sRunLauncher`` (the `k8s` extra, the Dagster image's), so a
    misspelt key fails here rather than at the daemon's start in the cluster."""
    from dagster._config import Shape, process_config
    from dagster._core.instance.config import dagster_instance_config_schema
    from dagster_k8s import K8sRunLauncher

    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "postgresql://dagster@pgbouncer:6432/reviewlab")
    instance = _dagster_instance(production)
    checked = process_config(Shape(dagster_instance_config_schema()), instance)
    assert checked.success, checked.errors
    launcher = K8sRunLauncher.config_type()
    assert process_config(launcher, instance["run_launcher"]["config"]).success
    misspelt = {**instance["run_launcher"]["config"], "job_namespac": "platform-v2-stable"}
    refused = process_config(launcher, misspelt)
    assert not refused.success
    assert "job_namespac" in refused.errors[0].message
