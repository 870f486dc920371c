"""The Prometheus and Grafana configuration under deploy/: it parses, its alerts are complete and hold the
seed's thresholds (section 10.1), and every metric a query names is one the API exports today — or, in the
places marked as such, one of the names proposed in docs/observability.md ("Needs instrumentation")."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.deps import Platform
from api.routes.health import router as health_router
from reviewlab.cache import Caches
from reviewlab.ratelimit import MemoryBackend, RateLimiter
from reviewlab.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
DOC = ROOT / "docs" / "observability.md"

# Metrics the platform does not export yet; the names docs/observability.md proposes ("Needs
# instrumentation"). Only the dashboard below and the alert group below may use them. Empty today: the
# analysis and AI provider metrics are exported (reviewlab/observability/metrics.py).
PENDING_INSTRUMENTATION: dict[str, str] = {}
PENDING_DASHBOARD = "reviewlab-ai.json"
PENDING_GROUP = "reviewlab-pending-instrumentation"

# Series Prometheus itself adds to every scrape target.
SCRAPE_SERIES = {"up"}

FUNCTIONS = {
    "abs",
    "absent",
    "absent_over_time",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "time",
    "timestamp",
    "vector",
    "year",
}
AGGREGATIONS = {
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
}
KEYWORDS = {"and", "or", "unless", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "offset"}
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}


def _series(name: str, kind: str) -> set[str]:
    base = name.removesuffix("_total") if kind == "counter" else name
    return {base + suffix for suffix in SUFFIXES[kind]}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    """The series names the API's /metrics can carry: its Metrics registry, with the gauges Platform adds."""
    home = tmp_path_factory.mktemp("observability") / "home"
    settings = Settings(reviewlab_home=home, database_url=None, redis_url=None)
    platform = Platform(settings, limiter=RateLimiter(MemoryBackend()), caches=Caches.in_memory())
    try:
        names: set[str] = set()
        for family in platform.metrics.registry.collect():
            names |= _series(family.name, family.type)
        yield names | SCRAPE_SERIES
    finally:
        platform.close()


@pytest.fixture(scope="module")
def pending() -> set[str]:
    names: set[str] = set()
    for name, kind in PENDING_INSTRUMENTATION.items():
        names |= _series(name, kind)
    return names


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _rules() -> list[tuple[str, dict[str, Any]]]:
    return [(group["name"], rule) for group in _yaml(PROMETHEUS / "alerts.yml")["groups"] for rule in group["rules"]]


def _alert(name: str) -> dict[str, Any]:
    [rule] = [rule for _, rule in _rules() if rule.get("alert") == name]
    return rule


def _dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # a collapsed row keeps its panels inside


def _exprs(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "query":
            found = re.fullmatch(r"label_values\((.*),\s*\w+\)", variable["definition"].strip())
            assert found, f"variable {variable['name']}: only label_values(series, label) is used"
            yield f"variable {variable['name']}", found[1]


def _strip(expr: str) -> str:
    """The expression without Grafana variables, string literals, label matchers and range/subquery durations."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    assert "$" not in expr, f"unknown Grafana variable outside a string in {expr!r}"
    expr = re.sub(r"\{[^{}]*\}", "", expr)
    return re.sub(r"\[\s*\d+[smhdwy](?:\s*:\s*(?:\d+[smhdwy])?)?\s*\]", "", expr)


def _check_syntax(expr: str) -> None:
    """Balanced brackets, known functions, no stray characters (promtool is not available here)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stack: list[str] = []
    for char in bare:
        if char in "([{":
            stack.append(char)
        elif char in ")]}":
            opened = stack.pop() if stack else ""
            assert opened + char in ("()", "[]", "{}"), f"unbalanced {char!r} in {expr!r}"
    assert not stack, f"unclosed {stack} in {expr!r}"
    code = _strip(expr)
    assert not re.search(r"[^\w\s().,:*/+\-<>=!%^\"]", code), f"unexpected character in {expr!r}"
    for name in re.findall(r"(?<![\w.])([a-zA-Z_][\w:]*)\s*\(", code):
        assert name in FUNCTIONS | AGGREGATIONS | KEYWORDS, f"unknown function {name!r} in {expr!r}"
    for clause in re.findall(r"\b(by|without|on|ignoring|group_left|group_right)\b(?!\s*\()", code):
        raise AssertionError(f"{clause!r} without its label list in {expr!r}")


def _metric_names(expr: str) -> set[str]:
    code = _strip(expr)
    code = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", code)
    code = re.sub(r"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?", " ", code)  # numbers, 1e3 included
    names = set()
    for found in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?", code):
        name, call = found[1], found[2]
        if call or name in KEYWORDS:
            continue
        names.add(name)
    return names


# ---------------------------------------------------------------- the metric extraction itself


def test_metric_names_are_read_out_of_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route=~"$route", x="b_c(d)"}[$__rate_interval])))'
        " > 0.5 and on (route) sum without (le) (increase(b_count[5m])) >= 2e1 and deriv(sum(c)[15m:1m]) > 0"
    )
    _check_syntax(expr)
    assert _metric_names(expr) == {"a_bucket", "b_count", "c"}
    with pytest.raises(AssertionError, match="unbalanced"):
        _check_syntax("sum(rate(a[5m]))) > 1")
    with pytest.raises(AssertionError, match="unknown function"):
        _check_syntax("histogram_quantiles(0.9, a)")


def test_the_exported_set_is_what_the_api_exports(exported: set[str], pending: set[str]) -> None:
    assert {
        "reviewlab_http_requests_total",
        "reviewlab_http_request_duration_seconds_bucket",
        "reviewlab_login_attempts_total",
        "reviewlab_rate_limited_requests_total",
        "reviewlab_analyses_submitted_total",
        "reviewlab_cache_hit_ratio",
        "reviewlab_api_up",
        "reviewlab_analysis_queue_depth",
        # the library's, included from reviewlab.observability.metrics
        "reviewlab_analyses_finished_total",
        "reviewlab_analysis_stage_duration_seconds_bucket",
        "reviewlab_findings_total",
        "reviewlab_provider_request_duration_seconds_bucket",
        "reviewlab_provider_requests_total",
        "reviewlab_provider_circuit_state",
        "reviewlab_provider_tokens_total",
        "reviewlab_provider_cost_usd_total",
    } <= exported
    now_exported = sorted(pending & exported)
    assert not now_exported, (
        f"{now_exported} are exported now: move them out of PENDING_INSTRUMENTATION and the docs' "
        "'Needs instrumentation' list"
    )


# ---------------------------------------------------------------- Prometheus


def test_prometheus_scrapes_the_api_and_loads_the_rules() -> None:
    config = _yaml(PROMETHEUS / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    assert (PROMETHEUS / "alerts.yml").is_file()
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["api"]
    assert api["metrics_path"] == "/metrics"
    assert "/metrics" in {route.path for route in health_router.routes}  # type: ignore[attr-defined]
    assert [target for group in api["static_configs"] for target in group["targets"]] == ["api:8000"]
    interval = config["global"]["scrape_interval"]
    assert interval == "15s"
    assert config["global"]["evaluation_interval"] == "15s"


def test_every_alert_is_complete() -> None:
    rules = _rules()
    assert rules
    names = [rule["alert"] for _, rule in rules]
    assert len(names) == len(set(names))
    for _, rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"], rule["alert"]
        assert annotations["description"], rule["alert"]
        assert annotations["runbook"].startswith(f"docs/observability.md#{rule['alert'].lower()} "), rule["alert"]


def test_alert_expressions_are_sane_and_use_exported_metrics(exported: set[str], pending: set[str]) -> None:
    for group, rule in _rules():
        expr = rule["expr"]
        _check_syntax(expr)
        condition = " ".join(_strip(expr).split()).split(" and ")[0]
        assert re.search(r"(==|!=|>=|<=|>|<) [\d.]+$", condition), rule["alert"]
        names = _metric_names(expr)
        assert names, rule["alert"]
        allowed = exported | pending if group == PENDING_GROUP else exported
        assert names <= allowed, f"{rule['alert']}: not exported: {sorted(names - allowed)}"
        if group == PENDING_GROUP:
            assert names & pending, rule["alert"]
            assert rule["labels"]["pending_instrumentation"] == "true", rule["alert"]
            assert "not exported yet" in rule["annotations"]["description"], rule["alert"]
        else:
            assert "pending_instrumentation" not in rule["labels"], rule["alert"]


@pytest.mark.parametrize(
    ("alert", "quantile", "threshold"),
    [
        ("ReviewlabApiHighLatencyP95", "0.95", "0.5"),
        ("ReviewlabApiRouteHighLatencyP95", "0.95", "0.5"),
        ("ReviewlabApiHighLatencyP99", "0.99", "1"),
    ],
)
def test_latency_alerts_hold_the_seed_targets(alert: str, quantile: str, threshold: str) -> None:
    rule = _alert(alert)
    expr = " ".join(rule["expr"].split())
    assert re.search(
        rf"^histogram_quantile\({quantile}, sum by \(le[\w, ]*\) \(rate\(reviewlab_http_request_duration_seconds_bucket"
        rf"\{{[^}}]*\}}\[5m\]\)\)\) > {re.escape(threshold)} and on ",
        expr,
    ), expr
    assert rule["for"] == "5m"
    if alert == "ReviewlabApiRouteHighLatencyP95":
        assert "sum by (le, method, route)" in expr
        assert "and on (method, route)" in expr


def test_error_rate_alert_holds_the_seed_target() -> None:
    rule = _alert("ReviewlabApiHighErrorRate")
    expr = " ".join(rule["expr"].split())
    numerator, denominator = expr.split(" / ")
    assert 'status=~"5.."' in numerator
    assert "status" not in denominator.split(" and ")[0]
    assert re.search(r"\[5m\]\)\) > 0\.01 and on \(\) ", expr), expr
    assert rule["for"] == "5m"
    assert rule["labels"]["severity"] == "critical"


def test_availability_alerts() -> None:
    down = _alert("ReviewlabApiDown")
    assert down["expr"].strip() == 'up{job="api"} == 0'
    assert down["for"] == "2m"
    assert down["labels"]["severity"] == "critical"
    ready = " ".join(_alert("ReviewlabApiNotReady")["expr"].split())
    assert 'route="/health/ready", status="503"' in ready
    assert "/health/ready" in {route.path for route in health_router.routes}  # type: ignore[attr-defined]


def test_the_other_alerts_exist() -> None:
    assert 'outcome="failed"' in _alert("ReviewlabLoginFailureSpike")["expr"]
    assert "reviewlab_rate_limited_requests_total" in _alert("ReviewlabRateLimitRefusalSpike")["expr"]
    assert "reviewlab_analysis_queue_depth" in _alert("ReviewlabAnalysisQueueBacklogGrowing")["expr"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_configuration() -> None:  # pragma: no cover - runs where promtool exists
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"]):
        subprocess.run(["promtool", *args], cwd=PROMETHEUS, check=True, timeout=60)


# ---------------------------------------------------------------- Grafana


def _datasource() -> dict[str, Any]:
    [datasource] = _yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert isinstance(datasource, dict)
    return datasource


def test_grafana_provisioning() -> None:
    datasource = _datasource()
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert datasource["uid"]
    [provider] = _yaml(GRAFANA / "provisioning" / "dashboards" / "reviewlab.yml")["providers"]
    assert provider["type"] == "file"
    assert (
        provider["options"]["path"] == "/var/lib/grafana/dashboards"
    )  # where compose mounts deploy/grafana/dashboards
    assert set(_dashboards()) == {"reviewlab-overview.json", PENDING_DASHBOARD}


def test_dashboards_are_well_formed() -> None:
    uid = _datasource()["uid"]
    uids = set()
    for name, dashboard in _dashboards().items():
        assert 36 <= dashboard["schemaVersion"] <= 41, name
        assert dashboard["uid"] not in uids, name
        assert len(dashboard["uid"]) <= 40, name
        uids.add(dashboard["uid"])
        assert dashboard["title"], name
        assert dashboard["description"], name
        ids = [panel["id"] for panel in _panels(dashboard)]
        assert len(ids) == len(set(ids)), name
        cells: set[tuple[int, int]] = set()
        for panel in _panels(dashboard):
            where = f"{name}: {panel['title']}"
            grid = panel["gridPos"]
            assert set(grid) == {"h", "w", "x", "y"}, where
            assert min(grid["w"], grid["h"]) > 0, where
            assert grid["x"] + grid["w"] <= 24, where
            area = {
                (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not area & cells, f"{where} overlaps another panel"
            cells |= area
            if panel["type"] in {"row", "text"}:
                assert "targets" not in panel, where
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": uid}, where
            assert panel["targets"], where
            refs = [target["refId"] for target in panel["targets"]]
            assert len(refs) == len(set(refs)), where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid, where
                assert target["expr"].strip(), where
        for variable in dashboard["templating"]["list"]:
            assert variable["datasource"]["uid"] == uid, name


def test_the_overview_shows_what_the_issue_asks_for() -> None:
    titles = " | ".join(panel["title"] for panel in _panels(_dashboards()["reviewlab-overview.json"])).lower()
    for wanted in (
        "request rate",
        "p50 latency by route",
        "p95 latency by route",
        "p99 latency by route",
        "error rate",
        "availability",
        "logins",
        "rate-limit refusals",
        "analyses submitted",
        "cache hit ratio",
    ):
        assert wanted in titles, wanted


def test_dashboard_queries_are_sane_and_use_exported_metrics(exported: set[str], pending: set[str]) -> None:
    used_pending: set[str] = set()
    for name, dashboard in _dashboards().items():
        is_pending = name == PENDING_DASHBOARD
        allowed = exported | pending if is_pending else exported
        for title, expr in _exprs(dashboard):
            _check_syntax(expr)
            names = _metric_names(expr)
            assert names, f"{name}: {title}"
            assert names <= allowed, f"{name}: {title}: not exported: {sorted(names - allowed)}"
            used_pending |= names & pending
        if is_pending and used_pending:
            assert "DEPENDS ON INSTRUMENTATION" in dashboard["description"]
            assert "pending-instrumentation" in dashboard["tags"]
            for panel in _panels(dashboard):
                queried = {n for target in panel.get("targets", []) for n in _metric_names(target["expr"])}
                if queried & pending:
                    assert panel["description"].startswith("PENDING INSTRUMENTATION"), panel["title"]
    alerts = {n for group, rule in _rules() if group == PENDING_GROUP for n in _metric_names(rule["expr"])}
    unused = {
        name for name, kind in PENDING_INSTRUMENTATION.items() if not _series(name, kind) & (used_pending | alerts)
    }
    assert not unused, f"proposed but used nowhere: {sorted(unused)}"


def test_the_doc_names_every_alert_and_proposed_metric() -> None:
    doc = DOC.read_text()
    for _, rule in _rules():
        assert f"### {rule['alert']}" in doc, rule["alert"]
    for name in PENDING_INSTRUMENTATION:
        assert f"`{name}" in doc, name
